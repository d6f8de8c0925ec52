// Entry of the integration suite: VS Code's extension host (real VS Code 1.100 through code-server, see
// test/integration/rig.mjs) requires the compiled dist-test/integration/index.js and awaits run().
// Each *.test.ts beside this file is bundled to its own dist-test/integration/*.test.js and loaded by Mocha
// (TDD UI: suite/test/setup/teardown globals).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.IMAGEGEN_TEST_GREP;
  if (grep) mocha.grep(grep);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files in ${__dirname}`));

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {};
        // The plain closing line CI reads; the rig prints extension-host logs one per line.
        console.log(`vscode: ${passes} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}`);
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else if (passes === 0) reject(new Error('no integration test ran'));
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}
