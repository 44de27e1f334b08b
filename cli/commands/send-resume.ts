/*
 * `sealpost send --resume`: resubmits every sealed copy a `sealpost send` left in DIR/sending/
 * (the outcome was unknown: a crash or a network failure between sealing and the relay's answer).
 *
 * The copy is resent byte for byte under its own messageId, which is safe whatever happened the
 * first time: the relay keys submissions on messageId and digest, so a message it already holds is
 * answered with its first answer (and delivered once), and one it never got is accepted now. The
 * recipients are read from the copy itself: the sender opens it (every envelope is sealed to its
 * sender too) and takes the addresses of the signed header's intendedRecipients, which also proves
 * the file is a message this identity sealed, not something else put in the folder.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvelopeError, MemorySeenStore, openEnvelope } from '@sealpost/sdk/crypto';
import type { Identity, TrustStore } from '@sealpost/sdk/crypto';
import type { SubmitResult } from '@sealpost/sdk/transport';
import type { CliIo } from '../io.js';
import { addressOfCertificate, describeTransportError, relayClient } from './relay-io.js';
import { confirmSent, dropSendingCopy, isRefusal, sendingCopyPath, sentCopyPath } from './sent-copy.js';

/** What {@link resumeSending} needs from `sealpost send`'s options. */
export interface ResumeSendingOptions {
  /** The identity folder (DIR). */
  idDir: string;
  relay: string;
  sender: Identity;
  /** Anchors the copy's signature must chain to (send's --trust, default the identity's root). */
  trust: TrustStore;
  json: boolean;
}

/** One copy's outcome: accepted (now under sent/), refused (removed) or left in sending/. */
type Outcome =
  | { messageId: string; outcome: 'accepted'; answer: SubmitResult; sentCopy: string }
  | { messageId: string; outcome: 'refused' | 'unknown' | 'unreadable'; error: string; copy: string };

/** MESSAGE_ID.p7m, the messageId as the protocol allows it (docs/protocol.md §5); a write in progress (`.NAME.PID.tmp`) does not match. */
const COPY = /^([A-Za-z0-9._~-]{1,128})\.p7m$/;

/** The copies waiting in DIR/sending/, by messageId. */
async function waitingCopies(idDir: string): Promise<string[]> {
  try {
    return (await readdir(join(idDir, 'sending')))
      .map((name) => COPY.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Opens a copy as its sender: the recipients to submit it to, or why it cannot be resent. */
async function recipientsOf(envelope: Uint8Array, messageId: string, options: ResumeSendingOptions): Promise<string[]> {
  const opened = await openEnvelope(envelope, {
    identity: options.sender,
    trust: options.trust,
    seenStore: new MemorySeenStore(),
    // A copy of a large (uploaded) submission is as large as it was; the default suits received mail.
    maxBytes: Math.max(envelope.length, 65 * 1024 * 1024),
  });
  const header = opened.header;
  const own = addressOfCertificate(options.sender.certificate);
  if (!header || header.messageId !== messageId || header.sender.address.toLowerCase() !== own) {
    throw new Error(`not a message ${own} sealed under the messageId ${messageId} (its header says ${header ? `${header.messageId} from ${header.sender.address}` : 'nothing'})`);
  }
  return header.intendedRecipients.map((r) => r.address);
}

async function resendOne(messageId: string, options: ResumeSendingOptions): Promise<Outcome> {
  const copy = sendingCopyPath(options.idDir, messageId);
  const envelope = new Uint8Array(await readFile(copy));
  let to: string[];
  try {
    to = await recipientsOf(envelope, messageId, options);
  } catch (error) {
    let why = error instanceof EnvelopeError ? `${error.code} (reason: ${error.reason}): ${error.message}` : (error as Error).message;
    // The relay would not deliver it now; whether it took it before, status says.
    if (error instanceof EnvelopeError && error.reason === 'expired') why += ` (\`sealpost status ${messageId}\` tells whether the relay accepted it before)`;
    return { messageId, outcome: 'unreadable', error: why, copy };
  }
  let answer: SubmitResult;
  try {
    answer = await relayClient(options.relay, options.sender).submit(envelope, { messageId, to });
  } catch (error) {
    const why = describeTransportError(error) ?? (error as Error).message;
    if (isRefusal(error)) {
      await dropSendingCopy(options.idDir, messageId);
      return { messageId, outcome: 'refused', error: why, copy };
    }
    return { messageId, outcome: 'unknown', error: why, copy };
  }
  await confirmSent(options.idDir, messageId);
  return { messageId, outcome: 'accepted', answer, sentCopy: sentCopyPath(options.idDir, messageId) };
}

/**
 * Resubmits every copy in DIR/sending/, one at a time, oldest name first; resolves with the exit
 * code: 0 when every copy was accepted (or there was none), 1 when any was refused (its copy
 * removed, as `send` does), unreadable or of unknown outcome again (left in sending/).
 */
export async function resumeSending(io: CliIo, options: ResumeSendingOptions): Promise<number> {
  const outcomes: Outcome[] = [];
  for (const messageId of await waitingCopies(options.idDir)) {
    const outcome = await resendOne(messageId, options);
    outcomes.push(outcome);
    if (options.json) continue;
    if (outcome.outcome === 'accepted') io.stdout(`${messageId}\n`);
    else if (outcome.outcome === 'refused') io.stderr(`sealpost send: the relay refused ${messageId}: ${outcome.error}; its copy was removed.\n`);
    else if (outcome.outcome === 'unknown') io.stderr(`sealpost send: whether the relay accepted ${messageId} is still unknown (${outcome.error}); its copy stays at ${outcome.copy}.\n`);
    else io.stderr(`sealpost send: ${outcome.copy} was not resent: ${outcome.error}\n`);
  }
  if (options.json) {
    io.stdout(`${JSON.stringify({ resent: outcomes.map((o) => (o.outcome === 'accepted' ? { ...o.answer, outcome: o.outcome, sentCopy: o.sentCopy } : o)) })}\n`);
  } else if (outcomes.length === 0) {
    io.stderr(`sealpost send: nothing to resume in ${join(options.idDir, 'sending')}\n`);
  }
  return outcomes.every((o) => o.outcome === 'accepted') ? 0 : 1;
}
