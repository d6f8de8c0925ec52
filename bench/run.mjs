/**
 * `npm run bench`: ImageGen against the cheapest ways to do the same job, side by side, in one run.
 *
 *   node esbuild.mjs --production && node bench/run.mjs [--reps N] [--only per-image,streaming,fan-out,start-up]
 *
 * Prints a table per case with PASS/FAIL against the targets and writes bench/RESULTS.md. Not part of `npm test`.
 *
 * Every request goes to the fake provider (test/support/fake-provider.ts) in a process of its own
 * (bench/fake-server.ts adds a control port to queue faults), so serving never costs a measured process CPU or
 * memory. Each client of the per-image case runs in a fresh process per repetition, so each peak RSS is its
 * own; repetitions interleave the clients in a rotating order so drift on the machine hits all alike; medians
 * are reported. The production dist/ is copied to bench/out/build/ first and the copy is measured, since watch
 * builds may rewrite dist/ meanwhile. Every child has a time limit; a failing case prints FAIL with the reason
 * and the run goes on; the fake server is always stopped.
 *
 * --prebuilt measures the bundles already in bench/out/ (build/*.js, imagegen-core.js, fake-server.js) instead
 * of copying dist/ and bundling: put a candidate build there to compare it. Its report goes to
 * bench/out/RESULTS-prebuilt.md, never to bench/RESULTS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const clients = join(root, 'bench', 'clients');

// ---------------------------------------------------------------------------------------------
// Options

function option(name, fallback) {
  const args = process.argv.slice(2);
  for (let at = 0; at < args.length; at++) {
    if (args[at] === `--${name}`) return args[at + 1];
    if (args[at].startsWith(`--${name}=`)) return args[at].slice(name.length + 3);
  }
  return fallback;
}

const reps = Number(option('reps', '5'));
if (!Number.isInteger(reps) || reps < 1) {
  console.error(`--reps must be a whole number >= 1, got ${option('reps')}`);
  process.exit(2);
}
const prebuilt = process.argv.includes('--prebuilt');
const CASES = ['per-image', 'streaming', 'fan-out', 'start-up'];
const only = new Set((option('only', CASES.join(',')) ?? '').split(',').filter(Boolean));
for (const name of only) {
  if (!CASES.includes(name)) {
    console.error(`--only takes ${CASES.join(', ')}; got ${name}`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const median = (values) => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const ms = (value) => (Number.isFinite(value) ? (value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`) : '—');
const mb = (kilobytes) => (Number.isFinite(kilobytes) ? `${(kilobytes / 1024).toFixed(1)} MB` : '—');
const bytesText = (bytes) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(2)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`;
const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '—');
const verdict = (pass) => (pass ? 'PASS' : 'FAIL');

/** One section of the report: a table, checks with PASS/FAIL, and notes. */
class Section {
  constructor(title) {
    this.title = title;
    this.tables = [];
    this.checks = [];
    this.notes = [];
  }
  table(header, rows) {
    this.tables.push({ header, rows });
  }
  check(name, pass, detail) {
    this.checks.push({ name, pass, detail });
  }
  fail(name, reason) {
    this.checks.push({ name, pass: false, detail: reason });
  }
  note(text) {
    this.notes.push(text);
  }
}

function textTable({ header, rows }) {
  const widths = header.map((cell, column) => Math.max(String(cell).length, ...rows.map((row) => String(row[column] ?? '').length)));
  const line = (cells) => cells.map((cell, column) => (column === 0 ? String(cell ?? '').padEnd(widths[column]) : String(cell ?? '').padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable({ header, rows }) {
  const line = (cells) => `| ${cells.map((cell) => String(cell ?? '').replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)].join('\n');
}

function printSection(section) {
  console.log(`\n== ${section.title} ==`);
  for (const table of section.tables) console.log(`${textTable(table)}\n`);
  for (const check of section.checks) console.log(`  ${verdict(check.pass)}  ${check.name}${check.detail ? `  (${check.detail})` : ''}`);
  for (const note of section.notes) console.log(`  note: ${note}`);
}

// ---------------------------------------------------------------------------------------------
// Child processes

const running = new Set();

/**
 * Runs `node ...args` and resolves (never rejects) with its exit, output and wall time, spawn to exit.
 * `measured` preloads report-usage.cjs so the child reports its peak RSS when it exits.
 */
function runNode(args, { env = {}, timeoutMs = 60_000, measured = false, label = 'child' } = {}) {
  const reportFile = measured ? join(out, `report-${process.pid}-${Math.random().toString(36).slice(2)}.json`) : undefined;
  const nodeArgs = measured ? ['-r', join(clients, 'report-usage.cjs'), ...args] : args;
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, nodeArgs, {
      cwd: root,
      env: { ...process.env, ...env, ...(reportFile ? { BENCH_REPORT: reportFile } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code, signal, spawnError) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      running.delete(child);
      let report;
      if (reportFile && existsSync(reportFile)) {
        try {
          report = JSON.parse(readFileSync(reportFile, 'utf8'));
        } catch {
          report = undefined;
        }
        rmSync(reportFile, { force: true });
      }
      const problem = spawnError
        ? `${label} could not start: ${spawnError.message}`
        : timedOut
          ? `${label} timed out after ${timeoutMs / 1000} s`
          : code !== 0
            ? `${label} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 400)}`
            : undefined;
      resolve({ code, signal, stdout, stderr, wallMs, report, problem });
    };
    child.once('error', (error) => finish(null, null, error));
    child.once('exit', (code, signal) => {
      // Let the pipes drain so the last line of output is there.
      let pending = 2;
      const done = () => --pending === 0 && finish(code, signal);
      if (child.stdout.readableEnded) done();
      else child.stdout.once('close', done);
      if (child.stderr.readableEnded) done();
      else child.stderr.once('close', done);
    });
  });
}

/** The last line of a child's stdout that parses as JSON. */
function lastJson(stdout) {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line);
    } catch {
      // not this one
    }
  }
  throw new Error(`no JSON line in the output: ${stdout.slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// The fake provider in its own process

let fakeProcess;
/** What bench/out/build/ holds: sizes and hashes of the production bundles copied from dist/. */
let buildSnapshot = {};

async function startFake() {
  const child = spawn(process.execPath, [join(out, 'fake-server.js')], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  fakeProcess = child;
  const info = await new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('the fake server did not start within 20 s')), 20_000);
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer.slice(0, newline)));
      } catch (error) {
        reject(error);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the fake server exited with ${code} before it listened`));
    });
  });
  child.stdout.resume();
  return info;
}

function stopFake() {
  if (!fakeProcess || fakeProcess.exitCode !== null || fakeProcess.signalCode !== null) return;
  fakeProcess.kill('SIGTERM');
  const child = fakeProcess;
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 3_000).unref();
}

function stopEverything() {
  for (const child of running) child.kill('SIGKILL');
  stopFake();
}
process.on('exit', stopEverything);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopEverything();
    process.exit(130);
  });
}

async function controlCall(fake, method, path, body) {
  const response = await fetch(`${fake.control}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const value = await response.json();
  if (!response.ok) throw new Error(`control ${method} ${path}: ${value.error ?? response.status}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Checking what the clients wrote

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const TEXT_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt']);

/**
 * A valid PNG of side x side whose every chunk's CRC holds, that ends with IEND, and that is byte for byte the
 * image the fake served once text chunks (the CLI's metadata) are left out. Returns a reason, or undefined.
 */
function checkPng(path, side, expectedSha256) {
  if (!path || !existsSync(path)) return `no file at ${path}`;
  const bytes = readFileSync(path);
  if (bytes.length < 45 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'not a PNG (bad signature)';
  const kept = [bytes.subarray(0, 8)];
  let at = 8;
  let last = '';
  let index = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) return `truncated chunk header at byte ${at}`;
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    if (end > bytes.length) return `chunk ${type} runs past the end of the file`;
    const crc = crc32(bytes.subarray(at + 4, at + 8 + length)) >>> 0;
    if (crc !== bytes.readUInt32BE(at + 8 + length)) return `bad CRC in chunk ${type}`;
    if (index === 0) {
      if (type !== 'IHDR') return `first chunk is ${type}, not IHDR`;
      const width = bytes.readUInt32BE(at + 8);
      const height = bytes.readUInt32BE(at + 12);
      if (width !== side || height !== side) return `IHDR says ${width}x${height}, expected ${side}x${side}`;
    }
    if (!TEXT_CHUNKS.has(type)) kept.push(bytes.subarray(at, end));
    last = type;
    at = end;
    index++;
  }
  if (last !== 'IEND') return `last chunk is ${last}, not IEND`;
  const hash = createHash('sha256');
  for (const piece of kept) hash.update(piece);
  if (expectedSha256 && hash.digest('hex') !== expectedSha256) return 'the image data differs from what the fake served';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Cases

/** 1. One 4096x4096 PNG as b64_json (~25 MB of JSON), each client in its own process. */
async function perImage(fake) {
  const section = new Section('1. Per-image overhead: one 4096x4096 PNG as b64_json');
  const huge = await controlCall(fake, 'GET', '/huge');
  const openaiBase = `${fake.url}/openai/v1`;
  const files = join(out, 'files');
  const env = { IMAGEGEN_API_KEY: fake.apiKey };
  const fault = { kind: 'huge', provider: 'openai', path: '/images/generations' };
  // The fake builds the huge PNG and its base64 once; do it now, not in the first measured request.
  await controlCall(fake, 'POST', '/fault', fault);
  const warm = await fetch(`${openaiBase}/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.apiKey}` },
    body: JSON.stringify({ model: 'gpt-image-1', prompt: 'warm-up' }),
  });
  const warmBytes = (await warm.arrayBuffer()).byteLength;
  section.note(`reply: ${bytesText(warmBytes)} of JSON carrying a ${bytesText(huge.bytes)} PNG`);

  const clientList = [
    { id: 'baseline', label: 'idle Node process', args: () => ['-e', ''], fault: false },
    { id: 'floor', label: 'naive floor (fetch+text+JSON.parse)', args: (file) => [join(clients, 'naive-floor.mjs'), openaiBase, file] },
    { id: 'sdk', label: 'openai SDK v6', args: (file) => [join(clients, 'openai-sdk.mjs'), openaiBase, file] },
    { id: 'undici', label: 'bare undici (lower bound)', args: (file) => [join(clients, 'bare-undici.mjs'), openaiBase, file] },
    { id: 'core', label: 'ImageGen core', args: (_file, dir) => [join(out, 'imagegen-core.js'), 'huge', openaiBase, dir] },
    {
      id: 'cli',
      label: 'imagegen generate (CLI process)',
      args: (_file, dir) => [join(build, 'cli.js'), 'generate', 'a benchmark image', '--provider', 'openai', '--base-url', openaiBase, '--out', dir],
    },
  ];
  const samples = Object.fromEntries(clientList.map((client) => [client.id, []]));
  const failures = Object.fromEntries(clientList.map((client) => [client.id, []]));

  for (let rep = 0; rep < reps; rep++) {
    // Rotate the order so no client always runs right after the same other one.
    const order = clientList.map((_, index) => clientList[(index + rep) % clientList.length]);
    for (const client of order) {
      const dir = join(files, `${client.id}-${rep}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${client.id}.png`);
      try {
        await controlCall(fake, 'POST', '/clear');
        if (client.fault !== false) await controlCall(fake, 'POST', '/fault', fault);
        const run = await runNode(client.args(file, dir), { env, measured: true, timeoutMs: 90_000, label: client.label });
        if (run.problem) throw new Error(run.problem);
        if (!run.report) throw new Error('the child wrote no usage report');
        const sample = {
          wallMs: run.wallMs,
          peakRssKb: run.report.peakRssKb,
          maxRssKb: run.report.maxRssKb,
          processCpuMs: run.report.cpuAtExitMs,
          startupMs: Number.NaN,
          waitMs: Number.NaN,
          afterHeadersMs: Number.NaN,
          inProcessMs: Number.NaN,
          cpuMs: Number.NaN,
        };
        if (client.id !== 'baseline') {
          const { pending } = await controlCall(fake, 'GET', '/pending');
          if (pending !== 0) throw new Error('the client never made the request the huge image was queued for');
          const { requestAtMs, headersAtMs, writtenAtMs } = run.report;
          let path;
          let startMs;
          let endMs;
          let cpuMs;
          if (client.id === 'cli') {
            // The CLI is measured from outside: first undici request created → the path printed (after the write).
            path = run.stdout.trim().split('\n').pop();
            startMs = requestAtMs;
            endMs = writtenAtMs;
            cpuMs = run.report.cpuAtWrittenMs - run.report.cpuAtRequestMs;
          } else {
            ({ path, startMs, endMs, cpuMs } = lastJson(run.stdout));
          }
          sample.cpuMs = cpuMs;
          sample.startupMs = startMs;
          sample.waitMs = headersAtMs - startMs;
          sample.afterHeadersMs = endMs - headersAtMs;
          sample.inProcessMs = endMs - startMs;
          const problem = checkPng(path, huge.side, huge.sha256);
          if (problem) throw new Error(`wrote a broken image: ${problem}`);
        }
        samples[client.id].push(sample);
      } catch (error) {
        failures[client.id].push(`rep ${rep + 1}: ${error.message}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  const stat = (id, key) => median(samples[id].map((sample) => sample[key]));
  const baselineRss = stat('baseline', 'peakRssKb');
  const floor = { time: stat('floor', 'inProcessMs'), cpu: stat('floor', 'cpuMs'), wall: stat('floor', 'wallMs'), rss: stat('floor', 'peakRssKb') };
  const rows = clientList.map((client) => {
    const time = stat(client.id, 'inProcessMs');
    const wall = stat(client.id, 'wallMs');
    const rss = stat(client.id, 'peakRssKb');
    const none = client.id === 'baseline';
    return [
      client.label,
      `${samples[client.id].length}/${reps}`,
      none ? '—' : ms(stat(client.id, 'startupMs')),
      none ? '—' : ms(stat(client.id, 'waitMs')),
      none ? '—' : ms(stat(client.id, 'afterHeadersMs')),
      none ? '—' : ms(time),
      none ? '—' : ratio(time / floor.time),
      none ? '—' : ms(stat(client.id, 'cpuMs')),
      none ? '—' : ratio(stat(client.id, 'cpuMs') / floor.cpu),
      ms(wall),
      ratio(wall / floor.wall),
      ms(stat(client.id, 'processCpuMs')),
      mb(rss),
      none ? '—' : mb(rss - baselineRss),
      ratio(rss / floor.rss),
    ];
  });
  section.table(
    ['client', 'ok', 'start→request', 'request→headers', 'headers→file', 'request→file', 'vs floor', 'its CPU', 'vs floor', 'process wall', 'vs floor', 'process CPU', 'peak RSS', 'above idle', 'vs floor'],
    rows,
  );
  section.note(
    [
      'start→request: process start to the request (module loading).',
      "request→headers: mostly the fake serialising its 24 MB reply, the same for every client (fetch-based clients also load Node's built-in fetch here).",
      "headers→file: the client's own work on the body, then the write.",
    ].join(' '),
  );
  section.note('request→file: in-process time from the request start to the file written (the CLI, measured from outside: first undici request created → path printed).');
  section.note(
    [
      'its CPU: CPU time (user + system, every thread, GC included) the client process spent from request to file;',
      "process CPU: the whole process's, start to exit.",
      'Other load on the machine stretches wall times but hardly CPU times, so on a busy machine the CPU columns are the steadier comparison.',
    ].join(' '),
  );
  section.note('process wall: spawn → exit, as the parent sees it. Peak RSS: the whole process\'s VmHWM, read at exit (bench/clients/report-usage.cjs).');
  section.note(
    `not process.resourceUsage().maxRSS: Linux carries the parent's peak over fork+exec into it, so the idle child reported ${mb(stat('baseline', 'maxRssKb'))} maxRSS against ${mb(baselineRss)} VmHWM here`,
  );
  for (const [id, list] of Object.entries(failures)) for (const failure of list) section.fail(`${clientList.find((client) => client.id === id).label} ran`, failure);

  const core = { time: stat('core', 'inProcessMs'), rss: stat('core', 'peakRssKb') };
  const sdkTime = stat('sdk', 'inProcessMs');
  const cli = { wall: stat('cli', 'wallMs'), rss: stat('cli', 'peakRssKb') };
  // Judged on medians; the best of the repetitions is shown too, since other load on the machine only ever adds time.
  const best = (id, key) => Math.min(...samples[id].map((sample) => sample[key]).filter(Number.isFinite));
  const target = (name, value, limit, detail, bestValue, cpuValue) => {
    if (!Number.isFinite(value)) return section.fail(name, 'no samples');
    const extra = [Number.isFinite(bestValue) ? `best of each: ${ratio(bestValue)}` : '', Number.isFinite(cpuValue) ? `CPU time: ${ratio(cpuValue)}` : ''].filter(Boolean);
    section.check(name, value <= limit, `${detail}: ${ratio(value)}, limit ${ratio(limit)}${extra.length ? `; ${extra.join('; ')}` : ''}`);
  };
  const cpuOf = (id) => stat(id, 'cpuMs');
  target(
    'ImageGen request→file ≤ 0.75x the naive floor',
    core.time / floor.time,
    0.75,
    `${ms(core.time)} vs ${ms(floor.time)}`,
    best('core', 'inProcessMs') / best('floor', 'inProcessMs'),
    cpuOf('core') / cpuOf('floor'),
  );
  target(
    'ImageGen ≥ 30% faster than the openai SDK (time ≤ 0.70x)',
    core.time / sdkTime,
    0.7,
    `${ms(core.time)} vs ${ms(sdkTime)}`,
    best('core', 'inProcessMs') / best('sdk', 'inProcessMs'),
    cpuOf('core') / cpuOf('sdk'),
  );
  target('ImageGen peak RSS ≤ 0.6x the floor process peak', core.rss / floor.rss, 0.6, `${mb(core.rss)} vs ${mb(floor.rss)}`);
  target(
    'CLI process no slower than the floor process',
    cli.wall / floor.wall,
    1.0,
    `${ms(cli.wall)} vs ${ms(floor.wall)}`,
    best('cli', 'wallMs') / best('floor', 'wallMs'),
    stat('cli', 'processCpuMs') / stat('floor', 'processCpuMs'),
  );
  target('CLI peak RSS ≤ 0.6x the floor process peak', cli.rss / floor.rss, 0.6, `${mb(cli.rss)} vs ${mb(floor.rss)}`);
  const afterHeaders = (id) => stat(id, 'afterHeadersMs');
  section.note(
    `the client's own share (headers→file), ImageGen vs floor: ${ratio(afterHeaders('core') / afterHeaders('floor'))}, vs openai SDK: ${ratio(afterHeaders('core') / afterHeaders('sdk'))}, vs bare undici: ${ratio(afterHeaders('core') / afterHeaders('undici'))}`,
  );
  section.note(`every file checked: PNG signature, IHDR ${huge.side}x${huge.side}, every chunk's CRC, IEND last, image data identical to the served PNG (sha256; the CLI's metadata chunk aside)`);
  return { section, data: { samples, failures, baselineRss } };
}

/** 2. Streaming through ImageGen core, and readSse's throughput on its own. */
async function streaming(fake) {
  const section = new Section('2. Streaming: stream: true, partial_images: 3 through ImageGen core (gpt-image-2)');
  const openaiBase = `${fake.url}/openai/v1`;
  const env = { IMAGEGEN_API_KEY: fake.apiKey };
  const cases = [
    { label: '2048x2048', size: '2048x2048', huge: false },
    { label: '2880x2880 (2x pixels)', size: '2880x2880', huge: false },
    { label: '2048x2048, huge final (4096² as ~25 MB event)', size: '2048x2048', huge: true },
  ];
  const rows = [];
  const data = {};
  for (const each of cases) {
    const run = await runNode([join(out, 'imagegen-core.js'), 'stream', openaiBase, fake.control, each.size, String(reps), each.huge ? 'huge' : 'normal'], {
      env,
      timeoutMs: 120_000,
      label: `stream ${each.label}`,
    });
    try {
      if (run.problem) throw new Error(run.problem);
      const result = lastJson(run.stdout);
      data[each.label] = result;
      const expectedSide = each.huge ? 4096 : Number(each.size.split('x')[0]);
      if (result.width !== expectedSide || result.partials !== 3) {
        throw new Error(`expected 3 partials and a ${expectedSide}-wide final, got ${result.partials} and ${result.width}x${result.height}`);
      }
      rows.push([each.label, `${result.runs.length}/${reps}`, `${result.partials} × ${bytesText(result.partialBytes / result.partials)}`, bytesText(result.finalBytes), ms(result.firstPartialMs), ms(result.finalMs)]);
    } catch (error) {
      section.fail(`stream ${each.label}`, error.message);
      rows.push([each.label, `0/${reps}`, '—', '—', '—', '—']);
    }
  }
  section.table(['stream', 'ok', 'partials', 'final image', 'first partial', 'final'], rows);
  const small = data['2048x2048'];
  const large = data['2880x2880 (2x pixels)'];
  if (small && large) section.note(`final time 2880² / 2048²: ${ratio(large.finalMs / small.finalMs)} (the fake draws flat images, so bytes barely grow with pixels; its 10 ms between events and 1 ms between pieces dominate)`);
  const hugeRun = data['2048x2048, huge final (4096² as ~25 MB event)'];
  if (small && hugeRun) {
    section.note(
      [
        `a ~25 MB final event adds ${ms(hugeRun.finalMs - small.finalMs)} to the stream.`,
        `Its first partial comes later (${ms(hugeRun.firstPartialMs)}) because the fake serialises every event, the 25 MB one included,`,
        "before it sends the first: server time, not the client's",
      ].join(' '),
    );
  }

  const sseReps = Math.max(reps, 7);
  const sse = await runNode([join(out, 'imagegen-core.js'), 'sse', String(sseReps)], { timeoutMs: 180_000, label: 'readSse throughput' });
  const sseRows = [];
  try {
    if (sse.problem) throw new Error(sse.problem);
    const result = lastJson(sse.stdout);
    data.sse = result;
    for (const [shape, value] of Object.entries(result)) {
      const label = shape === 'large' ? `${bytesText(value.eventBytes)} data lines (partial images)` : `${bytesText(value.eventBytes)} events (many lines)`;
      sseRows.push([
        label,
        `${value.megabytes} MB: ${ms(value.singleCpuMs)}`,
        `${value.megabytes * 2} MB: ${ms(value.doubleCpuMs)}`,
        ratio(value.cpuRatio),
        `${ms(value.singleMs)} / ${ms(value.doubleMs)} (${ratio(value.ratio)})`,
        `${value.mbPerSecond.toFixed(0)} MB/s`,
      ]);
      section.check(
        `readSse linear on ${label}: CPU time(2N)/time(N) in 1.7–2.3`,
        value.cpuRatio >= 1.7 && value.cpuRatio <= 2.3,
        `${ratio(value.cpuRatio)}; medians ${ratio(value.medianCpuRatio)}; wall ${ratio(value.ratio)}`,
      );
    }
  } catch (error) {
    section.fail('readSse throughput', error.message);
  }
  section.table(['readSse over an in-memory stream, 64 KB chunks', 'N (CPU)', '2N (CPU)', 'ratio', 'wall N / 2N', 'throughput (CPU)'], sseRows);
  section.note(
    `readSse is timed on CPU time (user + system, GC included), best of ${sseReps} runs per size after a warm-up, so that other load on the machine does not bend the ratio; wall times (also best) beside it.`,
  );
  return { section, data };
}

/** 3. n=8 on a one-image-per-call model with 300 ms per call: concurrency 4 vs 1. */
async function fanOut(fake) {
  const section = new Section('3. Fan-out: n=8 on ofox Gemini (one image per call), 300 ms latency per call');
  const run = await runNode([join(out, 'imagegen-core.js'), 'fanout', `${fake.url}/ofox/v1`, fake.control, String(reps)], {
    env: { IMAGEGEN_API_KEY: fake.apiKey },
    timeoutMs: 120_000,
    label: 'fan-out',
  });
  let data;
  try {
    if (run.problem) throw new Error(run.problem);
    data = lastJson(run.stdout);
    const speedUp = data.concurrency1Ms / data.concurrency4Ms;
    section.table(
      ['concurrency', 'ok', 'wall time (median)', 'ideal'],
      [
        ['1 (sequential)', `${data.runs['1'].length}/${reps}`, ms(data.concurrency1Ms), '≥ 2400 ms'],
        ['4 (default)', `${data.runs['4'].length}/${reps}`, ms(data.concurrency4Ms), '≥ 600 ms'],
      ],
    );
    section.check('all 8 images came back', data.images === 8, `${data.images} images`);
    section.note(`speed-up of concurrency 4 over 1: ${ratio(speedUp)} (ideal 4.00x)`);
  } catch (error) {
    section.fail('fan-out', error.message);
  }
  return { section, data };
}

/** 4. Activation time of dist/extension.js with a fake vscode, bundle and VSIX size. */
async function startUp() {
  const section = new Section('4. Start-up and size');
  const extension = join(build, 'extension.js');
  const empty = join(out, 'empty-extension.js');
  writeFileSync(empty, "'use strict';\nexports.activate = function () {};\nexports.deactivate = function () {};\n");
  const data = { extension: [], empty: [] };
  const activationReps = Math.max(10, reps * 2);
  const problems = [];
  if (!existsSync(extension)) problems.push('dist/extension.js is missing: run `node esbuild.mjs --production` first (npm run bench does)');
  else {
    for (let rep = 0; rep < activationReps; rep++) {
      for (const [key, path] of [
        ['empty', empty],
        ['extension', extension],
      ]) {
        const lazy = join(build, 'lazy.js');
        const args = [join(clients, 'activate.cjs'), path, root, ...(key === 'extension' && existsSync(lazy) ? [lazy] : [])];
        const run = await runNode(args, { timeoutMs: 30_000, label: `activate ${key}` });
        try {
          if (run.problem) throw new Error(run.problem);
          data[key].push({ ...lastJson(run.stdout), wallMs: run.wallMs });
        } catch (error) {
          problems.push(`${key} rep ${rep + 1}: ${error.message}`);
        }
      }
    }
  }
  const stat = (key, field) => median(data[key].map((sample) => sample[field]));
  const own = stat('extension', 'totalMs') - stat('empty', 'totalMs');
  section.table(
    ['module', 'ok', 'require', 'activate()', 'require+activate', 'process wall'],
    [
      ['empty module (baseline)', `${data.empty.length}/${activationReps}`, ms(stat('empty', 'requireMs')), ms(stat('empty', 'activateMs')), ms(stat('empty', 'totalMs')), ms(stat('empty', 'wallMs'))],
      ['dist/extension.js', `${data.extension.length}/${activationReps}`, ms(stat('extension', 'requireMs')), ms(stat('extension', 'activateMs')), ms(stat('extension', 'totalMs')), ms(stat('extension', 'wallMs'))],
    ],
  );
  const last = data.extension.at(-1);
  if (last) section.note(`activate() registered ${last.commands} commands and pushed ${last.subscriptions} subscriptions (so it really ran against the fake)`);
  const lazyMs = stat('extension', 'lazyMs');
  if (Number.isFinite(lazyMs)) section.note(`the first command then requires dist/lazy.js: ${ms(lazyMs)} (median), paid once, on first use`);
  for (const problem of problems.slice(0, 3)) section.fail('activation run', problem);
  if (Number.isFinite(own)) section.check("activation < 20 ms (extension's own require+activate, minus the empty module)", own < 20, ms(own));
  else section.fail('activation < 20 ms', 'no samples');

  const sizeRows = [];
  for (const file of readdirSync(build).filter((name) => name.endsWith('.js')).sort()) {
    sizeRows.push([`dist/${file}${buildSnapshot[file]?.production === false ? ' (NOT production)' : ''}`, bytesText(statSync(join(build, file)).size)]);
  }
  // The VSIX as `npm run package` makes it (same flags), packaged from a copy of the project whose dist/ is the
  // production build measured above: dist/ itself may be rewritten by a watch build while the benchmark runs.
  const stage = join(out, 'vsix-stage');
  const skip = new Set(['node_modules', '.git', '.vscode-test', 'dist-test', 'dist', 'bench', '.scratch']);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const name of readdirSync(root)) {
    if (skip.has(name) || name.endsWith('.vsix')) continue;
    cpSync(join(root, name), join(stage, name), { recursive: true });
  }
  cpSync(build, join(stage, 'dist'), { recursive: true });
  const vsix = join(out, 'imagegen.vsix');
  // Exactly the flags of package.json's "package" script, so this measures what `npm run package` makes.
  const packageFlags = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.package.split('vsce package')[1].trim().split(/\s+/);
  rmSync(vsix, { force: true });
  const result = spawnSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', ...packageFlags, '-o', vsix], {
    cwd: stage,
    encoding: 'utf8',
    timeout: 180_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const how = `vsce package ${packageFlags.join(' ')}`;
  if (result.status !== 0) {
    const why = (result.error?.message ?? `${result.stderr}\n${result.stdout}`).trim().split('\n').filter(Boolean).slice(-3).join(' / ').slice(0, 400);
    section.fail('VSIX packaged as `npm run package` does', `vsce failed: ${why}`);
  }
  if (result.status === 0 && existsSync(vsix)) {
    const size = statSync(vsix).size;
    const files = /\((\d+) files?,/.exec(result.stdout)?.[1];
    data.vsix = size;
    sizeRows.push(['VSIX', `${bytesText(size)}${files ? `, ${files} files` : ''}`]);
    section.check('VSIX < 1 MB', size < 1024 * 1024, `${bytesText(size)} (${how})`);
    const listing = result.stdout
      .split('\n')
      .filter((line) => /\[[\d.]+ [KM]B\]/.test(line))
      .map((line) => line.replace(/^[\s│├└─]+/, '').trim());
    if (listing.length) section.note(`the VSIX holds: ${listing.join('; ')}`);
    if (!existsSync(join(root, '.vscodeignore'))) section.note('the project has no .vscodeignore: the VSIX packs whatever vsce does not skip by default');
  } else {
    section.fail('VSIX < 1 MB', `vsce failed: ${whyFailed(result)}`);
  }
  section.table(['artifact', 'size'], sizeRows);
  return { section, data: { ...data, own } };
}

// ---------------------------------------------------------------------------------------------
// Main

const build = join(out, 'build');

/**
 * Copies the production dist/cli.js and dist/extension.js into bench/out/build/ and measures those copies:
 * dist/ is shared with watch builds and test runs that may rewrite it (with source maps, unminified) while the
 * benchmark runs. A dist/ that is not a production build (it names a source map) is rebuilt first.
 */
function snapshotBuild() {
  const files = ['cli.js', 'extension.js'];
  const describe = (bytes) => ({
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    production: !bytes.toString('latin1', Math.max(0, bytes.length - 200)).includes('sourceMappingURL'),
  });
  if (prebuilt) return { snapshot: Object.fromEntries(files.map((file) => [file, describe(readFileSync(join(build, file)))])), rebuilt: false };
  const isProduction = (file) => {
    const path = join(root, 'dist', file);
    if (!existsSync(path)) return false;
    const tail = readFileSync(path, 'latin1').slice(-200);
    return !tail.includes('sourceMappingURL');
  };
  let rebuilt = false;
  if (!files.every(isProduction)) {
    const result = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`node esbuild.mjs --production failed: ${(result.stderr || result.error?.message || '').slice(0, 300)}`);
    rebuilt = true;
  }
  rmSync(build, { recursive: true, force: true });
  mkdirSync(build, { recursive: true });
  // All of dist/ but source maps, so the VSIX can be packaged from the same production build.
  cpSync(join(root, 'dist'), build, { recursive: true, filter: (source) => !source.endsWith('.map') });
  const snapshot = Object.fromEntries(files.map((file) => [file, describe(readFileSync(join(build, file)))]));
  return { snapshot, rebuilt };
}

async function bundle() {
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', legalComments: 'none' };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [join(root, 'bench', 'fake-server.ts')], outfile: join(out, 'fake-server.js') }),
    // Minified like dist/cli.js, so the library case runs the code the CLI ships.
    esbuild.build({ ...common, minify: true, entryPoints: [join(clients, 'imagegen-core.ts')], outfile: join(out, 'imagegen-core.js') }),
  ]);
}

function machine() {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model?.trim() ?? 'unknown',
    cores: cpuList.length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB (${(freemem() / 1024 ** 3).toFixed(1)} GiB free at start)`,
    node: process.version,
    os: `${process.platform} ${release()}`,
    load: loadavg()[0].toFixed(2),
  };
}

function markdown(sections, info, seconds) {
  const lines = [
    '# ImageGen benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString()}; run it again rather than editing this file.`,
    '',
    `- Machine: ${info.cpu}, ${info.cores} cores, ${info.memory}`,
    `- Node ${info.node} on ${info.os}`,
    `- Repetitions: ${reps} (medians reported); total run ${seconds.toFixed(0)} s`,
    `- Load average (1 min) at the start: ${info.load}, at the end: ${loadavg()[0].toFixed(2)}. Anything above ~0.5 on this ${info.cores}-core machine` +
      ' means other work competed with the benchmark; read the ratios with that in mind.',
    '- Every request goes to the fake provider (test/support/fake-provider.ts) in its own process, over loopback.',
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '');
    for (const table of section.tables) lines.push(markdownTable(table), '');
    if (section.checks.length) {
      for (const check of section.checks) lines.push(`- **${verdict(check.pass)}** ${check.name}${check.detail ? ` — ${check.detail}` : ''}`);
      lines.push('');
    }
    for (const note of section.notes) lines.push(`- ${note}`);
    if (section.notes.length) lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

async function main() {
  const startedAt = performance.now();
  mkdirSync(out, { recursive: true });
  const info = machine();
  console.log(`ImageGen benchmark: ${reps} repetitions`);
  console.log(`machine: ${info.cpu}, ${info.cores} cores, ${info.memory}; Node ${info.node}, ${info.os}; load average ${info.load}`);
  const { snapshot, rebuilt } = snapshotBuild();
  buildSnapshot = snapshot;
  for (const [file, facts] of Object.entries(snapshot)) {
    const origin = prebuilt ? 'PREBUILT: bench/out/build/ as found' : `measured from a copy in bench/out/build/${rebuilt ? ' (rebuilt by the benchmark)' : ''}`;
    console.log(`dist/${file}: ${bytesText(facts.bytes)}, ${facts.production ? 'production build' : 'NOT a production build'}, ${origin}`);
  }

  const sections = [];
  const record = (section) => {
    printSection(section);
    sections.push(section);
  };
  if (!prebuilt) await bundle();
  let fake;
  try {
    if (only.has('per-image') || only.has('streaming') || only.has('fan-out')) fake = await startFake();
    const cases = [
      ['per-image', () => perImage(fake)],
      ['streaming', () => streaming(fake)],
      ['fan-out', () => fanOut(fake)],
      ['start-up', () => startUp()],
    ];
    for (const [name, run] of cases) {
      if (!only.has(name)) continue;
      try {
        record((await run()).section);
      } catch (error) {
        const section = new Section(name);
        section.fail(name, error.stack ?? error.message);
        record(section);
      }
    }
  } finally {
    stopFake();
    rmSync(join(out, 'files'), { recursive: true, force: true });
  }
  const seconds = (performance.now() - startedAt) / 1000;
  // A candidate build (--prebuilt) must not pass for the project's numbers.
  const resultsPath = prebuilt ? join(out, 'RESULTS-prebuilt.md') : join(root, 'bench', 'RESULTS.md');
  writeFileSync(resultsPath, markdown(sections, info, seconds));
  const failed = sections.flatMap((section) => section.checks).filter((check) => !check.pass);
  console.log(`\n${failed.length ? `${failed.length} check(s) FAILED` : 'all checks passed'}; ${seconds.toFixed(0)} s; load average ${loadavg()[0].toFixed(2)}; wrote ${relative(root, resultsPath)}`);
}

main().catch((error) => {
  console.error(error);
  stopEverything();
  process.exitCode = 1;
});
