import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePng } from '../../../src/core/image/png';
import { startFakeProvider, type FakeProvider, type FakeProviderId } from '../../support/fake-provider';

let fake: FakeProvider;

before(async () => {
  fake = await startFakeProvider();
});

after(async () => {
  await fake.close();
});

/** Width and height from a PNG's IHDR, read independently of the server's own sniffing. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function solidPng(width: number, height: number, alpha = false): Buffer {
  const channels = alpha ? 4 : 3;
  return encodePng(new Uint8Array(width * height * channels).fill(200), width, height, channels);
}

function authHeaders(key = fake.apiKey): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

async function postJson(provider: FakeProviderId, path: string, body: unknown, headers = authHeaders()): Promise<Response> {
  return fetch(`${fake.baseUrl(provider)}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function postForm(provider: FakeProviderId, path: string, form: FormData): Promise<Response> {
  return fetch(`${fake.baseUrl(provider)}${path}`, { method: 'POST', headers: authHeaders(), body: form });
}

function imageForm(fields: Record<string, string>, images: { field: string; bytes: Buffer }[]): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  images.forEach(({ field, bytes }, index) => form.append(field, new Blob([bytes], { type: 'image/png' }), `in-${index}.png`));
  return form;
}

interface ImagesResponse {
  data: { b64_json?: string; url?: string; index?: number; revised_prompt?: string }[];
  [key: string]: unknown;
}

async function imagesOf(response: Response): Promise<ImagesResponse> {
  const text = await response.text();
  assert.equal(response.status, 200, text.slice(0, 300));
  return JSON.parse(text) as ImagesResponse;
}

function decode(b64: string | undefined): Buffer {
  assert.ok(b64, 'missing b64_json');
  return Buffer.from(b64, 'base64');
}

/** Parses an SSE text into events. */
function parseSse(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe('auth', () => {
  test('every provider refuses a missing or wrong key with 401 in its own shape', async () => {
    const endpoints: Record<FakeProviderId, string> = {
      openai: '/images/generations',
      ofox: '/images/generations',
      aa: '/image/generation',
      modelverse: '/images/generations',
      apimodels: '/images/generations',
      compatible: '/images/generations',
    };
    for (const provider of Object.keys(endpoints) as FakeProviderId[]) {
      for (const headers of [{}, authHeaders('sk-wrong-key-987654')]) {
        const response = await postJson(provider, endpoints[provider], { prompt: 'x' }, headers);
        assert.equal(response.status, 401, provider);
        const body = (await response.json()) as { code?: number; message?: string; error?: { message: string } };
        const message = provider === 'aa' ? body.message : body.error?.message;
        assert.match(message ?? '', /Incorrect API key provided/, provider);
        assert.doesNotMatch(message ?? '', /sk-wrong-key-987654/, `${provider} echoes the whole key`);
        if (provider === 'aa') assert.equal(body.code, 401);
      }
    }
  });
});

describe('openai', () => {
  test('generates n distinct PNGs of the requested size and logs the request', async () => {
    fake.clearRequests();
    const body = await imagesOf(await postJson('openai', '/images/generations', { model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1536x1024' }));
    assert.equal(body.data.length, 2);
    const [first, second] = body.data.map((item) => decode(item.b64_json));
    assert.deepEqual(pngSize(first!), { width: 1536, height: 1024 });
    assert.notDeepEqual(first, second);
    assert.equal(body.size, '1536x1024');
    assert.equal(body.output_format, 'png');
    assert.ok((body.usage as { output_tokens: number }).output_tokens > 0);
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(fake.requests[0]!.json, { model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1536x1024' });
    assert.equal(fake.requests[0]!.path, '/images/generations');
    assert.equal(fake.lastServedImages.length, 2);
  });

  test('validates like the real API', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model: 'gpt-image-1', prompt: 'x', size: '512x512' }, /Supported values/],
      [{ model: 'gpt-image-2', prompt: 'x', size: '1000x1000' }, /multiples of 16/],
      [{ model: 'gpt-image-2', prompt: 'x', size: '3840x1024' }, /3:1/],
      [{ model: 'gpt-image-1', prompt: 'x', n: 11 }, /<= 10/],
      [{ model: 'gpt-image-1', prompt: 'x', background: 'transparent', output_format: 'jpeg' }, /Transparent/],
      [{ model: 'gpt-image-1' }, /prompt/],
    ];
    for (const [request, message] of cases) {
      const response = await postJson('openai', '/images/generations', request);
      assert.equal(response.status, 400, JSON.stringify(request));
      const body = (await response.json()) as { error: { message: string; type: string } };
      assert.match(body.error.message, message);
      assert.equal(body.error.type, 'invalid_request_error');
    }
    const custom = await imagesOf(await postJson('openai', '/images/generations', { model: 'gpt-image-2', prompt: 'x', size: '1280x720' }));
    assert.deepEqual(pngSize(decode(custom.data[0]!.b64_json)), { width: 1280, height: 720 });
  });

  test('edits: image[] files, size auto keeps the first image size, mask and input_fidelity checks', async () => {
    fake.clearRequests();
    const images = [
      { field: 'image[]', bytes: solidPng(640, 480) },
      { field: 'image[]', bytes: solidPng(320, 320) },
    ];
    const ok = await imagesOf(await postForm('openai', '/images/edits', imageForm({ model: 'gpt-image-1', prompt: 'edit', size: 'auto' }, images)));
    assert.deepEqual(pngSize(decode(ok.data[0]!.b64_json)), { width: 640, height: 480 });
    const logged = fake.requests[0]!;
    assert.deepEqual(logged.fields?.prompt, ['edit']);
    assert.deepEqual(logged.files?.map((file) => file.field), ['image[]', 'image[]']);
    assert.deepEqual(pngSize(logged.files![1]!.bytes), { width: 320, height: 320 });

    const badMask = await postForm('openai', '/images/edits', imageForm({ model: 'gpt-image-1', prompt: 'edit' }, [...images, { field: 'mask', bytes: solidPng(100, 100, true) }]));
    assert.equal(badMask.status, 400);
    assert.match(((await badMask.json()) as { error: { message: string } }).error.message, /same dimensions/);

    const fidelity = await postForm('openai', '/images/edits', imageForm({ model: 'gpt-image-2', prompt: 'edit', input_fidelity: 'high' }, images));
    assert.equal(fidelity.status, 400);
    assert.match(((await fidelity.json()) as { error: { message: string } }).error.message, /input_fidelity/);

    const tooMany = Array.from({ length: 17 }, () => ({ field: 'image[]', bytes: solidPng(16, 16) }));
    assert.equal((await postForm('openai', '/images/edits', imageForm({ model: 'gpt-image-1', prompt: 'edit' }, tooMany))).status, 400);
  });

  test('streams partials then completed, cut into many chunks', async () => {
    const response = await postJson('openai', '/images/generations', { model: 'gpt-image-1', prompt: 'stream me', size: '1024x1024', stream: true, partial_images: 2 });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks += 1;
      text += decoder.decode(value, { stream: true });
    }
    const events = parseSse(text);
    assert.deepEqual(
      events.map((event) => event.event),
      ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed'],
    );
    assert.ok(chunks > events.length, `only ${chunks} chunks for ${events.length} events`);
    const partial = decode(events[0]!.data.b64_json as string);
    const final = decode(events[2]!.data.b64_json as string);
    assert.deepEqual(pngSize(partial), { width: 1024, height: 1024 });
    assert.deepEqual(pngSize(final), { width: 1024, height: 1024 });
    assert.notDeepEqual(partial, final);
    assert.equal(events[1]!.data.partial_image_index, 1);
    assert.ok(events[2]!.data.usage);
  });

  test('jpeg and transparent webp outputs are real images of the right kind', async () => {
    const jpeg = await imagesOf(await postJson('openai', '/images/generations', { prompt: 'j', size: '1024x1536', output_format: 'jpeg' }));
    const jpegBytes = decode(jpeg.data[0]!.b64_json);
    assert.equal(jpegBytes.subarray(0, 3).toString('hex'), 'ffd8ff');
    const webp = await imagesOf(await postJson('openai', '/images/generations', { prompt: 'w', output_format: 'webp', background: 'transparent' }));
    const webpBytes = decode(webp.data[0]!.b64_json);
    assert.equal(webpBytes.toString('latin1', 8, 12), 'WEBP');
    assert.equal(webp.background, 'transparent');
  });
});

describe('gateways', () => {
  test('ofox: index and echoes; Gemini refuses n and edits', async () => {
    const body = await imagesOf(await postJson('ofox', '/images/generations', { model: 'openai/gpt-image-2', prompt: 'apple', size: '1792x1024', quality: 'low' }));
    assert.equal(body.data[0]!.index, 0);
    assert.equal(body.model, 'openai/gpt-image-2');
    assert.equal(body.quality, 'low');
    assert.deepEqual(pngSize(decode(body.data[0]!.b64_json)), { width: 1792, height: 1024 });

    const gemini = await postJson('ofox', '/images/generations', { model: 'google/gemini-3.1-flash-image-preview', prompt: 'apple', n: 1 });
    assert.equal(gemini.status, 400);
    assert.match(((await gemini.json()) as { error: { message: string } }).error.message, /numberOfImages/);
    const geminiOk = await imagesOf(await postJson('ofox', '/images/generations', { model: 'google/gemini-3.1-flash-image-preview', prompt: 'apple' }));
    assert.equal(geminiOk.data.length, 1);

    const edit = await postForm('ofox', '/images/edits', imageForm({ model: 'google/gemini-3.1-flash-image-preview', prompt: 'green' }, [{ field: 'image', bytes: solidPng(64, 64) }]));
    assert.equal(edit.status, 400);
    assert.match(((await edit.json()) as { error: { message: string } }).error.message, /Image editing is not supported for model google\/gemini-3\.1-flash-image-preview/);
  });

  test('aa: edit envelope with downloadable URLs; validation errors in an HTTP 200 envelope; download-404', async () => {
    const dataUrl = `data:image/png;base64,${solidPng(512, 768).toString('base64')}`;
    const response = await postJson('aa', '/image/generation', { model: 'gpt-image-1.5', prompt: 'paint', images: [{ image_url: dataUrl }], n: 2 });
    const body = (await response.json()) as { code: number; data: { urls: string[]; task_status: string }; request_id: string };
    assert.equal(body.code, 0);
    assert.equal(body.data.task_status, 'completed');
    assert.equal(body.data.urls.length, 2);
    assert.ok(body.data.urls[0]!.startsWith(`${fake.url}/files/`));
    const download = await fetch(body.data.urls[0]!);
    assert.equal(download.headers.get('content-type'), 'image/png');
    assert.deepEqual(pngSize(Buffer.from(await download.arrayBuffer())), { width: 512, height: 768 });

    const invalid = await postJson('aa', '/image/generation', { model: 'gpt-image-1.5', prompt: 'paint' });
    assert.equal(invalid.status, 200);
    const invalidBody = (await invalid.json()) as { code: number; message: string; data: null };
    assert.notEqual(invalidBody.code, 0);
    assert.match(invalidBody.message, /images/);

    fake.fault({ kind: 'download-404' });
    assert.equal((await fetch(body.data.urls[1]!)).status, 404);
    assert.equal((await fetch(body.data.urls[1]!)).status, 200);

    fake.fault({ kind: 'aa-error' });
    const aaError = (await (await postJson('aa', '/image/generation', { model: 'gpt-image-1.5', prompt: 'p', images: [{ image_url: dataUrl }] })).json()) as { code: number };
    assert.equal(aaError.code, 1001);
  });

  test('modelverse: data-URL b64 always labelled PNG, even for JPEG bytes; its own limits', async () => {
    const body = await imagesOf(await postJson('modelverse', '/images/generations', { model: 'gpt-image-1', prompt: 'flower', output_format: 'jpeg', quality: 'low' }));
    const b64 = body.data[0]!.b64_json!;
    assert.ok(b64.startsWith('data:image/png;base64,'));
    const bytes = Buffer.from(b64.slice(b64.indexOf(',') + 1), 'base64');
    assert.equal(bytes.subarray(0, 2).toString('hex'), 'ffd8');
    for (const bad of [{ n: 5 }, { output_format: 'webp' }, { size: 'auto' }]) {
      const response = await postJson('modelverse', '/images/generations', { model: 'gpt-image-1', prompt: 'f', ...bad });
      assert.equal(response.status, 400, JSON.stringify(bad));
      const error = ((await response.json()) as { error: { param: string } }).error;
      assert.match(error.param, /^req_/);
    }
  });

  test('apimodels: sync WxH, async task with the poll plan, failed task, unknown task', async () => {
    const sync = await imagesOf(await postJson('apimodels', '/images/generations', { model: 'gpt-image-2-all', prompt: 'shoe', size: '1024x1024' }));
    assert.ok(sync.data[0]!.url?.startsWith(fake.url));
    assert.deepEqual(pngSize(decode(sync.data[0]!.b64_json)), { width: 1024, height: 1024 });

    fake.setPollPlan(1);
    const created = (await (await postJson('apimodels', '/images/generations', { model: 'gpt-image-2-all', prompt: 'lighthouse', aspect_ratio: '16:9', resolution: '1K' })).json()) as {
      code: number;
      data: { taskId: string };
    };
    assert.equal(created.code, 200);
    const poll = async (id: string): Promise<{ status: number; body: { data: { status: string; result?: { images: { url: string }[] }; error?: string } } }> => {
      const response = await fetch(`${fake.baseUrl('apimodels')}/images/generations?task_id=${id}`, { headers: authHeaders() });
      return { status: response.status, body: (await response.json()) as never };
    };
    assert.equal((await poll(created.data.taskId)).body.data.status, 'processing');
    const done = await poll(created.data.taskId);
    assert.equal(done.body.data.status, 'completed');
    const image = await fetch(done.body.data.result!.images[0]!.url);
    assert.deepEqual(pngSize(Buffer.from(await image.arrayBuffer())), { width: 1360, height: 768 });

    fake.setPollPlan(0);
    fake.fault({ kind: 'task-failed' });
    const failing = (await (await postJson('apimodels', '/images/generations', { model: 'gpt-image-2-all', prompt: 'x', aspect_ratio: '1:1', resolution: '1K' })).json()) as { data: { taskId: string } };
    const failed = await poll(failing.data.taskId);
    assert.equal(failed.body.data.status, 'failed');
    assert.ok(failed.body.data.error);
    assert.equal((await poll('task_nope')).status, 404);
    fake.setPollPlan(2);

    const bad = await postJson('apimodels', '/images/generations', { model: 'gpt-image-2-all', prompt: 'x', size: '1000x1000' });
    assert.equal(bad.status, 400);
  });

  test('compatible: /models, any model id, stream without partials', async () => {
    const models = (await (await fetch(`${fake.baseUrl('compatible')}/models`, { headers: authHeaders() })).json()) as { object: string; data: { id: string }[] };
    assert.equal(models.object, 'list');
    assert.ok(models.data.some((model) => model.id === 'gpt-image-1'));
    const response = await postJson('compatible', '/images/generations', { model: 'my-local-sdxl', prompt: 'p', size: '768x512', stream: true, partial_images: 3 });
    const events = parseSse(await response.text());
    assert.deepEqual(
      events.map((event) => event.event),
      ['image_generation.completed'],
    );
    assert.deepEqual(pngSize(decode(events[0]!.data.b64_json as string)), { width: 768, height: 512 });
  });
});

describe('faults', () => {
  const generate = (): Promise<Response> => postJson('openai', '/images/generations', { prompt: 'fault', size: '1024x1024' });

  test('status with Retry-After fires once, then clears', async () => {
    fake.fault({ kind: 'status', status: 429, retryAfter: 2 });
    const limited = await generate();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    assert.equal((await generate()).status, 200);
    assert.equal(fake.pendingFaults(), 0);
  });

  test('filters and times: only the matching provider, as many times as asked', async () => {
    fake.fault({ kind: 'status', status: 503, provider: 'ofox', times: 2 });
    assert.equal((await generate()).status, 200);
    const ofox = (): Promise<Response> => postJson('ofox', '/images/generations', { model: 'openai/gpt-image-2', prompt: 'p' });
    assert.equal((await ofox()).status, 503);
    assert.equal((await ofox()).status, 503);
    assert.equal((await ofox()).status, 200);
  });

  test('html, malformed JSON, empty data, url output', async () => {
    fake.fault({ kind: 'html', status: 502 });
    const html = await generate();
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await html.text(), /502 Bad Gateway/);

    fake.fault({ kind: 'malformed-json' });
    const malformed = await generate();
    assert.equal(malformed.status, 200);
    await assert.rejects(malformed.json());

    fake.fault({ kind: 'empty-data' });
    assert.deepEqual((await imagesOf(await generate())).data, []);

    fake.fault({ kind: 'url-output' });
    const urls = await imagesOf(await generate());
    assert.equal(urls.data[0]!.b64_json, undefined);
    const download = await fetch(urls.data[0]!.url!);
    assert.deepEqual(pngSize(Buffer.from(await download.arrayBuffer())), { width: 1024, height: 1024 });
  });

  test('truncated, reset, hang, latency, slow drip', async () => {
    fake.fault({ kind: 'truncated' });
    const truncated = await generate();
    await assert.rejects(truncated.arrayBuffer());

    fake.fault({ kind: 'reset' });
    await assert.rejects(generate());

    fake.fault({ kind: 'hang' });
    await assert.rejects(
      fetch(`${fake.baseUrl('openai')}/images/generations`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'hang' }),
        signal: AbortSignal.timeout(150),
      }),
    );

    fake.fault({ kind: 'latency', ms: 120 });
    let started = Date.now();
    assert.equal((await generate()).status, 200);
    assert.ok(Date.now() - started >= 110);

    fake.fault({ kind: 'slow-drip', bytesPerChunk: 2048, intervalMs: 5 });
    started = Date.now();
    const dripped = await imagesOf(await generate());
    assert.deepEqual(pngSize(decode(dripped.data[0]!.b64_json)), { width: 1024, height: 1024 });
  });

  test('stream error and JSON answer to a stream request', async () => {
    const stream = (): Promise<Response> => postJson('openai', '/images/generations', { prompt: 's', stream: true, partial_images: 2 });
    fake.fault({ kind: 'stream-error' });
    const events = parseSse(await (await stream()).text());
    assert.deepEqual(
      events.map((event) => event.event),
      ['image_generation.partial_image', 'error'],
    );
    assert.ok((events[1]!.data.error as { message: string }).message);

    fake.fault({ kind: 'json-to-stream' });
    const plain = await stream();
    assert.match(plain.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(((await plain.json()) as ImagesResponse).data[0]!.b64_json);
  });

  test('huge: a 4096x4096 PNG of about 18 MB', async () => {
    fake.fault({ kind: 'huge' });
    const body = await imagesOf(await generate());
    const bytes = decode(body.data[0]!.b64_json);
    assert.deepEqual(pngSize(bytes), { width: 4096, height: 4096 });
    assert.ok(bytes.length > 16_000_000 && bytes.length < 21_000_000, `${bytes.length} bytes`);
  });
});
