/**
 * The lower bound: undici.request, the body read chunk by chunk, the `b64_json` value found in the raw bytes and
 * decoded piece by piece straight into the file. No JSON parse, no body string, no whole image in memory.
 * (It trusts the reply's shape: a benchmark floor, not a client to ship.)
 *
 *   IMAGEGEN_API_KEY=… node bare-undici.mjs BASE_URL OUT_FILE
 *
 * Prints `{"startMs", "endMs", "cpuMs", "path"}`: performance.now() at the request's start and once the file is
 * written, and the CPU time (user + system, all threads) spent in between.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { request } from 'undici';

const [baseUrl, outFile] = process.argv.slice(2);
const KEY = Buffer.from('"b64_json"');
const QUOTE = 0x22;

const start = performance.now();
const cpu = process.cpuUsage();
const { statusCode, body } = await request(`${baseUrl}/images/generations`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.IMAGEGEN_API_KEY}` },
  body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a benchmark image' }),
});
if (statusCode !== 200) throw new Error(`HTTP ${statusCode}: ${(await body.text()).slice(0, 200)}`);

let state = 'key'; // key → colon-and-quote → value → done
let tail = Buffer.alloc(0); // the end of the previous chunk, so a key split across chunks is still found
let carry = ''; // base64 characters short of a group of four
const fd = openSync(outFile, 'w');
for await (const chunk of body) {
  let at = 0;
  if (state === 'key') {
    const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    const found = window.indexOf(KEY);
    if (found === -1) {
      tail = window.subarray(Math.max(0, window.length - KEY.length));
      continue;
    }
    at = found + KEY.length - tail.length;
    state = 'open';
  }
  if (state === 'open') {
    const quote = chunk.indexOf(QUOTE, at);
    if (quote === -1) continue;
    at = quote + 1;
    state = 'value';
  }
  if (state === 'value') {
    const quote = chunk.indexOf(QUOTE, at);
    const text = carry + chunk.toString('latin1', at, quote === -1 ? chunk.length : quote);
    const usable = quote === -1 ? text.length - (text.length % 4) : text.length;
    carry = text.slice(usable);
    if (usable > 0) writeSync(fd, Buffer.from(usable === text.length ? text : text.slice(0, usable), 'base64'));
    if (quote !== -1) state = 'done';
  }
}
closeSync(fd);
if (state !== 'done') throw new Error(`the reply ended before the image did (state ${state})`);
const end = performance.now();
const { user, system } = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ startMs: start, endMs: end, cpuMs: (user + system) / 1000, path: outFile })}\n`);
