/**
 * The fake provider for the benchmark, in a process of its own so that serving 25 MB replies never costs the
 * clients being measured any CPU or memory:
 *
 *   node bench/out/fake-server.js
 *
 * prints one JSON line `{"url", "apiKey", "control"}` once both ports listen, and runs until SIGTERM or SIGINT
 * (or until the parent's stdin closes, so a crashed benchmark never leaves it behind).
 *
 * The fake itself lives in test/support and is not changed; what the benchmark adds is a control port, because
 * faults (`huge`, `latency`) are queued on the fake object, which only this process can reach:
 *
 *   POST /fault     body: a FakeFault as JSON (`path` as a string only)   → {"pending": N}
 *   POST /clear     drops queued faults                                  → {"pending": 0}
 *   GET  /pending                                                        → {"pending": N}
 *   GET  /huge      the `huge` fault's PNG: {"sha256", "bytes", "side"}, so clients' files can be checked
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HUGE_IMAGE_SIDE, hugePng, startFakeProvider, type FakeFault, type FakeProvider } from '../test/support/fake-provider';

const API_KEY = 'bench-key-0123456789';

async function readJson(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const chunk of request) parts.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}

function reply(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}

/** Serves the control requests; every failure is answered, never thrown, so the benchmark sees the reason. */
async function control(fake: FakeProvider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const route = `${request.method} ${request.url}`;
  try {
    switch (route) {
      case 'POST /fault':
        fake.fault((await readJson(request)) as FakeFault);
        return reply(response, 200, { pending: fake.pendingFaults() });
      case 'POST /clear':
        fake.clearFaults();
        return reply(response, 200, { pending: 0 });
      case 'GET /pending':
        return reply(response, 200, { pending: fake.pendingFaults() });
      case 'GET /huge': {
        const bytes = hugePng();
        return reply(response, 200, { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, side: HUGE_IMAGE_SIDE });
      }
      default:
        return reply(response, 404, { error: `no control route ${route}` });
    }
  } catch (error) {
    reply(response, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function main(): Promise<void> {
  // The benchmark runs for long: keep the request log short so this process stays flat.
  const fake = await startFakeProvider({ apiKey: API_KEY, maxRecordedRequests: 200 });
  const server = createServer((request, response) => void control(fake, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: fake.url, apiKey: fake.apiKey, control: `http://127.0.0.1:${port}` })}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench fake server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
