/**
 * The official openai SDK (v6), as its README shows it: images.generate, then decode and write.
 *
 *   IMAGEGEN_API_KEY=… node openai-sdk.mjs BASE_URL OUT_FILE
 *
 * Prints `{"startMs", "endMs", "cpuMs", "path"}`: performance.now() at the request's start and once the file is
 * written, and the CPU time (user + system, all threads) spent in between.
 */
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';

const [baseUrl, outFile] = process.argv.slice(2);
const start = performance.now();
const cpu = process.cpuUsage();
const client = new OpenAI({ baseURL: baseUrl, apiKey: process.env.IMAGEGEN_API_KEY });
const result = await client.images.generate({ model: 'gpt-image-1', prompt: 'a benchmark image' });
const bytes = Buffer.from(result.data[0].b64_json, 'base64');
writeFileSync(outFile, bytes);
const end = performance.now();
const { user, system } = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ startMs: start, endMs: end, cpuMs: (user + system) / 1000, path: outFile })}\n`);
