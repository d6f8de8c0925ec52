/** The host trusts nothing the webview sends: every message is checked against the protocol's schemas. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromWebviewSchema, studioRequestSchema } from '../../../src/shared/protocol';

const request = { prompt: 'a red apple', provider: 'openai', model: 'gpt-image-1', n: 2, size: '1024x1024', quality: 'low', stream: true, partialImages: 2 };

test('well-formed messages pass, as sent', () => {
  for (const message of [
    { type: 'ready' },
    { type: 'ready', state: { request: { prompt: 'x' } } },
    { type: 'listModels', provider: 'compatible' },
    { type: 'generate', request, references: [] },
    { type: 'generate', request, references: ['a1', 'b2'], mask: 'data:image/png;base64,iVBORw0KGgo=' },
    { type: 'cancel', jobId: 'job1' },
    { type: 'pickReferences' },
    { type: 'dropReferences', uris: ['file:///work/a.png'] },
    { type: 'pasteReference', name: 'clip.png', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
    { type: 'setReferences', ids: ['b2', 'a1'] },
    { type: 'imageAction', action: 'insertLink', imageId: 'i1' },
    { type: 'refreshHistory' },
    { type: 'setApiKey', provider: 'ofox' },
  ]) {
    const parsed = fromWebviewSchema.safeParse(message);
    assert.ok(parsed.success, `${JSON.stringify(message)}: ${parsed.success ? '' : parsed.error.issues[0]?.message}`);
    assert.deepEqual(parsed.data, message);
  }
});

test('anything else is refused: unknown types and fields, bad values, a mask that is not a PNG', () => {
  for (const message of [
    { type: 'deleteEverything' },
    { type: 'ready', extra: 1 },
    { type: 'generate', request: { ...request, prompt: '   ' }, references: [] },
    { type: 'generate', request: { ...request, n: 0 }, references: [] },
    { type: 'generate', request: { ...request, n: 17 }, references: [] },
    { type: 'generate', request: { ...request, size: '../../etc' }, references: [] },
    { type: 'generate', request: { ...request, partialImages: 4 }, references: [] },
    { type: 'generate', request: { ...request, apiKey: 'sk-stolen' }, references: [] },
    { type: 'generate', request, references: Array.from({ length: 17 }, (_, index) => `r${index}`) },
    { type: 'generate', request, references: [], mask: 'data:image/jpeg;base64,/9j/' },
    { type: 'generate', request, references: [], mask: 'https://example.com/mask.png' },
    { type: 'pasteReference', name: 'x.gif', dataUrl: 'data:image/gif;base64,R0lGOD' },
    { type: 'imageAction', action: 'deleteFile', imageId: 'i1' },
    { type: 'setReferences', ids: [''] },
    'ready',
    null,
  ]) {
    assert.equal(fromWebviewSchema.safeParse(message).success, false, JSON.stringify(message));
  }
});

test('the Studio request is the core request plus provider and model, with n required', () => {
  assert.equal(studioRequestSchema.safeParse({ ...request, n: undefined }).success, false);
  assert.equal(studioRequestSchema.safeParse({ ...request, user: 'me' }).success, false);
  assert.equal(studioRequestSchema.safeParse({ ...request, aspectRatio: '16:9', resolution: '2K' }).success, true);
  assert.equal(studioRequestSchema.safeParse({ ...request, resolution: '8K' }).success, false);
});
