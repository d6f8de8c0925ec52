/// <reference types="mocha" />
// Runs inside the real extension host (see test/integration/rig.mjs and run.mjs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'imagegen.imagegen'; // publisher.name in package.json

suite('activation', () => {
  test('the extension is present and activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not among ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    assert.equal(ext.packageJSON.name, 'imagegen');
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('the workspace is the temp folder the runner made', async () => {
    const expected = process.env.IMAGEGEN_TEST_WORKSPACE; // set by run.mjs: proves env reaches the host
    assert.ok(expected, 'IMAGEGEN_TEST_WORKSPACE did not reach the extension host');
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1);
    const folder = folders[0]!;
    assert.equal(folder.uri.scheme, 'file');
    assert.equal(fs.realpathSync(folder.uri.fsPath), fs.realpathSync(expected));
    // The host sees the folder's content: the runner writes a marker file into it. findFiles goes through
    // VS Code's file search (ripgrep), so this also checks the rig's ripgrep install.
    const found = await vscode.workspace.findFiles('**/*.marker');
    assert.deepEqual(
      found.map((u) => path.basename(u.fsPath)),
      ['workspace.marker'],
    );
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'workspace.marker'));
    assert.equal(Buffer.from(bytes).toString('utf8'), 'imagegen integration workspace\n');
  });
});
