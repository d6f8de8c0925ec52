import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('src/core never imports vscode or the editor layer, so it runs in plain Node (CLI, tests, benchmark)', () => {
  const files = sources(join(process.cwd(), 'src', 'core'));
  assert.ok(files.length > 20, `found ${files.length} core files`);
  const offenders = files.filter((file) => {
    const text = readFileSync(file, 'utf8');
    return /from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\)|from\s+['"](\.\.\/)+(vscode|webview)\//.test(text);
  });
  assert.deepEqual(offenders.map((file) => relative(process.cwd(), file)), []);
});
