// The UI test, as a person uses ImageGen: the packaged VSIX installed into a real VS Code 1.100.3 (code-server)
// in headless Chromium. F1 → "ImageGen: Generate Image…" → type a prompt → the image appears in the Explorer;
// right-click it → "Edit Image…" is there and works; the Image Studio panel generates with live partials
// against the fake provider and edits with a painted mask.
//
//   node test/integration/ui.mjs [--screenshots=DIR]     (npm run docs:screenshots writes them into docs/)
//
// Prints "ui: N passed, N failed" and exits non-zero when a step failed.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { ensureTools, installVsix, launchBrowser, startCodeServer, REPO_ROOT } from './rig.mjs';

const arg = (name, fallback) => process.argv.find((item) => item.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imagegen-ui-'));
const shots = path.resolve(arg('screenshots', path.join(scratch, 'screenshots')));
fs.mkdirSync(shots, { recursive: true });
const t0 = Date.now();
const say = (message) => console.log(`[ui] ${message} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

const results = [];
/** One named check: a failure is reported and the run goes on with the next independent step. */
async function step(name, run) {
  try {
    await run();
    results.push({ name, ok: true });
    say(`✔ ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.error(`[ui] ✘ ${name}: ${error?.stack ?? error}`);
    if (page) await page.screenshot({ path: path.join(shots, `failed-${results.length}.png`) }).catch(() => {});
  }
}

/** Width and height from a PNG's IHDR: what a person would see when opening the file. */
function pngSize(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.readUInt32BE(12) !== 0x49484452) throw new Error(`${file} is not a PNG`);
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

async function waitForFile(file, timeout = 30_000) {
  const started = Date.now();
  while (!fs.existsSync(file)) {
    if (Date.now() - started > timeout) throw new Error(`${file} did not appear within ${timeout / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** F1, the command's title, Enter. */
async function runCommand(title) {
  // The palette matches words, not the ellipsis. It lists the commands known when it opens, and an extension's
  // contributions can arrive a moment after the workbench appears: reopen it until the command is there.
  const query = title.replace(/…$/, '');
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: query.replace(/^[^:]*: /, '') }).first();
  for (let attempt = 0; ; attempt++) {
    // Keys go to whatever has focus, and an image preview or the Studio is a webview that keeps F1 to itself:
    // click the empty part of the Explorer first.
    await page.locator('.explorer-folders-view').click({ position: { x: 120, y: 400 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 3_000 });
    } catch (error) {
      if (attempt >= 10) throw error;
      continue;
    }
    await input.fill(`>${query}`);
    try {
      await row.waitFor({ timeout: 3_000 });
      break;
    } catch (error) {
      if (attempt >= 10) throw error;
    }
  }
  await page.keyboard.press('Enter');
}

/** Types into the quick input that a command opened, then Enter. */
async function answerQuickInput(text) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

function explorerRow(name) {
  return page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
}

let server;
let browser;
let page;
let fake;
try {
  await ensureTools();
  say('building (node esbuild.mjs --production --tests)');
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--production', '--tests'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`build failed (exit ${build.status ?? build.signal})`);

  const vsix = path.join(scratch, 'imagegen.vsix');
  const packaged = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  if (packaged.status !== 0) throw new Error(`vsce package failed:\n${packaged.stdout}${packaged.stderr}`);
  say(`packaged the VSIX (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB)`);
  const extensionsDir = path.join(scratch, 'extensions');
  say(`installed: ${(await installVsix(vsix, extensionsDir)).trim().split("\n").pop()} → ${fs.readdirSync(extensionsDir).join(", ")}`);

  // The fake provider in its own process, for the Studio's streaming and editing steps.
  fake = spawn(process.execPath, [path.join(REPO_ROOT, 'dist-test', 'fake-provider-main.js'), '--event-delay', '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fakeInfo = await new Promise((resolve, reject) => {
    createInterface({ input: fake.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    fake.once('exit', (code) => reject(new Error(`fake provider exited (${code})`)));
  });

  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Demo game\n\nAssets for the demo.\n');
  const theme = arg('theme', 'Default Dark Modern');
  server = await startCodeServer({
    workspace,
    extensionsDir,
    settings: {
      'security.workspace.trust.enabled': false,
      'workbench.colorTheme': theme,
      'workbench.startupEditor': 'none',
      'imagegen.baseUrls': { openai: `${fakeInfo.url}/openai/v1` },
    },
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await explorerRow('README.md').waitFor({ timeout: 60_000 });
  say('workbench ready');

  const generated = path.join(workspace, 'assets', 'generated');
  const heroFile = path.join(generated, 'hero-banner-for-a-space-game.png');

  await step('F1 → ImageGen: Generate Image… → type a prompt → the image is in the Explorer', async () => {
    await runCommand('ImageGen: Generate Image…');
    await answerQuickInput('hero banner for a space game');
    await waitForFile(heroFile);
    if (pngSize(heroFile) !== '1024x1024') throw new Error(`unexpected size ${pngSize(heroFile)}`);
    await explorerRow('hero-banner-for-a-space-game.png').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(shots, 'generate-image.png') });
  });

  await step('right-click the image in the Explorer → "Edit Image…" is there and makes an edited image', async () => {
    await explorerRow('hero-banner-for-a-space-game.png').click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-label', { hasText: /^Edit Image…$/ }).first();
    await item.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, 'explorer-edit-image.png') });
    await item.click();
    await answerQuickInput('night sky with two moons');
    const edited = path.join(generated, 'night-sky-with-two-moons.png');
    await waitForFile(edited);
    if (pngSize(edited) !== pngSize(heroFile)) throw new Error(`the edit is ${pngSize(edited)}, the source ${pngSize(heroFile)}`);
    await explorerRow('night-sky-with-two-moons.png').waitFor({ timeout: 20_000 });
  });

  await step('F1 → ImageGen: Select Provider and Model → ofox → Gemini, its capabilities shown; no key yet, so it asks for one', async () => {
    await runCommand('ImageGen: Select Provider and Model');
    await answerQuickInput('ofox');
    const gemini = page.locator('.quick-input-list .monaco-list-row', { hasText: 'google/gemini-3.1-flash-image-preview' }).first();
    await gemini.waitFor({ timeout: 15_000 });
    const detail = await gemini.innerText();
    if (!/generate/.test(detail) || !/≤1\/call/.test(detail)) throw new Error(`capabilities not shown: ${detail}`);
    await page.screenshot({ path: path.join(shots, 'select-model.png') });
    await answerQuickInput('gemini');
    await page.locator('.notifications-toasts').getByText('ofox needs an API key.').waitFor({ timeout: 15_000 });
  });

  if (fs.existsSync(path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), 'ui-studio.mjs'))) {
    const { studioSteps } = await import('./ui-studio.mjs');
    await studioSteps({ page, step, shots, workspace, fakeInfo, runCommand, answerQuickInput, waitForFile, explorerRow, say });

    await step('light theme, then Developer: Reload Window: the Image Studio comes back with its results', async () => {
      // Ctrl+K Ctrl+T, the theme picker, with the Explorer focused (not a webview).
      await page.locator('.explorer-folders-view').click({ position: { x: 120, y: 400 } });
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+T');
      const picker = page.locator('.quick-input-widget input');
      await picker.waitFor({ state: 'visible', timeout: 15_000 });
      await picker.fill('Default Light Modern');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Default Light Modern' }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      await page.locator('.monaco-workbench.vs').waitFor({ timeout: 15_000 });
      await runCommand('Developer: Reload Window');
      await page.waitForTimeout(2000);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      const tab = page.locator('.tabs-container .tab', { hasText: 'Image Studio' });
      await tab.waitFor({ timeout: 60_000 });
      await tab.click();
      const panel = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      await panel.locator('.results .card').first().waitFor({ timeout: 30_000 });
      if ((await panel.getByLabel('Provider', { exact: true }).inputValue()) !== 'openai') throw new Error('the provider was not restored');
      await page.waitForTimeout(800);
      await page.screenshot({ path: path.join(shots, 'studio-light.png') });
    });
  }
} catch (error) {
  results.push({ name: 'set-up', ok: false });
  console.error(`[ui] set-up failed: ${error?.stack ?? error}`);
  if (server) console.error(`[ui] last code-server output:\n${server.logTail()}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  fake?.kill('SIGTERM');
  fs.rmSync(path.join(scratch, 'workspace'), { recursive: true, force: true, maxRetries: 3 });
  fs.rmSync(path.join(scratch, 'extensions'), { recursive: true, force: true, maxRetries: 3 });
}
const passed = results.filter((result) => result.ok).length;
say(`screenshots in ${shots}`);
console.log(`ui: ${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length && results.length > 0 ? 0 : 1);
