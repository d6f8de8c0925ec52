// Real-VS-Code test rig: runs the extension inside VS Code 1.100.3 (code-server 4.100.3) driven by
// Debian's headless Chromium through playwright-core. No VS Code download: everything comes from the npm
// registry (installed on demand into .vscode-test/rig/) and Debian packages (chromium, ripgrep, libkrb5-dev).
// See shared/REAL-VSCODE-TESTS.md for why this route and not @vscode/test-electron's download.
//
// Exports:
//   ensureTools()                       install code-server + playwright-core into the cache (idempotent)
//   startCodeServer({ workspace, ... }) a throwaway code-server on 127.0.0.1 → { url, port, stop() }
//   launchBrowser()                     a playwright Browser on /usr/bin/chromium
//   runExtensionTests({ ... })          run a Mocha suite inside the real extension host → exit code
//   installVsix(vsixPath, extensionsDir)
//
// Environment knobs: IMAGEGEN_RIG_CACHE (cache folder), IMAGEGEN_RIG_VERBOSE=1 (echo code-server output and
// browser console), IMAGEGEN_RIG_KEEP=1 (keep the temp folders of a run for inspection).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = path.resolve(process.env.IMAGEGEN_RIG_CACHE || path.join(REPO_ROOT, '.vscode-test', 'rig'));
export const CODE_SERVER_VERSION = '4.100.3'; // = VS Code 1.100.3; the last code-server that runs on Node 20
export const PLAYWRIGHT_CORE_VERSION = '1.64.1'; // drives Debian bookworm's chromium 156
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
// What code-server 4.100.3's own postinstall pulls in: @vscode/ripgrep 1.15.11, which downloads
// ripgrep v13.0.0-10 from GitHub unless it finds this tarball in $TMPDIR/vscode-ripgrep-cache-<version>/.
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';
const MARKER = path.join(CACHE_DIR, 'rig-tools.json');
const CODE_SERVER_ENTRY = path.join(CACHE_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const VERBOSE = /^(1|true|yes)$/i.test(process.env.IMAGEGEN_RIG_VERBOSE ?? '');
const KEEP = /^(1|true|yes)$/i.test(process.env.IMAGEGEN_RIG_KEEP ?? '');

const say = (msg) => console.log(`[rig] ${msg}`);
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

class RigError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// ensureTools

function wantedMarker() {
  return {
    codeServer: CODE_SERVER_VERSION,
    playwrightCore: PLAYWRIGHT_CORE_VERSION,
    // native modules (kerberos, node-pty, argon2, ...) are built for this Node ABI
    nodeAbi: process.versions.modules,
    arch: process.arch,
  };
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isInstalled() {
  const marker = readJson(MARKER);
  if (!marker) return false;
  const want = wantedMarker();
  if (Object.keys(want).some((k) => marker[k] !== want[k])) return false;
  return (
    fs.existsSync(CODE_SERVER_ENTRY) &&
    fs.existsSync(path.join(CACHE_DIR, 'node_modules', 'playwright-core', 'package.json'))
  );
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** Debian packages the rig needs; `forInstall` adds the ones only the cold install needs. */
function missingDebianPackages(forInstall) {
  const missing = [];
  if (!fs.existsSync(CHROMIUM_PATH)) missing.push(['chromium', `${CHROMIUM_PATH} (the browser playwright-core drives)`]);
  if (forInstall) {
    if (!fs.existsSync('/usr/bin/rg')) missing.push(['ripgrep', "/usr/bin/rg (seeds @vscode/ripgrep's download cache)"]);
    if (!fs.existsSync('/usr/include/gssapi/gssapi.h'))
      missing.push(['libkrb5-dev', '/usr/include/gssapi/gssapi.h (to compile the kerberos native module)']);
    for (const [cmd, pkg] of [['make', 'make'], ['g++', 'g++'], ['python3', 'python3']])
      if (!which(cmd)) missing.push([pkg, `${cmd} (node-gyp builds native modules)`]);
  }
  return missing;
}

function failMissing(missing) {
  const lines = missing.map(([pkg, why]) => `  - ${pkg}: needed for ${why}`);
  throw new RigError(
    `[rig] missing Debian packages:\n${lines.join('\n')}\n` +
      `[rig] install them with:  apt-get update && apt-get install -y ${missing.map(([p]) => p).join(' ')}`,
  );
}

/** Seeds @vscode/ripgrep's download cache in `tmpDir` with Debian's rg, so its postinstall needs no GitHub. */
function seedRipgrepCache(tmpDir) {
  const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[process.arch];
  if (!target) throw new RigError(`[rig] no ripgrep seeding for arch ${process.arch}`);
  const cache = path.join(tmpDir, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  const stage = path.join(cache, 'stage');
  fs.mkdirSync(stage, { recursive: true });
  fs.copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  const tarball = path.join(cache, `ripgrep-${RIPGREP_RELEASE}-${target}.tar.gz`);
  const r = spawnSync('tar', ['czf', tarball, '-C', stage, 'rg'], { stdio: 'inherit' });
  if (r.status !== 0) throw new RigError(`[rig] could not create ${tarball}`);
}

function nodeHeadersMatch(prefix) {
  try {
    const h = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1]);
    return `v${v.join('.')}` === process.version;
  } catch {
    return false;
  }
}

function tail(file, n = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Installs code-server and playwright-core into CACHE_DIR unless the marker says they are there.
 * Returns { cacheDir, installed: boolean, seconds }.
 */
export async function ensureTools() {
  const t0 = Date.now();
  if (isInstalled()) {
    const missing = missingDebianPackages(false);
    if (missing.length) failMissing(missing);
    return { cacheDir: CACHE_DIR, installed: false, seconds: (Date.now() - t0) / 1000 };
  }
  return withInstallLock(async () => {
    if (isInstalled()) return { cacheDir: CACHE_DIR, installed: false, seconds: (Date.now() - t0) / 1000 };
    return installTools(t0);
  });
}

/** Serialises installs into the same cache (two test commands started at once on a fresh machine). */
async function withInstallLock(fn) {
  const lock = path.join(CACHE_DIR, 'install.lock');
  const pidFile = path.join(lock, 'pid');
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(pidFile, String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder = 0;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(pidFile, 'utf8'));
    } catch {}
    try {
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {}
    let alive = !holder && age < 10_000; // just created, pid not written yet
    if (holder) {
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {}
    }
    if (!alive) {
      fs.rmSync(lock, { recursive: true, force: true }); // left by a process that died
      continue;
    }
    if (!announced) say(`another process (pid ${holder || '?'}) is installing the tools into ${CACHE_DIR}; waiting…`);
    announced = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

async function installTools(t0) {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor !== 20)
    throw new RigError(
      `[rig] code-server ${CODE_SERVER_VERSION} needs Node 20 (its postinstall refuses others); this is Node ${process.versions.node}`,
    );
  const missing = missingDebianPackages(true);
  if (missing.length) failMissing(missing);

  say(`installing code-server@${CODE_SERVER_VERSION} + playwright-core@${PLAYWRIGHT_CORE_VERSION} into ${CACHE_DIR}`);
  say('(one-time, about 1-2 min: code-server compiles its native modules; later runs reuse the cache)');
  // Start clean: a half-finished earlier install would leave packages npm considers installed whose
  // postinstall never completed.
  fs.rmSync(path.join(CACHE_DIR, 'node_modules'), { recursive: true, force: true });
  fs.rmSync(path.join(CACHE_DIR, 'package-lock.json'), { force: true });
  fs.rmSync(MARKER, { force: true });
  const tmpDir = path.join(CACHE_DIR, 'tmp');
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  // Own package.json so npm treats the cache as its project root and never walks up to the repo's.
  fs.writeFileSync(
    path.join(CACHE_DIR, 'package.json'),
    JSON.stringify({ name: 'imagegen-vscode-rig', private: true, description: 'cache, see test/integration/rig.mjs' }, null, 2) + '\n',
  );
  seedRipgrepCache(tmpDir); // trap 2

  const env = {
    ...process.env,
    TMPDIR: tmpDir, // trap 2: @vscode/ripgrep looks for its cache under os.tmpdir()
    npm_config_yes: 'true', // trap 3: node-pty's postinstall runs `npx node-gyp`, which would prompt
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  if (process.getuid?.() === 0) env.npm_config_unsafe_perm = 'true'; // trap 3, as root
  // argon2 (node-pre-gyp) and kerberos (prebuild-install) first ask GitHub for a prebuilt binary, fail at
  // once offline (ENOTFOUND) and compile.  npm_config_build_from_source=true would skip that, but also makes
  // @parcel/watcher compile instead of using its prebuilt npm package (+30 s), so it is not set.
  // node-gyp needs Node's headers; without a nodedir it would download them. These machines set
  // nodedir=/usr in ~/.npmrc; do the same when the headers there are this Node's.
  if (!env.npm_config_nodedir && nodeHeadersMatch('/usr')) env.npm_config_nodedir = '/usr';
  delete env.npm_config_prefix; // set when this runs under `npm run`; --prefix below decides

  const log = path.join(CACHE_DIR, 'install.log');
  const args = [
    'install',
    '--prefix',
    CACHE_DIR,
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--foreground-scripts', // so the log shows the native builds when something fails
    `code-server@${CODE_SERVER_VERSION}`,
    `playwright-core@${PLAYWRIGHT_CORE_VERSION}`,
  ];
  say(`npm ${args.join(' ')}   (log: ${log})`);
  const out = fs.openSync(log, 'w');
  const code = await new Promise((resolve) => {
    const child = spawn('npm', args, { cwd: CACHE_DIR, env, stdio: ['ignore', out, out] });
    const beat = setInterval(() => say(`  still installing… ${secs(t0)}`), 20_000);
    child.on('error', (err) => {
      clearInterval(beat);
      fs.appendFileSync(log, `\n${err.stack}\n`);
      resolve(127);
    });
    child.on('exit', (c, sig) => {
      clearInterval(beat);
      resolve(c ?? (sig ? 128 : 1));
    });
  });
  fs.closeSync(out);
  if (code !== 0) {
    const text = tail(log);
    let hint = '';
    if (/gssapi/.test(text)) hint = '\n[rig] hint: kerberos needs libkrb5-dev (apt-get install -y libkrb5-dev)';
    else if (/ripgrep|api\.github\.com|ENOTFOUND/.test(text))
      hint = `\n[rig] hint: a download was attempted; check the ripgrep seeding (@vscode/ripgrep ${RIPGREP_PKG_VERSION})`;
    else if (/node-gyp|gyp ERR/.test(text)) hint = '\n[rig] hint: native build failed; needs make, g++, python3';
    throw new RigError(`[rig] npm install failed (exit ${code}) after ${secs(t0)}; last lines of ${log}:\n${text}${hint}`);
  }

  // Smoke-check the result: code-server must start far enough to print its version.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imagegen-rig-check-'));
  try {
    const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, '--version'], {
      env: { ...cleanEnv(process.env), ...throwawayHome(scratch) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0 || !r.stdout.includes(CODE_SERVER_VERSION))
      throw new RigError(`[rig] installed code-server does not run:\n${r.stdout}\n${r.stderr}`);
    for (const mod of ['kerberos/build/Release/kerberos.node', '@vscode/ripgrep/bin/rg']) {
      const p = path.join(CACHE_DIR, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', mod);
      if (!fs.existsSync(p)) throw new RigError(`[rig] code-server's postinstall did not produce ${p}; see ${log}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.writeFileSync(MARKER, JSON.stringify({ ...wantedMarker(), installedAt: new Date().toISOString() }, null, 2) + '\n');
  say(`tools installed in ${secs(t0)}`);
  return { cacheDir: CACHE_DIR, installed: true, seconds: (Date.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------
// code-server

/** Variables that would change what code-server does: VSCODE_IPC_HOOK_CLI makes it hand the folder to an
 *  "existing instance" (when run from a VS Code terminal), PORT overrides --bind-addr, PASSWORD... */
function cleanEnv(base) {
  const env = { ...base };
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k.startsWith('CS_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  }
  for (const k of ['PORT', 'PASSWORD', 'HASHED_PASSWORD', 'GITHUB_TOKEN', 'npm_config_prefix']) delete env[k];
  return env;
}

function throwawayHome(root) {
  const home = path.join(root, 'home');
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: path.join(root, 'run'),
  };
  for (const dir of Object.values(env)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return env;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, logTail, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new RigError(`[rig] code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logTail()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new RigError(`[rig] code-server did not answer ${url}/healthz within ${timeoutMs / 1000} s:\n${logTail()}`);
}

const liveGroups = new Map(); // code-server pid (= its process group) → its temp root
process.on('exit', () => {
  // last resort (Ctrl+C, process.exit mid-run): never leave a code-server and its extension hosts behind
  for (const [pid, root] of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
    if (!KEEP) fs.rmSync(root, { recursive: true, force: true });
  }
});

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts code-server on 127.0.0.1 with throwaway HOME/XDG dirs, user-data-dir and (unless given)
 * extensions dir.  `settings` go into <user-data-dir>/User/settings.json.  `env` is added to code-server's
 * environment, which its extension host inherits.
 * → { url, port, root, userDataDir, extensionsDir, logFile, stop() }
 */
export async function startCodeServer({
  workspace,
  extensionsDir,
  userDataDir,
  settings = {},
  env = {},
  startTimeoutMs = 60_000,
} = {}) {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) throw new RigError('[rig] code-server is not installed: call ensureTools() first');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imagegen-rig-'));
  const ud = path.resolve(userDataDir ?? path.join(root, 'user-data'));
  const exts = path.resolve(extensionsDir ?? path.join(root, 'extensions'));
  fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
  fs.mkdirSync(exts, { recursive: true });
  const settingsFile = path.join(ud, 'User', 'settings.json');
  const merged = {
    // quiet, deterministic defaults; caller's settings win
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    ...(readJson(settingsFile) ?? {}),
    ...settings,
  };
  fs.writeFileSync(settingsFile, JSON.stringify(merged, null, 2) + '\n');

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(root, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [
    CODE_SERVER_ENTRY,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    ud,
    '--extensions-dir',
    exts,
  ];
  // The CLI switch would override a test's own "security.workspace.trust.enabled": only use it otherwise.
  if (!('security.workspace.trust.enabled' in merged)) args.push('--disable-workspace-trust');
  if (workspace) args.push(path.resolve(workspace));

  const childEnv = {
    ...cleanEnv(process.env),
    ...throwawayHome(root),
    EXTENSIONS_GALLERY: '{}', // no marketplace (open-vsx is unreachable offline: saves errors and retries)
    ...env,
  };
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: childEnv,
    detached: true, // own process group, so stop() takes the extension host, pty host, watchers along
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveGroups.set(child.pid, root);
  const recent = [];
  const onData = (chunk) => {
    fs.writeSync(log, chunk);
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 60) recent.shift();
      if (VERBOSE) console.log(`[code-server] ${line}`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const logTail = () => recent.join('\n');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (groupAlive(child.pid)) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const deadline = Date.now() + 5000;
      while (groupAlive(child.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (groupAlive(child.pid)) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    liveGroups.delete(child.pid);
    try {
      fs.closeSync(log);
    } catch {}
    if (KEEP) say(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    await waitHealthy(url, child, logTail, startTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, root, userDataDir: ud, extensionsDir: exts, logFile, logTail, child, exited, stop };
}

// ---------------------------------------------------------------------------------------------------------
// browser

function loadPlaywright() {
  const req = createRequire(path.join(CACHE_DIR, 'package.json'));
  try {
    return req('playwright-core');
  } catch {
    throw new RigError('[rig] playwright-core is not installed: call ensureTools() first');
  }
}

/** A headless playwright Browser on Debian's chromium (never `npx playwright install`). */
export async function launchBrowser({ headless = true, args = [] } = {}) {
  if (!fs.existsSync(CHROMIUM_PATH)) failMissing([['chromium', CHROMIUM_PATH]]);
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless, args: [...CHROMIUM_ARGS, ...args] });
}

// ---------------------------------------------------------------------------------------------------------
// extension tests

const WORKBENCH_NOISE =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|\[Service Worker\]|ChatSessionStore:|Creation of workbench contribution)/;

/** Turns a console-style (format, ...args) list with %c/%s into one readable string. */
function formatLogArgs(args) {
  const list = Array.isArray(args) ? [...args] : [args];
  const str = (v) => (typeof v === 'string' ? v : (() => { try { return JSON.stringify(v); } catch { return String(v); } })());
  if (typeof list[0] === 'string' && /%[csdifoO]/.test(list[0])) {
    const fmt = list.shift();
    const text = fmt.replace(/%([csdifoO%])/g, (m, k) => {
      if (k === '%') return '%';
      const v = list.shift();
      return k === 'c' ? '' : str(v);
    });
    return [text, ...list.map(str)].join(' ');
  }
  return list.map(str).join(' ');
}

/** A vscode-remote:// URI for an absolute path on the code-server machine. */
function remoteUri(port, absPath) {
  const p = absPath.split(path.sep).map(encodeURIComponent).join('/');
  return `vscode-remote://127.0.0.1:${port}${p}`;
}

/**
 * Runs the Mocha suite at `extensionTestsPath` (compiled index.js exporting run()) inside the real
 * extension host, with the extension(s) at `extensionDevelopmentPath` loaded in development mode and
 * `workspace` open.  `env` reaches the extension host (process.env).  Resolves to the suite's exit code
 * (0 = all passed); a timeout or a crash resolves to a non-zero code with a message, never hangs.
 */
export async function runExtensionTests({
  extensionDevelopmentPath,
  extensionTestsPath,
  workspace,
  settings = {},
  env = {},
  extensionsDir,
  userDataDir,
  timeoutMs = 5 * 60_000,
} = {}) {
  const t0 = Date.now();
  const devPaths = (Array.isArray(extensionDevelopmentPath) ? extensionDevelopmentPath : [extensionDevelopmentPath]).map((p) =>
    path.resolve(p),
  );
  const testsPath = path.resolve(extensionTestsPath);
  for (const p of [...devPaths, testsPath])
    if (!fs.existsSync(p) && !fs.existsSync(`${p}.js`)) throw new RigError(`[rig] not found: ${p}`);
  if (!workspace) throw new RigError('[rig] runExtensionTests needs a workspace folder');
  const ws = fs.realpathSync(path.resolve(workspace));

  let server;
  let browser;
  let timer;
  const failWith = (code, msg) => {
    console.error(msg);
    return code;
  };
  try {
    server = await startCodeServer({ workspace: ws, extensionsDir, userDataDir, settings, env });
    say(`code-server ${CODE_SERVER_VERSION} (VS Code 1.100.3) on ${server.url} after ${secs(t0)}`);
    browser = await launchBrowser();
    const page = await browser.newPage();

    let settle;
    const result = new Promise((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      // Everything the extension host prints (Mocha's reporter, console.* in tests and extension) arrives
      // here, together with the workbench's own log; the workbench's routine chatter is dropped.
      const text = formatLogArgs(args);
      if (!VERBOSE && (type === 'trace' || type === 'debug' || WORKBENCH_NOISE.test(text))) return;
      if (type === 'error' || type === 'warn') console.error(text);
      else console.log(text);
    });
    await page.exposeFunction('codeAutomationExit', (code) =>
      settle(Number.isInteger(Number(code)) && code !== null ? { code: Number(code) } : { code: 1, message: `[rig] extension host exited with ${code}` }),
    );
    page.on('crash', () => settle({ code: 1, message: '[rig] the workbench page crashed' }));
    page.on('pageerror', (err) => VERBOSE && console.error(`[page error] ${err.message}`));
    if (VERBOSE) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
    server.exited.then((c) => settle({ code: 1, message: `[rig] code-server exited (${c}) during the run:\n${server.logTail()}` }));

    const payload = [
      ...devPaths.map((p) => ['extensionDevelopmentPath', remoteUri(server.port, p)]),
      ['extensionTestsPath', remoteUri(server.port, testsPath)],
    ];
    const url = `${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            code: 124,
            message:
              `[rig] TIMEOUT: no test result after ${timeoutMs / 1000} s (the suite did not finish, or the extension ` +
              `host never ran it). Last code-server output:\n${server.logTail()}`,
          }),
        timeoutMs,
      );
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const r = await Promise.race([result, timeout]);
    if (r.message) return failWith(r.code, r.message);
    say(`suite finished with exit code ${r.code} after ${secs(t0)}`);
    return r.code;
  } catch (err) {
    return failWith(1, err instanceof RigError ? err.message : `[rig] ${err?.stack ?? err}`);
  } finally {
    clearTimeout(timer);
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// VSIX

/** Installs a .vsix into `extensionsDir` through code-server's CLI (about 1 s). */
export async function installVsix(vsixPath, extensionsDir) {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) throw new RigError('[rig] code-server is not installed: call ensureTools() first');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imagegen-rig-vsix-'));
  try {
    fs.mkdirSync(extensionsDir, { recursive: true });
    const r = spawnSync(
      process.execPath,
      [
        CODE_SERVER_ENTRY,
        '--user-data-dir',
        path.join(root, 'user-data'),
        '--extensions-dir',
        path.resolve(extensionsDir),
        '--force',
        '--install-extension',
        path.resolve(vsixPath),
      ],
      { env: { ...cleanEnv(process.env), ...throwawayHome(root) }, encoding: 'utf8', timeout: 120_000 },
    );
    if (r.status !== 0) throw new RigError(`[rig] installing ${vsixPath} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.trim() && !/Wrote default config file/.test(l))
      .join('\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export { RigError };
