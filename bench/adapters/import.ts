/**
 * `npm run bench -- import [--json] [--letters N]`: letters per second through the import
 * pipeline, from an in-memory relay inbox to a file-drop folder: open and verify each envelope,
 * signed delivered and imported receipts, patient matching, durable state per step (SQLite,
 * synchronous=FULL) and the folder's temp → fsync → marker → rename. 4 KB ORU^R01 results, sealed
 * before the clock starts. Bounded by N (default 500). The FHIR EMR target is not measured here yet.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDevCa, generateIdentity, sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import { ImportFolder } from '../../adapters/file-drop/import-folder.js';
import { ImportPipeline } from '../../adapters/import/pipeline.js';
import { renderHl7Letter } from '../../adapters/import/render-hl7.js';

const oru4k = (id: string): string => {
  const head = [
    `MSH|^~\\&|LAB|ACME PATH|GP|SURGERY|20260101120000||ORU^R01^ORU_R01|${id}|P|2.5.1`,
    'PID|1||8003608166690503^^^AUSHIC^NI||Citizen^Jane^^^Ms||19800101|F|||1 Main St^^Sydney^NSW^2000^AU',
    'OBR|1||R1|11502-2^Laboratory report^LN|||20260101110000',
  ].join('\r');
  const obx = `\rOBX|1|FT|11502-2^Laboratory report^LN||${'Result text '.repeat(320)}||||||F\r`;
  return (head + obx).slice(0, 4096 - 1) + '\r';
};

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, letters: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- import [--json] [--letters N (default 500)]\n');
    return 0;
  }
  const n = Number(values.letters ?? 500);
  const ca = await createDevCa();
  const lab = await generateIdentity({ name: 'ACME Pathology', address: 'results@acme-path.example', issuer: ca.identity });
  const gp = await generateIdentity({ name: 'Harbourside GP', address: 'inbox@harbourside-gp.example', issuer: ca.identity });
  const inbox: { id: string; envelope: Uint8Array }[] = [];
  for (let i = 0; i < n; i++) {
    const payload = new TextEncoder().encode(oru4k(`B${i}`));
    const { envelope } = await sealEnvelope(payload, { sender: lab.identity, recipients: [gp.identity.certificate], messageId: `bench-${i}`, receipt: true, mediaType: 'application/hl7-v2' });
    inbox.push({ id: `item-${i}`, envelope });
  }
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-import-'));
  try {
    const folder = new ImportFolder({ dir: join(dir, 'import') });
    let receipts = 0;
    const pipeline = new ImportPipeline({
      path: join(dir, 'agent.db'),
      identity: gp.identity,
      trust: new TrustStore().addAnchor(ca.identity.certificate),
      batchSize: 100,
      source: { fetch: (limit) => Promise.resolve(inbox.slice(0, limit)), remove: (id) => Promise.resolve(void inbox.splice(inbox.findIndex((i) => i.id === id), 1)) },
      target: {
        findPatients: () => Promise.resolve([{ id: 'p1', identifiers: [{ system: 'http://ns.electronichealth.net.au/id/hi/ihi/1.0', value: '8003608166690503' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female' as const }]),
        file: (letter, _patient, messageId) => Promise.resolve(void folder.file(messageId, letter.content)),
        fileBatch: async (letters) => void (await folder.fileMany(letters.map((l) => ({ messageId: l.messageId, bytes: l.letter.content })))),
      },
      receipts: { send: () => Promise.resolve(void receipts++) },
      render: (payload) => renderHl7Letter(payload),
    });
    const start = performance.now();
    let filed = 0;
    while (inbox.length > 0) filed += (await pipeline.runOnce()).filed;
    const seconds = (performance.now() - start) / 1000;
    pipeline.close();
    const files = readdirSync(join(dir, 'import')).filter((f) => !f.startsWith('.')).length;
    const row = { target: 'file-drop folder', letters: n, filed, files, receipts, seconds: Math.round(seconds * 1000) / 1000, perSecond: Math.round(filed / seconds) };
    if (filed !== n || files !== n) throw new Error(`filed ${filed}, files ${files}, expected ${n}`);
    if (values.json) process.stdout.write(JSON.stringify({ bench: 'import', node: process.version, rows: [row] }, null, 2) + '\n');
    else process.stdout.write(`import pipeline → ${row.target}: ${n} × 4 KB ORU in ${row.seconds} s = ${row.perSecond} letters/s (${receipts} signed receipts)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}
