/**
 * The CLI's `--save` path, checked before training (the trained net used to be lost after the
 * run when the folder was missing or the path was a folder). Nothing is created or changed: an
 * existing file at the path stays as it is until the run writes over it.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Throws unless a file can be written at `path`: not a folder, in a folder that exists and is writable. */
export function checkSavePath(path: string): void {
  const where = `--save ${path}`;
  const existing = statOrNull(path);
  if (existing?.isDirectory()) throw new Error(`${where}: expected a file path, found a folder`);
  const folder = dirname(resolve(path));
  const folderStats = statOrNull(folder);
  if (!folderStats) throw new Error(`${where}: expected a file in an existing folder, but ${folder} does not exist`);
  if (!folderStats.isDirectory()) throw new Error(`${where}: expected a file in a folder, but ${folder} is not a folder`);
  try {
    accessSync(existing ? path : folder, constants.W_OK);
  } catch (e) {
    throw new Error(
      `${where}: expected a writable ${existing ? 'file' : 'folder'}, but ${existing ? path : folder} is not writable (${(e as NodeJS.ErrnoException).code})`,
    );
  }
}
