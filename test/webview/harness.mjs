// The Image Studio webview in a real browser, without VS Code: serves harness.html (under the panel's CSP)
// with dist/webview.js and media/studio.css on 127.0.0.1, plays the host with real provider capabilities,
// clicks through the panel with playwright-core on Debian's chromium, checks every message the webview posts
// (the mask PNG decoded pixel by pixel), and takes screenshots in light, dark and high-contrast themes.
//
//   node esbuild.mjs && node test/webview/harness.mjs [--out=/tmp/studio-harness] [--serve]
//
// --serve keeps the server running for a look by hand (open the printed URL; ?theme=dark|light|high-contrast).
// Exit code 0 = every check passed.  Nothing is fetched from the network.
import * as esbuild from 'esbuild';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureTools, launchBrowser } from '../integration/rig.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => process.argv.find((each) => each.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const OUT = resolve(arg('out', join(tmpdir(), 'studio-harness')));
const SERVE = process.argv.includes('--serve');
const NONCE = 'harness';
const CSP = `default-src 'none'; img-src 'self' data: blob:; style-src 'self'; script-src 'nonce-${NONCE}'; font-src 'self'`;

// ---------------------------------------------------------------------------------------------------------
// The real capability tables and PNG codec, bundled from the sources

const work = join(tmpdir(), `studio-harness-${process.pid}`);
mkdirSync(work, { recursive: true });
const helpersFile = join(work, 'helpers.mjs');
await esbuild.build({
  stdin: {
    contents: `
      export { openaiModels } from './src/core/providers/openai/openai-options';
      export { ofoxModels } from './src/core/providers/ofox/ofox-options';
      export { aaModels } from './src/core/providers/aa/aa-options';
      export { apimodelsModels } from './src/core/providers/apimodels/apimodels-options';
      export { modelverseModels } from './src/core/providers/modelverse/modelverse-options';
      export { placeholderModels } from './src/core/providers/placeholder/placeholder-options';
      export { encodePng, decodePng, readPngInfo } from './src/core/image/png';
      export { STUDIO_STRINGS } from './src/webview/strings';
    `,
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: helpersFile,
  logLevel: 'error',
});
const helpers = await import(pathToFileURL(helpersFile).href);
const zhStrings = JSON.parse(readFileSync(join(ROOT, 'l10n/bundle.l10n.zh-cn.json'), 'utf8'));

// ---------------------------------------------------------------------------------------------------------
// Test images

/** An RGB test picture: a sky gradient, a sun and a hill, so a mask over it is easy to see. */
function picture(width, height, hue) {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      const sky = y / height;
      let r = 90 + 80 * sky + hue;
      let g = 150 + 60 * sky;
      let b = 230 - 40 * sky - hue;
      const dx = x - width * 0.7;
      const dy = y - height * 0.3;
      if (dx * dx + dy * dy < (Math.min(width, height) * 0.12) ** 2) [r, g, b] = [250, 210, 80];
      if (y > height * (0.72 + 0.08 * Math.sin((x / width) * Math.PI * 2))) [r, g, b] = [60 + hue / 2, 140, 70];
      pixels[at] = Math.max(0, Math.min(255, r));
      pixels[at + 1] = Math.max(0, Math.min(255, g));
      pixels[at + 2] = Math.max(0, Math.min(255, b));
    }
  }
  return helpers.encodePng(pixels, width, height, 3);
}

const images = {
  'ref-landscape.png': picture(1536, 1024, 0),
  'ref-square.png': picture(512, 512, 60),
  'result-1.png': picture(1024, 1024, 30),
  'result-2.png': picture(1024, 1024, -30),
  'history-1.png': picture(1024, 1536, 10),
  'history-2.png': picture(1536, 1024, -10),
};

// ---------------------------------------------------------------------------------------------------------
// Theme variables as VS Code injects them (Light Modern, Dark Modern, High Contrast)

const FONT = `--vscode-font-family: -apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", "Noto Sans CJK SC", sans-serif; --vscode-font-size: 13px; --vscode-font-weight: normal;`;
const THEMES = {
  light: {
    foreground: '#3b3b3b', 'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b', descriptionForeground: '#717171',
    errorForeground: '#e51400', focusBorder: '#005fb8', 'widget-border': '#e5e5e5', 'panel-border': '#e5e5e5',
    'sideBar-background': '#f8f8f8', 'editorWidget-background': '#f8f8f8', 'input-background': '#ffffff', 'input-foreground': '#3b3b3b',
    'input-border': '#cecece', 'input-placeholderForeground': '#767676', 'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'dropdown-listBackground': '#ffffff',
    'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
    'button-border': '#0000001a', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc', 'checkbox-background': '#f8f8f8', 'checkbox-border': '#cecece',
    'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'progressBar-background': '#005fb8',
    'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100',
    'inputValidation-warningBackground': '#f6f5d2', 'inputValidation-warningBorder': '#b89500',
    'editorWarning-foreground': '#bf8803', 'icon-foreground': '#3b3b3b', 'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
    'textLink-foreground': '#005fb8',
  },
  dark: {
    foreground: '#cccccc', 'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc', descriptionForeground: '#9d9d9d',
    errorForeground: '#f85149', focusBorder: '#0078d4', 'widget-border': '#313131', 'panel-border': '#2b2b2b',
    'sideBar-background': '#181818', 'editorWidget-background': '#202020', 'input-background': '#313131', 'input-foreground': '#cccccc',
    'input-border': '#3c3c3c', 'input-placeholderForeground': '#989898', 'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'dropdown-listBackground': '#1f1f1f',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
    'button-border': '#ffffff12', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c', 'checkbox-background': '#313131', 'checkbox-border': '#3c3c3c',
    'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'progressBar-background': '#0078d4',
    'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100',
    'inputValidation-warningBackground': '#352a05', 'inputValidation-warningBorder': '#b89500',
    'editorWarning-foreground': '#cca700', 'icon-foreground': '#cccccc', 'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
    'textLink-foreground': '#4daafc',
  },
  'high-contrast': {
    foreground: '#ffffff', 'editor-background': '#000000', 'editor-foreground': '#ffffff', descriptionForeground: 'rgba(255, 255, 255, 0.7)',
    errorForeground: '#f48771', focusBorder: '#f38518', contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518',
    'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df', 'input-placeholderForeground': 'rgba(255, 255, 255, 0.7)',
    'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df', 'dropdown-listBackground': '#000000',
    'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df',
    'button-secondaryForeground': '#ffffff', 'checkbox-background': '#000000', 'checkbox-border': '#6fc3df',
    'badge-background': '#000000', 'badge-foreground': '#ffffff', 'progressBar-background': '#6fc3df',
    'inputValidation-errorBackground': '#000000', 'inputValidation-errorBorder': '#6fc3df',
    'inputValidation-warningBackground': '#000000', 'inputValidation-warningBorder': '#6fc3df',
    'editorWarning-foreground': '#fff500', 'icon-foreground': '#ffffff', 'textLink-foreground': '#21a6ff',
  },
};
const themeCss = Object.entries(THEMES)
  .map(([name, vars]) => `body.vscode-${name} { ${FONT} ${Object.entries(vars).map(([key, value]) => `--vscode-${key}: ${value};`).join(' ')} }`)
  .join('\n');

// ---------------------------------------------------------------------------------------------------------
// Server

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.png': 'image/png' };
const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const send = (status, type, body) => {
    response.writeHead(status, { 'content-type': type, 'content-security-policy': CSP, 'cache-control': 'no-store' });
    response.end(body);
  };
  if (url.pathname === '/' || url.pathname === '/index.html') return send(200, TYPES['.html'], readFileSync(join(ROOT, 'test/webview/harness.html')));
  if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
  if (url.pathname === '/theme.css') return send(200, TYPES['.css'], themeCss);
  if (url.pathname.startsWith('/img/') && images[url.pathname.slice(5)]) return send(200, TYPES['.png'], images[url.pathname.slice(5)]);
  if (/^\/(dist|media)\//.test(url.pathname)) {
    const file = normalize(join(ROOT, url.pathname));
    if (file.startsWith(ROOT) && existsSync(file)) return send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  }
  console.log(`[harness] 404 ${url.pathname}`);
  send(404, 'text/plain', 'not found');
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const BASE = `http://127.0.0.1:${server.address().port}`;
const img = (name) => `${BASE}/img/${name}`;
console.log(`[harness] serving ${BASE}/?theme=light`);
if (SERVE) {
  console.log('[harness] --serve: press Ctrl+C to stop');
  await new Promise(() => {});
}

// ---------------------------------------------------------------------------------------------------------
// Host data

const providers = [
  { id: 'placeholder', label: 'Placeholder', description: 'Offline placeholder images', needsKey: false, hasKey: false },
  { id: 'openai', label: 'OpenAI', description: 'OpenAI Images API', needsKey: true, hasKey: true },
  { id: 'ofox', label: 'ofox', description: 'ofox gateway', needsKey: true, hasKey: false },
  { id: 'aa', label: 'aa', description: 'aa gateway (edit only)', needsKey: true, hasKey: true },
  { id: 'apimodels', label: 'apimodels', description: 'apimodels gateway', needsKey: true, hasKey: true },
];
const modelsOf = {
  openai: helpers.openaiModels,
  ofox: helpers.ofoxModels,
  aa: helpers.aaModels,
  apimodels: helpers.apimodelsModels,
  placeholder: helpers.placeholderModels,
};
const references = [
  { id: 'r1', name: 'hills.png', src: img('ref-landscape.png'), width: 1536, height: 1024, path: 'assets/hills.png' },
  { id: 'r2', name: 'logo.png', src: img('ref-square.png'), width: 512, height: 512, path: 'assets/logo.png' },
];
const resultImage = (id, file, saved, extra = {}) => ({
  id,
  src: img(file),
  path: saved ? `assets/generated/${id}.png` : undefined,
  saved,
  width: 1024,
  height: 1024,
  mediaType: 'image/png',
  prompt: 'A watercolour lighthouse on a cliff at dawn, soft mist over the sea',
  provider: 'openai',
  model: 'gpt-image-1',
  ...extra,
});
const init = (extra = {}) => ({
  type: 'init',
  providers,
  provider: 'openai',
  model: 'gpt-image-1',
  models: modelsOf.openai,
  defaults: { size: 'auto', format: 'png', background: 'auto', n: 1, stream: true },
  references: [],
  results: [],
  autoSave: true,
  strings: {},
  ...extra,
});

// ---------------------------------------------------------------------------------------------------------
// Browser

// Chromium and playwright-core come from the same on-demand rig the VS Code tests use.
await ensureTools();
const browser = await launchBrowser();

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const failures = [];
let checks = 0;
function check(condition, message, detail) {
  checks += 1;
  if (!condition) {
    failures.push(detail === undefined ? message : `${message}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
    console.log(`  ✗ ${message}${detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  }
}
const shots = [];

async function openPage({ theme = 'light', width = 1280, height = 900, state } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  const query = new URLSearchParams({ theme, ...(state ? { state: JSON.stringify(state) } : {}) });
  await page.goto(`${BASE}/?${query}`);
  await page.waitForFunction(() => window.__posted.some((message) => message.type === 'ready'));
  const api = {
    page,
    consoleErrors,
    send: (message) => page.evaluate((m) => window.__send(m), message),
    posted: (type) => page.evaluate((t) => window.__posted.filter((m) => !t || m.type === t), type),
    clear: () => page.evaluate(() => (window.__posted.length = 0)),
    state: () => page.evaluate(() => window.__state()),
    last: async (type) => (await api.posted(type)).at(-1),
    shot: async (name, options = {}) => {
      const path = join(OUT, `${name}.png`);
      await page.waitForTimeout(150);
      await page.screenshot({ path, fullPage: options.fullPage ?? true });
      shots.push(path);
    },
    close: async () => {
      const csp = await page.evaluate(() => window.__csp);
      const errors = await page.evaluate(() => window.__errors);
      check(csp.length === 0, `[${theme}] no CSP violations`, csp);
      check(errors.length === 0 && consoleErrors.length === 0, `[${theme}] no script errors`, [...errors, ...consoleErrors]);
      await context.close();
    },
  };
  return api;
}

/** The label text → the control it labels ("Size" also names the Size | Aspect ratio radio). */
const control = (page, label) =>
  label === 'Size'
    ? page.locator('.field[data-setting="size"] .size-block select')
    : label === 'Aspect ratio'
      ? page.locator('.field[data-setting="size"] .aspect-block select').first()
      : page.getByLabel(label, { exact: true });

async function generateMessage(ui) {
  await ui.clear();
  await ui.page.getByRole('button', { name: /^(Generate|Edit)$/ }).click();
  return ui.last('generate');
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

async function openaiScenario(theme) {
  console.log(`[harness] OpenAI generate, results, errors (${theme})`);
  const ui = await openPage({ theme });
  const { page } = ui;
  const ready = (await ui.posted('ready'))[0];
  check(ready && ready.state === undefined, 'ready carries the (empty) saved state', ready);
  await ui.send(init());
  await page.getByLabel('Prompt', { exact: true }).waitFor();

  // Only the controls gpt-image-1 has.
  for (const label of ['Size', 'Quality', 'Format', 'Compression', 'Background', 'Images', 'Input fidelity', 'Moderation', 'Partial images']) {
    check((await control(page, label).count()) === 1, `gpt-image-1 shows ${label}`);
  }
  check(await control(page, 'Compression').isDisabled(), 'compression is disabled for PNG');
  check(await page.getByText('Applies to JPEG and WebP only.').isVisible(), 'compression says why it is disabled');
  check(await control(page, 'Input fidelity').isDisabled(), 'input fidelity is disabled without references');
  check(await page.getByText('Applies to edits: add a reference image.').isVisible(), 'input fidelity says why');
  check((await page.getByText('Describe the image you want in the prompt.').count()) === 1, 'generate says the prompt is missing');

  // Clicking Generate without a prompt explains and focuses the prompt, and posts nothing.
  await ui.clear();
  // aria-disabled, not disabled: the button stays focusable and explains itself, so force past Playwright's check.
  await page.getByRole('button', { name: 'Generate', exact: true }).click({ force: true });
  check((await ui.posted('generate')).length === 0, 'no generate without a prompt');
  check(await page.evaluate(() => document.activeElement?.tagName === 'TEXTAREA'), 'the prompt gets focus');
  check((await page.locator('.generate-reason.error').textContent()) === 'Describe the image you want in the prompt.', 'the refusal reason turns into an error');

  await page.getByLabel('Prompt', { exact: true }).fill('A watercolour lighthouse on a cliff at dawn, soft mist over the sea');
  check((await page.locator('.generate-reason.error').count()) === 0 && (await page.locator('.generate-reason').isHidden()), 'fixing the prompt clears the refusal');
  await control(page, 'Format').selectOption('webp');
  check(!(await control(page, 'Compression').isDisabled()), 'compression is enabled for WebP');
  await control(page, 'Compression').fill('80');
  await control(page, 'Background').selectOption('transparent');
  await control(page, 'Images').fill('12');
  check(await page.getByText('Split into 2 calls of up to 10 images.').isVisible(), 'n over the per-call limit says it is split');
  await control(page, 'Images').fill('2');
  await ui.shot(`openai-form-${theme}`);

  let generate = await generateMessage(ui);
  check(!!generate, 'Generate posts generate');
  check(
    JSON.stringify(generate?.request) ===
      JSON.stringify({
        prompt: 'A watercolour lighthouse on a cliff at dawn, soft mist over the sea',
        provider: 'openai',
        model: 'gpt-image-1',
        n: 2,
        size: 'auto',
        quality: 'auto',
        format: 'webp',
        compression: 80,
        background: 'transparent',
        moderation: 'auto',
        stream: true,
        partialImages: 2,
      }),
    'the request has exactly the fields gpt-image-1 defines',
    generate?.request,
  );
  check(generate?.references.length === 0 && generate?.mask === undefined, 'no references, no mask', generate);
  await ui.send({ type: 'jobStarted', jobId: 'job-0' });
  await ui.send({ type: 'jobFailed', jobId: 'job-0', message: 'Cancelled', cancelled: true });

  // JPEG: transparent goes, with the reason.
  await control(page, 'Format').selectOption('jpeg');
  check(await page.locator('option[value="transparent"]').isDisabled(), 'transparent is disabled for JPEG');
  check(await page.getByText(/Transparent is not available: A transparent background needs PNG or WebP/).isVisible(), 'transparent says why');
  await control(page, 'Format').selectOption('png');

  // The job: started, progress, partial, cancel queued until the id is known, done.
  await ui.clear();
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  check(await page.getByRole('button', { name: 'Cancel' }).isVisible(), 'Cancel shows while running');
  await page.getByRole('button', { name: 'Cancel' }).click();
  check((await ui.posted('cancel')).length === 0, 'cancel waits for the job id');
  await ui.send({ type: 'jobStarted', jobId: 'job-1' });
  check((await ui.last('cancel'))?.jobId === 'job-1', 'cancel is posted with the job id once known', await ui.posted('cancel'));
  await ui.send({ type: 'jobFailed', jobId: 'job-1', message: 'Cancelled; nothing was written.', cancelled: true });
  check(await page.locator('.status.info').getByText('Cancelled; nothing was written.').isVisible(), 'a cancelled job says so, neutrally');
  check((await page.locator('.banner.error').count()) === 0, 'cancelled is no error');

  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await ui.send({ type: 'jobStarted', jobId: 'job-2' });
  await ui.send({ type: 'progress', jobId: 'job-2', status: 'Rendering', percent: 40 });
  const partial = `data:image/png;base64,${Buffer.from(picture(256, 256, 40)).toString('base64')}`;
  await ui.send({ type: 'partial', jobId: 'job-2', imageIndex: 0, partialIndex: 0, dataUrl: partial });
  await ui.send({ type: 'partial', jobId: 'job-2', imageIndex: 1, partialIndex: 1, dataUrl: partial });
  check((await page.locator('.partial-image').count()) === 1, 'one partial shown at a time');
  check(await page.getByText('Image 2, partial 2').isVisible(), 'the latest partial replaces the previous');
  check(await page.locator('.job-status').textContent() === 'Rendering', 'progress status shown');
  await ui.shot(`openai-running-${theme}`, { fullPage: false });

  await ui.send({
    type: 'jobDone',
    jobId: 'job-2',
    images: [resultImage('img-1', 'result-1.png', true), resultImage('img-2', 'result-2.png', false, { revisedPrompt: 'A lighthouse…' })],
    warnings: ['gpt-image-1 may ignore a transparent background; check the result\'s alpha channel.'],
  });
  check((await page.locator('.results .card').count()) === 2, 'two result cards');
  check(await page.getByText('Done: 2 images. 1 warning.').isVisible(), 'done status with warnings');
  check((await page.locator('.results .card').nth(0).getByRole('button', { name: 'Save to workspace' }).count()) === 0, 'no Save for a saved image');
  check((await page.locator('.results .card').nth(1).getByRole('button', { name: 'Save to workspace' }).count()) === 1, 'Save for an unsaved image');

  // Every action posts imageAction.
  const first = page.locator('.results .card').nth(0);
  const actions = [
    ['Open', 'open'],
    ['Reveal in Explorer', 'reveal'],
    ['Copy path', 'copyPath'],
    ['Insert link into the active editor', 'insertLink'],
    ['Use as reference', 'useAsReference'],
    ['Edit again', 'editAgain'],
    ['Regenerate with the same settings', 'regenerate'],
  ];
  await ui.clear();
  for (const [name] of actions) await first.getByRole('button', { name, exact: true }).click();
  const posted = (await ui.posted('imageAction')).map((message) => `${message.action}:${message.imageId}`);
  check(JSON.stringify(posted) === JSON.stringify(actions.map(([, action]) => `${action}:img-1`)), 'each action posts imageAction', posted);
  await ui.clear();
  await page.locator('.results .card').nth(1).getByRole('button', { name: 'Save to workspace' }).click();
  check((await ui.last('imageAction'))?.action === 'save', 'Save posts save');
  await ui.send({ type: 'imageUpdated', image: resultImage('img-2', 'result-2.png', true) });
  check((await page.locator('.results .card').nth(1).getByRole('button', { name: 'Save to workspace' }).count()) === 0, 'saved image loses Save');
  await ui.send({ type: 'jobFailed', jobId: 'job-3', message: 'ignored', cancelled: true });

  // The host refuses before starting (no folder open): an error notice ends the pending job.
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await ui.send({ type: 'notice', level: 'error', message: 'Open a folder first: ImageGen saves images into the workspace.' });
  check(await page.getByRole('button', { name: 'Cancel' }).isHidden(), 'an error notice before jobStarted ends the job');
  check((await page.locator('.status.error').textContent())?.includes('Open a folder first'), 'and shows as an error');

  // A failure naming a control and needing a key.
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await ui.send({ type: 'jobStarted', jobId: 'job-4' });
  await ui.send({ type: 'jobFailed', jobId: 'job-4', message: 'Quality "ultra" is not available for openai gpt-image-1.', cancelled: false, setting: 'quality' });
  check(await page.locator('.field[data-setting="quality"]').evaluate((field) => field.classList.contains('invalid')), 'the blamed control is highlighted');
  check((await control(page, 'Quality').getAttribute('aria-invalid')) === 'true', 'and marked aria-invalid');
  await control(page, 'Quality').selectOption('high');
  check(!(await page.locator('.field[data-setting="quality"]').evaluate((field) => field.classList.contains('invalid'))), 'changing it clears the highlight');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await ui.send({ type: 'jobStarted', jobId: 'job-5' });
  await ui.send({ type: 'jobFailed', jobId: 'job-5', message: 'No API key for OpenAI.', cancelled: false, needsKey: 'openai' });
  await ui.clear();
  await page.getByRole('button', { name: 'Set API Key for OpenAI' }).click();
  check((await ui.last('setApiKey'))?.provider === 'openai', 'Set API Key posts setApiKey');
  await ui.send({ type: 'keys', providers });
  check((await page.locator('.error-area .banner').count()) === 0, 'the key error goes once the key is set');
  await ui.send({ type: 'notice', message: 'Path copied', level: 'info' });
  check(await page.locator('.status').getByText('Path copied').isVisible(), 'notices show in the status line');
  await ui.shot(`openai-results-${theme}`);

  // History: opening it asks for it.
  await ui.clear();
  await page.locator('.history summary').click();
  // The details' toggle event comes a task later.
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'refreshHistory'), null, { timeout: 2000 }).catch(() => {});
  check((await ui.posted('refreshHistory')).length === 1, 'opening History posts refreshHistory');
  await ui.send({
    type: 'history',
    images: [
      { ...resultImage('h-2', 'history-2.png', true), width: 1536, height: 1024, prompt: 'Low-poly mountain range at dusk' },
      { ...resultImage('h-1', 'history-1.png', true), width: 1024, height: 1536, prompt: 'Portrait of a robot gardener, studio light' },
    ],
  });
  check((await page.locator('.history .card').count()) === 2, 'history shows its images');
  await page.locator('.history').scrollIntoViewIfNeeded();
  await ui.shot(`history-${theme}`, { fullPage: false });
  await ui.clear();
  await page.getByRole('button', { name: 'Refresh' }).click();
  check((await ui.posted('refreshHistory')).length === 1, 'Refresh posts refreshHistory');
  await ui.clear();
  await page.locator('.history .card').nth(0).getByRole('button', { name: 'Edit again' }).click();
  check(JSON.stringify(await ui.last('imageAction')) === JSON.stringify({ type: 'imageAction', action: 'editAgain', imageId: 'h-2' }), 'history actions post imageAction');

  // The state: settings and paths, no image data; the debounced state message.
  await ui.clear();
  // Two edits in the same moment (one evaluate), so the check does not depend on how busy the machine is.
  await control(page, 'Images').evaluate((input) => {
    for (const value of ['3', '2']) {
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }
  });
  check((await ui.posted('state')).length === 0, 'the state message is debounced');
  await page.waitForTimeout(700);
  const statePosts = await ui.posted('state');
  check(statePosts.length === 1 && statePosts[0].state.request.n === 2, 'one state message once changes settle', statePosts.length);
  const state = await ui.state();
  check(state?.request?.provider === 'openai' && state?.request?.quality === 'high', 'setState keeps the request', state?.request);
  check(JSON.stringify(state?.results) === JSON.stringify([{ path: 'assets/generated/img-1.png' }, { path: 'assets/generated/img-2.png' }]), 'setState keeps result paths', state?.results);
  check(!JSON.stringify(state).includes('data:image'), 'no image data in the state');
  await ui.close();
  return state;
}

async function editScenario(theme) {
  console.log(`[harness] references, mask, edit (${theme})`);
  const ui = await openPage({ theme });
  const { page } = ui;
  await ui.send(init({ references }));
  await page.locator('.mask-canvas').waitFor();
  check(await page.getByText('Nothing painted: the whole image may change.').isVisible(), 'empty mask says so');
  check(!(await control(page, 'Input fidelity').isDisabled()), 'input fidelity is enabled for edits');

  // Reorder with the buttons, then remove.
  await ui.clear();
  await page.getByRole('button', { name: 'Move hills.png right' }).click();
  check(JSON.stringify((await ui.last('setReferences'))?.ids) === JSON.stringify(['r2', 'r1']), 'move right posts the new order', await ui.posted('setReferences'));
  check(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')) === 'Move hills.png left', 'focus follows the moved image');
  await ui.send({ type: 'references', references: [references[1], references[0]] });
  check(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')) === 'Move hills.png left', 'focus survives the host\'s answer');
  await ui.clear();
  await page.getByRole('button', { name: 'Move hills.png left' }).click();
  check(JSON.stringify((await ui.last('setReferences'))?.ids) === JSON.stringify(['r1', 'r2']), 'move left posts the new order');
  await ui.send({ type: 'references', references });

  // Drag within the list.
  await ui.clear();
  const items = page.locator('.reference');
  await items.nth(1).dragTo(items.nth(0), { targetPosition: { x: 5, y: 40 } });
  check(JSON.stringify((await ui.last('setReferences'))?.ids) === JSON.stringify(['r2', 'r1']), 'dragging a thumbnail reorders', await ui.posted('setReferences'));
  check((await ui.posted('dropReferences')).length === 0, 'a thumbnail drag is no file drop');
  await ui.send({ type: 'references', references });

  // Drop from the Explorer: the full list from VS Code's own type.
  await ui.clear();
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.setData('text/uri-list', 'file:///work/a.png');
    transfer.setData('application/vnd.code.uri-list', 'file:///work/a.png\r\nfile:///work/b.webp');
    transfer.setData('text/plain', '/work/a.png');
    document.querySelector('.settings').dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true }));
    const over = new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true });
    document.querySelector('.settings').dispatchEvent(over);
    window.__dragoverPrevented = over.defaultPrevented;
    document.querySelector('.settings').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  check(await page.evaluate(() => window.__dragoverPrevented), 'dragover is accepted (preventDefault)');
  check(JSON.stringify((await ui.last('dropReferences'))?.uris) === JSON.stringify(['file:///work/a.png', 'file:///work/b.webp']), 'drop posts every URI', await ui.posted('dropReferences'));

  // Paste an image from the clipboard.
  await ui.clear();
  const pngBase64 = Buffer.from(picture(64, 48, 0)).toString('base64');
  await page.evaluate((base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, pngBase64);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'pasteReference'));
  const paste = await ui.last('pasteReference');
  check(paste?.dataUrl === `data:image/png;base64,${pngBase64}` && /^Pasted image 3\.png$/.test(paste?.name), 'paste posts pasteReference with the data URL', { name: paste?.name });

  // Paint a mask: a stroke across the middle of the 1536×1024 reference, then check the PNG.
  const canvas = page.locator('.mask-canvas');
  await control(page, 'Brush size').fill('30');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  check(box && Math.abs(box.width / box.height - 1.5) < 0.01, 'the mask overlay has the reference aspect ratio', box);
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  for (let step = 1; step <= 10; step++) await page.mouse.move(box.x + box.width * (0.3 + step * 0.04), box.y + box.height * 0.5);
  await page.mouse.up();
  check(await page.getByText(/% painted: only the red area will change\./).isVisible(), 'painted share shown');
  await page.getByLabel('Prompt', { exact: true }).fill('Replace the hill with a lake');
  await ui.shot(`edit-mask-${theme}`);
  let generate = await generateMessage(ui);
  check(JSON.stringify(generate?.references) === JSON.stringify(['r1', 'r2']), 'generate sends the reference ids in order', generate?.references);
  check(generate?.request.inputFidelity === 'low', 'edits send input fidelity', generate?.request);
  check(typeof generate?.mask === 'string' && generate.mask.startsWith('data:image/png;base64,'), 'generate sends the mask PNG');
  if (generate?.mask) {
    const png = Buffer.from(generate.mask.slice('data:image/png;base64,'.length), 'base64');
    const info = helpers.readPngInfo(png);
    check(info.width === 1536 && info.height === 1024 && info.hasAlpha, 'mask PNG is the natural size with alpha', info);
    const { rgba, width } = helpers.decodePng(png);
    const alpha = (x, y) => rgba[(y * width + x) * 4 + 3];
    check(alpha(Math.round(1536 * 0.5), 512) === 0, 'alpha 0 under the stroke', alpha(768, 512));
    check(alpha(20, 20) === 255 && alpha(1500, 1000) === 255, 'alpha 255 far from it');
    const values = new Set();
    for (let index = 3; index < rgba.length; index += 4) values.add(rgba[index]);
    check([...values].every((value) => value === 0 || value === 255), 'alpha is only 0 or 255', [...values]);
  }
  await ui.send({ type: 'jobStarted', jobId: 'e1' });
  await ui.send({ type: 'jobDone', jobId: 'e1', images: [resultImage('e-1', 'result-1.png', true)], warnings: [], costUsd: 0.04 });

  // Undo with Ctrl+Z on the canvas: nothing painted, no mask.
  await canvas.focus();
  await page.keyboard.press('Control+z');
  check(await page.getByText('Nothing painted: the whole image may change.').isVisible(), 'Ctrl+Z undoes the stroke');
  generate = await generateMessage(ui);
  check(generate?.mask === undefined, 'no mask once nothing is painted', Object.keys(generate ?? {}));
  await ui.send({ type: 'jobStarted', jobId: 'e2' });
  await ui.send({ type: 'jobFailed', jobId: 'e2', message: 'x', cancelled: true });
  // Invert with the keyboard selects everything; Clear empties it.
  await page.getByRole('button', { name: 'Invert' }).focus();
  await page.keyboard.press('Enter');
  check(await page.getByText('100% painted: only the red area will change.').isVisible(), 'Invert with nothing painted selects all');
  await page.getByRole('button', { name: 'Clear' }).click();
  check(await page.getByText('Nothing painted: the whole image may change.').isVisible(), 'Clear empties the mask');

  // Edit again loads a new first reference: new, empty mask of its size.
  await ui.send({ type: 'editImage', references: [{ id: 'r9', name: 'result.png', src: img('result-1.png'), width: 1024, height: 1024, path: 'assets/generated/e-1.png' }] });
  const size = await canvas.evaluate((element) => [element.width, element.height]);
  check(size[0] === 1024 && size[1] === 1024, 'a new first reference gets a mask of its size', size);
  check(await page.getByText('Editing result.png: describe the change in the prompt.').isVisible(), 'editImage says what is edited');
  const state = await ui.state();
  check(JSON.stringify(state?.references) === JSON.stringify([{ path: 'assets/generated/e-1.png' }]), 'state keeps reference paths', state?.references);
  await ui.close();
}

async function gatewayScenario(theme) {
  console.log(`[harness] apimodels, ofox, aa (${theme})`);
  const ui = await openPage({ theme });
  const { page } = ui;
  await ui.send(init());
  await page.getByLabel('Prompt', { exact: true }).fill('A city skyline at night, neon reflections on wet streets');

  // apimodels: sizes without auto, custom sizes checked live, aspect ratio mode, price.
  await ui.clear();
  await control(page, 'Provider').selectOption('apimodels');
  check(JSON.stringify(await ui.last('listModels')) === JSON.stringify({ type: 'listModels', provider: 'apimodels' }), 'picking a provider posts listModels');
  check(await control(page, 'Model').isDisabled(), 'models load');
  await ui.send({ type: 'models', provider: 'apimodels', models: modelsOf.apimodels });
  check((await control(page, 'Size').locator('option[value="auto"]').count()) === 0, 'no auto size on apimodels');
  check((await control(page, 'Moderation').count()) === 0, 'no moderation on apimodels');
  check(await page.locator('.chip', { hasText: 'Moderation' }).isVisible(), 'moderation listed as not available');
  check(await control(page, 'Input fidelity').isDisabled(), 'input fidelity disabled');
  check(await page.getByText('Always high on this model.').isVisible(), 'input fidelity: always high');
  check((await page.locator('.cost').textContent()) === '≈ $0.025', 'price shown for 1024x1024 auto quality', await page.locator('.cost').textContent());
  await control(page, 'Images').fill('4');
  check((await page.locator('.cost').textContent()) === '≈ $0.10', 'price multiplies with n', await page.locator('.cost').textContent());
  await control(page, 'Size').selectOption('custom');
  await control(page, 'Width').fill('1000');
  await control(page, 'Height').fill('1000');
  check(await page.getByText('Both sides must be multiples of 16 (nearest: 1008x1008).').first().isVisible(), 'custom size checked live');
  await ui.clear();
  await page.getByRole('button', { name: 'Generate', exact: true }).click({ force: true });
  check((await ui.posted('generate')).length === 0, 'an invalid size blocks generate');
  await ui.shot(`apimodels-custom-${theme}`);
  await control(page, 'Width').fill('2048');
  await control(page, 'Height').fill('1152');
  check((await page.locator('.field[data-setting="size"] .field-note.error').count()) === 0, 'a valid custom size clears the problem');
  check((await page.locator('.cost').textContent()) === '≈ $0.16', 'the price follows the 2K tier', await page.locator('.cost').textContent());
  let generate = await generateMessage(ui);
  check(generate?.request.size === '2048x1152' && generate?.request.aspectRatio === undefined, 'custom size sent', generate?.request);
  check(!('moderation' in (generate?.request ?? {})) && !('stream' in (generate?.request ?? {})) && !('inputFidelity' in (generate?.request ?? {})), 'no fields for missing controls', generate?.request);
  await ui.send({ type: 'jobStarted', jobId: 'a1' });
  await ui.send({ type: 'progress', jobId: 'a1', status: 'Task queued' });
  await ui.send({ type: 'jobFailed', jobId: 'a1', message: 'stop', cancelled: true });
  await page.getByRole('radio', { name: 'Aspect ratio' }).check();
  await control(page, 'Aspect ratio').selectOption('16:9');
  await control(page, 'Resolution').selectOption('2K');
  await control(page, 'Quality').selectOption('high');
  check((await page.locator('.cost').textContent()) === '≈ $0.40', 'price by resolution and quality', await page.locator('.cost').textContent());
  await ui.shot(`apimodels-aspect-${theme}`);
  generate = await generateMessage(ui);
  check(generate?.request.aspectRatio === '16:9' && generate?.request.resolution === '2K' && generate?.request.size === undefined, 'aspect ratio instead of size', generate?.request);
  await ui.send({ type: 'jobStarted', jobId: 'a2' });
  await ui.send({ type: 'jobFailed', jobId: 'a2', message: 'Give either a size, or an aspect ratio', cancelled: false, setting: 'aspectRatio' });
  check(await page.locator('.field[data-setting="size"]').evaluate((field) => field.classList.contains('invalid')), 'aspectRatio failure highlights the size field');

  // ofox: key banner, Gemini generates only.
  await control(page, 'Provider').selectOption('ofox');
  await ui.send({ type: 'models', provider: 'ofox', models: modelsOf.ofox });
  check(await page.getByText('ofox needs an API key before it can generate.').isVisible(), 'missing key banner');
  await ui.clear();
  await page.locator('.banner.warning').getByRole('button', { name: 'Set API Key' }).click();
  check((await ui.last('setApiKey'))?.provider === 'ofox', 'banner button posts setApiKey');
  await ui.send({ type: 'keys', providers: providers.map((each) => (each.id === 'ofox' ? { ...each, hasKey: true } : each)) });
  check(!(await page.getByText('ofox needs an API key before it can generate.').isVisible()), 'keys message hides the banner');
  await control(page, 'Model').selectOption('google/gemini-3.1-flash-image-preview');
  check((await page.getByRole('button', { name: 'Add images…' }).getAttribute('aria-disabled')) === 'true', 'Gemini: adding references is disabled');
  check(await page.getByText('This model cannot edit images, so it takes no references.').first().isVisible(), 'with the reason');
  await control(page, 'Images').fill('3');
  check(await page.getByText('Split into 3 calls: this model makes one image per call.').isVisible(), 'Gemini: one image per call');
  check(await control(page, 'Background').isDisabled(), 'Gemini: no background option');
  generate = await generateMessage(ui);
  check(generate?.request.n === 3 && generate?.request.background === undefined && generate?.request.compression === undefined, 'Gemini request', generate?.request);
  await ui.send({ type: 'jobStarted', jobId: 'g1' });
  await ui.send({ type: 'jobFailed', jobId: 'g1', message: 'x', cancelled: true });
  await ui.send({ type: 'references', references: [references[0]] });
  check(await page.getByText('This model cannot edit images: remove the references, or choose a model that edits.').first().isVisible(), 'references on a generate-only model block with the reason');
  await ui.shot(`ofox-gemini-${theme}`);
  await ui.send({ type: 'references', references: [] });

  // aa: edit only.
  await control(page, 'Provider').selectOption('aa');
  await ui.send({ type: 'models', provider: 'aa', models: modelsOf.aa });
  check(await page.getByText('This model only edits: add a reference image.').first().isVisible(), 'aa says it only edits');
  await ui.clear();
  await page.getByRole('button', { name: 'Generate', exact: true }).click({ force: true });
  check((await ui.posted('generate')).length === 0, 'aa without references does not generate');
  await ui.clear();
  await page.getByRole('button', { name: 'Add images…' }).click({ force: true });
  check((await ui.posted('pickReferences')).length === 1, 'Add images posts pickReferences');
  await ui.shot(`aa-${theme}`, { fullPage: false });

  // models error
  await control(page, 'Provider').selectOption('placeholder');
  await ui.send({ type: 'models', provider: 'placeholder', models: [], error: 'timed out' });
  check(await page.getByText('Could not list the models: timed out').isVisible(), 'a models error is shown');
  await ui.close();
}

async function restoreScenario(saved) {
  console.log('[harness] reload restores the panel');
  const ui = await openPage({ state: saved });
  const ready = (await ui.posted('ready'))[0];
  check(JSON.stringify(ready?.state) === JSON.stringify(saved), 'ready sends the saved state back');
  await ui.send(init());
  await ui.page.getByLabel('Prompt', { exact: true }).waitFor();
  check((await ui.page.getByLabel('Prompt', { exact: true }).inputValue()) === saved.request.prompt, 'prompt restored');
  check((await control(ui.page, 'Quality').inputValue()) === 'high', 'quality restored');
  await ui.close();

  // The panel had picked another provider than the host's: it asks for those models and keeps its model.
  const other = await openPage({ state: { ...saved, request: { ...saved.request, provider: 'apimodels', model: 'gpt-image-2-all', size: '2048x1152' }, form: undefined } });
  await other.send(init());
  check((await other.last('listModels'))?.provider === 'apimodels', 'restored provider: its models are asked for');
  await other.send({ type: 'models', provider: 'apimodels', models: modelsOf.apimodels });
  check((await control(other.page, 'Model').inputValue()) === 'gpt-image-2-all', 'restored model selected');
  check((await control(other.page, 'Width').inputValue()) === '2048', 'restored custom size', await control(other.page, 'Width').inputValue());
  await other.close();
}

async function chineseScenario() {
  console.log('[harness] Chinese UI');
  const ui = await openPage({ theme: 'dark', width: 1100 });
  await ui.send(init({ strings: zhStrings, references, provider: 'apimodels', model: 'gpt-image-2-all', models: modelsOf.apimodels }));
  await ui.page.getByText('提示词', { exact: true }).first().waitFor();
  await ui.page.getByLabel('提示词', { exact: true }).fill('雨夜的城市天际线，霓虹倒映在湿漉漉的街道上');
  await ui.page.locator('.field[data-setting="size"] .size-block select').selectOption('custom');
  await ui.page.getByLabel('宽度', { exact: true }).fill('1000');
  check(await ui.page.getByText('两边都必须是 16 的倍数（最接近：1008x1024）。').first().isVisible(), 'size problem in Chinese');
  await ui.shot('zh-cn-dark');
  await ui.close();
}

async function narrowScenario() {
  console.log('[harness] narrow panel, high contrast');
  const ui = await openPage({ theme: 'high-contrast', width: 520, height: 1000 });
  await ui.send(init({ references, results: [resultImage('img-1', 'result-1.png', true), resultImage('img-2', 'result-2.png', false)] }));
  await ui.page.getByLabel('Prompt', { exact: true }).fill('A watercolour lighthouse');
  // Tab order: prompt → provider → model → references → … every control reachable.
  await ui.page.getByLabel('Prompt', { exact: true }).focus();
  const order = [];
  for (let step = 0; step < 8; step++) {
    await ui.page.keyboard.press('Tab');
    order.push(await ui.page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.labels?.[0]?.textContent || document.activeElement?.textContent));
  }
  check(order[0] === 'Provider' && order[1] === 'Model' && order[2] === 'Add images…', 'tab order follows the panel', order);
  await ui.shot('narrow-high-contrast');
  await ui.close();
}

async function stringsCheck() {
  console.log('[harness] strings');
  const english = helpers.STUDIO_STRINGS;
  const missing = english.filter((text) => typeof zhStrings[text] !== 'string' || zhStrings[text].length === 0);
  check(missing.length === 0, 'every string has a Chinese translation', missing);
  const placeholders = (text) => [...text.matchAll(/\{\d+\}/g)].map((match) => match[0]).sort().join();
  const mismatched = english.filter((text) => zhStrings[text] && placeholders(text) !== placeholders(zhStrings[text]));
  check(mismatched.length === 0, 'translations keep their placeholders', mismatched);
  // Every t('…') in the sources is listed.
  const { readdirSync } = await import('node:fs');
  const used = new Set();
  for (const name of readdirSync(join(ROOT, 'src/webview')).filter((file) => file.endsWith('.ts') && !['strings.ts', 'l10n.ts'].includes(file))) {
    const text = readFileSync(join(ROOT, 'src/webview', name), 'utf8');
    for (const match of text.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)*)'/g)) used.add(match[1].replace(/\\(.)/g, '$1'));
  }
  const unlisted = [...used].filter((text) => !english.includes(text));
  const unused = english.filter((text) => !used.has(text));
  check(unlisted.length === 0, 'every t() string is in STUDIO_STRINGS', unlisted);
  check(unused.length === 0, 'STUDIO_STRINGS has no unused strings', unused);
}

try {
  await stringsCheck();
  let saved;
  for (const theme of ['light', 'dark']) {
    saved = await openaiScenario(theme);
    await editScenario(theme);
    await gatewayScenario(theme);
  }
  await restoreScenario(saved);
  await chineseScenario();
  await narrowScenario();
} catch (error) {
  failures.push(`harness stopped: ${error?.stack ?? error}`);
  console.log(error);
} finally {
  await browser.close();
  server.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(`[harness] screenshots in ${OUT}:\n${shots.map((shot) => `  ${shot}`).join('\n')}`);
console.log(`[harness] ${checks - failures.length}/${checks} checks passed`);
console.log(`webview: ${checks - failures.length} passed, ${failures.length} failed`);
if (failures.length > 0) {
  console.log(`[harness] FAILED:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
  process.exit(1);
}
