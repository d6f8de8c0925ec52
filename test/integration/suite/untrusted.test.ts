/// <reference types="mocha" />
// Restricted mode: run by test/integration/run.mjs in a second VS Code whose workspace is not trusted and whose
// .vscode/settings.json tries to redirect the provider, the base URL and the output folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const untrusted = process.env.IMAGEGEN_TEST_UNTRUSTED === '1';

(untrusted ? suite : suite.skip)('untrusted workspace', () => {
  test('the workspace is not trusted and its restricted settings are ignored', async () => {
    await vscode.extensions.getExtension('imagegen.imagegen')!.activate();
    assert.equal(vscode.workspace.isTrusted, false);
    const configuration = vscode.workspace.getConfiguration('imagegen');
    assert.equal(configuration.get('provider'), 'placeholder');
    assert.equal(configuration.get('outputFolder'), 'assets/generated');
    assert.deepEqual(configuration.get('baseUrls'), {});
  });

  test('generating is refused: no request, no file', async () => {
    const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const outcome = await vscode.commands.executeCommand('imagegen.generate', { prompt: 'should not run', provider: 'placeholder' });
    assert.equal(outcome, undefined);
    assert.equal(fs.existsSync(path.join(workspace, 'assets')), false);
    assert.equal(fs.existsSync(path.join(workspace, 'hijacked')), false);
  });
});
