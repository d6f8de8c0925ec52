/// <reference types="mocha" />
// The commands end to end inside the real extension host, against the fake provider server on 127.0.0.1:
// files on disk with the right bytes and metadata, cancel and failures leave nothing, the mask checks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readPngInfo } from '../../../src/core/image/png';
import { encodePng } from '../../../src/core/image/png';
import { sniffImage } from '../../../src/core/image/sniff';
import type { ImageGenApi } from '../../../src/extension';
import type { JobOutcome } from '../../../src/vscode/image-jobs';
import { startFakeProvider, type FakeProvider } from '../../support/fake-provider';

const EXTENSION_ID = 'imagegen.imagegen';

let server: FakeProvider;
let api: ImageGenApi;
let workspace: vscode.Uri;
let output: string;

async function configure(values: Record<string, unknown>): Promise<void> {
  const configuration = vscode.workspace.getConfiguration('imagegen');
  for (const [key, value] of Object.entries(values)) await configuration.update(key, value, vscode.ConfigurationTarget.Global);
}

function outputFiles(): string[] {
  return fs.existsSync(output) ? fs.readdirSync(output).sort() : [];
}

function info(uri: vscode.Uri): { format: string; width: number; height: number } {
  const sniffed = sniffImage(fs.readFileSync(uri.fsPath));
  assert.ok(sniffed, `${uri.fsPath} is an image`);
  return { format: sniffed.mediaType, width: sniffed.width, height: sniffed.height };
}

function writeImage(name: string, width: number, height: number, alpha = false): vscode.Uri {
  const file = path.join(workspace.fsPath, 'art', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePng(new Uint8Array(width * height * (alpha ? 4 : 3)).fill(alpha ? 0 : 128), width, height, alpha ? 4 : 3));
  return vscode.Uri.file(file);
}

suite('commands', () => {
  suiteSetup(async () => {
    server = await startFakeProvider();
    workspace = vscode.workspace.workspaceFolders![0]!.uri;
    output = path.join(workspace.fsPath, 'assets', 'generated');
    const extension = vscode.extensions.getExtension<ImageGenApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await configure({
      provider: 'openai',
      model: 'gpt-image-1',
      baseUrls: Object.fromEntries((['openai', 'ofox', 'modelverse', 'apimodels', 'aa', 'compatible'] as const).map((id) => [id, server.baseUrl(id)])),
      stream: true,
      insertLinkAfterSelection: 'always',
    });
    for (const provider of ['openai', 'ofox', 'modelverse', 'apimodels', 'aa']) await api.setApiKey(provider, server.apiKey);
  });

  suiteTeardown(async () => {
    await server.close();
  });

  setup(() => {
    server.clearFaults();
    server.clearRequests();
  });

  test('Generate Image writes the PNG into assets/generated with its metadata, and opens it', async () => {
    const outcome = (await vscode.commands.executeCommand('imagegen.generate', { prompt: 'a red apple on a table', request: { size: '1536x1024' } })) as JobOutcome;
    assert.ok(outcome, 'the command produced images');
    const uri = outcome.saved[0]!.uri;
    assert.equal(uri.fsPath, path.join(output, 'a-red-apple-on-a-table.png'));
    assert.deepEqual(info(uri), { format: 'image/png', width: 1536, height: 1024 });
    const metadata = JSON.parse(readPngInfo(fs.readFileSync(uri.fsPath)).text.imagegen!);
    assert.equal(metadata.prompt, 'a red apple on a table');
    assert.equal(metadata.provider, 'openai');
    assert.equal(metadata.model, 'gpt-image-1');
    assert.equal(metadata.settings.size, '1536x1024');
    const sent = server.requests.find((request) => request.path === '/images/generations')!.json as Record<string, unknown>;
    assert.equal(sent.stream, true, 'streaming on by default for a model that streams');
    const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
    assert.equal(active?.uri?.fsPath, uri.fsPath, 'the image is opened');
    assert.ok(!outputFiles().some((name) => name.endsWith('.part')), 'no temporary file left');
  });

  test('n images on a one-per-call model: all saved under unique names', async () => {
    const before = outputFiles();
    const outcome = (await vscode.commands.executeCommand('imagegen.generate', {
      prompt: 'game coin',
      provider: 'ofox',
      model: 'google/gemini-3.1-flash-image-preview',
      request: { n: 3, size: '512x512' },
    })) as JobOutcome;
    assert.equal(outcome.saved.length, 3);
    assert.deepEqual(
      outcome.saved.map((image) => path.basename(image.uri.fsPath)),
      ['game-coin.png', 'game-coin-2.png', 'game-coin-3.png'],
    );
    for (const image of outcome.saved) assert.deepEqual(info(image.uri), { format: 'image/png', width: 512, height: 512 });
    assert.equal(server.requests.length, 3);
    assert.equal(outputFiles().length, before.length + 3);
  });

  test('JPEG output gets a .jpg name and a JSON sidecar', async () => {
    const outcome = (await vscode.commands.executeCommand('imagegen.generate', { prompt: 'photo of a desk', provider: 'modelverse', model: 'gpt-image-1', request: { format: 'jpeg', size: '1024x1024' } })) as JobOutcome;
    const uri = outcome.saved[0]!.uri;
    assert.equal(path.basename(uri.fsPath), 'photo-of-a-desk.jpg');
    assert.deepEqual(info(uri), { format: 'image/jpeg', width: 1024, height: 1024 });
    const sidecar = JSON.parse(fs.readFileSync(`${uri.fsPath}.json`, 'utf8'));
    assert.equal(sidecar.provider, 'modelverse');
    assert.equal(sidecar.settings.format, 'jpeg');
  });

  test('Edit Image with Mask: several references, the first edited; result has its size', async () => {
    const room = writeImage('room.png', 320, 240);
    const cat = writeImage('cat.png', 64, 64);
    const mask = writeImage('room-mask.png', 320, 240, true);
    const outcome = (await vscode.commands.executeCommand('imagegen.editImageWithMask', { images: [room, cat], mask, prompt: 'a cat on the sofa' })) as JobOutcome;
    assert.deepEqual(info(outcome.saved[0]!.uri), { format: 'image/png', width: 320, height: 240 });
    const request = server.requests.find((item) => item.path === '/images/edits')!;
    assert.deepEqual(request.files!.map((file) => [file.field, file.filename]), [
      ['image[]', 'room.png'],
      ['image[]', 'cat.png'],
      ['mask', 'room-mask.png'],
    ]);
    const metadata = JSON.parse(readPngInfo(fs.readFileSync(outcome.saved[0]!.uri.fsPath)).text.imagegen!);
    assert.deepEqual(metadata.references, ['art/room.png', 'art/cat.png']);
    assert.equal(metadata.mask, 'art/room-mask.png');
  });

  test('a mask of the wrong size, or without alpha, is refused before any request', async () => {
    const before = outputFiles();
    const room = writeImage('room2.png', 320, 240);
    for (const mask of [writeImage('small-mask.png', 100, 100, true), writeImage('opaque-mask.png', 320, 240, false)]) {
      const outcome = await vscode.commands.executeCommand('imagegen.editImageWithMask', { images: [room], mask, prompt: 'x' });
      assert.equal(outcome, undefined);
    }
    assert.equal(server.requests.length, 0);
    assert.deepEqual(outputFiles(), before);
  });

  test('Cancel while waiting aborts the request and leaves no file', async () => {
    const before = outputFiles();
    server.fault({ kind: 'hang' });
    const source = new vscode.CancellationTokenSource();
    setTimeout(() => source.cancel(), 500);
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand('imagegen.generate', { prompt: 'never finishes', cancellation: source.token });
    assert.equal(outcome, undefined);
    assert.ok(Date.now() - started < 3000, `returned ${Date.now() - started} ms after start`);
    assert.deepEqual(outputFiles(), before);
  });

  test('missing and wrong keys: no image, no file, and the key is never sent elsewhere', async () => {
    const before = outputFiles();
    await vscode.commands.executeCommand('imagegen.clearApiKey', 'openai');
    assert.equal(await vscode.commands.executeCommand('imagegen.generate', { prompt: 'no key' }), undefined);
    assert.equal(server.requests.length, 0, 'nothing sent without a key');
    await api.setApiKey('openai', 'sk-test-integration-wrong-key-0123');
    assert.equal(await vscode.commands.executeCommand('imagegen.generate', { prompt: 'wrong key' }), undefined);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]!.headers.authorization, 'Bearer sk-test-integration-wrong-key-0123');
    assert.deepEqual(outputFiles(), before);
    await api.setApiKey('openai', server.apiKey);
  });

  test('Regenerate re-runs the prompt and settings recorded in the image', async () => {
    const first = (await vscode.commands.executeCommand('imagegen.generate', { prompt: 'pixel art tree', request: { size: '1024x1536', quality: 'low' } })) as JobOutcome;
    server.clearRequests();
    const again = (await vscode.commands.executeCommand('imagegen.regenerate', first.saved[0]!.uri)) as JobOutcome;
    assert.equal(path.basename(again.saved[0]!.uri.fsPath), 'pixel-art-tree-2.png');
    assert.deepEqual(info(again.saved[0]!.uri), { format: 'image/png', width: 1024, height: 1536 });
    const sent = server.requests[0]!.json as Record<string, unknown>;
    assert.equal(sent.prompt, 'pixel art tree');
    assert.equal(sent.quality, 'low');
    assert.equal(sent.size, '1024x1536');
  });

  test('Generate Image from Selection in Markdown inserts a link after the selection', async () => {
    const file = path.join(workspace.fsPath, 'docs', 'README.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '# Docs\n\nA lighthouse at dusk, watercolour\n');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(2, 0, 2, 33);
    const outcome = (await vscode.commands.executeCommand('imagegen.generateFromSelection')) as JobOutcome;
    assert.equal(path.basename(outcome.saved[0]!.uri.fsPath), 'a-lighthouse-at-dusk-watercolour.png');
    assert.match(editor.document.getText(), /A lighthouse at dusk, watercolour\n\n!\[A lighthouse at dusk, watercolour\]\(\.\.\/assets\/generated\/a-lighthouse-at-dusk-watercolour\.png\)\n/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('the placeholder provider works with no key and no network', async () => {
    const outcome = (await vscode.commands.executeCommand('imagegen.generate', { prompt: 'offline hero', provider: 'placeholder', request: { size: '800x400' } })) as JobOutcome;
    assert.deepEqual(info(outcome.saved[0]!.uri), { format: 'image/png', width: 800, height: 400 });
    assert.equal(server.requests.length, 0);
  });

  test('invalid settings fall back to their defaults instead of failing the command', async () => {
    await configure({ 'defaults.n': 0, 'defaults.size': 'huge', outputFolder: '../outside' });
    try {
      const outcome = (await vscode.commands.executeCommand('imagegen.generate', { prompt: 'fallback check', provider: 'placeholder' })) as JobOutcome;
      assert.equal(outcome.saved.length, 1);
      assert.equal(outcome.saved[0]!.uri.fsPath, path.join(output, 'fallback-check.png'));
      assert.deepEqual(info(outcome.saved[0]!.uri), { format: 'image/png', width: 1024, height: 1024 });
    } finally {
      await configure({ 'defaults.n': undefined, 'defaults.size': undefined, outputFolder: undefined });
    }
  });

  test('the test key appears in no log, setting or file', async () => {
    await vscode.commands.executeCommand('imagegen.showLog');
    // Give the log channel a moment to flush to disk.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const roots = [path.dirname(workspace.fsPath), process.env.IMAGEGEN_TEST_USER_DATA].filter((root): root is string => !!root);
    const needles = [server.apiKey, 'sk-test-integration-wrong-key-0123'];
    const hits: string[] = [];
    let scanned = 0;
    const visit = (entry: string) => {
      const stat = fs.lstatSync(entry);
      if (stat.isDirectory()) {
        for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
      } else if (stat.isFile() && stat.size < 64 * 1024 * 1024) {
        scanned++;
        const text = fs.readFileSync(entry).toString('latin1');
        for (const needle of needles) if (text.includes(needle)) hits.push(`${entry} contains ${needle.slice(0, 6)}…`);
      }
    };
    for (const root of roots) visit(root);
    assert.ok(scanned > 10, `scanned ${scanned} files`);
    assert.deepEqual(hits, []);
  });
});

suite('missing image quick fix', () => {
  test('an <img> pointing at a missing file offers "Generate placeholder" that writes it there, at the tag size', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const workspaceUri = vscode.workspace.workspaceFolders![0]!.uri;
    const page = path.join(workspaceUri.fsPath, 'site', 'index.html');
    fs.mkdirSync(path.dirname(page), { recursive: true });
    fs.writeFileSync(page, '<html><body>\n<img src="img/hero.png" width="640" height="360" alt="hero banner">\n</body></html>\n');
    const document = await vscode.workspace.openTextDocument(page);
    await vscode.window.showTextDocument(document);
    const actions = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', document.uri, new vscode.Range(1, 12, 1, 12))) as vscode.CodeAction[];
    const titles = actions.map((action) => action.title);
    const fix = actions.find((action) => action.title === 'Generate placeholder hero.png 640x360');
    assert.ok(fix?.command, `offered: ${titles.join(' | ')}`);
    assert.ok(titles.includes('Generate image hero.png from "hero banner"'));
    const written = (await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []))) as vscode.Uri;
    const target = path.join(workspaceUri.fsPath, 'site', 'img', 'hero.png');
    assert.equal(written.fsPath, target);
    const sniffed = sniffImage(fs.readFileSync(target))!;
    assert.deepEqual([sniffed.mediaType, sniffed.width, sniffed.height], ['image/png', 640, 360]);
    const after = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', document.uri, new vscode.Range(1, 12, 1, 12))) as vscode.CodeAction[];
    assert.ok(!after.some((action) => action.title.startsWith('Generate placeholder')), 'no fix once the file exists');
  });
});
