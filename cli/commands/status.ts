import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { TransportError, verifyTimeline } from '@sealpost/sdk/transport';
import type { VerifiedTimelineEntry } from '@sealpost/sdk/transport';
import type { CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, parseAt, reportError, trustFrom } from './crypto-io.js';
import { describeTransportError, relayClient } from './relay-io.js';
import { confirmSent, findSentCopy } from './sent-copy.js';

const usage = `Usage: sealpost status MESSAGE_ID --relay URL --id DIR [--json] [--trust CA.pem …] [--original FILE.p7m]
                       [--peer DOMAIN=URL …] [--at ISO_TIME] [--passphrase-file F]

Shows the delivery timeline of a message you sent (docs/protocol.md, Timeline): when it was
accepted by your relay, forwarded by the recipient's relay, delivered, imported and read by the
recipient, or rejected, expired or undeliverable; each event with its time, actor and whether its
signature verified (and why not).

Relay events are checked against the relay certificate the actor relay serves at
/v1/relay/identity: your relay (--relay) and the peers named with --peer DOMAIN=URL; other relays
are looked up at https://DOMAIN/.well-known/sealpost. Relay certificates and receipt signers must
chain to --trust (default: the root of your identity's chain). Receipts are bound to the message
when your sealed copy is at hand: --original FILE.p7m, or the copy \`sealpost send\` keeps as
DIR/sent/MESSAGE_ID.p7m (every envelope is also sealed to its sender, so that copy opens with your
identity). A copy still in DIR/sending/ (a send whose outcome was unknown) is used too, and moved
to DIR/sent/ once the timeline shows the relay accepted the message.

Exit 0 when every event verified, 1 when one did not (or the timeline could not be read).
`;

export { sentCopyPath } from './sent-copy.js';

async function relayDomain(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/v1/relay/identity`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { domain?: unknown };
    return typeof body.domain === 'string' ? body.domain : undefined;
  } catch {
    return undefined;
  }
}

async function wellKnownRelay(domain: string): Promise<string | undefined> {
  try {
    const res = await fetch(`https://${domain}/.well-known/sealpost`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { domain?: unknown; relay?: unknown };
    return body.domain === domain && typeof body.relay === 'string' ? body.relay : undefined;
  } catch {
    return undefined;
  }
}

function identityTrust(identity: Identity): TrustStore {
  const root = identity.chain.at(-1);
  if (root === undefined) throw new UsageError('the identity has no issuer chain to trust: pass --trust CA.pem');
  return new TrustStore().addAnchor(root);
}

const yesNo = (e: VerifiedTimelineEntry): string => {
  if (!e.verified) return `NO (${e.problem ?? 'not verified'})`;
  if (e.bound === false) return `yes, but ${e.problem ?? 'not bound to this message'}`;
  if (e.bound === 'unknown') return 'yes (signature; not bound: no copy of the message)';
  return 'yes';
};

/** `sealpost status`: the delivery timeline of a sent message, each event verified. */
export const statusCommand: CommandGroup = {
  name: 'status',
  summary: 'show the verified delivery timeline of a message you sent',
  usage,
  run: async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        relay: { type: 'string' },
        id: { type: 'string' },
        json: { type: 'boolean' },
        trust: { type: 'string', multiple: true },
        original: { type: 'string' },
        peer: { type: 'string', multiple: true },
        at: { type: 'string' },
        'passphrase-file': { type: 'string' },
      },
    });
    if (!values.relay || !values.id || positionals.length !== 1) throw new UsageError('status needs MESSAGE_ID, --relay and --id');
    const messageId = positionals[0]!;
    const relayUrls: Record<string, string> = {};
    for (const pin of values.peer ?? []) {
      const at = pin.indexOf('=');
      if (at <= 0 || !/^https?:\/\//.test(pin.slice(at + 1))) throw new UsageError(`--peer ${pin}: expected DOMAIN=URL`);
      relayUrls[pin.slice(0, at).toLowerCase()] = pin.slice(at + 1);
    }
    try {
      const identity = await loadIdentity(io, values.id, values['passphrase-file']);
      const trust = values.trust?.length ? await trustFrom(io, values.trust) : identityTrust(identity);
      const at = parseAt(values.at);
      const timeline = await relayClient(values.relay, identity).timeline(messageId);
      const home = await relayDomain(values.relay);
      if (home !== undefined) relayUrls[home] ??= values.relay;
      for (const event of timeline.events) {
        if (['accepted', 'forwarded', 'expired', 'undeliverable'].includes(event.kind) && relayUrls[event.actor] === undefined) {
          const found = await wellKnownRelay(event.actor);
          if (found !== undefined) relayUrls[event.actor] = found;
        }
      }
      const idDir = resolve(io.cwd, values.id);
      const copy = values.original ? { path: resolve(io.cwd, values.original), confirmed: true } : findSentCopy(idDir, messageId);
      const original = copy ? new Uint8Array(await readFile(copy.path)) : undefined;
      const checked = await verifyTimeline(timeline, { relayUrls, relayTrust: trust, identity, trust, ...(original ? { original } : {}), ...(at ? { at } : {}) });
      // A copy left in sending/ by a send whose outcome was unknown: the relay's verified
      // "accepted" is the confirmation that send never got.
      if (copy && !copy.confirmed && checked.some((e) => e.kind === 'accepted' && e.verified)) {
        await confirmSent(idDir, messageId);
        io.stderr(`sealpost status: the relay accepted ${messageId}; your sealed copy moved from ${copy.path} to sent/\n`);
      }
      if (values.json) {
        const events = checked.map((e) => ({ at: e.at, kind: e.kind, actor: e.actor, recipient: e.recipient, reason: e.reason, verified: e.verified, bound: e.bound, problem: e.problem ?? null }));
        io.stdout(`${JSON.stringify({ messageId, bound: original !== undefined, events })}\n`);
      } else {
        io.stdout(`message ${messageId}${original ? '' : ' (no sealed copy: receipts cannot be bound to it)'}\n`);
        for (const e of checked) {
          const who = e.recipient && e.recipient !== e.actor ? `${e.actor} for ${e.recipient}` : e.actor;
          io.stdout(`${e.at}  ${e.kind.padEnd(13)} ${who}${e.reason ? ` (${e.reason})` : ''}  verified: ${yesNo(e)}\n`);
        }
      }
      return checked.every((e) => e.verified) ? 0 : 1;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      const transport = describeTransportError(error);
      if (transport) {
        io.stderr(`sealpost status: ${transport}\n`);
        const unconfirmed = findSentCopy(resolve(io.cwd, values.id), messageId);
        if (error instanceof TransportError && error.kind === 'not-found' && unconfirmed && !unconfirmed.confirmed)
          io.stderr(`sealpost status: your relay does not hold ${messageId}: the send was not accepted (its sealed copy is still at ${unconfirmed.path}; send the file again)\n`);
        return 1;
      }
      return reportError(io, 'status', error);
    }
  },
};
