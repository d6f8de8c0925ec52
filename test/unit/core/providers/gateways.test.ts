import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiCallError, CancelledError, InvalidRequestError } from '../../../../src/core/errors';
import { editImages, generateImages } from '../../../../src/core/generate';
import { encodePng } from '../../../../src/core/image/png';
import { listModels } from '../../../../src/core/providers/registry';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { FAST_HTTP, imageInfo, modelOn } from '../../helpers';

let server: FakeProvider;
before(async () => {
  server = await startFakeProvider();
});
after(() => server.close());

const rgb = (width: number, height: number) => encodePng(new Uint8Array(width * height * 3).fill(120), width, height, 3);
const mask = (width: number, height: number) => encodePng(new Uint8Array(width * height * 4), width, height, 4);

test('ofox gpt-image-2: generate and edit with its sizes and qualities', async () => {
  const model = modelOn(server, 'ofox', 'openai/gpt-image-2');
  const result = await generateImages(model, { prompt: 'apple', size: '1792x1024', quality: 'hd' });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 1792, height: 1024 });
  assert.equal(result.metadata.model, 'openai/gpt-image-2');
  const edit = await editImages(model, { prompt: '把苹果改成绿色', size: 'auto', images: [{ bytes: rgb(300, 200) }] });
  assert.deepEqual(imageInfo(edit.images[0]!.bytes), { format: 'image/png', width: 300, height: 200 });
});

test('ofox Gemini: never sent n; n=3 becomes three calls; edit is refused before any request', async () => {
  server.clearRequests();
  const model = modelOn(server, 'ofox', 'google/gemini-3.1-flash-image-preview');
  const result = await generateImages(model, { prompt: 'three apples', n: 3, size: '1024x1024' });
  assert.equal(result.images.length, 3);
  for (const image of result.images) assert.deepEqual(imageInfo(image.bytes), { format: 'image/png', width: 1024, height: 1024 });
  assert.equal(server.requests.length, 3);
  for (const request of server.requests) assert.ok(!('n' in (request.json as object)), 'no n field');
  assert.match(JSON.stringify(result.warnings), /at most 1 image per call: sending 3 calls/);
  server.clearRequests();
  await assert.rejects(editImages(model, { prompt: 'x', images: [{ bytes: rgb(64, 64) }] }), (error: unknown) => error instanceof InvalidRequestError && /cannot edit images/.test(error.message));
  assert.equal(server.requests.length, 0);
});

test('aa: edit-only; references and mask as data URLs; result URLs downloaded without the key', async () => {
  server.clearRequests();
  const model = modelOn(server, 'aa', 'gpt-image-1.5');
  await assert.rejects(generateImages(model, { prompt: 'x' }), (error: unknown) => error instanceof InvalidRequestError && /only edits images: add a reference image/.test(error.message));
  const source = rgb(200, 100);
  const result = await editImages(model, { prompt: 'snow', n: 2, images: [{ bytes: source }, { bytes: rgb(10, 10) }], mask: { bytes: mask(200, 100) } });
  assert.equal(result.images.length, 2);
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 200, height: 100 });
  const post = server.requests.find((request) => request.method === 'POST')!;
  const body = post.json as { images: { image_url: string }[]; mask: { image_url: string }; model: string; n: number };
  assert.equal(post.path, '/image/generation');
  assert.equal(body.model, 'gpt-image-1.5');
  assert.equal(body.images.length, 2);
  assert.equal(body.images[0]!.image_url, `data:image/png;base64,${source.toString('base64')}`);
  assert.match(body.mask.image_url, /^data:image\/png;base64,/);
  const downloads = server.requests.filter((request) => request.method === 'GET');
  assert.equal(downloads.length, 2);
  for (const download of downloads) assert.equal(download.headers.authorization, undefined, 'the key never goes to a result URL');
});

test('aa: code != 0 with HTTP 200 is a failure with its message; a dead result URL is an error', async () => {
  const model = modelOn(server, 'aa', 'gpt-image-1.5');
  server.fault({ kind: 'aa-error' });
  await assert.rejects(editImages(model, { prompt: 'x', images: [{ bytes: rgb(32, 32) }] }), (error: unknown) => error instanceof ApiCallError && /^aa refused the request: .+ \(code \d+\)\.$/.test(error.message));
  server.fault({ kind: 'download-404' });
  await assert.rejects(editImages(model, { prompt: 'x', images: [{ bytes: rgb(32, 32) }] }), (error: unknown) => error instanceof ApiCallError && error.status === 404);
});

test('modelverse: data-URL b64 whose prefix lies; n=6 split into 4 + 2', async () => {
  server.clearRequests();
  const model = modelOn(server, 'modelverse', 'gpt-image-1');
  const jpeg = await generateImages(model, { prompt: 'flower', format: 'jpeg', size: '1024x1536', quality: 'high' });
  assert.deepEqual(imageInfo(jpeg.images[0]!.bytes), { format: 'image/jpeg', width: 1024, height: 1536 });
  assert.equal(jpeg.images[0]!.mediaType, 'image/jpeg');
  server.clearRequests();
  const many = await generateImages(model, { prompt: 'six', n: 6, size: '1024x1024', quality: 'low' });
  assert.equal(many.images.length, 6);
  assert.deepEqual(server.requests.map((request) => (request.json as { n: number }).n).sort(), [2, 4]);
  const edit = await editImages(model, { prompt: 'beach ball', size: '1024x1024', images: [{ bytes: rgb(1024, 1024) }], mask: { bytes: mask(1024, 1024) } });
  assert.equal(imageInfo(edit.images[0]!.bytes).width, 1024);
});

test('apimodels sync: a WxH size answers at once, priced per the table', async () => {
  server.clearRequests();
  const model = modelOn(server, 'apimodels', 'gpt-image-2-all');
  const result = await generateImages(model, { prompt: 'sneaker', size: '2048x2048', quality: 'medium' });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 2048, height: 2048 });
  assert.equal(result.usage?.estimatedCostUsd, 0.04);
  assert.equal(server.requests.length, 1);
  const edit = await editImages(model, { prompt: 'on a model', size: '1024x1024', images: [{ bytes: rgb(64, 64) }, { bytes: rgb(32, 32) }] });
  assert.equal(imageInfo(edit.images[0]!.bytes).width, 1024);
  assert.deepEqual(server.requests.at(-1)!.files!.map((file) => file.field), ['image', 'image'], 'apimodels takes a repeated image field');
});

test('apimodels async: aspect ratio + resolution creates a task that is polled to completion', async () => {
  server.clearRequests();
  server.setPollPlan(3);
  const model = modelOn(server, 'apimodels', 'gpt-image-2-all');
  const progress: string[] = [];
  const result = await generateImages(model, { prompt: 'lighthouse', aspectRatio: '9:16', resolution: '2K', quality: 'high' }, { onProgress: (step) => progress.push(step.status) });
  const info = imageInfo(result.images[0]!.bytes);
  assert.ok(info.height > info.width, 'portrait');
  assert.ok(Math.abs(info.width / info.height - 9 / 16) < 0.02, `9:16, got ${info.width}x${info.height}`);
  assert.ok(Math.max(info.width, info.height) > 1536 && Math.max(info.width, info.height) <= 2048, '2K tier');
  assert.equal(result.usage?.estimatedCostUsd, 0.1);
  assert.ok(result.metadata.taskId);
  const create = server.requests[0]!.json as Record<string, unknown>;
  assert.equal(create.aspect_ratio, '9:16');
  assert.equal(create.resolution, '2K');
  assert.equal(create.size, undefined);
  const polls = server.requests.filter((request) => request.method === 'GET' && request.path === '/images/generations');
  assert.equal(polls.length, 4);
  assert.equal(polls[0]!.query.task_id, result.metadata.taskId);
  assert.deepEqual(progress.slice(0, 2), ['queued', 'processing']);
});

test('apimodels async: a failed task, a poll timeout, and a cancel mid-poll', async () => {
  const model = modelOn(server, 'apimodels', 'gpt-image-2-all');
  server.fault({ kind: 'task-failed' });
  await assert.rejects(generateImages(model, { prompt: 'x', aspectRatio: '1:1' }), (error: unknown) => error instanceof ApiCallError && /^apimodels task \S+ failed: /.test(error.message));
  server.setPollPlan(1000);
  const impatient = modelOn(server, 'apimodels', 'gpt-image-2-all', { poll: { intervalMs: 20, maxIntervalMs: 20, timeoutMs: 150 } });
  await assert.rejects(generateImages(impatient, { prompt: 'x', aspectRatio: '1:1' }), (error: unknown) => error instanceof ApiCallError && /did not finish within 0\.[12] s; it may still complete on the server/.test(error.message));
  const controller = new AbortController();
  const started = Date.now();
  const job = generateImages(model, { prompt: 'x', aspectRatio: '1:1' }, { signal: controller.signal, onProgress: (step) => step.status === 'processing' && controller.abort() });
  await assert.rejects(job, CancelledError);
  assert.ok(Date.now() - started < 1000, 'the cancel stops polling at once');
  server.setPollPlan(2);
});

test('compatible gateway: models from GET /models, image models first; URL output downloaded; JSON answered to a stream', async () => {
  const models = await listModels({ provider: 'compatible', baseUrl: server.baseUrl('compatible'), apiKey: server.apiKey, http: FAST_HTTP });
  assert.ok(models.length >= 2);
  assert.match(models[0]!.id, /image|dall|flux/i);
  const userListed = await listModels({ provider: 'compatible', baseUrl: `${server.url}/nowhere/v1`, apiKey: server.apiKey, http: FAST_HTTP }, { userModels: ['my-model'] });
  assert.deepEqual(userListed.map((model) => model.id), ['my-model']);
  const model = modelOn(server, 'compatible', 'some-local-model');
  assert.match(JSON.stringify(model.notes), /not in ImageGen's catalogue/);
  server.fault({ kind: 'url-output' });
  const viaUrl = await generateImages(model, { prompt: 'url please', size: '512x512' });
  assert.deepEqual(imageInfo(viaUrl.images[0]!.bytes), { format: 'image/png', width: 512, height: 512 });
  assert.match(JSON.stringify(viaUrl.warnings), /not in ImageGen's catalogue/);
  server.fault({ kind: 'json-to-stream' });
  let partials = 0;
  const jsonForStream = await generateImages(modelOn(server, 'compatible', 'gpt-image-1'), { prompt: 'stream?', stream: true, partialImages: 2 }, { onPartial: () => partials++ });
  assert.equal(jsonForStream.images.length, 1);
  assert.equal(partials, 0);
});

test('placeholder: no key, no network; any size; edits keep the reference size; partials stream', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1', { provider: 'placeholder', apiKey: undefined });
  const result = await generateImages(model, { prompt: 'hero banner', size: '1536x1024', n: 2 });
  assert.deepEqual(imageInfo(result.images[1]!.bytes), { format: 'image/png', width: 1536, height: 1024 });
  const odd = await generateImages(model, { prompt: 'icon', size: '37x19' });
  assert.deepEqual(imageInfo(odd.images[0]!.bytes), { format: 'image/png', width: 37, height: 19 });
  const edit = await editImages(model, { prompt: 'recolour', images: [{ bytes: rgb(120, 80) }] });
  assert.deepEqual(imageInfo(edit.images[0]!.bytes), { format: 'image/png', width: 120, height: 80 });
  let partials = 0;
  await generateImages(model, { prompt: 'streamed', stream: true, partialImages: 3, size: '256x256' }, { onPartial: () => partials++ });
  assert.equal(partials, 3);
  await assert.rejects(generateImages(model, { prompt: 'x', format: 'jpeg' }), /Placeholder cannot produce JPEG/);
});
