/**
 * `npm run bench -- envelope [--json] [--runs N] [--sizes 1,10,50]`: seal and open 1, 10 and 50 MB
 * with Sealpost, with the `openssl cms` CLI (sign + encrypt, decrypt + verify: two CLI steps each,
 * files in a temporary directory) and with the raw WebCrypto floor (ECDSA P-256 + ECDH P-256 /
 * HKDF-SHA-256 + AES-256-GCM, no CMS at all), side by side in one process run. Every figure is the
 * median of N runs in milliseconds. The Sealpost and OpenSSL outputs are checked (the payload
 * comes back byte for byte) before anything is timed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDevCa, generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope, toPem, TrustStore } from '@sealpost/sdk/crypto';

const MB = 1024 * 1024;
type Impl = 'sealpost' | 'openssl' | 'webcrypto';
type Op = 'seal' | 'open';

function payloadOf(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(out.subarray(offset, Math.min(size, offset + 65536)));
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Times the implementations round-robin (one run of each, then the next round), so that load
 * from other processes on a shared machine hits all of them alike; returns each one's median.
 */
async function timeSideBySide(runs: number, fns: Record<Impl, () => Promise<unknown> | unknown>): Promise<Record<Impl, number>> {
  const samples: Record<Impl, number[]> = { sealpost: [], openssl: [], webcrypto: [] };
  for (let i = 0; i < runs; i++) {
    for (const impl of Object.keys(fns) as Impl[]) {
      (globalThis as { gc?: () => void }).gc?.();
      const start = performance.now();
      await fns[impl]();
      samples[impl].push(performance.now() - start);
    }
  }
  return { sealpost: median(samples.sealpost), openssl: median(samples.openssl), webcrypto: median(samples.webcrypto) };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1024 * MB });
}

/** The floor: what any WebCrypto envelope must do at least, without CMS. */
async function webcryptoFloor(signing: CryptoKeyPair, recipient: CryptoKeyPair) {
  const kdf = async (ephemeralPrivate: CryptoKey, peerPublic: CryptoKey, usage: KeyUsage) => {
    const z = await crypto.subtle.deriveBits({ name: 'ECDH', public: peerPublic }, ephemeralPrivate, 256);
    const base = await crypto.subtle.importKey('raw', z, 'HKDF', false, ['deriveKey']);
    return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: new Uint8Array(0) }, base, { name: 'AES-GCM', length: 256 }, false, [usage]);
  };
  return {
    seal: async (payload: Uint8Array<ArrayBuffer>) => {
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signing.privateKey, payload);
      const ephemeral = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
      const key = await kdf(ephemeral.privateKey, recipient.publicKey, 'encrypt');
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, payload);
      return { signature, ephemeral: ephemeral.publicKey, iv, ciphertext };
    },
    open: async (sealed: { signature: ArrayBuffer; ephemeral: CryptoKey; iv: Uint8Array<ArrayBuffer>; ciphertext: ArrayBuffer }) => {
      const key = await kdf(recipient.privateKey, sealed.ephemeral, 'decrypt');
      const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, sealed.ciphertext);
      if (!(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, signing.publicKey, sealed.signature, plaintext))) throw new Error('floor: bad signature');
      return plaintext;
    },
  };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, runs: { type: 'string' }, sizes: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- envelope [--json] [--runs N] [--sizes 1,10,50]\n');
    return 0;
  }
  const runs = values.runs ? Number(values.runs) : 5;
  const sizes = (values.sizes ?? '1,10,50').split(',').map(Number);
  const log = (text: string) => void (values.json ? process.stderr : process.stdout).write(text);

  const ca = await createDevCa();
  const jane = await generateIdentity({ name: 'Bench Sender', address: 'sender@bench.example', issuer: ca.identity });
  const carol = await generateIdentity({ name: 'Bench Recipient', address: 'recipient@bench.example', issuer: ca.identity });
  const trust = new TrustStore().addAnchor(ca.identity.certificate);
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-'));
  const file = (name: string) => join(dir, name);
  writeFileSync(file('ca.pem'), toPem(ca.identity.certificate, 'CERTIFICATE'));
  writeFileSync(file('sender.pem'), toPem(jane.identity.certificate, 'CERTIFICATE'));
  writeFileSync(file('sender.key'), toPem(await jane.exportEncryptedKey('bench', { iterations: 1000 }), 'ENCRYPTED PRIVATE KEY'));
  writeFileSync(file('recip.pem'), toPem(carol.identity.certificate, 'CERTIFICATE'));
  writeFileSync(file('recip.key'), toPem(await carol.exportEncryptedKey('bench', { iterations: 1000 }), 'ENCRYPTED PRIVATE KEY'));
  const signing = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const recipientPair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const floor = await webcryptoFloor(signing, recipientPair);

  const cases: Record<string, Record<Op, Record<Impl, number>>> = {};
  try {
    for (const sizeMb of sizes) {
      const payload = payloadOf(sizeMb * MB) as Uint8Array<ArrayBuffer>;
      writeFileSync(file('plain.bin'), payload);
      const sealOptions = { sender: jane.identity, recipients: [carol.identity.certificate] };
      const openOptions = () => ({ identity: carol.identity, trust, seenStore: new MemorySeenStore() });

      // Correctness first: each implementation's output opens to the same payload.
      const { envelope } = await sealEnvelope(payload, sealOptions);
      if (!same((await openEnvelope(envelope, openOptions())).payload, payload)) throw new Error('sealpost round trip failed');
      const opensslSeal = () => {
        openssl(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', file('plain.bin'), '-signer', file('sender.pem'), '-inkey', file('sender.key'), '-passin', 'pass:bench', '-outform', 'DER', '-out', file('signed.der')]);
        openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', file('signed.der'), '-recip', file('recip.pem'), '-keyopt', 'ecdh_kdf_md:sha256', '-outform', 'DER', '-out', file('sealed.p7m')]);
      };
      const opensslOpen = () => {
        openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file('sealed.p7m'), '-recip', file('recip.pem'), '-inkey', file('recip.key'), '-passin', 'pass:bench', '-out', file('inner.der')]);
        openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', file('inner.der'), '-CAfile', file('ca.pem'), '-out', file('out.bin')]);
      };
      opensslSeal();
      opensslOpen();
      if (!same(new Uint8Array(readFileSync(file('out.bin'))), payload)) throw new Error('openssl round trip failed');
      if (!same(new Uint8Array(await floor.open(await floor.seal(payload))), payload)) throw new Error('webcrypto floor round trip failed');

      log(`${sizeMb} MB: `);
      const sealed = await floor.seal(payload);
      const figures: Record<Op, Record<Impl, number>> = {
        seal: await timeSideBySide(runs, { sealpost: () => sealEnvelope(payload, sealOptions), openssl: opensslSeal, webcrypto: () => floor.seal(payload) }),
        open: await timeSideBySide(runs, { sealpost: () => openEnvelope(envelope, openOptions()), openssl: opensslOpen, webcrypto: () => floor.open(sealed) }),
      };
      cases[`${sizeMb}MB`] = figures;
      log('done\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (values.json) {
    process.stdout.write(JSON.stringify({ bench: 'envelope', unit: 'ms', cases }) + '\n');
    return 0;
  }
  const lines = [`envelope bench: median of ${runs} runs, ms (node ${process.version}, ${process.platform}/${process.arch})`, '', 'size   op    sealpost   openssl  webcrypto  sealpost/openssl  sealpost/webcrypto'];
  for (const [size, ops] of Object.entries(cases)) {
    for (const op of ['seal', 'open'] as const) {
      const f = ops[op];
      lines.push(`${size.padEnd(6)} ${op.padEnd(5)} ${f.sealpost.toFixed(1).padStart(8)} ${f.openssl.toFixed(1).padStart(9)} ${f.webcrypto.toFixed(1).padStart(10)} ${(f.sealpost / f.openssl).toFixed(2).padStart(17)} ${(f.sealpost / f.webcrypto).toFixed(2).padStart(19)}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
