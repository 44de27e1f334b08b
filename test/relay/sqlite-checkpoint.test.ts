/**
 * WAL checkpoints of the SQLite store run on a worker thread (relay/storage/sqlite-checkpointer.ts):
 * the serving connection never checkpoints, the worker does, the WAL stays bounded under sustained
 * group commits, and nothing committed is lost across the holds. Bounded in count and time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../relay/storage/sqlite-checkpointer.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { SqliteStoreOptions } from '../../relay/storage/sqlite.js';
import type { NewSubmission, RelayStore } from '../../relay/storage/types.js';
import { digestOf, randomEnvelope } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECIPIENT = 'bob@checkpoint.example';
const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function submission(data: Uint8Array): NewSubmission {
  const now = Date.now();
  return { messageId: randomUUID(), sender: 'alice@checkpoint.example', recipients: [RECIPIENT], digest: digestOf(data), size: data.length, submittedAt: now, expiresAt: now + 86_400_000, data };
}

async function open(options: SqliteStoreOptions): Promise<{ store: RelayStore; db: string }> {
  const db = join(dir, `${randomUUID()}.db`);
  const store = openSqliteStore(db, options);
  await store.migrate();
  return { store, db };
}

async function countInbox(store: RelayStore): Promise<number> {
  let count = 0;
  let after = 0;
  for (;;) {
    const page = await store.listInbox(RECIPIENT, after, 1000, Date.now());
    if (page.length === 0) return count;
    count += page.length;
    after = page.at(-1)!.seq;
  }
}

describe('SQLite WAL checkpoints on a worker thread', () => {
  it('copies committed pages into the database file while the serving connection stays open, below SQLite’s own threshold', async () => {
    const { store, db } = await open({ checkpointIntervalMs: 20 });
    try {
      const before = size(db);
      // 150 submissions of 4 KB in 15 commits: about 400 WAL pages, under the 1,000 at which SQLite
      // would checkpoint by itself, so only the worker can have moved them into the file.
      for (let i = 0; i < 15; i++) await Promise.all(Array.from({ length: 10 }, () => store.submit(submission(randomEnvelope(4096)))));
      const deadline = Date.now() + 10_000;
      while (size(db) < before + 150 * 4096 && Date.now() < deadline) await pause(20);
      expect(size(db)).toBeGreaterThanOrEqual(before + 150 * 4096);
      expect(await countInbox(store)).toBe(150);
    } finally {
      await store.close();
    }
  });

  it('keeps the WAL bounded under back-to-back group commits, and every answered submission is stored once', async () => {
    const walLimitBytes = 256 * 1024;
    const { store, db } = await open({ checkpointIntervalMs: 5, walLimitBytes, groupCommitMs: 0, maxBatch: 64 });
    const wal = `${db}-wal`;
    let largestWal = 0;
    const watch = setInterval(() => (largestWal = Math.max(largestWal, size(wal))), 2);
    const total = 2400;
    const answered: string[] = [];
    try {
      let next = 0;
      // 16 writers, each submitting again as soon as it is answered: commits follow each other with
      // no idle moment in which the WAL could restart on its own. (maxBatch above the number of
      // writers: a batch filled synchronously would commit again inside the same microtask chain
      // and never let the event loop hear from the worker, which no HTTP client can cause.)
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < total) {
            next++;
            const s = submission(randomEnvelope(4096));
            const outcome = await store.submit(s);
            expect(outcome.kind).toBe('created');
            answered.push(s.messageId);
          }
        }),
      );
      clearInterval(watch);
      largestWal = Math.max(largestWal, size(wal));
      // 2,400 x 4 KB is about 25 MB of WAL frames if the WAL never restarted; the holds restart it
      // every time it passes the limit, so it stays within the limit plus what the commits of a
      // few checkpoint intervals add.
      expect(largestWal).toBeLessThan(8 * 1024 * 1024);
      expect(answered.length).toBe(total);
      expect(new Set(answered).size).toBe(total);
      expect(await countInbox(store)).toBe(total);
    } finally {
      clearInterval(watch);
      await store.close();
    }
    // Reopened (the WAL was folded into the file on close): still every submission, once.
    const reopened = openSqliteStore(db);
    try {
      await reopened.migrate();
      expect(await countInbox(reopened)).toBe(total);
      for (const id of answered.slice(0, 50)) expect((await reopened.getAnswer(id))?.answer.messageId).toBe(id);
    } finally {
      await reopened.close();
    }
  });

  it('keeps answering while another connection pins the WAL with a long read, and restarts the WAL once it ends', async () => {
    const { store, db } = await open({ checkpointIntervalMs: 5, walLimitBytes: 128 * 1024, groupCommitMs: 0, maxBatch: 64 });
    const wal = `${db}-wal`;
    let total = 0;
    const writers = async (count: number): Promise<number> => {
      let next = 0;
      let created = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < count) {
            next++;
            if ((await store.submit(submission(randomEnvelope(4096)))).kind === 'created') created++;
          }
        }),
      );
      total += count;
      return created;
    };
    const reader = new Database(db);
    try {
      await writers(50);
      // A read transaction holds its snapshot: no checkpoint may copy frames past it, so every
      // catch-up the store waits for ends incomplete. Commits must go on regardless.
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM messages').get();
      expect(await writers(600)).toBe(600);
      const pinned = size(wal);
      reader.exec('COMMIT');
      expect(await writers(600)).toBe(600);
      // Once the reader is gone the WAL restarts and journal_size_limit cuts the file back.
      const deadline = Date.now() + 10_000;
      while (size(wal) >= pinned && Date.now() < deadline) await writers(20);
      expect(size(wal)).toBeLessThan(pinned);
      expect(await countInbox(store)).toBe(total);
    } finally {
      reader.close();
      await store.close();
    }
  });

  it('answers submissions queued during a hold when the store closes', async () => {
    const { store, db } = await open({ checkpointIntervalMs: 2, walLimitBytes: 64 * 1024, groupCommitMs: 0, maxBatch: 8 });
    const pending = Array.from({ length: 400 }, () => submission(randomEnvelope(4096)));
    const results = pending.map((s) => store.submit(s));
    // Close while commits (and likely holds) are under way: close commits what is queued, so every
    // submission is answered 'created' and is in the database.
    await pause(5);
    await store.close();
    const outcomes = await Promise.allSettled(results);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.kind : String(o.reason)))).toEqual(pending.map(() => 'created'));
    const created = pending;
    const reopened = openSqliteStore(db);
    try {
      await reopened.migrate();
      for (const s of created) expect((await reopened.getAnswer(s.messageId))?.answer.digest).toBe(s.digest);
      expect(await countInbox(reopened)).toBe(created.length);
    } finally {
      await reopened.close();
    }
  });

  it('closes in a process that has nothing else to do: close() waits for the worker, the process exits normally', async () => {
    const db = join(dir, `${randomUUID()}.db`);
    const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./sqlite-close-child.ts', import.meta.url)), db], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({ status: 0, stdout: 'closed\n', stderr: '' });
    // Closed as the last connection: the WAL was folded into the file and removed.
    expect(existsSync(`${db}-wal`)).toBe(false);
    const reopened = openSqliteStore(db);
    try {
      await reopened.migrate();
      expect(await reopened.listInbox('b@close.example', 0, 10, Date.now())).toHaveLength(1);
    } finally {
      await reopened.close();
    }
  });

  it('reports each group commit to onCommit, and an observer that throws does not fail committed submissions', async () => {
    const commits: { submissions: number; ms: number }[] = [];
    const { store } = await open({
      onCommit: (c) => {
        commits.push(c);
        throw new Error('observer failed');
      },
    });
    try {
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => store.submit(submission(randomEnvelope(100)))));
      expect(outcomes.map((o) => o.kind)).toEqual(outcomes.map(() => 'created'));
      expect(commits.reduce((n, c) => n + c.submissions, 0)).toBe(30);
      for (const c of commits) expect(c.ms).toBeGreaterThanOrEqual(0);
    } finally {
      await store.close();
    }
  });

  it('reports a worker that cannot open the database, so the store can fall back to SQLite’s own checkpoints', async () => {
    const failure = new Promise<Error>((resolve) => {
      new WalCheckpointer({ path: join(dir, 'missing', 'none.db'), intervalMs: 10, walLimitBytes: 1024, onRelease: () => undefined, onFailure: resolve });
    });
    const error = await Promise.race([failure, pause(10_000).then(() => undefined)]);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/cannot open|unable to open|no such file|SQLITE_CANTOPEN/i);
  });
});
