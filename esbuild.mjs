// One script, one build per target.
//   node esbuild.mjs                 extension + CLI (+ webview) into dist/
//   node esbuild.mjs --production    the same, minified, no source maps
//   node esbuild.mjs --watch         rebuild on change
//   node esbuild.mjs --tests         also the test suites into dist-test/
import * as esbuild from 'esbuild';
import { readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** Every `*.test.ts` below `dir`, recursively. */
function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [
  // Activation loads only dist/extension.js; commands, the panel and the core live in dist/lazy.js, required
  // on first use.
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/vscode/lazy.ts'], outfile: 'dist/lazy.js', external: ['vscode'] },
  {
    ...node,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    define: { IMAGEGEN_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  },
  // The Image Studio webview: browser code, its own tsconfig (DOM lib), no Node built-ins.
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    legalComments: 'none',
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    tsconfig: 'src/webview/tsconfig.json',
  },
];

if (tests) {
  rmSync('dist-test', { recursive: true, force: true });
  builds.push({
    ...node,
    sourcemap: true,
    minify: false,
    entryPoints: testFiles('test/unit'),
    outdir: 'dist-test/unit',
    outbase: 'test/unit',
  });
  // The fake provider server as a process of its own (UI tests, benchmark).
  builds.push({ ...node, sourcemap: false, minify: false, entryPoints: ['test/support/fake-provider-main.ts'], outfile: 'dist-test/fake-provider-main.js' });
  // The real-VS-Code suite (run by test/integration/run.mjs): index.js + one file per *.test.ts, Mocha bundled.
  builds.push({
    ...node,
    sourcemap: true,
    minify: false,
    entryPoints: ['test/integration/suite/index.ts', ...testFiles('test/integration/suite')],
    outdir: 'dist-test/integration',
    outbase: 'test/integration/suite',
    external: ['vscode'],
    // mocha's parallel mode (unused here) require.resolve()s its worker files
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('[esbuild] watching…');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
