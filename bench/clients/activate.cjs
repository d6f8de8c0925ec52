/**
 * Loads an extension bundle in plain Node and activates it against a fake `vscode` module, to time what the
 * extension itself does when VS Code starts it:
 *
 *   node activate.cjs EXTENSION_JS [EXTENSION_ROOT] [LAZY_JS]
 *
 * prints `{"requireMs", "activateMs", "totalMs", "commands", "subscriptions", "lazyMs"}`; `lazyMs` is the time to
 * require LAZY_JS afterwards (the bundle a first command loads), when given. The fake is permissive: every
 * property it does not know is another callable, constructible fake, so it keeps working as activate() grows.
 * What it does know are the few calls whose results an extension computes with (settings, state, l10n, Uri).
 * Run it on an empty module too: the difference is the extension's own work.
 */
'use strict';
const Module = require('node:module');
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const registeredCommands = [];

/** A minimal vscode.Uri: enough for joinPath/fsPath/toString. */
class FakeUri {
  constructor(scheme, path) {
    this.scheme = scheme;
    this.path = path;
    this.fsPath = path;
    this.authority = '';
    this.query = '';
    this.fragment = '';
  }
  with(change) {
    return new FakeUri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString() {
    return `${this.scheme}://${this.path}`;
  }
  toJSON() {
    return { scheme: this.scheme, path: this.path };
  }
  static file(path) {
    return new FakeUri('file', path);
  }
  static parse(text) {
    const match = /^([a-z][\w+.-]*):\/\/[^/]*(.*)$/i.exec(String(text));
    return match ? new FakeUri(match[1], match[2] || '/') : new FakeUri('file', String(text));
  }
  static joinPath(base, ...segments) {
    return new FakeUri(base.scheme ?? 'file', join(base.path ?? String(base), ...segments));
  }
  static from(parts) {
    return new FakeUri(parts.scheme ?? 'file', parts.path ?? '/');
  }
}

const disposable = () => ({ dispose() {} });
const memento = () => ({
  get: (_key, fallback) => fallback,
  update: async () => undefined,
  keys: () => [],
  setKeysForSync() {},
});

/** `vscode.l10n.t('Hello {0}', name)` and `t({message, args})`. */
function translate(message, ...args) {
  if (message && typeof message === 'object') {
    args = Array.isArray(message.args) ? message.args : [message.args ?? {}];
    message = message.message;
  }
  const named = args.length === 1 && args[0] && typeof args[0] === 'object' ? args[0] : undefined;
  return String(message).replace(/\{(\w+)\}/g, (whole, key) => {
    const value = named ? named[key] : args[Number(key)];
    return value === undefined ? whole : String(value);
  });
}

/** Known values by dotted path below `vscode`; everything else is a permissive fake. */
const known = {
  Uri: FakeUri,
  'l10n.t': translate,
  'l10n.bundle': undefined,
  'l10n.uri': undefined,
  'commands.registerCommand': (id) => {
    registeredCommands.push(id);
    return disposable();
  },
  'commands.registerTextEditorCommand': (id) => {
    registeredCommands.push(id);
    return disposable();
  },
  'workspace.getConfiguration': () =>
    permissive('configuration', {
      get: (_key, fallback) => fallback,
      has: () => false,
      inspect: () => undefined,
      update: async () => undefined,
    }),
  'workspace.workspaceFolders': undefined,
  'workspace.isTrusted': true,
  'env.language': 'en',
  'env.appName': 'Visual Studio Code',
  'env.uiKind': 1,
  version: '1.100.0',
};

const cache = new Map();

/**
 * A fake that answers any property (with another fake, cached so identities hold), can be called and
 * constructed, is not a thenable, iterates as empty and turns into '' or 0. `values` are its known members;
 * `names` are reported as own properties, for bundlers that copy a module's keys (esbuild's __toESM).
 */
function permissive(path, values = {}, names = []) {
  const own = new Map(Object.entries(values));
  const listed = new Set(names);
  const target = function () {};
  const proxy = new Proxy(target, {
    get(_target, property) {
      if (own.has(property)) return own.get(property);
      if (property === 'then' || property === '__esModule') return undefined;
      if (property === Symbol.toPrimitive) return (hint) => (hint === 'number' ? 0 : '');
      if (property === Symbol.iterator) return function* () {};
      if (property === 'toString' || property === 'toJSON') return () => '';
      if (typeof property === 'symbol') return undefined;
      const childPath = path ? `${path}.${property}` : property;
      if (Object.hasOwn(known, childPath)) return known[childPath];
      if (!cache.has(childPath)) cache.set(childPath, permissive(childPath));
      return cache.get(childPath);
    },
    set(_target, property, value) {
      own.set(property, value);
      return true;
    },
    has(_target, property) {
      return own.has(property) || listed.has(property) || Reflect.has(target, property);
    },
    ownKeys() {
      return [...new Set([...Reflect.ownKeys(target), ...listed, ...own.keys()])];
    },
    getOwnPropertyDescriptor(_target, property) {
      const real = Reflect.getOwnPropertyDescriptor(target, property);
      if (real) return real;
      if (!own.has(property) && !listed.has(property)) return undefined;
      return { value: proxy[property], writable: true, enumerable: true, configurable: true };
    },
    apply() {
      // Calls mostly return disposables, channels, panels, items: a fresh fake serves as any of them.
      return permissive(`${path}()`, { dispose() {} });
    },
    construct(_target, _args, newTarget) {
      // Subclasses of vscode classes (Disposable, TreeItem, EventEmitter) keep their own prototype chain.
      return Object.create(newTarget.prototype);
    },
  });
  return proxy;
}

/** Used when @types/vscode is not installed: the members extensions touch most. */
const FALLBACK_NAMES = [
  'commands', 'window', 'workspace', 'env', 'l10n', 'languages', 'extensions', 'Uri', 'Disposable',
  'EventEmitter', 'ThemeIcon', 'ThemeColor', 'TreeItem', 'Range', 'Position', 'Selection', 'ViewColumn',
  'StatusBarAlignment', 'ProgressLocation', 'ConfigurationTarget', 'ExtensionMode',
  'CancellationTokenSource', 'FileType', 'RelativePattern', 'MarkdownString', 'LogLevel', 'version',
];

/** Every runtime member of the vscode module (namespaces, classes, enums, consts, functions), from @types/vscode. */
function apiNames(root) {
  const typings = join(root, 'node_modules', '@types', 'vscode', 'index.d.ts');
  if (!existsSync(typings)) return FALLBACK_NAMES;
  const text = readFileSync(typings, 'utf8');
  return [...new Set([...text.matchAll(/^\texport (?:namespace|class|enum|const|function|let|var) (\w+)/gm)].map((match) => match[1]))];
}

/** Makes `require('vscode')` return the fake. */
function installFake(root) {
  const vscode = permissive('', {}, apiNames(root));
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? 'vscode' : resolveFilename.call(this, request, ...rest);
  };
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
}

async function main() {
  const extensionPath = resolve(process.argv[2]);
  const root = process.argv[3] ?? dirname(dirname(extensionPath));
  installFake(root);
  const storage = join(root, 'bench', 'out', 'storage');
  const subscriptions = [];
  const context = permissive('context', {
    subscriptions,
    extensionPath: root,
    extensionUri: FakeUri.file(root),
    globalStorageUri: FakeUri.file(join(storage, 'global')),
    storageUri: FakeUri.file(join(storage, 'workspace')),
    logUri: FakeUri.file(join(storage, 'log')),
    globalStoragePath: join(storage, 'global'),
    storagePath: join(storage, 'workspace'),
    logPath: join(storage, 'log'),
    extensionMode: 1,
    asAbsolutePath: (relative) => join(root, relative),
    globalState: memento(),
    workspaceState: memento(),
    secrets: permissive('context.secrets', {
      get: async () => undefined,
      store: async () => undefined,
      delete: async () => undefined,
      onDidChange: () => disposable(),
    }),
  });
  const start = performance.now();
  const extension = require(extensionPath);
  const loaded = performance.now();
  const result = typeof extension.activate === 'function' ? extension.activate(context) : undefined;
  if (result && typeof result.then === 'function') await result;
  const activated = performance.now();
  let lazyMs;
  if (process.argv[4]) {
    require(resolve(process.argv[4]));
    lazyMs = performance.now() - activated;
  }
  process.stdout.write(
    `${JSON.stringify({
      requireMs: loaded - start,
      activateMs: activated - loaded,
      totalMs: activated - start,
      commands: registeredCommands.length,
      subscriptions: subscriptions.length,
      lazyMs,
    })}\n`,
  );
  // Whatever activate() started (timers, watchers on fakes) must not keep the process alive.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`activate: ${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
