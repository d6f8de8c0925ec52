/**
 * What a flaky gateway does, through the public core API: every fault ends in the image or in a clear error
 * naming the provider and the cause, promptly, with no key in any message.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiCallError, CancelledError } from '../../../../src/core/errors';
import { generateImages } from '../../../../src/core/generate';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { imageInfo, modelOn } from '../../helpers';

let server: FakeProvider;
before(async () => {
  server = await startFakeProvider();
});
after(() => server.close());

function failsWith(pattern: RegExp, check?: (error: ApiCallError) => void) {
  return (error: unknown) => {
    assert.ok(error instanceof ApiCallError, `ApiCallError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes(server.apiKey), 'no key in the message');
    check?.(error);
    return true;
  };
}

test('429 with Retry-After is retried after the wait, then succeeds', async () => {
  server.clearRequests();
  server.fault({ kind: 'status', status: 429, retryAfter: 1 });
  const result = await generateImages(modelOn(server, 'openai', 'gpt-image-1'), { prompt: 'retry me' });
  assert.equal(result.images.length, 1);
  const [first, second] = server.requests;
  assert.equal(server.requests.length, 2);
  assert.ok(second!.receivedAt - first!.receivedAt >= 950, `waited ${second!.receivedAt - first!.receivedAt} ms`);
});

test('500 twice then success; 500 three times fails after the retries with the status', async () => {
  server.clearRequests();
  server.fault({ kind: 'status', status: 500, times: 2 });
  assert.equal((await generateImages(modelOn(server, 'openai', 'gpt-image-1'), { prompt: 'x' })).images.length, 1);
  assert.equal(server.requests.length, 3);
  server.clearRequests();
  server.fault({ kind: 'status', status: 503, times: 3 });
  await assert.rejects(generateImages(modelOn(server, 'modelverse', 'gpt-image-1'), { prompt: 'x', size: '1024x1024' }), failsWith(/^modelverse had a server error \(HTTP 503\)/, (error) => assert.equal(error.retryable, true)));
  assert.equal(server.requests.length, 3);
});

test('400 is not retried and quotes the provider message', async () => {
  server.clearRequests();
  server.fault({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'Invalid size', type: 'invalid_request_error' } }) });
  await assert.rejects(generateImages(modelOn(server, 'openai', 'gpt-image-1'), { prompt: 'x' }), failsWith(/^OpenAI refused the request \(HTTP 400\): Invalid size$/));
  assert.equal(server.requests.length, 1);
});

test('an HTML 502 page becomes a one-line message, not the page', async () => {
  server.fault({ kind: 'html', status: 502, times: 3 });
  await assert.rejects(generateImages(modelOn(server, 'ofox', 'openai/gpt-image-2'), { prompt: 'x' }), failsWith(/^ofox: the gateway returned an HTML error page \(502\)\.$/));
});

test('malformed JSON, a truncated body, empty data', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1');
  server.fault({ kind: 'malformed-json' });
  await assert.rejects(generateImages(model, { prompt: 'x' }), failsWith(/^OpenAI sent a reply that is not valid JSON: /));
  server.fault({ kind: 'truncated' });
  await assert.rejects(generateImages(model, { prompt: 'x' }), failsWith(/^OpenAI: the (connection closed before the whole reply arrived|reply was shorter than announced) \(truncated reply\)\.$/));
  server.fault({ kind: 'empty-data' });
  await assert.rejects(generateImages(model, { prompt: 'x' }), failsWith(/^OpenAI returned no images: /));
});

test('a slow drip still delivers the whole image', async () => {
  server.fault({ kind: 'slow-drip', bytesPerChunk: 20_000, intervalMs: 5 });
  const result = await generateImages(modelOn(server, 'openai', 'gpt-image-1'), { prompt: 'drip', size: '1024x1024' });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 1024, height: 1024 });
  assert.deepEqual(Buffer.from(result.images[0]!.bytes), server.lastServedImages[0]!.bytes);
});

test('a 4096x4096 image (about 25 MB of JSON) arrives byte for byte', async () => {
  server.fault({ kind: 'huge' });
  const result = await generateImages(modelOn(server, 'openai', 'gpt-image-1'), { prompt: 'huge' });
  assert.deepEqual(imageInfo(result.images[0]!.bytes), { format: 'image/png', width: 4096, height: 4096 });
  assert.ok(result.images[0]!.bytes.length > 15_000_000);
  assert.deepEqual(Buffer.from(result.images[0]!.bytes), server.lastServedImages[0]!.bytes);
});

test('a reset before headers is retried; a hang hits the timeout with an actionable message', async () => {
  server.clearRequests();
  server.fault({ kind: 'reset' });
  assert.equal((await generateImages(modelOn(server, 'openai', 'gpt-image-1'), { prompt: 'x' })).images.length, 1);
  assert.equal(server.requests.length, 2);
  server.fault({ kind: 'hang' });
  const impatient = modelOn(server, 'openai', 'gpt-image-1', { http: { timeoutMs: 300, retryBaseMs: 5 } });
  await assert.rejects(generateImages(impatient, { prompt: 'x' }), failsWith(/^OpenAI did not answer within 0\.3 s\. High-quality renders can take about 2 minutes/));
});

test('cancel before headers and mid-body: prompt CancelledError', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1');
  for (const fault of [{ kind: 'hang' as const }, { kind: 'slow-drip' as const, bytesPerChunk: 50, intervalMs: 20 }]) {
    server.fault(fault);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    await assert.rejects(generateImages(model, { prompt: 'x' }, { signal: controller.signal }), CancelledError);
    assert.ok(Date.now() - started < 1000, `${fault.kind}: returned in ${Date.now() - started} ms`);
  }
});

test('unreachable host: a connection error naming the host', async () => {
  const model = modelOn(server, 'openai', 'gpt-image-1', { baseUrl: 'http://127.0.0.1:9/v1', http: { maxRetries: 0 } });
  await assert.rejects(generateImages(model, { prompt: 'x' }), failsWith(/^OpenAI: could not connect to 127\.0\.0\.1:9 \(ECONNREFUSED\)/));
});

test('result downloads are capped: a too-large image is refused, announced or not', async () => {
  const { createServer } = await import('node:http');
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const cdn = createServer((request, response) => {
    if (request.url === '/announced') response.writeHead(200, { 'content-length': big.length });
    else response.writeHead(200, { 'transfer-encoding': 'chunked' });
    response.end(big);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  const { port } = cdn.address() as { port: number };
  const { downloadImage } = await import('../../../../src/core/decode');
  const { HttpClient } = await import('../../../../src/core/http');
  const client = new HttpClient('aa', 'test-key', { retryBaseMs: 5 });
  try {
    for (const path of ['announced', 'chunked']) {
      await assert.rejects(downloadImage(client, `http://127.0.0.1:${port}/${path}`, undefined, 1024 * 1024), failsWith(/^aa: (the image at the result URL is 3 MB, over the 1 MB limit|the reply is larger than 1 MB; refusing it)\.$/));
    }
  } finally {
    cdn.close();
    await client.close();
  }
});
