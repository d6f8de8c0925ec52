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

// A fresh workspace folder per run, with a marker file the suite looks for.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imagegen-vscode-test-'));
const workspace = path.join(scratch, 'workspace');
fs.mkdirSync(workspace);
fs.writeFileSync(path.join(workspace, 'workspace.marker'), 'imagegen integration workspace\n');

const userDataDir = path.join(scratch, 'user-data');

const settings = {
  'security.workspace.trust.enabled': false,
};

let code = 1;
try {
  const { runTests } = require('@vscode/test-electron');
  code = await runTests({
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
    },
  });
} catch (err) {
  // runTests() rejects with TestRunFailedError { code } when the launcher exits non-zero
  code = typeof err?.code === 'number' && err.code !== 0 ? err.code : 1;
  if (!(err?.name === 'TestRunFailedError' || err?.constructor?.name === 'TestRunFailedError')) console.error(err);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
}
console.log(`[run] VS Code integration tests ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${secs()}`);
process.exit(code);
