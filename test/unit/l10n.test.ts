/** Chinese (zh-cn) users see the whole UI in Chinese: every string that goes through l10n has a translation. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { STUDIO_STRINGS } from '../../src/webview/strings';

const root = process.cwd();
const json = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, string>;

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('every vscode.l10n.t string and every Studio string has a zh-cn translation', () => {
  const bundle = json('l10n/bundle.l10n.zh-cn.json');
  const used = new Set<string>(STUDIO_STRINGS);
  for (const file of [...sources(join(root, 'src', 'vscode')), join(root, 'src', 'extension.ts')]) {
    for (const match of readFileSync(file, 'utf8').matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) used.add(match[1]!.replace(/\\'/g, "'"));
  }
  assert.ok(used.size > 60, `found ${used.size} strings`);
  const missing = [...used].filter((text) => !bundle[text]);
  assert.deepEqual(missing, []);
  for (const [english, chinese] of Object.entries(bundle)) {
    const placeholders = (text: string) => (text.match(/\{\d+\}/g) ?? []).sort().join();
    assert.equal(placeholders(chinese), placeholders(english), `placeholders of "${english}"`);
  }
});

test('package.json titles and settings are described in English and Chinese', () => {
  const manifest = readFileSync(join(root, 'package.json'), 'utf8');
  const keys = [...manifest.matchAll(/"%([\w.]+)%"/g)].map((match) => match[1]!);
  const english = json('package.nls.json');
  const chinese = json('package.nls.zh-cn.json');
  assert.ok(keys.length > 20);
  assert.deepEqual(keys.filter((key) => !english[key]), []);
  assert.deepEqual(keys.filter((key) => !chinese[key]), []);
  assert.deepEqual(Object.keys(chinese).sort(), Object.keys(english).sort());
});
