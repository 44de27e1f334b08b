import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimited } from '../internal/limit.js';

/** Options of {@link ImportFolder}. */
export interface ImportFolderOptions {
  /** The EMR's import folder. */
  dir: string;
  /**
   * Folder for temporary files and filing markers; must be on the same filesystem as `dir` (the
   * final step is a rename). Default `<dir>/.sealpost`: EMRs read files, not sub-folders.
   */
  workDir?: string;
  /** File name pattern; `{id}` is replaced by the messageId made safe for file names (default `{id}.hl7`). */
  name?: string;
}

/** An EMR acknowledgement read back from the acknowledgement folder (`scanAckFiles`). */
export interface AckFileEvent {
  file: string;
  /** MSA-1 of the acknowledgement. */
  code: string;
  /** MSA-2: the MSH-10 of the message the EMR imported. */
  controlId: string;
  text: string;
}

const safe = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function writeDurablyAsync(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let at = 0;
    while (at < bytes.length) at += (await handle.write(bytes, at)).bytesWritten;
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function touch(path: string): void {
  closeSync(openSync(path, 'w'));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `syncDir` on the thread pool: a batch's folder fsyncs do not block the event loop (crypto replies, relay calls). */
async function syncDirAsync(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes letters into an EMR's import folder atomically and exactly once per messageId, across
 * crashes:
 *
 * 1. the bytes go to `<workDir>/<id>.partial`, fsync, rename to `<id>.ready`, fsync the folder;
 * 2. the marker `<id>.filed` is written and fsynced;
 * 3. `<id>.ready` is renamed into `dir`, and `dir` is fsynced.
 *
 * A retry after a crash redoes step 1 when there is no marker (nothing reached `dir`), finishes
 * step 3 when the marker and `.ready` exist, and does nothing when only the marker exists — even
 * if the EMR has already consumed the file. The EMR never sees a partial file.
 *
 * {@link ImportFolder.fileMany} runs the same steps for a whole batch with one folder fsync per
 * step instead of one per letter (group commit): the letters' data fsyncs overlap, then every
 * `.ready` rename, every marker and every final rename is made durable by a single fsync of its
 * folder. Markers are empty: only their name is read, and the folder fsync that follows their
 * creation persists the entry.
 */
export class ImportFolder {
  readonly #dir: string;
  readonly #work: string;
  readonly #name: string;

  constructor(options: ImportFolderOptions) {
    this.#dir = options.dir;
    this.#work = options.workDir ?? join(options.dir, '.sealpost');
    this.#name = options.name ?? '{id}.hl7';
    if (!this.#name.includes('{id}')) throw new TypeError("ImportFolder: name must contain '{id}'");
    mkdirSync(this.#dir, { recursive: true });
    mkdirSync(this.#work, { recursive: true });
  }

  /** Files `bytes` under `messageId`; resolves to the final path and whether this call wrote it (`false`: it was filed before). */
  file(messageId: string, bytes: Uint8Array): { path: string; written: boolean } {
    const id = safe(messageId);
    const final = join(this.#dir, this.#name.replace('{id}', id));
    const ready = join(this.#work, `${id}.ready`);
    const marker = join(this.#work, `${id}.filed`);
    if (existsSync(marker)) {
      if (!existsSync(ready)) return { path: final, written: false };
    } else {
      const partial = join(this.#work, `${id}.partial`);
      writeDurably(partial, bytes);
      renameSync(partial, ready);
      syncDir(this.#work);
      writeDurably(marker, new TextEncoder().encode(final));
      syncDir(this.#work);
    }
    renameSync(ready, final);
    syncDir(this.#dir);
    return { path: final, written: true };
  }

  /**
   * Files a batch: the same contract as {@link ImportFolder.file} for each entry (atomic, once per
   * messageId across crashes; a messageId repeated within the batch is filed once), with the
   * fsyncs grouped — each letter's data fsync (up to `concurrency` at once, default 8) and three
   * folder fsyncs for the whole batch. Results are in input order.
   */
  async fileMany(entries: readonly { messageId: string; bytes: Uint8Array }[], options: { concurrency?: number } = {}): Promise<{ path: string; written: boolean }[]> {
    const seen = new Set<string>();
    const plan = entries.map(({ messageId, bytes }) => {
      const id = safe(messageId);
      const final = join(this.#dir, this.#name.replace('{id}', id));
      const ready = join(this.#work, `${id}.ready`);
      const marker = join(this.#work, `${id}.filed`);
      let step: 'write' | 'move' | 'none';
      if (seen.has(id)) step = 'none';
      else if (existsSync(marker)) step = existsSync(ready) ? 'move' : 'none';
      else step = 'write';
      seen.add(id);
      return { id, final, ready, marker, bytes, step };
    });
    const writes = plan.filter((p) => p.step === 'write');
    const moves = plan.filter((p) => p.step !== 'none');
    if (writes.length > 0) {
      // 1. data: every letter to its .partial, fsynced (overlapping fsyncs share journal commits).
      await mapLimited(writes, options.concurrency ?? 8, (p) => writeDurablyAsync(join(this.#work, `${p.id}.partial`), p.bytes));
      for (const p of writes) renameSync(join(this.#work, `${p.id}.partial`), p.ready);
      await syncDirAsync(this.#work);
      // 2. markers, made durable only once every .ready is (a marker without its .ready would mean "already filed").
      for (const p of writes) touch(p.marker);
      await syncDirAsync(this.#work);
    }
    if (moves.length > 0) {
      // 3. into the EMR's folder.
      for (const p of moves) renameSync(p.ready, p.final);
      await syncDirAsync(this.#dir);
    }
    return plan.map((p) => ({ path: p.final, written: p.step !== 'none' }));
  }

  /** Whether `messageId` has been filed (its marker exists). */
  isFiled(messageId: string): boolean {
    return existsSync(join(this.#work, `${safe(messageId)}.filed`));
  }
}
