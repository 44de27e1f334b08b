/**
 * Child of test/relay/sqlite-checkpoint.test.ts: opens the SQLite store at argv[2], commits one
 * submission, closes the store and prints `closed` — with nothing else keeping the process alive,
 * which is how a CLI command (`sealpost relay mailbox add`) uses the store.
 */
import { openSqliteStore } from '../../relay/storage/sqlite.js';

const store = openSqliteStore(process.argv[2]!);
await store.migrate();
const now = Date.now();
await store.submit({ messageId: crypto.randomUUID(), sender: 'a@close.example', recipients: ['b@close.example'], digest: 'sha-256=:x:', size: 1, submittedAt: now, expiresAt: now + 60_000, data: new Uint8Array(1) });
await store.close();
process.stdout.write('closed\n');
