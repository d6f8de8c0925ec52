import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { blobFor, ImageJsonScanner, isBlobMarker, scanImageJson } from '../../../src/core/json-images';
import { splitAt } from '../helpers';


function randomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

test('a large b64_json becomes a blob with the exact bytes, the rest parses as JSON', async () => {
  const image = randomBytes(200_000, 7);
  const body = Buffer.from(JSON.stringify({ created: 5, data: [{ b64_json: image.toString('base64'), revised_prompt: 'a cat 🐱' }], size: '1024x1024' }));
  const document = await scanImageJson(splitAt(body, [1, 17, 4000, 65536, 150_001]));
  const value = document.value as { created: number; data: { b64_json: string; revised_prompt: string }[]; size: string };
  assert.equal(value.created, 5);
  assert.equal(value.size, '1024x1024');
  assert.equal(value.data[0]!.revised_prompt, 'a cat 🐱');
  assert.ok(isBlobMarker(value.data[0]!.b64_json));
  assert.deepEqual(blobFor(document, value.data[0]!.b64_json), image);
});

test('data URLs under any key lose their prefix; the declared type does not matter', async () => {
  const image = randomBytes(10_000, 3);
  const body = Buffer.from(JSON.stringify({ images: [`data:image/png;base64,${image.toString('base64')}`], url: 'https://example.com/x.png' }));
  const document = await scanImageJson([body]);
  const value = document.value as { images: string[]; url: string };
  assert.deepEqual(blobFor(document, value.images[0]!), image);
  assert.equal(value.url, 'https://example.com/x.png');
});

test('JSON escapes inside base64 (\\/ and \\u003d and \\n line breaks) are decoded', async () => {
  const image = randomBytes(9_001, 11);
  const base64 = image.toString('base64');
  const escaped = base64.match(/.{1,76}/g)!.map((line) => line.replace(/\//g, '\\/').replace(/=/g, '\\u003d')).join('\\n');
  const body = Buffer.from(`{"data":[{"b64_json":"${escaped}"}]}`);
  for (const cuts of [[], [1], [5000, 5001, 5002, 5003], Array.from({ length: 200 }, (_, index) => index * 61)]) {
    const document = await scanImageJson(splitAt(body, cuts));
    const value = document.value as { data: { b64_json: string }[] };
    assert.deepEqual(blobFor(document, value.data[0]!.b64_json), image, `cuts ${cuts.length}`);
  }
});

test('long strings under other keys stay strings; short base64 stays a string', async () => {
  const prose = 'word '.repeat(3000);
  const small = randomBytes(100, 1).toString('base64');
  const document = await scanImageJson([Buffer.from(JSON.stringify({ revised_prompt: prose, data: [{ b64_json: small }], 'b64_json ': 'x' }))]);
  const value = document.value as { revised_prompt: string; data: { b64_json: string }[] };
  assert.equal(value.revised_prompt, prose);
  assert.equal(value.data[0]!.b64_json, small);
  assert.equal(document.blobs.length, 0);
});

test('whitespace around the colon still identifies the key', async () => {
  const image = randomBytes(6000, 5);
  const body = Buffer.from(`{ "data" : [ { "b64_json" :\n  "${image.toString('base64')}" } ] }`);
  const document = await scanImageJson([body]);
  const value = document.value as { data: { b64_json: string }[] };
  assert.deepEqual(blobFor(document, value.data[0]!.b64_json), image);
});

test('a body that ends inside a string, or is not JSON, throws', async () => {
  const image = randomBytes(6000, 5).toString('base64');
  await assert.rejects(scanImageJson([Buffer.from(`{"data":[{"b64_json":"${image}`)]), SyntaxError);
  await assert.rejects(scanImageJson([Buffer.from('<html>502</html>')]), SyntaxError);
  const scanner = new ImageJsonScanner();
  scanner.write(Buffer.from(`{"created":1,"data":[{"b64_json":"${image}"}]}}garbage`));
  assert.throws(() => scanner.finish(), SyntaxError);
  assert.match(scanner.excerpt(), /^\{"created":1,"data":\[\{"b64_json":"…"\}\]\}\}garbage/);
});

test('an escape split across three chunks keeps the string whole', async () => {
  const body = Buffer.from('{"note":"é\\\\\\"中"}');
  const document = await scanImageJson(splitAt(body, [12, 13]));
  assert.deepEqual(document.value, { note: 'é\\"中' });
});

test('any chunking gives the same document and the same bytes (property)', async () => {
  const image = randomBytes(12_345, 9);
  const body = Buffer.from(JSON.stringify({ note: 'é\\"\u4e2d', data: [{ b64_json: image.toString('base64'), url: null }, { b64_json: `data:image/webp;base64,${image.subarray(0, 5000).toString('base64')}` }] }));
  const expected = await scanImageJson([body]);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat({ max: body.length }), { maxLength: 40 }), async (cuts) => {
      const document = await scanImageJson(splitAt(body, cuts));
      assert.deepEqual(document.value, expected.value);
      assert.deepEqual(document.blobs, expected.blobs);
    }),
    { numRuns: 1000 },
  );
  assert.deepEqual(expected.blobs[0], image);
  assert.deepEqual(expected.blobs[1], image.subarray(0, 5000));
});

test('decoding is the same as Buffer.from(base64) for any bytes (property)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 3100, maxLength: 9000 }), fc.array(fc.nat(), { maxLength: 8 }), async (bytes, cuts) => {
      const body = Buffer.from(`{"b64_json":"${Buffer.from(bytes).toString('base64')}"}`);
      const document = await scanImageJson(splitAt(body, cuts));
      assert.deepEqual(blobFor(document, (document.value as { b64_json: string }).b64_json), Buffer.from(bytes));
    }),
    { numRuns: 60 },
  );
});
