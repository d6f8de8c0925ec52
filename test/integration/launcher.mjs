// Stands in for the VS Code executable that @vscode/test-electron's runTests() would download: it takes the
// command line runTests() builds and runs the suite in code-server + headless Chromium (rig.mjs) instead.
// run.mjs passes `vscodeExecutablePath: process.execPath` and this file as the first launchArg, so runTests()
// spawns `node launcher.mjs <launchArgs> --no-sandbox … --extensionTestsPath=… --extensionDevelopmentPath=…`
// (no executable bit needed).  The process exit code is the suite's (0 = all passed).
//
// Understood: --extensionDevelopmentPath= (repeatable), --extensionTestsPath=, --user-data-dir=,
// --extensions-dir=, the first bare argument (the folder to open), and two of our own, placed in launchArgs:
// --rig-settings=<JSON of user settings>, --rig-timeout=<ms>.  Electron/desktop-only switches are ignored.
// Environment: runTests()'s extensionTestsEnv is in this process's env, which code-server and thus the
// extension host inherit.
import * as path from 'node:path';
import { ensureTools, runExtensionTests } from './rig.mjs';

const args = process.argv.slice(2);
const values = (name) =>
  args.flatMap((a, i) => {
    if (a.startsWith(`--${name}=`)) return [a.slice(name.length + 3)];
    if (a === `--${name}` && i + 1 < args.length) return [args[i + 1]];
    return [];
  });
const value = (name) => values(name).at(-1);

const takesValue = new Set(['--extensionDevelopmentPath', '--extensionTestsPath', '--user-data-dir', '--extensions-dir']);
const folders = args.filter((a, i) => !a.startsWith('-') && !takesValue.has(args[i - 1] ?? ''));

const extensionDevelopmentPath = values('extensionDevelopmentPath');
const extensionTestsPath = value('extensionTestsPath');
if (!extensionTestsPath || extensionDevelopmentPath.length === 0 || folders.length === 0) {
  console.error(
    '[launcher] needs --extensionDevelopmentPath=, --extensionTestsPath= and a folder to open; got:\n  ' + args.join('\n  '),
  );
  process.exit(2);
}

let settings = {};
if (value('rig-settings')) {
  try {
    settings = JSON.parse(value('rig-settings'));
  } catch (err) {
    console.error(`[launcher] --rig-settings is not JSON: ${err.message}`);
    process.exit(2);
  }
}

// runTests() answers Ctrl+C with SIGINT to this process: end the run, let rig.mjs clean up.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

await ensureTools();
const code = await runExtensionTests({
  extensionDevelopmentPath,
  extensionTestsPath,
  workspace: path.resolve(folders[0]),
  userDataDir: value('user-data-dir'),
  extensionsDir: value('extensions-dir'),
  settings,
  timeoutMs: value('rig-timeout') ? Number(value('rig-timeout')) : undefined,
});
process.exit(code);
