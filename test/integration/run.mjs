// `npm run test:vscode`: the integration suite (test/integration/suite/) inside a real VS Code 1.100.3.
//
//   1. ensureTools(): code-server + playwright-core into .vscode-test/rig/ (first run about 1 min, then instant)
//   2. node esbuild.mjs --tests: dist/extension.js and dist-test/integration/{index,*.test}.js
//   3. @vscode/test-electron's runTests() with vscodeExecutablePath = node and launcher.mjs as the first
//      launch argument: runTests() skips its VS Code download and launcher.mjs turns its command line into
//      a code-server + headless Chromium run (rig.mjs).  The same suite therefore also runs under plain
//      runTests() against desktop VS Code on a machine with internet.
//   4. exits with the suite's code (0 = all passed).
//
// Options: IMAGEGEN_TEST_GREP=<pattern> runs only matching tests; IMAGEGEN_RIG_VERBOSE=1 shows code-server's
// and the browser's output; IMAGEGEN_RIG_TIMEOUT_MS (default 300000) bounds the whole VS Code run.
// The environment given to runTests() as extensionTestsEnv reaches the extension host's process.env.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { ensureTools, REPO_ROOT } from './rig.mjs';

const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const require = createRequire(import.meta.url);

try {
  await ensureTools();
} catch (err) {
  console.error(err.message ?? err);
  process.exit(1);
}

console.log('[run] building extension and integration suite (node esbuild.mjs --tests)');
const build = spawnSync(process.execPath, ['esbuild.mjs', '--tests'], { cwd: REPO_ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(`[run] build failed (exit ${build.status ?? build.signal})`);
  process.exit(1);
}
const extensionTestsPath = path.join(REPO_ROOT, 'dist-test', 'integration', 'index.js');

/**
 * One run of the suite in a fresh workspace and user-data folder. The main run has workspace trust off (the
 * folder counts as trusted); the second opens a workspace that is NOT trusted and runs only the suite about
 * restricted mode, with workspace settings that try to redirect provider, base URL and output.
 */
async function runSuite({ name, settings, env = {}, prepare = () => {} }) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imagegen-vscode-test-'));
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'workspace.marker'), 'imagegen integration workspace\n');
  prepare(workspace);
  const userDataDir = path.join(scratch, 'user-data');
  console.log(`[run] suite "${name}"`);
  try {
    const { runTests } = require('@vscode/test-electron');
    return await runTests({
      vscodeExecutablePath: process.execPath,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath,
      launchArgs: [
        path.join(REPO_ROOT, 'test', 'integration', 'launcher.mjs'),
        workspace,
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(scratch, 'extensions')}`,
        `--rig-settings=${JSON.stringify(settings)}`,
        ...(process.env.IMAGEGEN_RIG_TIMEOUT_MS ? [`--rig-timeout=${process.env.IMAGEGEN_RIG_TIMEOUT_MS}`] : []),
      ],
      extensionTestsEnv: {
        IMAGEGEN_TEST_WORKSPACE: workspace,
        IMAGEGEN_TEST_USER_DATA: userDataDir, // settings.json, globalStorage, logs of this run
        ...env,
      },
    });
  } catch (err) {
    // runTests() rejects with TestRunFailedError { code } when the launcher exits non-zero
    if (!(err?.name === 'TestRunFailedError' || err?.constructor?.name === 'TestRunFailedError')) console.error(err);
    return typeof err?.code === 'number' && err.code !== 0 ? err.code : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

let code = await runSuite({ name: 'trusted workspace', settings: { 'security.workspace.trust.enabled': false } });
if (!process.env.IMAGEGEN_TEST_GREP) {
  const untrusted = await runSuite({
    name: 'untrusted workspace',
    settings: {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'never',
      'security.workspace.trust.emptyWindow': false,
    },
    env: { IMAGEGEN_TEST_GREP: 'untrusted workspace', IMAGEGEN_TEST_UNTRUSTED: '1' },
    prepare: (workspace) => {
      fs.mkdirSync(path.join(workspace, '.vscode'));
      fs.writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({ 'imagegen.provider': 'compatible', 'imagegen.baseUrls': { compatible: 'http://127.0.0.1:9/v1' }, 'imagegen.outputFolder': 'hijacked' }),
      );
    },
  });
  code ||= untrusted;
}
console.log(`[run] VS Code integration tests ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${secs()}`);
process.exit(code);
