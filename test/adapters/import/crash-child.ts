/**
 * Child process of the crash test: runs the import pipeline over `<dir>/inbox/*.p7m` into
 * `<dir>/emr-import` until the inbox is empty, then exits 0. The parent kills it with SIGKILL at
 * random moments and starts it again. `SEALPOST_FILE_BATCH=1` files through `ImportFolder.fileMany`
 * (the group-committed path), otherwise one `file` call per letter; `SEALPOST_CRYPTO_WORKERS=N` opens
and signs on N worker threads (`CryptoWorkerPool`); the parent alternates both. Prints
 * `ready` once the pipeline is open, so the parent's kill clock starts after start-up.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TrustStore, unlockIdentity } from '@sealpost/sdk/crypto';
import { ImportFolder } from '../../../adapters/file-drop/import-folder.js';
import { CryptoWorkerPool } from '../../../adapters/import/crypto-pool.js';
import { ImportPipeline } from '../../../adapters/import/pipeline.js';
import { renderHl7Letter } from '../../../adapters/import/render-hl7.js';
import type { FileRequest } from '../../../adapters/import/pipeline.js';
import type { PatientCandidate } from '../../../adapters/match/match-patient.js';

const dir = process.argv[2]!;
const inbox = join(dir, 'inbox');
const receipts = join(dir, 'receipts');
mkdirSync(receipts, { recursive: true });
const stored = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as { certificate: string; chain: string[]; encryptedKey: string; ca: string };
const b64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'));
const identity = await unlockIdentity({ certificate: b64(stored.certificate), chain: stored.chain.map(b64), encryptedKey: b64(stored.encryptedKey) }, 'crash-test');
const trust = new TrustStore().addAnchor(b64(stored.ca));
const patients = JSON.parse(readFileSync(join(dir, 'patients.json'), 'utf8')) as PatientCandidate[];
const folder = new ImportFolder({ dir: join(dir, 'emr-import'), workDir: join(dir, 'emr-work') });

const workers = Number(process.env.SEALPOST_CRYPTO_WORKERS ?? 0);
const pool = workers > 0 ? new CryptoWorkerPool({ identity, trust: { anchors: [b64(stored.ca)] }, size: workers }) : undefined;

const pipeline = new ImportPipeline({
  path: join(dir, 'agent.db'),
  identity,
  trust,
  ...(pool ? { crypto: pool } : {}),
  batchSize: Number(process.env.SEALPOST_BATCH_SIZE ?? 7),
  source: {
    fetch: (limit, options) =>
      Promise.resolve(
        readdirSync(inbox)
          .filter((f) => f.endsWith('.p7m') && !options?.skip?.has(f))
          .sort()
          .slice(0, limit)
          .map((f) => ({ id: f, envelope: new Uint8Array(readFileSync(join(inbox, f))) })),
      ),
    remove: (id) => Promise.resolve(rmSync(join(inbox, id), { force: true })),
  },
  target: {
    findPatients: () => Promise.resolve(patients),
    file: (letter, patientId, messageId) => Promise.resolve(void folder.file(messageId, letter.content)),
    ...(process.env.SEALPOST_FILE_BATCH === '1' ? { fileBatch: async (letters: FileRequest[]) => void (await folder.fileMany(letters.map((l) => ({ messageId: l.messageId, bytes: l.letter.content })))) } : {}),
  },
  receipts: {
    send: (receipt, info) => Promise.resolve(writeFileSync(join(receipts, `${info.messageId}.${info.status}`), receipt)),
  },
  render: (payload) => renderHl7Letter(payload),
});

await pool?.ready();
process.stdout.write('ready\n');
for (;;) {
  await pipeline.runOnce();
  if (readdirSync(inbox).length === 0 && pipeline.list('received').length + pipeline.list('opened').length + pipeline.list('delivered').length + pipeline.list('matched').length + pipeline.list('filed').length === 0) break;
}
if (!existsSync(join(dir, 'emr-import'))) process.exit(3);
pipeline.close();
await pool?.close();
process.exit(0);
