/**
 * ImageGen's core as a library, the way the CLI and the extension use it. Bundled by bench/run.mjs into
 * bench/out/imagegen-core.js; one case per process, its result as one JSON line on stdout.
 *
 *   huge    BASE_URL OUT_DIR                      one image (the parent queued the `huge` fault), written to disk;
 *                                                 `{startMs, endMs, cpuMs, path}`: performance.now() at the request's
 *                                                 start and once the file is written, CPU time in between
 *   stream  BASE_URL CONTROL SIZE REPS HUGE       stream: true, partial_images: 3 on gpt-image-2; time to the first
 *                                                 partial and to the final image, REPS times after a warm-up
 *   fanout  BASE_URL CONTROL REPS                 n=8 on ofox Gemini (one image per call), 300 ms latency per call,
 *                                                 concurrency 4 and 1 alternately
 *   sse     REPS                                  readSse over in-memory streams of N and 2N MB
 *
 * The key comes from IMAGEGEN_API_KEY. CONTROL is the bench fake server's control port (bench/fake-server.ts).
 */
import { writeImageFile } from '../../src/core/file-output';
import { generateImages } from '../../src/core/generate';
import { createImageModel } from '../../src/core/providers/registry';
import { readSse } from '../../src/core/sse';

const apiKey = process.env.IMAGEGEN_API_KEY;

async function queueFault(control: string, fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${control}/fault`, { method: 'POST', body: JSON.stringify(fault) });
  if (!response.ok) throw new Error(`queueing ${JSON.stringify(fault)}: ${await response.text()}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function huge(baseUrl: string, outDir: string): Promise<unknown> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const model = createImageModel({ provider: 'openai', model: 'gpt-image-1', baseUrl, apiKey });
  const result = await generateImages(model, { prompt: 'a benchmark image' });
  const path = await writeImageFile(outDir, 'imagegen-core.png', result.images[0]!.bytes);
  const end = performance.now();
  const { user, system } = process.cpuUsage(cpu);
  return { startMs: start, endMs: end, cpuMs: (user + system) / 1000, path };
}

async function stream(baseUrl: string, control: string, size: string, reps: number, hugeFinal: boolean): Promise<unknown> {
  const model = createImageModel({ provider: 'openai', model: 'gpt-image-2', baseUrl, apiKey });
  const runs: { firstPartialMs: number; finalMs: number; partials: number; partialBytes: number; finalBytes: number; width: number; height: number }[] = [];
  // The first run warms the fake's render cache and this process's JIT; it is not counted.
  for (let rep = 0; rep <= reps; rep++) {
    if (hugeFinal) await queueFault(control, { kind: 'huge', provider: 'openai', path: '/images/generations' });
    let firstPartialMs = Number.NaN;
    let partials = 0;
    let partialBytes = 0;
    const start = performance.now();
    const result = await generateImages(
      model,
      { prompt: 'a streamed benchmark image', size, stream: true, partialImages: 3 },
      {
        onPartial: (partial) => {
          if (partials === 0) firstPartialMs = performance.now() - start;
          partials++;
          partialBytes += partial.bytes.length;
        },
      },
    );
    const finalMs = performance.now() - start;
    const image = result.images[0]!;
    if (rep > 0) runs.push({ firstPartialMs, finalMs, partials, partialBytes, finalBytes: image.bytes.length, width: image.width, height: image.height });
  }
  return {
    runs,
    firstPartialMs: median(runs.map((run) => run.firstPartialMs)),
    finalMs: median(runs.map((run) => run.finalMs)),
    partials: runs[0]!.partials,
    partialBytes: runs[0]!.partialBytes,
    finalBytes: runs[0]!.finalBytes,
    width: runs[0]!.width,
    height: runs[0]!.height,
  };
}

async function fanout(baseUrl: string, control: string, reps: number): Promise<unknown> {
  const model = createImageModel({ provider: 'ofox', model: 'google/gemini-3.1-flash-image-preview', baseUrl, apiKey });
  const times: Record<'4' | '1', number[]> = { '4': [], '1': [] };
  let images = 0;
  for (let rep = 0; rep <= reps; rep++) {
    for (const concurrency of [4, 1] as const) {
      await queueFault(control, { kind: 'latency', ms: 300, times: 8, provider: 'ofox', path: '/images/generations' });
      const start = performance.now();
      const result = await generateImages(model, { prompt: 'a fanned-out benchmark image', n: 8 }, { concurrency });
      const ms = performance.now() - start;
      images = result.images.length;
      if (rep > 0) times[String(concurrency) as '4' | '1'].push(ms);
    }
  }
  return { concurrency4Ms: median(times['4']), concurrency1Ms: median(times['1']), runs: times, images };
}

/**
 * An SSE stream of about `megabytes` MB as it would come off a socket, cut into 64 KB chunks at arbitrary offsets
 * (never on line ends): a 16 MB block of whole events, its chunks yielded again and again, so a long stream
 * costs no more memory than one block.
 */
function sseBlock(eventBytes: number): Buffer[] {
  const payload = Buffer.alloc(eventBytes, 'QUJD');
  const head = Buffer.from('event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","b64_json":"');
  const tail = Buffer.from('","partial_image_index":0}\n\n');
  const event = Buffer.concat([head, payload, tail]);
  const block = Buffer.concat(Array.from({ length: Math.ceil((16 * 1024 * 1024) / event.length) }, () => event));
  const chunks: Buffer[] = [];
  for (let at = 0; at < block.length; at += 65_521) chunks.push(block.subarray(at, at + 65_521));
  return chunks;
}

async function readAll(block: Buffer[], megabytes: number): Promise<{ ms: number; cpuMs: number; events: number; dataBytes: number }> {
  const blockBytes = block.reduce((total, chunk) => total + chunk.length, 0);
  const repeats = Math.max(1, Math.round((megabytes * 1024 * 1024) / blockBytes));
  async function* source(): AsyncGenerator<Buffer> {
    for (let repeat = 0; repeat < repeats; repeat++) for (const chunk of block) yield chunk;
  }
  let events = 0;
  let dataBytes = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  for await (const event of readSse(source())) {
    events++;
    for (const piece of event.data) dataBytes += piece.length;
  }
  const { user, system } = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (user + system) / 1000, events, dataBytes };
}

/** readSse alone over N and 2N MB, for two shapes of stream; each shape has its own N so each run lasts long enough to time. */
async function sse(reps: number): Promise<unknown> {
  const shapes = {
    large: { eventBytes: 700 * 1024, megabytes: 1024 },
    small: { eventBytes: 2 * 1024, megabytes: 128 },
  };
  const out: Record<string, unknown> = {};
  for (const [shape, { eventBytes, megabytes }] of Object.entries(shapes)) {
    const block = sseBlock(eventBytes);
    const times: Record<'single' | 'double', number[]> = { single: [], double: [] };
    const cpuTimes: Record<'single' | 'double', number[]> = { single: [], double: [] };
    const counts: Record<string, { events: number; dataBytes: number }> = {};
    // Warm-up until the JIT has settled (the first rounds run at lower tiers), then N and 2N alternately so drift
    // hits both alike. The best run of each size is compared: this is deterministic work, and anything else on the
    // machine (or a GC of the other size's garbage) only ever adds to a run.
    for (let round = 0; round < 6; round++) {
      await readAll(block, megabytes);
      await readAll(block, megabytes * 2);
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const size of ['single', 'double'] as const) {
        const { ms, cpuMs, events, dataBytes } = await readAll(block, size === 'single' ? megabytes : megabytes * 2);
        times[size].push(ms);
        cpuTimes[size].push(cpuMs);
        counts[size] = { events, dataBytes };
      }
    }
    const singleMs = Math.min(...times.single);
    const doubleMs = Math.min(...times.double);
    const singleCpuMs = Math.min(...cpuTimes.single);
    const doubleCpuMs = Math.min(...cpuTimes.double);
    out[shape] = {
      eventBytes,
      megabytes,
      singleMs,
      doubleMs,
      ratio: doubleMs / singleMs,
      singleCpuMs,
      doubleCpuMs,
      cpuRatio: doubleCpuMs / singleCpuMs,
      medianCpuRatio: median(cpuTimes.double) / median(cpuTimes.single),
      mbPerSecond: (megabytes * 2) / (doubleCpuMs / 1000),
      runs: cpuTimes,
      counts,
    };
  }
  return out;
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  let result: unknown;
  switch (mode) {
    case 'huge':
      result = await huge(args[0]!, args[1]!);
      break;
    case 'stream':
      result = await stream(args[0]!, args[1]!, args[2]!, Number(args[3]), args[4] === 'huge');
      break;
    case 'fanout':
      result = await fanout(args[0]!, args[1]!, Number(args[2]));
      break;
    case 'sse':
      result = await sse(Number(args[0]));
      break;
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`imagegen-core child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
