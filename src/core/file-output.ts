/**
 * Writing images with plain Node file APIs (the CLI; the extension uses vscode.workspace.fs with the same
 * naming): a temporary file first, then a hard link to a name nobody has, so a reader never sees half a file
 * and nothing is ever overwritten.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { numberedName } from './output-names';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Moves `temporary` to the first free name of `fileName`, `fileName-2`, …; returns the final path. */
async function claimName(folder: string, temporary: string, fileName: string): Promise<string> {
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const candidate = join(folder, numberedName(fileName, attempt));
    try {
      await link(temporary, candidate);
      await unlink(temporary);
      return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // File systems without hard links: check, then rename (a tiny race, but never a partial file).
      if (await exists(candidate)) continue;
      await rename(temporary, candidate);
      return candidate;
    }
  }
  throw new Error(`No free file name for ${fileName} in ${folder}.`);
}

/**
 * Writes `bytes` (or pieces written one after the other, see attachMetadataParts) and an optional JSON sidecar
 * at `<image>.json` atomically under a unique name.
 */
export async function writeImageFile(folder: string, fileName: string, bytes: Uint8Array | readonly Uint8Array[], sidecar?: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.${fileName}.${randomBytes(6).toString('hex')}.part`);
  try {
    await writeFile(temporary, bytes, { flag: 'wx' });
    const path = await claimName(folder, temporary, fileName);
    if (sidecar !== undefined) {
      const sidecarTemporary = `${temporary}.json`;
      await writeFile(sidecarTemporary, sidecar, { flag: 'wx' });
      await rename(sidecarTemporary, `${path}.json`);
    }
    return path;
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    await unlink(`${temporary}.json`).catch(() => undefined);
    throw error;
  }
}
