/**
 * The federation bench's sender, in its own process: logs in to relay A as the sender and submits
 * `count` envelopes of `bytes` random bytes to `to` (a mailbox at relay B) on a fixed schedule of
 * `rate` per second (open loop: submission i starts at t0 + i/rate whether or not earlier ones
 * have been answered). Prints JSON: per message, when its submit started (epoch ms, fractional)
 * and how long A took to answer 201. Loopback only; bounded by `count` and `maxSeconds`.
 */
import { randomUUID } from 'node:crypto';
import { unlockIdentity } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';

interface Job {
  url: string;
  address: string;
  certificate: string;
  encryptedKey: string;
  passphrase: string;
  to: string;
  bytes: number;
  count: number;
  rate: number;
  maxSeconds: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
if (new URL(job.url).hostname !== '127.0.0.1') throw new Error('federation load: loopback only');
const identity = await unlockIdentity({ certificate: Buffer.from(job.certificate, 'base64'), chain: [], encryptedKey: Buffer.from(job.encryptedKey, 'base64') }, job.passphrase);
const client = new RelayClient({ relayUrl: job.url, address: job.address, identity, retry: { attempts: 1 } });
await client.login();

const body = new Uint8Array(job.bytes);
const sent: { messageId: string; startedAt: number; submitMs: number }[] = [];
let failures = 0;
const origin = performance.timeOrigin;
const t0 = performance.now() + 50;
const deadline = t0 + job.maxSeconds * 1000;
const inFlight: Promise<void>[] = [];
for (let i = 0; i < job.count; i++) {
  const due = t0 + (i * 1000) / job.rate;
  if (due > deadline) break;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  crypto.getRandomValues(body.subarray(0, 64)); // each envelope differs
  const envelope = body.slice();
  const messageId = randomUUID();
  const start = performance.now();
  inFlight.push(
    client.submit(envelope, { messageId, to: [job.to] }).then(
      () => void sent.push({ messageId, startedAt: origin + start, submitMs: performance.now() - start }),
      () => void failures++,
    ),
  );
}
await Promise.all(inFlight);
process.stdout.write(`${JSON.stringify({ sent, failures, seconds: (performance.now() - t0) / 1000 })}\n`);
