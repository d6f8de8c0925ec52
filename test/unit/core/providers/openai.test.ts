import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiCallError, InvalidRequestError, MissingApiKeyError } from '../../../../src/core/errors';
import { editImages, generateImages } from '../../../../src/core/generate';
import type { PartialImage } from '../../../../src/core/image-model';
import { encodePng } from '../../../../src/core/image/png';
import { createImageModel } from '../../../../src/core/providers/registry';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { encodeJpeg } from '../../../support/jpeg-encoder';
import { imageInfo, modelOn } from '../../helpers';

let server: FakeProvider;
before(async () => {
  server = await startFakeProvider();
});
after(() => server.close());

const rgb = (width: number, height: number) => encodePng(new Uint8Array(width * height * 3).fill(90), width, height, 3);
const mask = (width: number, height: number) => encodePng(new Uint8Array(width * height * 4), width, height, 4);

test('generate: the JSON request as documented, the image bytes as served, revised prompt and usage', async () => {
  server.clearRequests();
  const model = modelOn(server, 'openai', 'gpt-image-1');
  const result = await generateImages(model, { prompt: 'a red apple', size: '1536x1024', quality: 'low', n: 2, background: 'opaque', moderation: 'low' });
  assert.equal(result.images.length, 2);
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 1536, height: 1024 });
  assert.deepEqual(Buffer.from(result.images[1]!.bytes), server.lastServedImages[1]!.bytes);
  assert.notDeepEqual(Buffer.from(result.images[0]!.bytes), Buffer.from(result.images[1]!.bytes));
  assert.ok(result.images[0]!.revisedPrompt);
  assert.ok(result.usage?.totalTokens);
  assert.equal(result.metadata.size, '1536x1024');
  const [request] = server.requests;
  assert.equal(request!.path, '/images/generations');
  assert.equal(request!.headers.authorization, `Bearer ${server.apiKey}`);
  assert.deepEqual(request!.json, { model: 'gpt-image-1', prompt: 'a red apple', n: 2, size: '1536x1024', quality: 'low', background: 'opaque', moderation: 'low' });
});

test('generate: JPEG and WebP come back as what the bytes are', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1');
  const jpeg = await generateImages(model, { prompt: 'jpeg please', format: 'jpeg', compression: 60, size: '1024x1536' });
  assert.deepEqual(imageInfo(jpeg.images[0]!.bytes), { format: 'image/jpeg', width: 1024, height: 1536 });
  assert.equal(jpeg.images[0]!.mediaType, 'image/jpeg');
  const webp = await generateImages(model, { prompt: 'webp please', format: 'webp', background: 'transparent' });
  assert.deepEqual(imageInfo(webp.images[0]!.bytes), { format: 'image/webp', width: 1024, height: 1024 });
});

test('gpt-image-2 takes custom sizes; input_fidelity is never sent to it, with a warning', async () => {
  server.clearRequests();
  const model = modelOn(server, 'openai', 'gpt-image-2');
  const result = await generateImages(model, { prompt: 'wide', size: '2048x1152' });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 2048, height: 1152 });
  const edit = await editImages(model, { prompt: 'edit', images: [{ bytes: rgb(64, 48) }], inputFidelity: 'high' });
  assert.equal(server.requests.at(-1)!.fields!.input_fidelity, undefined);
  assert.match(JSON.stringify(edit.warnings), /always uses high input fidelity/);
});

test('edit: several references as image[], the mask, size auto keeps the first image size', async () => {
  server.clearRequests();
  const model = modelOn(server, 'openai', 'gpt-image-1');
  const first = rgb(320, 240);
  const second = encodeJpeg(new Uint8Array(100 * 80 * 3).fill(200), 100, 80);
  const result = await editImages(model, {
    prompt: 'put the cat on the sofa',
    size: 'auto',
    inputFidelity: 'high',
    images: [{ bytes: first, filename: 'room.png' }, { bytes: second, filename: 'cat.jpg' }],
    mask: { bytes: mask(320, 240), filename: 'mask.png' },
  });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 320, height: 240 });
  const request = server.requests.at(-1)!;
  assert.equal(request.path, '/images/edits');
  assert.deepEqual(request.fields!.prompt, ['put the cat on the sofa']);
  assert.deepEqual(request.fields!.input_fidelity, ['high']);
  assert.deepEqual(
    request.files!.map((file) => [file.field, file.filename, file.contentType]),
    [
      ['image[]', 'room.png', 'image/png'],
      ['image[]', 'cat.jpg', 'image/jpeg'],
      ['mask', 'mask.png', 'image/png'],
    ],
  );
  assert.deepEqual(request.files![0]!.bytes, first);
});

test('a mask of the wrong size is refused before any request', async () => {
  server.clearRequests();
  const model = modelOn(server, 'openai', 'gpt-image-1');
  await assert.rejects(
    editImages(model, { prompt: 'x', images: [{ bytes: rgb(64, 64) }], mask: { bytes: mask(32, 32) } }),
    (error: unknown) => error instanceof InvalidRequestError && /is 32x32 but the image it masks is 64x64/.test(error.message),
  );
  assert.equal(server.requests.length, 0);
});

test('stream: partial images reach onPartial before the final image', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1');
  const events: string[] = [];
  const partials: PartialImage[] = [];
  const result = await generateImages(model, { prompt: 'streamed', stream: true, partialImages: 2, size: '1024x1024' }, {
    onPartial: (partial) => {
      partials.push(partial);
      events.push(`partial ${partial.partialIndex}`);
    },
  });
  events.push('final');
  assert.deepEqual(events, ['partial 0', 'partial 1', 'final']);
  for (const partial of partials) assert.deepEqual(imageInfo(partial.bytes), { format: 'image/png', width: 1024, height: 1024 });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 1024, height: 1024 });
  assert.notDeepEqual(Buffer.from(partials[0]!.bytes), Buffer.from(result.images[0]!.bytes));
  assert.ok(result.usage);
  const sent = server.requests.at(-1)!.json as Record<string, unknown>;
  assert.equal(sent.stream, true);
  assert.equal(sent.partial_images, 2);
});

test('stream: edits stream too, and an error event fails with its message', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1');
  let partials = 0;
  const edit = await editImages(model, { prompt: 'edit streamed', stream: true, partialImages: 1, images: [{ bytes: rgb(256, 256) }] }, { onPartial: () => partials++ });
  assert.equal(partials, 1);
  assert.equal(imageInfo(edit.images[0]!.bytes).width, 256);
  server.fault({ kind: 'stream-error' });
  await assert.rejects(generateImages(model, { prompt: 'x', stream: true, partialImages: 2 }), (error: unknown) => error instanceof ApiCallError && /OpenAI stopped the stream: /.test(error.message));
});

test('a wrong key is refused once (no retry), and the key appears nowhere in the error', async () => {
  server.clearRequests();
  const model = createImageModel({ provider: 'openai', baseUrl: server.baseUrl('openai'), apiKey: 'sk-test-wrong-wrong-wrong-1234', http: { retryBaseMs: 5 } });
  await assert.rejects(generateImages(model, { prompt: 'x' }), (error: unknown) => {
    assert.ok(error instanceof ApiCallError);
    assert.equal(error.status, 401);
    assert.match(error.message, /^OpenAI rejected the API key \(HTTP 401\)/);
    assert.ok(!JSON.stringify({ message: error.message, excerpt: error.excerpt }).includes('wrong-wrong-wrong'));
    return true;
  });
  assert.equal(server.requests.length, 1);
  assert.throws(() => createImageModel({ provider: 'openai' }), (error: unknown) => error instanceof MissingApiKeyError && /No API key for OpenAI/.test(error.message));
});
