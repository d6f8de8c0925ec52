/**
 * The fault matrix: every provider × every fault the fake server injects, through the public core API
 * (`createImageModel` / `generateImages` / `editImages`), one test per cell.
 *
 * Each cell ends either in the image (format and size checked, bytes equal to what the fake served) or in an
 * ApiCallError whose message starts with the provider's name and says the cause. In every cell: the queued
 * fault was really used (none left pending), no unhandled rejection fired, and the API key appears in no
 * form of the error (`message`, `String`, `JSON.stringify`, `util.inspect` with its causes).
 *
 * apimodels' asynchronous mode is hit at the task creation, at a poll and at the result download; aa's result
 * download is hit separately from its API call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { ApiCallError } from '../../../src/core/errors';
import { editImages, generateImages } from '../../../src/core/generate';
import type { HttpSettings } from '../../../src/core/http';
import type { ImageRequest, ImageResult } from '../../../src/core/image-model';
import { encodePng } from '../../../src/core/image/png';
import {
  HUGE_IMAGE_SIDE,
  hugePng,
  startFakeProvider,
  type FakeFault,
  type FakeFaultKind,
  type FakeProvider,
  type FakeProviderId,
  type FaultFilter,
} from '../../support/fake-provider';
import { FAST_HTTP, imageInfo, modelOn } from '../helpers';

/** A key no generic redaction pattern recognises: only verbatim redaction keeps it out of messages. */
const API_KEY = 'matrix-secret-5f2c9a81d7e4';

let server: FakeProvider;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

/** Faster polls than FAST_POLL: the async cells poll twice (`processing`, then `completed`). */
const POLL_SETTINGS = { intervalMs: 5, maxIntervalMs: 10, timeoutMs: 10_000 };
const POLL_PLAN = 1;

async function fakeServer(): Promise<FakeProvider> {
  const fake = await startFakeProvider({ apiKey: API_KEY });
  fake.setPollPlan(POLL_PLAN);
  return fake;
}

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await fakeServer();
  hugePng(); // built once up front (about 0.5 s), so the huge cells measure the client, not the fake
});
after(async () => {
  await server.close();
  // Give late rejections (work left running after a cell settled) a chance to surface.
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection in the whole file');
});

const REFERENCE = encodePng(new Uint8Array(64 * 64 * 3).fill(120), 64, 64, 3);
const PNG = 'image/png';

type Phase = 'api' | 'create' | 'poll' | 'download';

/**
 * A failed poll does not fail an apimodels task: the task runs on (and is billed), so retryable poll failures
 * are asked again until the poll timeout, and the job ends in the image.
 */
const pollAbsorbs = (target: { phase: Phase }) => target.phase === 'poll';

interface Target {
  /** The left half of the cell names. */
  name: string;
  provider: FakeProviderId;
  /** How messages name the provider: every error must start with it. */
  label: string;
  model: string;
  /** Which request of the job the faults are aimed at. */
  phase: Phase;
  filter: FaultFilter;
  request: ImageRequest;
  /** aa is edit-only: the job is an edit of a small PNG. */
  edit?: boolean;
  expected: { width: number; height: number };
  /** The model streams: stream cells apply. `full` sends partial images, `final-only` just the final one. */
  streams?: 'full' | 'final-only';
  /** The fake's `url-output` fault turns the b64 reply into URLs for this target. */
  urlOutput?: boolean;
}

const FILES = /^\/files\//;
const POLL: FaultFilter = { method: 'GET', path: '/images/generations' };

const targets: Target[] = [
  {
    name: 'openai',
    provider: 'openai',
    label: 'OpenAI',
    model: 'gpt-image-1',
    phase: 'api',
    filter: { provider: 'openai' },
    request: { prompt: 'matrix openai', size: '1024x1024' },
    expected: { width: 1024, height: 1024 },
    streams: 'full',
    urlOutput: true,
  },
  {
    name: 'ofox gpt-image-2',
    provider: 'ofox',
    label: 'ofox',
    model: 'openai/gpt-image-2',
    phase: 'api',
    filter: { provider: 'ofox' },
    request: { prompt: 'matrix ofox', size: '1024x1024' },
    expected: { width: 1024, height: 1024 },
    streams: 'full',
    urlOutput: true,
  },
  {
    name: 'ofox gemini',
    provider: 'ofox',
    label: 'ofox',
    model: 'google/gemini-3.1-flash-image-preview',
    phase: 'api',
    filter: { provider: 'ofox' },
    request: { prompt: 'matrix gemini', size: '1024x1024' },
    expected: { width: 1024, height: 1024 },
    urlOutput: true,
  },
  {
    name: 'aa',
    provider: 'aa',
    label: 'aa',
    model: 'gpt-image-1.5',
    phase: 'api',
    filter: { provider: 'aa', path: '/image/generation' },
    request: { prompt: 'matrix aa' },
    edit: true,
    expected: { width: 64, height: 64 },
  },
  {
    name: 'aa (download)',
    provider: 'aa',
    label: 'aa',
    model: 'gpt-image-1.5',
    phase: 'download',
    filter: { provider: 'aa', path: FILES },
    request: { prompt: 'matrix aa download' },
    edit: true,
    expected: { width: 64, height: 64 },
  },
  {
    name: 'modelverse',
    provider: 'modelverse',
    label: 'modelverse',
    model: 'gpt-image-1',
    phase: 'api',
    filter: { provider: 'modelverse' },
    request: { prompt: 'matrix modelverse', size: '1024x1024' },
    expected: { width: 1024, height: 1024 },
    urlOutput: true,
  },
  {
    name: 'apimodels sync',
    provider: 'apimodels',
    label: 'apimodels',
    model: 'gpt-image-2-all',
    phase: 'api',
    filter: { provider: 'apimodels' },
    request: { prompt: 'matrix apimodels sync', size: '1024x1024' },
    expected: { width: 1024, height: 1024 },
    urlOutput: true,
  },
  {
    name: 'apimodels async (create)',
    provider: 'apimodels',
    label: 'apimodels',
    model: 'gpt-image-2-all',
    phase: 'create',
    filter: { provider: 'apimodels', method: 'POST' },
    request: { prompt: 'matrix apimodels async', aspectRatio: '1:1' },
    expected: { width: 1024, height: 1024 },
  },
  {
    name: 'apimodels async (poll)',
    provider: 'apimodels',
    label: 'apimodels',
    model: 'gpt-image-2-all',
    phase: 'poll',
    filter: { provider: 'apimodels', ...POLL },
    request: { prompt: 'matrix apimodels poll', aspectRatio: '1:1' },
    expected: { width: 1024, height: 1024 },
  },
  {
    name: 'apimodels async (download)',
    provider: 'apimodels',
    label: 'apimodels',
    model: 'gpt-image-2-all',
    phase: 'download',
    filter: { provider: 'apimodels', path: FILES },
    request: { prompt: 'matrix apimodels download', aspectRatio: '1:1' },
    expected: { width: 1024, height: 1024 },
  },
  {
    name: 'compatible',
    provider: 'compatible',
    label: 'Compatible gateway',
    model: 'my-gateway-model',
    phase: 'api',
    filter: { provider: 'compatible' },
    request: { prompt: 'matrix compatible', size: '512x512' },
    expected: { width: 512, height: 512 },
    streams: 'final-only',
    urlOutput: true,
  },
];

/** A fault without its filter: the target's filter is added when it is queued. */
type Fault = FakeFault extends infer F ? (F extends FakeFault ? Omit<F, keyof FaultFilter> & { times?: number } : never) : never;

type Outcome = { image: true; huge?: boolean; partials?: number } | { error: RegExp; partials?: number };

interface FaultCase {
  name: string;
  applies: (target: Target) => boolean;
  faults: (target: Target) => (Fault & { filter?: FaultFilter })[];
  outcome: (target: Target) => Outcome;
  /** Ask for a stream with two partial images. */
  stream?: boolean;
  http?: Partial<HttpSettings>;
  /** Slow whatever the client does (a hang waits for the headers timeout): run the cells side by side. */
  concurrent?: boolean;
  /** Requests that must have carried this fault (the retries really happened, and no more). */
  faultedRequests?: { kind: FakeFaultKind; count: number };
}

const IMAGE: Outcome = { image: true };
const everywhere = (): boolean => true;
/** Faults that only change JSON API replies (status, malformed JSON): the fake serves downloads before them. */
const apiReplies = (target: Target): boolean => target.phase !== 'download';
/** Faults for image requests (empty data, huge, URL output): the creation of a task, not its polls. */
const imageRequests = (target: Target): boolean => target.phase === 'api' || target.phase === 'create';
const streaming = (target: Target): boolean => target.streams !== undefined;
/** The stream cells ask for two partial images; `final-only` gateways send none. */
const streamPartials = (target: Target): number => (target.streams === 'full' ? 2 : 0);

const faultCases: FaultCase[] = [
  { name: 'no fault', applies: everywhere, faults: () => [], outcome: () => IMAGE },
  { name: 'latency', applies: everywhere, faults: () => [{ kind: 'latency', ms: 40 }], outcome: () => IMAGE },
  {
    name: '429 then success',
    applies: apiReplies,
    faults: () => [{ kind: 'status', status: 429, retryAfter: 0 }],
    outcome: () => IMAGE,
    faultedRequests: { kind: 'status', count: 1 },
  },
  {
    name: '500 once',
    applies: apiReplies,
    faults: () => [{ kind: 'status', status: 500 }],
    outcome: () => IMAGE,
    faultedRequests: { kind: 'status', count: 1 },
  },
  {
    name: '500 persistent',
    applies: apiReplies,
    // The first attempt and FAST_HTTP's two retries.
    faults: () => [{ kind: 'status', status: 500, times: 3 }],
    outcome: (target) => (pollAbsorbs(target) ? IMAGE : { error: /had a server error \(HTTP 500\): The server had an error while processing your request/ }),
    faultedRequests: { kind: 'status', count: 3 },
  },
  {
    name: '429 with a long Retry-After',
    applies: apiReplies,
    // Longer than maxRetryAfterMs (60 s): reported at once instead of waited for.
    faults: () => [{ kind: 'status', status: 429, retryAfter: 3600 }],
    outcome: (target) => (pollAbsorbs(target) ? IMAGE : { error: / is rate limiting requests \(HTTP 429\): Rate limit reached for images per minute\..* Wait a moment and try again\.$/ }),
    faultedRequests: { kind: 'status', count: 1 },
  },
  {
    name: '401 echoing the key',
    applies: apiReplies,
    faults: () => [{ kind: 'status', status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${API_KEY}`, type: 'invalid_request_error' } }) }],
    outcome: () => ({ error: / rejected the API key \(HTTP 401\): Incorrect API key provided: \*\*\*\. Check it with "ImageGen: Set API Key…"\.$/ }),
    faultedRequests: { kind: 'status', count: 1 },
  },
  {
    name: 'malformed JSON',
    applies: apiReplies,
    faults: () => [{ kind: 'malformed-json' }],
    outcome: (target) => (pollAbsorbs(target) ? IMAGE : { error: /sent a reply that is not valid JSON: \{"created":1/ }),
  },
  {
    name: 'truncated',
    applies: everywhere,
    faults: () => [{ kind: 'truncated' }],
    outcome: (target) => (pollAbsorbs(target) ? IMAGE : { error: /: the (connection closed before the whole reply arrived|reply was shorter than announced) \(truncated reply\)\.$/ }),
  },
  {
    name: 'slow drip',
    applies: everywhere,
    faults: () => [{ kind: 'slow-drip', bytesPerChunk: 1024, intervalMs: 1 }],
    outcome: () => IMAGE,
  },
  {
    name: 'HTML error page once',
    applies: everywhere,
    faults: () => [{ kind: 'html', status: 502 }],
    outcome: () => IMAGE,
    faultedRequests: { kind: 'html', count: 1 },
  },
  {
    name: 'HTML error page',
    applies: everywhere,
    faults: () => [{ kind: 'html', status: 502, times: 3 }],
    outcome: (target) =>
      pollAbsorbs(target)
        ? IMAGE
        : { error: target.phase === 'download' ? /: could not download the result image \(HTTP 502\): 502 Bad Gateway.*Result URLs expire/ : /: the gateway returned an HTML error page \(502\)\.$/ },
    faultedRequests: { kind: 'html', count: 3 },
  },
  {
    name: 'empty data',
    applies: imageRequests,
    faults: () => [{ kind: 'empty-data' }],
    outcome: (target) => ({ error: target.phase === 'create' ? / finished task task_\w+ without images: / : / returned no images: / }),
  },
  { name: 'huge', applies: imageRequests, faults: () => [{ kind: 'huge' }], outcome: () => ({ image: true, huge: true }) },
  {
    name: 'aa error with HTTP 200',
    applies: (target) => target.provider === 'aa' && target.phase === 'api',
    faults: () => [{ kind: 'aa-error' }],
    outcome: () => ({ error: / refused the request: 上游服务繁忙.+ \(code 1001\)\.$/ }),
  },
  {
    name: 'reset',
    applies: everywhere,
    faults: () => [{ kind: 'reset' }],
    outcome: () => IMAGE,
    faultedRequests: { kind: 'reset', count: 1 },
  },
  {
    name: 'reset persistent',
    applies: everywhere,
    faults: () => [{ kind: 'reset', times: 3 }],
    outcome: (target) => (pollAbsorbs(target) ? IMAGE : { error: /: the connection was closed before a reply arrived\.$/ }),
    faultedRequests: { kind: 'reset', count: 3 },
  },
  {
    name: 'hang',
    applies: everywhere,
    faults: () => [{ kind: 'hang' }],
    http: { timeoutMs: 200 },
    concurrent: true,
    outcome: () => ({ error: / did not answer within [\d.]+ s\. High-quality renders can take about 2 minutes/ }),
    faultedRequests: { kind: 'hang', count: 1 },
  },
  {
    name: 'url-output',
    applies: (target) => target.urlOutput === true,
    faults: () => [{ kind: 'url-output' }],
    outcome: () => IMAGE,
  },
  {
    name: 'download-404',
    applies: (target) => target.phase === 'download',
    faults: () => [{ kind: 'download-404' }],
    outcome: () => ({ error: / \(HTTP 404\): .*NoSuchKey/ }),
  },
  {
    name: 'url-output then download-404',
    applies: (target) => target.urlOutput === true,
    faults: (target) => [{ kind: 'url-output' }, { kind: 'download-404', filter: { provider: target.provider, path: FILES } }],
    outcome: () => ({ error: / \(HTTP 404\): .*NoSuchKey/ }),
  },
  {
    name: 'task-failed',
    applies: (target) => target.phase === 'create',
    faults: () => [{ kind: 'task-failed' }],
    outcome: () => ({ error: /^apimodels task task_\w+ failed: Image generation failed: .*content policy/ }),
  },
  { name: 'stream', applies: streaming, stream: true, faults: () => [], outcome: (target) => ({ image: true, partials: streamPartials(target) }) },
  {
    name: 'stream-error',
    applies: streaming,
    stream: true,
    faults: () => [{ kind: 'stream-error' }],
    // The fake sends one partial image, then the error event.
    outcome: () => ({ error: / stopped the stream: The image generation failed midway: upstream stream interrupted\.$/, partials: 1 }),
  },
  {
    name: 'json-to-stream',
    applies: streaming,
    stream: true,
    faults: () => [{ kind: 'json-to-stream' }],
    outcome: () => ({ image: true, partials: 0 }),
  },
  {
    name: 'stream truncated',
    applies: streaming,
    stream: true,
    faults: () => [{ kind: 'truncated' }],
    outcome: () => ({ error: /: the connection closed before the whole reply arrived \(truncated reply\)\.$/ }),
  },
  {
    name: 'stream slow drip',
    applies: streaming,
    stream: true,
    faults: () => [{ kind: 'slow-drip', bytesPerChunk: 4096, intervalMs: 1 }],
    outcome: (target) => ({ image: true, partials: streamPartials(target) }),
  },
  {
    name: 'stream huge',
    applies: streaming,
    stream: true,
    faults: () => [{ kind: 'huge' }],
    outcome: (target) => ({ image: true, huge: true, partials: streamPartials(target) }),
  },
  {
    name: 'stream empty data',
    applies: streaming,
    stream: true,
    faults: () => [{ kind: 'empty-data' }],
    outcome: () => ({ error: /: the stream ended without a final image\.$/, partials: 0 }),
  },
];

function assertKeyFree(error: unknown): void {
  const forms = {
    message: error instanceof Error ? error.message : '',
    string: String(error),
    json: JSON.stringify(error) ?? '',
    inspect: inspect(error, { depth: 6 }),
    excerpt: error instanceof ApiCallError ? (error.excerpt ?? '') : '',
  };
  for (const [form, text] of Object.entries(forms)) assert.ok(!text.includes(API_KEY), `the key appears in the error's ${form}: ${text.slice(0, 300)}`);
}

async function runCell(server: FakeProvider, target: Target, fault: FaultCase): Promise<void> {
  // Whatever an earlier cell left queued or recorded cannot reach this one.
  server.clearFaults();
  server.clearRequests();
  const unhandledBefore = unhandled.length;
  for (const { filter, ...spec } of fault.faults(target)) server.fault({ ...(filter ?? target.filter), ...spec } as FakeFault);
  const model = modelOn(server, target.provider, target.model, { http: { ...FAST_HTTP, ...fault.http }, poll: POLL_SETTINGS });
  const request: ImageRequest = { ...target.request, ...(fault.stream ? { stream: true, partialImages: 2 } : {}) };
  let partials = 0;
  const options = { onPartial: () => partials++ };
  const started = Date.now();
  let result: ImageResult | undefined;
  let failure: unknown;
  try {
    result = target.edit ? await editImages(model, { ...request, images: [{ bytes: REFERENCE }] }, options) : await generateImages(model, request, options);
  } catch (error) {
    failure = error;
  }
  const elapsed = Date.now() - started;
  // Late rejections surface after the microtask queue drains.
  await new Promise((resolve) => setImmediate(resolve));

  const expected = fault.outcome(target);
  if ('error' in expected) {
    assert.equal(result, undefined, 'the job must fail');
    assert.ok(failure instanceof ApiCallError, `an ApiCallError, got ${inspect(failure)}`);
    assert.ok(failure.message.startsWith(target.label), `the message starts with "${target.label}": ${failure.message}`);
    assert.match(failure.message, expected.error);
    // Some errors carry the provider id (`openai`), others its label (`OpenAI`): either names the provider.
    assert.ok([target.provider, target.label].includes(failure.provider), `error.provider is ${failure.provider}`);
    assertKeyFree(failure);
  } else {
    if (failure !== undefined) assert.fail(`the job must end in the image, got ${inspect(failure)}`);
    assert.equal(result!.images.length, 1);
    const image = result!.images[0]!;
    const side = expected.huge ? { width: HUGE_IMAGE_SIDE, height: HUGE_IMAGE_SIDE } : target.expected;
    assert.deepEqual(imageInfo(image.bytes), { format: PNG, ...side });
    assert.deepEqual({ mediaType: image.mediaType, width: image.width, height: image.height }, { mediaType: PNG, ...side });
    const served = expected.huge ? hugePng() : server.lastServedImages[0]?.bytes;
    assert.ok(served, 'the fake served an image');
    assert.ok(Buffer.from(image.bytes).equals(served), 'the bytes are exactly the ones served');
  }
  if (expected.partials !== undefined) assert.equal(partials, expected.partials, 'partial images delivered');
  assert.equal(server.pendingFaults(), 0, 'every queued fault was used');
  if (fault.faultedRequests) {
    const { kind, count } = fault.faultedRequests;
    assert.equal(server.requests.filter((entry) => entry.fault === kind).length, count, `requests that met the ${kind} fault`);
  }
  assert.deepEqual(unhandled.slice(unhandledBefore).map(String), [], 'no unhandled rejection');
  assert.ok(elapsed < 5_000, `settled in ${elapsed} ms`);
}

for (const target of targets) {
  for (const fault of faultCases) {
    if (!fault.applies(target) || fault.concurrent) continue;
    test(`${target.name} × ${fault.name}`, () => runCell(server, target, fault));
  }
}

// A hang ends at undici's headers timeout, whose timer ticks about once a second whatever the setting: these
// cells run side by side, each on a fake server of its own.
for (const fault of faultCases.filter((fault) => fault.concurrent)) {
  describe(`every provider × ${fault.name}`, { concurrency: true }, () => {
    for (const target of targets) {
      if (!fault.applies(target)) continue;
      test(`${target.name} × ${fault.name}`, async () => {
        const own = await fakeServer();
        try {
          await runCell(own, target, fault);
        } finally {
          await own.close();
        }
      });
    }
  });
}

test(
  'aa (download) × download-404: the message says the result download failed, without the raw XML',
  async () => {
    server.clearFaults();
    server.fault({ kind: 'download-404', provider: 'aa' });
    const model = modelOn(server, 'aa', 'gpt-image-1.5', { http: FAST_HTTP });
    const error = await editImages(model, { prompt: 'expired url', images: [{ bytes: REFERENCE }] }).then(
      () => assert.fail('the job must fail'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof ApiCallError);
    assert.match(error.message, /^aa\b.*download.*\(HTTP 404\)/i);
    assert.doesNotMatch(error.message, /refused the request/, 'aa did not refuse anything: its result URL is gone');
    assert.doesNotMatch(error.message, /<\?xml|<Error>/, 'no raw markup in a message meant for a person');
  },
);

test('every provider meets every fault kind it can meet at least once', () => {
  const met = new Map<string, Set<string>>();
  for (const target of targets) {
    const kinds = met.get(target.provider) ?? new Set<string>();
    for (const fault of faultCases) if (fault.applies(target)) for (const spec of fault.faults(target)) kinds.add(spec.kind);
    met.set(target.provider, kinds);
  }
  const common: FakeFaultKind[] = ['latency', 'status', 'html', 'malformed-json', 'truncated', 'slow-drip', 'empty-data', 'huge', 'reset', 'hang'];
  for (const provider of ['openai', 'ofox', 'aa', 'modelverse', 'apimodels', 'compatible'] as const) {
    for (const kind of common) assert.ok(met.get(provider)?.has(kind), `${provider} meets ${kind}`);
  }
  assert.ok(met.get('aa')!.has('aa-error') && met.get('aa')!.has('download-404'));
  assert.ok(met.get('apimodels')!.has('task-failed') && met.get('apimodels')!.has('download-404'));
  for (const provider of ['openai', 'ofox', 'compatible'] as const) {
    for (const kind of ['stream-error', 'json-to-stream'] as const) assert.ok(met.get(provider)!.has(kind), `${provider} meets ${kind}`);
  }
  for (const provider of ['openai', 'ofox', 'modelverse', 'apimodels', 'compatible'] as const) assert.ok(met.get(provider)!.has('url-output'));
});
