import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { writeImageFile } from '../../../src/core/file-output';
import { fileNameFor, numberedName, safeSegment, slugify } from '../../../src/core/output-names';

const fields = { index: 1, count: 1, extension: 'png', provider: 'openai', model: 'gpt-image-1', date: new Date(2026, 10, 21, 9, 5, 7) };

test('a prompt becomes a readable slug; Chinese stays Chinese', () => {
  assert.equal(fileNameFor('{prompt}', { ...fields, prompt: 'Hero banner: a red apple, on a TABLE!' }), 'hero-banner-a-red-apple-on-a-table.png');
  assert.equal(fileNameFor('{prompt}', { ...fields, prompt: '一只红色的苹果 在桌子上' }), '一只红色的苹果-在桌子上.png');
  assert.equal(fileNameFor('{prompt}', { ...fields, prompt: '!!!' }), 'image.png');
  assert.equal(fileNameFor('{date}-{time}-{provider}-{model}-{prompt}', { ...fields, prompt: 'cat' }), '2026-11-21-090507-openai-gpt-image-1-cat.png');
  assert.equal(fileNameFor('{prompt}', { ...fields, prompt: 'cat', index: 2, count: 3 }), 'cat-2.png');
  assert.equal(fileNameFor('{prompt}-{index}', { ...fields, prompt: 'cat', index: 2, count: 3 }), 'cat-2.png');
  assert.equal(slugify('a '.repeat(100)).length <= 60, true);
});

test('templates cannot escape the folder, and reserved Windows names are avoided', () => {
  assert.equal(fileNameFor('../../{prompt}', { ...fields, prompt: 'x' }), 'x.png');
  assert.equal(fileNameFor('{prompt}', { ...fields, prompt: 'CON' }), 'image-con.png');
  assert.equal(safeSegment('nul.txt'), 'image-nul.txt');
  assert.equal(numberedName('a.png', 1), 'a.png');
  assert.equal(numberedName('a.png', 3), 'a-3.png');
});

const WINDOWS_FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f]/;

test('no prompt or template makes a path outside the folder or an invalid name on any OS (property)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (prompt, template, index) => {
      for (const name of [fileNameFor(template || '{prompt}', { ...fields, prompt, index, count: 12 }), fileNameFor('{prompt}', { ...fields, prompt })]) {
        assert.ok(name.length > 4 && Buffer.byteLength(name) <= 255, name);
        assert.ok(!WINDOWS_FORBIDDEN.test(name), name);
        assert.ok(!/[. ]$/.test(name) && !name.startsWith('.'), name);
        assert.ok(!/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(name), name);
        assert.ok(name.endsWith('.png'), name);
        assert.equal(resolve('/out', name), join('/out', name));
      }
    }),
    { numRuns: 2000 },
  );
});

test('writing never overwrites and leaves no temporary file', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'imagegen-names-'));
  writeFileSync(join(folder, 'cat.png'), 'existing');
  const first = await writeImageFile(folder, 'cat.png', Buffer.from('one'));
  const second = await writeImageFile(folder, 'cat.png', Buffer.from('two'), '{"sidecar":true}');
  assert.equal(first, join(folder, 'cat-2.png'));
  assert.equal(second, join(folder, 'cat-3.png'));
  assert.equal(readFileSync(join(folder, 'cat.png'), 'utf8'), 'existing');
  assert.equal(readFileSync(second, 'utf8'), 'two');
  assert.equal(readFileSync(`${second}.json`, 'utf8'), '{"sidecar":true}');
  assert.deepEqual(readdirSync(folder).sort(), ['cat-2.png', 'cat-3.png', 'cat-3.png.json', 'cat.png']);
});
