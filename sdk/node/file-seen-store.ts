import { readFile, rename, writeFile } from 'node:fs/promises';
import type { SeenStore } from '@sealpost/sdk/crypto';

/**
 * A {@link SeenStore} in a JSON file, for the CLI and single-process agents. Entries expire with
 * their messages. Not safe for several processes at once (use the relay's database for that).
 */
export class FileSeenStore implements SeenStore {
  readonly #path: string;
  readonly #now: () => Date;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: { now?: () => Date } = {}) {
    this.#path = path;
    this.#now = options.now ?? (() => new Date());
  }

  remember(signer: string, messageId: string, expiresAt: Date): Promise<boolean> {
    // Serialise calls in this process so that read-modify-write cannot interleave.
    const next = this.#queue.then(async () => {
      const text = await readFile(this.#path, 'utf8').catch(() => '{}');
      const seen = JSON.parse(text) as Record<string, number>;
      const now = this.#now().getTime();
      for (const [key, until] of Object.entries(seen)) if (until < now) delete seen[key];
      const key = `${signer} ${messageId}`;
      if (key in seen) return false;
      seen[key] = expiresAt.getTime();
      const temporary = `${this.#path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(seen), { mode: 0o600 });
      await rename(temporary, this.#path);
      return true;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
