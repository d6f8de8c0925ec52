/**
 * Cancellation at random points, through the public core API: before the headers (a hang, a slow answer), in
 * the middle of a body (a large image dripped slowly, as JSON or as a result download), between and during the
 * polls of an apimodels task, in the middle of an SSE stream with partial images, and in the middle of an `n`
 * fan-out.
 *
 * fast-check picks when to abort. Every run must either reject with CancelledError within SETTLE_MS of the
 * abort, or (when the abort came too late) resolve with the complete images. A cancelled job leaves nothing
 * behind: no file (the CLI-style write path, `writeImageFile`, runs only after a result), no request still in
 * flight in undici, none still open on the fake server (it saw the connection closed), no request started
 * after the abort, no partial image or progress report after the abort, and no unhandled rejection.
 *
 * The scenarios run side by side, each against a fake server of its own (they spend their time waiting).
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { rmSync } from 'node:fs';
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { CancelledError } from '../../../src/core/errors';
import { writeImageFile } from '../../../src/core/file-output';
import { editImages, generateImages } from '../../../src/core/generate';
import type { ImageModel, ImageRequest, ImageResult } from '../../../src/core/image-model';
import { encodePng } from '../../../src/core/image/png';
import { extensionFor } from '../../../src/core/image/sniff';
import { createImageModel } from '../../../src/core/providers/registry';
import { HUGE_IMAGE_SIDE, hugePng, startFakeProvider, type FakeFault, type FakeProvider, type FakeProviderOptions } from '../../support/fake-provider';
import { FAST_HTTP, imageInfo, listFolder, modelOn, temporaryFolder } from '../helpers';

/** A cancelled job must have settled this soon after the abort. */
const SETTLE_MS = 300;
/** Every request of a settled job must be over, on both sides, this soon after it settled. */
const CLOSE_MS = 500;
const RUNS = 30;

async function waitUntil(done: () => boolean, limitMs: number, what: () => string): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > limitMs) assert.fail(`${what()} ${limitMs} ms after the job settled`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface OriginRequests {
  /** Requests undici created for this origin. */
  created: number;
  /** Requests neither completed nor failed yet. */
  inFlight: Set<object>;
  /** TCP connects (and TLS handshakes) under way. */
  connecting: number;
  /** When connects ended (succeeded or failed), in `performance.now()` time. */
  connectEnds: number[];
}

/**
 * The client side, per origin (each scenario has its own fake server): requests undici created, those not yet
 * completed or failed, and connections being established. Read from undici's diagnostics channels, so no core
 * code is wrapped.
 */
class ClientRequests {
  private readonly byOrigin = new Map<string, OriginRequests>();
  private readonly subscriptions: [string, (message: unknown) => void][] = [
    [
      'undici:request:create',
      (message) => {
        const request = (message as { request: { origin?: unknown } }).request;
        const entry = this.entry(String(request.origin));
        entry.created++;
        entry.inFlight.add(request);
      },
    ],
    ['undici:request:trailers', (message) => this.done(message)],
    ['undici:request:error', (message) => this.done(message)],
    ['undici:client:beforeConnect', (message) => this.entry(originOf(message)).connecting++],
    ['undici:client:connected', (message) => this.connectEnded(message)],
    ['undici:client:connectError', (message) => this.connectEnded(message)],
  ];

  constructor() {
    for (const [name, listener] of this.subscriptions) diagnosticsChannel.subscribe(name, listener);
  }

  entry(origin: string): OriginRequests {
    let entry = this.byOrigin.get(origin);
    if (!entry) this.byOrigin.set(origin, (entry = { created: 0, inFlight: new Set(), connecting: 0, connectEnds: [] }));
    return entry;
  }

  close(): void {
    for (const [name, listener] of this.subscriptions) diagnosticsChannel.unsubscribe(name, listener);
  }

  private done(message: unknown): void {
    const request = (message as { request: { origin?: unknown } }).request;
    this.entry(String(request.origin)).inFlight.delete(request);
  }

  private connectEnded(message: unknown): void {
    const entry = this.entry(originOf(message));
    entry.connecting = Math.max(0, entry.connecting - 1);
    entry.connectEnds.push(performance.now());
    if (entry.connectEnds.length > 64) entry.connectEnds.splice(0, 32);
  }
}

function originOf(message: unknown): string {
  const { protocol, host } = (message as { connectParams: { protocol: string; host: string } }).connectParams;
  return `${protocol}//${host}`;
}

/** The server side: requests the fake's HTTP server has received and not yet finished or seen closed. */
function countOpenRequests(fake: FakeProvider): { readonly count: number } {
  // The fake does not count open requests itself: listen on its node:http server.
  const http = (fake as unknown as { server?: unknown }).server;
  assert.ok(http instanceof Server, 'the fake provider keeps its node:http server in `server`');
  const counter = { count: 0 };
  http.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    counter.count++;
    response.once('close', () => counter.count--);
  });
  return counter;
}

let client: ClientRequests;
let outputRoot: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
/** Per scenario: outcomes per variant and settle times after the abort, for the summary at the end. */
const stats = new Map<
  string,
  { outcomes: Map<string, { cancelled: number; completed: number }>; settle: number[]; duringConnect: number[]; partials: number; progress: number }
>();

before(() => {
  process.on('unhandledRejection', onUnhandled);
  client = new ClientRequests();
  outputRoot = temporaryFolder('imagegen-cancel-');
  hugePng(); // built once, before any timing starts
});

after(async () => {
  client.close();
  rmSync(outputRoot, { recursive: true, force: true });
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection');
});

/** One line per scenario for the test output: outcomes, and how long cancelled jobs took to settle. */
function summary(name: string): string {
  const { outcomes, settle, duringConnect, partials, progress } = stats.get(name)!;
  const sorted = [...settle].sort((a, b) => a - b);
  const variants = [...outcomes].map(([variant, counts]) => `${variant}: ${counts.cancelled} cancelled, ${counts.completed} completed`).join('; ');
  const connect = duringConnect.length ? `; ${duringConnect.length} aborted while connecting, settled up to ${Math.max(...duringConnect).toFixed(1)} ms later` : '';
  const reports = [partials && `${partials} partial images`, progress && `${progress} progress reports`].filter(Boolean).join(', ');
  return `${variants}${reports ? `; ${reports} before the aborts` : ''}; settled after the abort in median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1) ?? '-'} ms, max ${sorted.at(-1)?.toFixed(1) ?? '-'} ms${connect}`;
}

/** One kind of job a scenario runs. */
interface Variant {
  name: string;
  /** Queued before each run (after clearing whatever an earlier run left). */
  faults: () => FakeFault[];
  model: (fake: FakeProvider) => ImageModel;
  request: ImageRequest;
  /** An edit of this reference instead of a generation. */
  reference?: Uint8Array;
  /** What each image of a completed job must be, and how many. */
  expected: { format: string; width: number; height: number; count: number };
  /** The last image of a completed job is exactly the one the fake served last. */
  compareServed?: boolean;
  concurrency?: number;
}

interface Scenario {
  name: string;
  fakeOptions?: FakeProviderOptions;
  pollPlan?: number;
  maxDelayMs: number;
  /** Runs of the property (default RUNS). */
  runs?: number;
  /** The jobs report partial images or task progress: some runs must have seen them before the abort. */
  reports?: 'partials' | 'progress';
  variants: Variant[];
}

interface Context {
  scenario: Scenario;
  fake: FakeProvider;
  open: { readonly count: number };
}

let runCounter = 0;

/** One job, aborted `delayMs` after it started; checks everything a cancel must guarantee. */
async function cancelRun({ scenario, fake, open }: Context, variant: Variant, delayMs: number): Promise<void> {
  const folder = join(outputRoot, `run-${++runCounter}`);
  const requests = client.entry(fake.url);
  const unhandledBefore = unhandled.length;
  fake.clearFaults();
  fake.clearRequests();
  for (const fault of variant.faults()) fake.fault(fault);
  const controller = new AbortController();
  let abortedAt: number | undefined;
  const late: string[] = [];
  const options = {
    signal: controller.signal,
    concurrency: variant.concurrency,
    onPartial: (partial: { imageIndex: number; partialIndex: number }) => {
      stats.get(scenario.name)!.partials++;
      if (abortedAt !== undefined) late.push(`partial ${partial.partialIndex} of image ${partial.imageIndex}`);
    },
    onProgress: (progress: { status: string }) => {
      stats.get(scenario.name)!.progress++;
      if (abortedAt !== undefined) late.push(`progress ${progress.status}`);
    },
  };
  const model = variant.model(fake);
  let createdAtAbort = 0;
  let connectingAtAbort = false;
  const timer = setTimeout(() => {
    abortedAt = performance.now();
    connectingAtAbort = requests.connecting > 0;
    controller.abort();
    // The abort reaches every call synchronously: from here on the job must not create a single request.
    createdAtAbort = requests.created;
  }, delayMs);
  try {
    const job: Promise<ImageResult> = variant.reference
      ? editImages(model, { ...variant.request, images: [{ bytes: variant.reference }] }, options)
      : generateImages(model, variant.request, options);
    let abortedBeforeResult: number | undefined;
    // The CLI-style write path: files are written only once the job has a result.
    const written = job.then(async (result) => {
      abortedBeforeResult = abortedAt;
      const paths: string[] = [];
      for (const [index, image] of result.images.entries()) {
        paths.push(await writeImageFile(folder, `image-${index + 1}.${extensionFor(image.mediaType)}`, image.bytes));
      }
      return { result, paths };
    });
    const outcome = await written.then(
      (value) => ({ ok: true as const, ...value, at: performance.now() }),
      (error: unknown) => ({ ok: false as const, error, at: performance.now() }),
    );
    const createdAtSettle = requests.created;
    const counts = stats.get(scenario.name)!.outcomes.get(variant.name) ?? { cancelled: 0, completed: 0 };
    stats.get(scenario.name)!.outcomes.set(variant.name, counts);
    if (outcome.ok) {
      counts.completed++;
      // generateImages checks the signal last: a job aborted before its result never resolves.
      assert.equal(abortedBeforeResult, undefined, 'a job aborted before it finished must not resolve');
      const { result, paths } = outcome;
      const { count, ...shape } = variant.expected;
      assert.equal(result.images.length, count);
      for (const image of result.images) assert.deepEqual(imageInfo(image.bytes), shape);
      if (variant.compareServed) {
        assert.ok(Buffer.from(result.images.at(-1)!.bytes).equals(fake.lastServedImages.at(-1)!.bytes), 'the bytes are exactly the ones served');
      }
      assert.equal(paths.length, count);
      assert.equal(listFolder(folder).length, count, 'every image written, nothing else');
    } else {
      counts.cancelled++;
      assert.ok(outcome.error instanceof CancelledError, `CancelledError, got ${inspect(outcome.error)}`);
      assert.ok(abortedAt !== undefined, 'cancelled only after the abort');
      const settle = outcome.at - abortedAt;
      const scenarioStats = stats.get(scenario.name)!;
      if (connectingAtAbort) {
        // undici honours an abort only once the request has a connection (see the slow-handshake test below):
        // measure from the end of that connect. On 127.0.0.1 it is usually instant; on a busy machine it is not.
        const connected = requests.connectEnds.find((at) => at >= abortedAt!) ?? outcome.at;
        scenarioStats.duringConnect.push(settle);
        assert.ok(outcome.at - connected < SETTLE_MS, `settled ${(outcome.at - connected).toFixed(1)} ms after the connection that was under way at the abort`);
      } else {
        scenarioStats.settle.push(settle);
        assert.ok(settle < SETTLE_MS, `settled ${settle.toFixed(1)} ms after the abort`);
      }
      assert.deepEqual(listFolder(folder), [], 'a cancelled job writes nothing, not even a temporary file');
      assert.equal(requests.created, createdAtAbort, 'no request started after the abort');
    }
    assert.deepEqual(late, [], 'no partial image or progress report after the abort');
    // Every request of the job is over in undici (completed, or failed with the abort)...
    await waitUntil(() => requests.inFlight.size === 0, CLOSE_MS, () => `${requests.inFlight.size} request(s) still in flight in undici`);
    // ...and the fake saw each one end: a cancelled one with its connection closed.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await waitUntil(() => open.count === 0, CLOSE_MS, () => `${open.count} request(s) still open on the fake server`);
    assert.equal(requests.created, createdAtSettle, 'no request started after the job settled');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled.slice(unhandledBefore).map(String), [], 'no unhandled rejection');
  } finally {
    clearTimeout(timer);
    controller.abort();
    fake.clearFaults();
  }
}

/** After all the cancels, the same fake still answers a plain request promptly. */
async function stillServes({ fake, open }: Context, variant: Variant): Promise<void> {
  fake.clearFaults();
  const started = Date.now();
  const model = variant.model(fake);
  const request = { ...variant.request, n: 1 };
  const result = variant.reference ? await editImages(model, { ...request, images: [{ bytes: variant.reference }] }) : await generateImages(model, request);
  assert.equal(result.images.length, 1);
  assert.ok(Date.now() - started < 2_000, `a fresh request answered in ${Date.now() - started} ms`);
  await waitUntil(() => open.count === 0, CLOSE_MS, () => `${open.count} request(s) still open on the fake server`);
}

async function runScenario(scenario: Scenario, diagnostic: (message: string) => void): Promise<void> {
  const fake = await startFakeProvider(scenario.fakeOptions);
  try {
    if (scenario.pollPlan !== undefined) fake.setPollPlan(scenario.pollPlan);
    const context: Context = { scenario, fake, open: countOpenRequests(fake) };
    stats.set(scenario.name, { outcomes: new Map(), settle: [], duringConnect: [], partials: 0, progress: 0 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...scenario.variants), fc.integer({ min: 0, max: scenario.maxDelayMs }), (variant, delay) => cancelRun(context, variant, delay)),
      { numRuns: scenario.runs ?? RUNS },
    );
    for (const variant of scenario.variants) await stillServes(context, variant);
    const cancelled = [...stats.get(scenario.name)!.outcomes.values()].reduce((sum, counts) => sum + counts.cancelled, 0);
    assert.ok(cancelled > 0, 'some runs were cancelled');
    if (scenario.reports) assert.ok(stats.get(scenario.name)![scenario.reports] > 0, `some ${scenario.reports} were reported`);
    diagnostic(summary(scenario.name));
  } finally {
    await fake.close();
  }
}

const REFERENCE = encodePng(new Uint8Array(64 * 64 * 3).fill(120), 64, 64, 3);
const SQUARE_PNG = { format: 'image/png', width: 1024, height: 1024, count: 1 };
const openai = (fake: FakeProvider) => modelOn(fake, 'openai', 'gpt-image-1', { http: FAST_HTTP });

const scenarios: Scenario[] = [
  {
    name: 'before the headers: a hanging gateway or a slow answer',
    maxDelayMs: 120,
    variants: [
      { name: 'hang', faults: () => [{ kind: 'hang' }], model: openai, request: { prompt: 'never answered', size: '1024x1024' }, expected: SQUARE_PNG },
      {
        name: 'latency',
        faults: () => [{ kind: 'latency', ms: 70 }],
        model: openai,
        request: { prompt: 'slow answer', size: '1024x1024' },
        expected: SQUARE_PNG,
        compareServed: true,
      },
    ],
  },
  {
    name: 'mid-body: a large WebP dripped slowly as JSON',
    maxDelayMs: 160,
    variants: [
      {
        // A 1024x1024 WebP from the fake is about 390 KB, 520 KB as base64 JSON: 9 pieces 12 ms apart.
        name: 'WebP as JSON',
        faults: () => [{ kind: 'slow-drip', bytesPerChunk: 64 * 1024, intervalMs: 12 }],
        model: openai,
        request: { prompt: 'dripped webp', size: '1024x1024', format: 'webp' },
        expected: { format: 'image/webp', width: 1024, height: 1024, count: 1 },
        compareServed: true,
      },
    ],
  },
  {
    // Longer than SETTLE_MS, so a download that ignored the signal would show as a late settle.
    name: 'mid-body: a 4096x4096 result download (aa) dripped over 400 ms',
    maxDelayMs: 500,
    runs: 20,
    variants: [
      {
        // aa answers with a URL; the 18 MB PNG behind it arrives in 1 MB pieces 22 ms apart.
        name: '4096x4096 download',
        faults: () => [
          { kind: 'huge', provider: 'aa' },
          { kind: 'slow-drip', provider: 'aa', path: /^\/files\//, bytesPerChunk: 1024 * 1024, intervalMs: 22 },
        ],
        model: (fake) => modelOn(fake, 'aa', 'gpt-image-1.5', { http: FAST_HTTP }),
        request: { prompt: 'huge download' },
        reference: REFERENCE,
        expected: { format: 'image/png', width: HUGE_IMAGE_SIDE, height: HUGE_IMAGE_SIDE, count: 1 },
      },
    ],
  },
  {
    name: 'mid-poll: an apimodels task polled six times',
    pollPlan: 6,
    reports: 'progress',
    maxDelayMs: 260,
    variants: [
      {
        name: 'async task',
        // The first three polls answer slowly: some aborts land inside a poll request, others between polls.
        faults: () => [{ kind: 'latency', ms: 12, method: 'GET', path: '/images/generations', times: 3 }],
        model: (fake) => modelOn(fake, 'apimodels', 'gpt-image-2-all', { http: FAST_HTTP, poll: { intervalMs: 8, maxIntervalMs: 12, timeoutMs: 10_000 } }),
        request: { prompt: 'polled task', aspectRatio: '1:1' },
        expected: SQUARE_PNG,
        compareServed: true,
      },
    ],
  },
  {
    name: 'mid-stream: three partial images 30 ms apart',
    fakeOptions: { eventDelayMs: 30 },
    reports: 'partials',
    maxDelayMs: 240,
    variants: [
      {
        name: 'stream',
        faults: () => [],
        model: openai,
        request: { prompt: 'streamed', size: '1024x1024', stream: true, partialImages: 3 },
        expected: SQUARE_PNG,
        compareServed: true,
      },
    ],
  },
  {
    name: 'mid-fan-out: ofox Gemini n=4, two calls at a time, each slow',
    maxDelayMs: 150,
    variants: [
      {
        name: 'fan-out',
        faults: () => [25, 55, 40, 70].map((ms): FakeFault => ({ kind: 'latency', ms, provider: 'ofox' })),
        model: (fake) => modelOn(fake, 'ofox', 'google/gemini-3.1-flash-image-preview', { http: FAST_HTTP }),
        request: { prompt: 'four apples', n: 4, size: '1024x1024' },
        expected: { ...SQUARE_PNG, count: 4 },
        compareServed: true,
        concurrency: 2,
      },
    ],
  },
];

describe('cancel at random points', { concurrency: true }, () => {
  for (const scenario of scenarios) test(scenario.name, (t) => runScenario(scenario, (message) => t.diagnostic(message)));
});

test(
  'cancel during a slow TLS handshake settles at once, not at the connect timeout',
  async () => {
    // A TCP server that accepts and never answers the TLS ClientHello: the handshake lasts until the timeout.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const model = createImageModel({
        provider: 'openai',
        apiKey: 'cancel-test-key',
        baseUrl: `https://127.0.0.1:${port}/v1`,
        http: { ...FAST_HTTP, connectTimeoutMs: 1_000, maxRetries: 0 },
      });
      const controller = new AbortController();
      const abortAt = 50;
      setTimeout(() => controller.abort(), abortAt);
      const started = performance.now();
      await assert.rejects(generateImages(model, { prompt: 'unreachable' }, { signal: controller.signal }), CancelledError);
      const settle = performance.now() - started - abortAt;
      assert.ok(settle < SETTLE_MS, `settled ${settle.toFixed(0)} ms after the abort`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  },
);
