import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError } from '../../../src/core/errors';
import { generateImages } from '../../../src/core/generate';
import { messageCatalogues, setMessageLocale } from '../../../src/core/messages';
import { createImageModel } from '../../../src/core/providers/registry';

const placeholders = (text: string) => new Set(text.match(/\{\w+\}/g) ?? []);

test('every core sentence has a Chinese translation using only the placeholders the English one fills', () => {
  const english = messageCatalogues.en!;
  const chinese = messageCatalogues['zh-cn']!;
  assert.deepEqual(Object.keys(chinese).sort(), Object.keys(english).sort());
  for (const [id, text] of Object.entries(chinese)) {
    const allowed = placeholders(english[id as keyof typeof english]);
    for (const name of placeholders(text)) assert.ok(allowed.has(name), `${id}: ${name} is not filled`);
    assert.match(text, /[\u4e00-\u9fff\uff1a]/, `${id} is translated`);
  }
});

test('a Chinese editor shows the core errors in Chinese; the default stays English', async () => {
  const model = createImageModel({ provider: 'placeholder' });
  try {
    setMessageLocale('zh-cn');
    await assert.rejects(generateImages(model, { prompt: 'x', format: 'jpeg' }), (error: unknown) => error instanceof InvalidRequestError && error.message === 'Placeholder 不能输出 JPEG。可选：png。');
    assert.throws(() => createImageModel({ provider: 'openai' }), /没有 OpenAI 的 API Key。请用“ImageGen: 设置 API Key…”设置（或设置环境变量 IMAGEGEN_API_KEY or OPENAI_API_KEY）。/);
    setMessageLocale('zh_CN.UTF-8');
    await assert.rejects(generateImages(model, { prompt: '' }), /提示词为空/);
  } finally {
    setMessageLocale(undefined);
  }
  await assert.rejects(generateImages(model, { prompt: 'x', format: 'jpeg' }), /^InvalidRequestError: Placeholder cannot produce JPEG\. Choose one of: png\.$/);
});
