/**
 * The naive floor: what anyone writes first. Global fetch, the whole body as text, JSON.parse, decode, write.
 *
 *   IMAGEGEN_API_KEY=… node naive-floor.mjs BASE_URL OUT_FILE
 *
 * Prints `{"startMs", "endMs", "cpuMs", "path"}`: performance.now() at the request's start and once the file is
 * written, and the CPU time (user + system, all threads) spent in between.
 */
import { writeFileSync } from 'node:fs';

const [baseUrl, outFile] = process.argv.slice(2);
const start = performance.now();
const cpu = process.cpuUsage();
const response = await fetch(`${baseUrl}/images/generations`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.IMAGEGEN_API_KEY}` },
  body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a benchmark image' }),
});
if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
const text = await response.text();
const json = JSON.parse(text);
const bytes = Buffer.from(json.data[0].b64_json, 'base64');
writeFileSync(outFile, bytes);
const end = performance.now();
const { user, system } = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ startMs: start, endMs: end, cpuMs: (user + system) / 1000, path: outFile })}\n`);
