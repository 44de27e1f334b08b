/**
 * The load generator, in its own process: autocannon PUTs envelopes with a fresh messageId each.
 * Reads one JSON job from argv[2] and prints autocannon's summary as JSON. Every run is bounded by
 * `amount` and `duration`, and only ever talks to 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

interface Job {
  url: string;
  token: string;
  to: string;
  bodyBytes: number;
  connections: number;
  durationSec: number;
  amount: number;
  rate?: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
if (new URL(job.url).hostname !== '127.0.0.1') throw new Error('load generator: loopback only');
const body = Buffer.alloc(job.bodyBytes);
for (let i = 0; i < body.length; i += 65536) crypto.getRandomValues(body.subarray(i, Math.min(body.length, i + 65536)));

const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationSec,
  amount: job.amount,
  ...(job.rate ? { overallRate: job.rate } : {}),
  timeout: 30,
  requests: [
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${job.token}`, 'content-type': 'application/octet-stream', 'sealpost-to': job.to },
      body,
      setupRequest: (request) => ({ ...request, path: `/v1/messages/${randomUUID()}` }),
    },
  ],
});
process.stdout.write(
  JSON.stringify({
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    perSec: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  }) + '\n',
);
