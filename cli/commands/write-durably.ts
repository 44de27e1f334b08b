import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** fsync of a folder, so a rename or a new name in it survives a crash. */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes DIR/NAME durably and whole: a temporary name in the same folder, fsync, rename, fsync of
 * the folder (created if missing). A crash leaves either the old state or the complete file, never
 * a half one under NAME.
 */
export async function writeDurably(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${name}.${process.pid}.tmp`);
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, join(dir, name));
  await syncFolder(dir);
}

/** Moves a file to another folder (created if missing) durably: rename, then fsync of both folders. */
export async function moveDurably(from: string, toDir: string, name: string): Promise<void> {
  await mkdir(toDir, { recursive: true });
  await rename(from, join(toDir, name));
  await syncFolder(toDir);
  await syncFolder(dirname(from));
}
