/**
 * The seal/open suite that runs unchanged in Node (suite.node.test.ts, through vitest) and in
 * Chromium (suite.browser.test.ts, against the rollup build in sdk/dist). It uses nothing but the
 * SDK and the platform (no Node APIs, no vitest), so what passes in one runtime is the same code
 * passing in the other.
 */
import type * as CryptoSdk from '@sealpost/sdk/crypto';
import { subtle } from '../../../sdk/crypto/internal/subtle.js';

export type Sdk = typeof CryptoSdk;

export interface SuiteContext {
  sdk: Sdk;
  ca: CryptoSdk.GeneratedIdentity;
  jane: CryptoSdk.GeneratedIdentity;
  bob: CryptoSdk.GeneratedIdentity;
  carol: CryptoSdk.GeneratedIdentity;
  trust: CryptoSdk.TrustStore;
  at: Date;
}

export interface SuiteCase {
  name: string;
  run: (ctx: SuiteContext) => Promise<void>;
}

const T0 = new Date('2026-01-01T00:00:00Z');

export async function makeContext(sdk: Sdk): Promise<SuiteContext> {
  const ca = await sdk.createDevCa({ notBefore: T0 });
  const jane = await sdk.generateIdentity({ name: 'Dr Jane Citizen', address: 'jane@harbourside-gp.example', issuer: ca.identity, notBefore: T0 });
  const bob = await sdk.generateIdentity({ name: 'Dr Bob Rsa', address: 'bob@hospital.example', issuer: ca.identity, notBefore: T0, algorithm: 'RSA-2048' });
  const carol = await sdk.generateIdentity({ name: 'Carol Other', address: 'carol@elsewhere.example', issuer: ca.identity, notBefore: T0 });
  return { sdk, ca, jane, bob, carol, trust: new sdk.TrustStore().addAnchor(ca.identity.certificate), at: new Date('2026-03-01T00:00:00Z') };
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert(error !== undefined, `expected ${code}, but it resolved`);
  const actual = (error as { code?: string }).code;
  assert(actual === code, `expected ${code}, got ${actual ?? String(error)}`);
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const openOptions = (ctx: SuiteContext, identity: CryptoSdk.Identity, seenStore?: CryptoSdk.SeenStore): CryptoSdk.OpenOptions => ({
  identity,
  trust: ctx.trust,
  at: ctx.at,
  seenStore: seenStore ?? new ctx.sdk.MemorySeenStore({ now: () => ctx.at }),
});

export const envelopeSuite: SuiteCase[] = [
  {
    name: 'seal to an RSA and an EC recipient; each and the sender open it',
    run: async (ctx) => {
      const payload = text('MSH|^~\\&|GP|HARBOURSIDE\r');
      const { envelope, header } = await ctx.sdk.sealEnvelope(payload, { sender: ctx.jane.identity, recipients: [ctx.bob.identity.certificate, ctx.carol.identity.certificate], now: ctx.at, padding: 64 });
      for (const who of [ctx.bob, ctx.carol, ctx.jane]) {
        const opened = await ctx.sdk.openEnvelope(envelope, openOptions(ctx, who.identity));
        assert(sameBytes(opened.payload, payload), 'payload round-trips');
        assert(opened.header?.messageId === header.messageId, 'header verified');
        assert(opened.signer.addresses[0] === 'jane@harbourside-gp.example', 'signer address');
      }
    },
  },
  {
    name: 'ECDH with UKM, RSA sender',
    run: async (ctx) => {
      const { envelope } = await ctx.sdk.sealEnvelope(text('hi'), { sender: ctx.bob.identity, recipients: [ctx.jane.identity.certificate], now: ctx.at, ukm: true });
      const opened = await ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.jane.identity));
      assert(new TextDecoder().decode(opened.payload) === 'hi', 'payload');
    },
  },
  {
    name: '2 MiB payload',
    run: async (ctx) => {
      const payload = new Uint8Array(2 * 1024 * 1024);
      for (let i = 0; i < payload.length; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
      const { envelope } = await ctx.sdk.sealEnvelope(payload, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      assert(sameBytes((await ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.carol.identity))).payload, payload), 'payload');
    },
  },
  {
    name: 'a payload from allocatePayload is sealed in place: the envelope shares its buffer, every recipient opens it, no plaintext is left, a second seal throws',
    run: async (ctx) => {
      for (const padding of [0, 37]) {
        const letter = new Uint8Array(1_500_000);
        for (let i = 0; i < letter.length; i += 65536) crypto.getRandomValues(letter.subarray(i, i + 65536));
        const slot = ctx.sdk.allocatePayload(letter.length);
        slot.set(letter);
        const { envelope } = await ctx.sdk.sealEnvelope(slot, { sender: ctx.jane.identity, recipients: [ctx.bob.identity.certificate, ctx.carol.identity.certificate], now: ctx.at, padding, receipt: true });
        assert(envelope.buffer === slot.buffer, 'the envelope is built in the slot');
        assert(envelope.byteOffset < slot.byteOffset && envelope.byteOffset + envelope.length > slot.byteOffset + slot.length, 'around the payload');
        assert(!sameBytes(slot, letter), 'the slot holds ciphertext, not the letter');
        for (const who of [ctx.bob, ctx.carol, ctx.jane]) {
          const opened = await ctx.sdk.openEnvelope(envelope, openOptions(ctx, who.identity));
          assert(sameBytes(opened.payload, letter), 'payload round-trips');
          assert(opened.header?.padding === padding, 'padding');
        }
        let error: unknown;
        try {
          await ctx.sdk.sealEnvelope(slot, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
        } catch (caught) {
          error = caught;
        }
        assert(error instanceof TypeError, 'sealing a sealed slot again is refused');
      }
    },
  },
  {
    name: 'a slot whose room is too small is copied instead (same envelope, the letter stays); a concurrent second seal of a slot is refused; a failed seal leaves a slot usable',
    run: async (ctx) => {
      const letter = text('a letter in a slot with no room around it');
      const tight = ctx.sdk.allocatePayload(letter.length, { headroom: 0, tailroom: 0 });
      tight.set(letter);
      const { envelope } = await ctx.sdk.sealEnvelope(tight, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      assert(envelope.buffer !== tight.buffer && sameBytes(tight, letter), 'copied, the slot untouched');
      assert(sameBytes((await ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.carol.identity))).payload, letter), 'opens');
      const slot = ctx.sdk.allocatePayload(letter.length);
      slot.set(letter);
      // Two seals of one slot at once would write into the same room: the second is refused.
      const first = ctx.sdk.sealEnvelope(slot, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      let concurrent: unknown;
      try {
        await ctx.sdk.sealEnvelope(slot, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      } catch (caught) {
        concurrent = caught;
      }
      assert(concurrent instanceof TypeError, 'a concurrent seal of the same slot is refused');
      assert(sameBytes((await ctx.sdk.openEnvelope((await first).envelope, openOptions(ctx, ctx.carol.identity))).payload, letter), 'the first seal is whole');
      const other = ctx.sdk.allocatePayload(letter.length);
      other.set(letter);
      // A recipient certificate that may not receive envelopes (the CA's: keyCertSign only) fails the seal before anything is written.
      await rejectsWith(ctx.sdk.sealEnvelope(other, { sender: ctx.jane.identity, recipients: [ctx.ca.identity.certificate], now: ctx.at }), 'ERR_CRYPTO_RECIPIENT_KEY_USAGE');
      assert(sameBytes(other, letter), 'a failed seal leaves the letter');
      const sealed = await ctx.sdk.sealEnvelope(other, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      assert(sameBytes((await ctx.sdk.openEnvelope(sealed.envelope, openOptions(ctx, ctx.carol.identity))).payload, letter), 'then seals and opens');
    },
  },
  {
    // openEnvelope writes the tag over the 16 bytes after the ciphertext while it calls decrypt()
    // and puts them back at once (auth-enveloped-data.ts): the caller must never see a change.
    name: "open leaves the caller's envelope untouched, also inside a larger buffer and after a failure",
    run: async (ctx) => {
      const payload = new Uint8Array(300_000);
      for (let i = 0; i < payload.length; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
      const { envelope } = await ctx.sdk.sealEnvelope(payload, { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      const original = envelope.slice();
      const framed = new Uint8Array(envelope.length + 64);
      framed.set(envelope, 32);
      const inside = framed.subarray(32, 32 + envelope.length);
      for (const input of [envelope, inside]) {
        const opened = await ctx.sdk.openEnvelope(input, openOptions(ctx, ctx.carol.identity));
        assert(sameBytes(opened.payload, payload), 'payload');
        assert(sameBytes(input, original), 'envelope unchanged after open');
      }
      const altered = envelope.slice();
      altered[altered.length - 30] = (altered[altered.length - 30] as number) ^ 1; // in the ciphertext
      const alteredCopy = altered.slice();
      await rejectsWith(ctx.sdk.openEnvelope(altered, openOptions(ctx, ctx.carol.identity)), 'ERR_ENVELOPE_DECRYPT');
      assert(sameBytes(altered, alteredCopy), 'envelope unchanged after a failed open');
    },
  },
  {
    // What the copy-free open relies on for speed (not for safety: a late copy fails closed and
    // is retried on a copy): WebCrypto takes its copy of the data when decrypt() is called, and so
    // must a runtime installed in its place (the Node crypto runtime, D-CRYPTO-4).
    name: "this runtime's WebCrypto copies the decrypt() input when called",
    run: async () => {
      const key = await subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const iv = new Uint8Array(12);
      const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv }, key, text('copied at call time') as Uint8Array<ArrayBuffer>));
      const pending = subtle().decrypt({ name: 'AES-GCM', iv }, key, sealed);
      sealed.fill(0);
      assert(new TextDecoder().decode(await pending) === 'copied at call time', 'decrypt used the bytes as they were when called');
    },
  },
  {
    name: 'a flipped tag byte fails with ERR_ENVELOPE_DECRYPT',
    run: async (ctx) => {
      const { envelope } = await ctx.sdk.sealEnvelope(text('x'), { sender: ctx.jane.identity, recipients: [ctx.bob.identity.certificate], now: ctx.at });
      const copy = new Uint8Array(envelope);
      copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 1;
      await rejectsWith(ctx.sdk.openEnvelope(copy, openOptions(ctx, ctx.bob.identity)), 'ERR_ENVELOPE_DECRYPT');
    },
  },
  {
    name: 'not a recipient, replay, expiry and chain fail with their codes',
    run: async (ctx) => {
      const { envelope } = await ctx.sdk.sealEnvelope(text('x'), { sender: ctx.jane.identity, recipients: [ctx.bob.identity.certificate], now: ctx.at, ttlMs: 86_400_000 });
      await rejectsWith(ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.carol.identity)), 'ERR_ENVELOPE_DECRYPT');
      const seen = new ctx.sdk.MemorySeenStore({ now: () => ctx.at });
      await ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.bob.identity, seen));
      await rejectsWith(ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.bob.identity, seen)), 'ERR_ENVELOPE_REPLAY');
      await rejectsWith(ctx.sdk.openEnvelope(envelope, { ...openOptions(ctx, ctx.bob.identity), at: new Date(ctx.at.getTime() + 2 * 86_400_000) }), 'ERR_ENVELOPE_EXPIRED');
      const other = await ctx.sdk.createDevCa({ notBefore: T0, name: 'Other CA' });
      await rejectsWith(ctx.sdk.openEnvelope(envelope, { ...openOptions(ctx, ctx.bob.identity), trust: new ctx.sdk.TrustStore().addAnchor(other.identity.certificate) }), 'ERR_ENVELOPE_CHAIN');
    },
  },
  {
    name: 'receipts bind to the exact message',
    run: async (ctx) => {
      const { envelope } = await ctx.sdk.sealEnvelope(text('referral'), { sender: ctx.jane.identity, recipients: [ctx.bob.identity.certificate], now: ctx.at, receipt: true });
      const opened = await ctx.sdk.openEnvelope(envelope, openOptions(ctx, ctx.bob.identity));
      const receipt = await ctx.sdk.createReceipt(opened, { identity: ctx.bob.identity, status: 'imported', now: ctx.at });
      const verified = await ctx.sdk.verifyReceipt(receipt, envelope, { identity: ctx.jane.identity, trust: ctx.trust, at: ctx.at });
      assert(verified.status.status === 'imported', 'status');
      const other = await ctx.sdk.sealEnvelope(text('other'), { sender: ctx.jane.identity, recipients: [ctx.bob.identity.certificate], now: ctx.at, receipt: true });
      await rejectsWith(ctx.sdk.verifyReceipt(receipt, other.envelope, { identity: ctx.jane.identity, trust: ctx.trust, at: ctx.at }), 'ERR_ENVELOPE_RECEIPT');
    },
  },
  {
    name: 'encrypted key export and unlock; wrong passphrase',
    run: async (ctx) => {
      const encryptedKey = await ctx.jane.exportEncryptedKey('passphrase', { iterations: 1000 });
      const stored = { certificate: ctx.jane.identity.certificate, chain: ctx.jane.identity.chain, encryptedKey };
      const identity = await ctx.sdk.unlockIdentity(stored, 'passphrase');
      assert(identity.signingKey.extractable === false, 'non-extractable');
      await rejectsWith(ctx.sdk.unlockIdentity(stored, 'wrong'), 'ERR_CRYPTO_KEY_PASSPHRASE');
    },
  },
  {
    name: 'ASN.1 bombs fail with ERR_ENVELOPE_MALFORMED',
    run: async (ctx) => {
      const deep = new Uint8Array(100_000);
      for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
      await rejectsWith(ctx.sdk.openEnvelope(deep, openOptions(ctx, ctx.bob.identity)), 'ERR_ENVELOPE_MALFORMED');
      await rejectsWith(ctx.sdk.openEnvelope(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xf0, 6, 1), openOptions(ctx, ctx.bob.identity)), 'ERR_ENVELOPE_MALFORMED');
    },
  },
];

/** Cases that need browser APIs (IndexedDB); run only by the Chromium runner. */
export const browserOnlySuite: SuiteCase[] = [
  {
    name: 'IndexedDbKeyStore keeps non-extractable keys that open envelopes, and the encrypted backup',
    run: async (ctx) => {
      const store = new ctx.sdk.IndexedDbKeyStore({ dbName: `sealpost-test-${Date.now()}` });
      const encryptedKey = await ctx.carol.exportEncryptedKey('pin 1234', { iterations: 1000 });
      const stored = { certificate: ctx.carol.identity.certificate, chain: ctx.carol.identity.chain, encryptedKey };
      await rejectsWith(store.get('carol'), 'ERR_CRYPTO_KEY_NOT_FOUND');
      let refused = false;
      try {
        await store.put('carol', stored);
      } catch (error) {
        refused = error instanceof TypeError;
      }
      assert(refused, 'put without passphrase is a TypeError');
      await rejectsWith(store.put('carol', stored, { passphrase: 'wrong' }), 'ERR_CRYPTO_KEY_PASSPHRASE');
      await store.put('carol', stored, { passphrase: 'pin 1234' });
      assert(JSON.stringify(await store.list()) === '["carol"]', 'list');
      const identity = await store.get('carol');
      assert(identity.signingKey.extractable === false && identity.decryptionKey.extractable === false, 'keys are non-extractable');
      const { envelope } = await ctx.sdk.sealEnvelope(text('via IndexedDB'), { sender: ctx.jane.identity, recipients: [ctx.carol.identity.certificate], now: ctx.at });
      const opened = await ctx.sdk.openEnvelope(envelope, openOptions(ctx, identity));
      assert(new TextDecoder().decode(opened.payload) === 'via IndexedDB', 'opens with the stored key');
      const backup = await store.exportBackup('carol');
      assert(sameBytes(backup.encryptedKey, encryptedKey), 'backup is the encrypted key');
      assert((await ctx.sdk.unlockIdentity(backup, 'pin 1234')).decryptionKey.algorithm.name === 'ECDH', 'backup unlocks');
      assert((await store.delete('carol')) === true, 'deleted');
      assert((await store.list()).length === 0, 'empty after delete');
    },
  },
];
