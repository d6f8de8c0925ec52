import * as vscode from 'vscode';
import { numberedName } from '../core/output-names';

/**
 * Writes through `vscode.workspace.fs`, so Remote, WSL, Codespaces and virtual workspaces work: a temporary
 * name first, then a rename that refuses to overwrite, so nobody ever sees half an image and nothing is lost.
 */
export async function writeUnique(folder: vscode.Uri, fileName: string, bytes: Uint8Array, sidecar?: string): Promise<vscode.Uri> {
  await vscode.workspace.fs.createDirectory(folder);
  const temporary = vscode.Uri.joinPath(folder, `.${fileName}.${Math.random().toString(36).slice(2, 10)}.part`);
  await vscode.workspace.fs.writeFile(temporary, bytes);
  try {
    for (let attempt = 1; attempt < 10_000; attempt++) {
      const candidate = vscode.Uri.joinPath(folder, numberedName(fileName, attempt));
      if (await exists(candidate)) continue;
      try {
        await vscode.workspace.fs.rename(temporary, candidate, { overwrite: false });
      } catch (error) {
        if (error instanceof vscode.FileSystemError && error.code === 'FileExists') continue;
        throw error;
      }
      if (sidecar !== undefined) await writeSidecar(vscode.Uri.joinPath(folder, `${candidate.path.split('/').pop()}.json`), sidecar);
      return candidate;
    }
    throw new Error(`No free file name for ${fileName}.`);
  } finally {
    await vscode.workspace.fs.delete(temporary).then(undefined, () => undefined);
  }
}

async function writeSidecar(uri: vscode.Uri, text: string): Promise<void> {
  const temporary = uri.with({ path: `${uri.path}.part` });
  await vscode.workspace.fs.writeFile(temporary, new TextEncoder().encode(text));
  await vscode.workspace.fs.rename(temporary, uri, { overwrite: true });
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
