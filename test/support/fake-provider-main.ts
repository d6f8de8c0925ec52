/**
 * Runs the fake provider in its own process (for the benchmark, or by hand):
 *
 *   node fake-provider-main.js [--port 8080] [--api-key KEY] [--event-delay MS]
 *
 * prints one JSON line `{"url": "http://127.0.0.1:PORT", "apiKey": "..."}` to stdout once it
 * listens, and runs until SIGTERM or SIGINT. Needs bundling first, like the tests.
 */
import { startFakeProvider } from './fake-provider';

/** The value of `--name value` or `--name=value`, if given. */
function option(args: readonly string[], name: string): string | undefined {
  for (let at = 0; at < args.length; at++) {
    const arg = args[at]!;
    if (arg === `--${name}`) return args[at + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const portText = option(args, 'port') ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${portText}`);
  const apiKey = option(args, 'api-key');
  // The benchmark runs for long: keep the request log short so memory stays flat.
  const eventDelayMs = option(args, 'event-delay');
  const fake = await startFakeProvider({ port, apiKey, maxRecordedRequests: 1000, ...(eventDelayMs ? { eventDelayMs: Number(eventDelayMs) } : {}) });
  process.stdout.write(`${JSON.stringify({ url: fake.url, apiKey: fake.apiKey })}\n`);
  const stop = (): void => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake provider: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
