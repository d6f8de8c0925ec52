import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeMultipart, type FormPart } from '../../../src/core/multipart';

/** Parses with the platform's own multipart parser, as a server would. */
async function parse(parts: FormPart[]): Promise<FormData> {
  const { body, contentType } = encodeMultipart(parts);
  return new Response(body, { headers: { 'content-type': contentType } }).formData();
}

test('text fields and files arrive with their names, file names, types and exact bytes', async () => {
  const bytes = Uint8Array.from({ length: 3000 }, (_, index) => (index * 7) % 256);
  const form = await parse([
    { name: 'prompt', value: '把苹果改成绿色\r\nline two' },
    { name: 'image[]', filename: 'a.png', contentType: 'image/png', bytes },
    { name: 'image[]', filename: '参考 "2".jpg', contentType: 'image/jpeg', bytes: bytes.subarray(10, 20) },
  ]);
  assert.equal(form.get('prompt'), '把苹果改成绿色\r\nline two');
  const files = form.getAll('image[]') as File[];
  assert.equal(files.length, 2);
  assert.equal(files[0]!.name, 'a.png');
  assert.equal(files[0]!.type, 'image/png');
  assert.deepEqual(new Uint8Array(await files[0]!.arrayBuffer()), bytes);
  assert.deepEqual(new Uint8Array(await files[1]!.arrayBuffer()), bytes.subarray(10, 20));
});

test('any fields and file bytes round-trip through a real multipart parser (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ name: fc.stringMatching(/^[a-z_\[\]]{1,12}$/), value: fc.string({ maxLength: 40 }) }), { maxLength: 5 }),
      fc.array(fc.uint8Array({ maxLength: 2000 }), { minLength: 1, maxLength: 3 }),
      async (fields, files) => {
        const cleanFields = fields.map((field) => ({ ...field, value: field.value.replace(/\r?\n|\r/g, ' ') }));
        const parts: FormPart[] = [
          ...cleanFields,
          ...files.map((bytes, index) => ({ name: 'file', filename: `f${index}.bin`, contentType: 'application/octet-stream', bytes })),
        ];
        const form = await parse(parts);
        for (const field of cleanFields) assert.ok((form.getAll(field.name) as string[]).includes(field.value));
        const received = form.getAll('file') as File[];
        assert.equal(received.length, files.length);
        for (const [index, file] of received.entries()) assert.deepEqual(new Uint8Array(await file.arrayBuffer()), files[index]);
      },
    ),
    { numRuns: 80 },
  );
});
