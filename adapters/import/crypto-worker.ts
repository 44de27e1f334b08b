/**
 * Worker thread of `CryptoWorkerPool`: opens envelopes and signs receipts with the identity the
 * pool sends first. Replay checks go back to the pool (the seen store lives with the pipeline's
 * SQLite file on the main thread), so a worker holds no state beyond the identity and trust.
 */
import { parentPort } from 'node:worker_threads';
import { SealpostError } from '@sealpost/sdk';
import { EnvelopeError, TrustStore } from '@sealpost/sdk/crypto';
import { installNodeCrypto } from '@sealpost/sdk/node/crypto';
import type { Identity, SeenStore } from '@sealpost/sdk/crypto';
import type { EnvelopeCrypto } from './envelope-crypto.js';
import { inProcessCrypto } from './envelope-crypto.js';
import type { FromWorker, ToWorker, WireError } from './crypto-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('crypto-worker.ts runs as a worker thread of CryptoWorkerPool');
installNodeCrypto(); // D-CRYPTO-4: opens and receipts on node:crypto

let engine: Promise<EnvelopeCrypto> | undefined;
let nextRid = 0;
const remembering = new Map<number, { resolve: (value: boolean) => void; reject: (error: Error) => void }>();
const post = (message: FromWorker): void => port.postMessage(message);

async function build(identity: Identity, material: { anchors: Uint8Array[]; pinned?: Uint8Array[]; crls?: Uint8Array[] }): Promise<EnvelopeCrypto> {
  const trust = new TrustStore();
  for (const anchor of material.anchors) trust.addAnchor(anchor);
  for (const pinned of material.pinned ?? []) await trust.addPinned(pinned);
  for (const crl of material.crls ?? []) trust.addCrl(crl);
  return inProcessCrypto(identity, trust);
}

function wire(error: unknown): WireError {
  if (error instanceof EnvelopeError) return { message: error.message, envelopeReason: error.reason, code: error.code };
  if (error instanceof SealpostError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** A seen store whose answers come from the pool's, for request `id`. */
const seenStoreFor = (id: number): SeenStore => ({
  remember: (signer, messageId, expiresAt) =>
    new Promise<boolean>((resolve, reject) => {
      const rid = nextRid++;
      remembering.set(rid, { resolve, reject });
      post({ type: 'remember', id, rid, signer, messageId, expiresAt });
    }),
});

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      engine = build(message.identity, message.trust);
      engine.then(
        () => post({ type: 'ready' }),
        () => undefined, // reported by the first request, which awaits the same promise
      );
      return;
    case 'remembered': {
      const waiting = remembering.get(message.rid);
      remembering.delete(message.rid);
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.value === true);
      return;
    }
    case 'open': {
      const { id, envelope, at, delivered } = message;
      void (async () => {
        try {
          const done = await (await engine!).open({ envelope, at, delivered, seenStore: seenStoreFor(id) });
          post({ type: 'opened', id, opened: done.opened, ...(done.delivered ? { delivered: done.delivered } : {}) });
        } catch (error) {
          post({ type: 'failed', id, error: wire(error) });
        }
      })();
      return;
    }
    case 'receipt': {
      const { id, original, status, reason } = message;
      void (async () => {
        try {
          post({ type: 'signed', id, receipt: await (await engine!).receipt(original, { status, ...(reason ? { reason } : {}) }) });
        } catch (error) {
          post({ type: 'failed', id, error: wire(error) });
        }
      })();
      return;
    }
  }
});
