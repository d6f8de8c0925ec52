/** The `imagegen` CLI as a separate process, as scripts and CI pipelines run it. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readPngInfo } from '../../../src/core/image/png';
import { encodePng } from '../../../src/core/image/png';
import { startFakeProvider, type FakeProvider } from '../../support/fake-provider';
import { imageInfo, listFolder, temporaryFolder } from '../helpers';
import { writeFileSync } from 'node:fs';

const CLI = join(process.cwd(), 'dist', 'cli.js');

let server: FakeProvider;
before(async () => {
  server = await startFakeProvider();
});
after(() => server.close());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  milliseconds: number;
}

/** Runs the CLI with a clean environment (no inherited keys) plus `env`. */
function cli(args: string[], env: Record<string, string> = {}, options: { interruptAfterMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: options.cwd ?? temporaryFolder() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    if (options.interruptAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), options.interruptAfterMs);
    child.on('close', (code) => resolve({ code, stdout, stderr, milliseconds: Date.now() - started }));
  });
}

const onFake = (provider: 'openai' | 'ofox' | 'aa' | 'modelverse' | 'apimodels' | 'compatible') => ['--provider', provider, '--base-url', server.baseUrl(provider)];
const key = () => ({ IMAGEGEN_API_KEY: server.apiKey });

test('with no key and no network: the placeholder writes a real PNG with its metadata', async () => {
  const out = temporaryFolder();
  const run = await cli(['generate', 'hero banner', '--size', '1536x1024', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${join(out, 'hero-banner.png')}\n`);
  const bytes = readFileSync(join(out, 'hero-banner.png'));
  assert.deepEqual(imageInfo(bytes), { format: 'image/png', width: 1536, height: 1024 });
  const metadata = JSON.parse(readPngInfo(bytes).text.imagegen!);
  assert.equal(metadata.prompt, 'hero banner');
  assert.equal(metadata.provider, 'placeholder');
  assert.equal(metadata.settings.size, '1536x1024');
  assert.equal(run.stderr, '');
});

test('help, version and usage errors', async () => {
  const version = await cli(['--version']);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).version);
  const help = await cli([]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /imagegen generate "<prompt>"/);
  const unknown = await cli(['generate', 'x', '--colour', 'red']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^imagegen: Unknown option '--colour'/);
  assert.match(unknown.stderr, /Run "imagegen --help" for usage/);
  const badN = await cli(['generate', 'x', '--n', 'three']);
  assert.equal(badN.code, 2);
  assert.equal(badN.stderr.split('\n')[0], 'imagegen: --n must be a whole number, got "three".');
  const noImage = await cli(['edit', 'x']);
  assert.equal(noImage.code, 2);
  assert.match(noImage.stderr, /needs at least one --image FILE/);
  const provider = await cli(['generate', 'x', '--provider', 'nope']);
  assert.equal(provider.code, 1);
  assert.match(provider.stderr, /Unknown provider "nope"\. Choose one of: placeholder, openai/);
});

test('openai through the fake: n=2 writes two files, one path per line', async () => {
  const out = temporaryFolder();
  const run = await cli(['generate', 'two apples', '--n', '2', '--size', '1024x1536', '--quality', 'low', '--out', out, ...onFake('openai')], key());
  assert.equal(run.code, 0, run.stderr);
  const paths = run.stdout.trim().split('\n');
  assert.deepEqual(paths, [join(out, 'two-apples.png'), join(out, 'two-apples-2.png')]);
  for (const path of paths) assert.deepEqual(imageInfo(readFileSync(path)), { format: 'image/png', width: 1024, height: 1536 });
  const metadata = JSON.parse(readPngInfo(readFileSync(paths[0]!)).text.imagegen!);
  assert.ok(metadata.revisedPrompt);
  assert.ok(!JSON.stringify(metadata).includes(server.apiKey));
});

test('JPEG gets a .jpg name and a JSON sidecar; the key variable of the provider works too', async () => {
  const out = temporaryFolder();
  const run = await cli(['generate', 'a flower', '--format', 'jpeg', '--size', '1024x1024', '--out', out, ...onFake('modelverse')], { MODELVERSE_API_KEY: server.apiKey });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), join(out, 'a-flower.jpg'));
  assert.deepEqual(imageInfo(readFileSync(join(out, 'a-flower.jpg'))), { format: 'image/jpeg', width: 1024, height: 1024 });
  assert.equal(JSON.parse(readFileSync(join(out, 'a-flower.jpg.json'), 'utf8')).provider, 'modelverse');
});

test('edit with two references and a mask', async () => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'room.png'), encodePng(new Uint8Array(200 * 100 * 3), 200, 100, 3));
  writeFileSync(join(folder, 'cat.png'), encodePng(new Uint8Array(50 * 50 * 3), 50, 50, 3));
  writeFileSync(join(folder, 'mask.png'), encodePng(new Uint8Array(200 * 100 * 4), 200, 100, 4));
  const out = join(folder, 'out');
  const run = await cli(['edit', 'cat on the sofa', '--image', join(folder, 'room.png'), '--image', join(folder, 'cat.png'), '--mask', join(folder, 'mask.png'), '--out', out, ...onFake('openai')], key());
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(imageInfo(readFileSync(run.stdout.trim())), { format: 'image/png', width: 200, height: 100 });
  const wrongMask = await cli(['edit', 'x', '--image', join(folder, 'room.png'), '--mask', join(folder, 'cat.png'), '--out', out, ...onFake('openai')], key());
  assert.equal(wrongMask.code, 1);
  assert.match(wrongMask.stderr, /^imagegen: The mask \(cat\.png\) is 50x50 but the image it masks is 200x100: they must be the same size\.\n$/);
});

test('stream partials report on stderr; apimodels async polls to a file', async () => {
  const out = temporaryFolder();
  const streamed = await cli(['generate', 'streamed', '--stream', '--partials', '2', '--out', out, ...onFake('openai')], key());
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.match(streamed.stderr, /partial 1 of image 1 .*\npartial 2 of image 1/);
  const asynchronous = await cli(['generate', 'lighthouse', '--aspect-ratio', '16:9', '--resolution', '1K', '--out', out, ...onFake('apimodels')], key());
  assert.equal(asynchronous.code, 0, asynchronous.stderr);
  const info = imageInfo(readFileSync(asynchronous.stdout.trim()));
  assert.ok(info.width > info.height);
  assert.match(asynchronous.stderr, /task processing/);
});

test('aa edits with result URLs downloaded; ofox Gemini n=2 as two calls without n; a gateway answering a URL', async () => {
  const folder = temporaryFolder();
  writeFileSync(join(folder, 'photo.png'), encodePng(new Uint8Array(120 * 90 * 3), 120, 90, 3));
  const aa = await cli(['edit', 'snow on the roof', '--image', join(folder, 'photo.png'), '--out', folder, ...onFake('aa')], { AA_API_KEY: server.apiKey });
  assert.equal(aa.code, 0, aa.stderr);
  assert.deepEqual(imageInfo(readFileSync(aa.stdout.trim())), { format: 'image/png', width: 120, height: 90 });
  const refused = await cli(['generate', 'text to image on aa', '--out', folder, ...onFake('aa')], key());
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /only edits images: add a reference image/);

  server.clearRequests();
  const gemini = await cli(['generate', 'two coins', '--n', '2', '--size', '512x512', '--model', 'google/gemini-3.1-flash-image-preview', '--out', folder, ...onFake('ofox')], key());
  assert.equal(gemini.code, 0, gemini.stderr);
  assert.equal(gemini.stdout.trim().split('\n').length, 2);
  assert.match(gemini.stderr, /^warning: .*at most 1 image per call: sending 2 calls/m);
  const calls = server.requests.filter((request) => request.path === '/images/generations');
  assert.equal(calls.length, 2);
  for (const call of calls) assert.ok(!('n' in (call.json as object)));

  server.fault({ kind: 'url-output' });
  const viaUrl = await cli(['generate', 'from a url', '--model', 'flux-dev', '--size', '640x480', '--out', folder, ...onFake('compatible')], key());
  assert.equal(viaUrl.code, 0, viaUrl.stderr);
  assert.deepEqual(imageInfo(readFileSync(viaUrl.stdout.trim())), { format: 'image/png', width: 640, height: 480 });
  assert.match(viaUrl.stderr, /not in ImageGen's catalogue/);
});

test('models lists capabilities, from the gateway for compatible', async () => {
  const ofox = await cli(['models', '--provider', 'ofox']);
  assert.equal(ofox.code, 0, ofox.stderr);
  assert.match(ofox.stdout, /^openai\/gpt-image-2\tgenerate,edit,mask,stream\t/m);
  assert.match(ofox.stdout, /^google\/gemini-3\.1-flash-image-preview\tgenerate\tn<=1\/call\trefs<=0/m);
  const compatible = await cli(['models', '--json', ...onFake('compatible')], key());
  assert.equal(compatible.code, 0, compatible.stderr);
  assert.ok(JSON.parse(compatible.stdout).length >= 2);
});

test('failures: one line on stderr, non-zero exit, no file, no key', async () => {
  const cases: { args: string[]; env: Record<string, string>; fault?: Parameters<FakeProvider['fault']>[0]; message: RegExp }[] = [
    { args: onFake('openai'), env: { IMAGEGEN_API_KEY: 'sk-test-wrong-key-of-the-user-1234' }, message: /^imagegen: OpenAI rejected the API key \(HTTP 401\)/ },
    { args: ['--provider', 'openai'], env: {}, message: /^imagegen: No API key for OpenAI\. Set one with "ImageGen: Set API Key…" \(or set IMAGEGEN_API_KEY or OPENAI_API_KEY\)\./ },
    { args: [...onFake('openai'), '--size', '1000x1000'], env: key(), message: /^imagegen: Size 1000x1000 is not available for OpenAI gpt-image-1\. Choose one of/ },
    { args: onFake('ofox'), env: key(), fault: { kind: 'html', status: 502, times: 3 }, message: /^imagegen: ofox: the gateway returned an HTML error page \(502\)\.$/ },
    { args: onFake('openai'), env: key(), fault: { kind: 'truncated' }, message: /truncated reply/ },
  ];
  for (const { args, env, fault, message } of cases) {
    const out = temporaryFolder();
    if (fault) server.fault(fault);
    const run = await cli(['generate', 'x', '--out', out, ...args], env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr.trim(), message);
    assert.ok(!run.stderr.includes('wrong-key-of-the-user') && !run.stderr.includes(server.apiKey));
    assert.deepEqual(listFolder(out), []);
  }
});

test('Ctrl+C while waiting: exit 130 at once, nothing written', async () => {
  const out = temporaryFolder();
  server.fault({ kind: 'hang' });
  const run = await cli(['generate', 'x', '--out', out, ...onFake('openai')], key(), { interruptAfterMs: 600 });
  assert.equal(run.code, 130);
  assert.equal(run.stderr, 'imagegen: Cancelled; nothing was written.\n');
  assert.ok(run.milliseconds < 3000, `took ${run.milliseconds} ms`);
  assert.deepEqual(listFolder(out), []);
  server.clearFaults();
});
