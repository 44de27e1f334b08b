import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sealEnvelope } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { buildDocumentNotification, parseMessage } from '@sealpost/sdk/hl7v2';
import type { PatientInput } from '@sealpost/sdk/hl7v2';
import type { RelayClient } from '@sealpost/sdk/transport';
import { IDENTIFIER_SYSTEMS } from '../match/match-patient.js';
import type { LetterSidecar, OutboundLetter } from '../file-drop/outbox-watcher.js';

/** Options of {@link createLetterSender}. */
export interface LetterSenderOptions {
  identity: Identity;
  client: Pick<RelayClient, 'submit' | 'address'>;
  /** Folder where sealed envelopes are kept, so a resend after a crash submits the very same bytes. */
  envelopeDir: string;
  /** The recipient's certificate (DER) for an address; throws when there is none. */
  certificate: (address: string, letter: OutboundLetter) => Promise<Uint8Array>;
  /** Default recipient of HL7 letters. */
  to?: string;
  /** MSH-6.1 (receiving facility) or MSH-5.1 (application) → address. */
  routes?: Record<string, string>;
  /** Ask for receipts (default true). */
  receipts?: boolean;
  /** Sealed envelopes older than this are deleted when the sender is created (default 30 days; the relay has long forgotten them). */
  keepEnvelopesMs?: number;
}

/** What was sent. */
export interface SentLetter {
  messageId: string;
  recipient: string;
  mediaType: string;
}

const HL7 = 'application/hl7-v2';
const hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** PID-3 from sidecar identifiers: national systems get their HL7 AU assigning authority and type. */
function pidIdentifiers(identifiers: NonNullable<LetterSidecar['patient']['identifiers']>): PatientInput['identifiers'] {
  return identifiers.map((i) => {
    if (i.system === IDENTIFIER_SYSTEMS.ihi) return { id: i.value, assigner: 'AUSHIC', type: 'NI' };
    if (i.system === IDENTIFIER_SYSTEMS.medicare) return { id: i.value, assigner: 'AUSHIC', type: 'MC' };
    if (i.system === IDENTIFIER_SYSTEMS.nhsNumber) return { id: i.value, assigner: 'NHS', type: 'NH' };
    return { id: i.value, assigner: i.system.replace(/^urn:hl7v2:authority:/, ''), type: 'MR' };
  });
}

/**
 * The payload a letter travels as: HL7 letters as they are; a PDF or RTF wrapped into an
 * MDM^T02 (OBX of type ED) whose PID comes from the sidecar, so the receiving agent can match the
 * patient and file it like any HL7 letter.
 */
export function letterPayload(letter: OutboundLetter, sender: string): { bytes: Uint8Array; mediaType: string } {
  if (letter.kind === 'hl7') return { bytes: letter.bytes, mediaType: HL7 };
  const sidecar = letter.sidecar!;
  const p = sidecar.patient;
  if (!p?.family) throw new Error(`${letter.file}.json: "patient.family" is missing`);
  const message = buildDocumentNotification({
    sender: { application: 'SEALPOST', facility: sender },
    receiver: { application: 'SEALPOST', facility: sidecar.recipient },
    controlId: hex(letter.bytes).slice(0, 20),
    patient: {
      identifiers: pidIdentifiers(p.identifiers ?? []),
      family: p.family,
      ...(p.given?.[0] ? { given: p.given[0] } : {}),
      ...(p.birthDate ? { birthDate: p.birthDate.replace(/-/g, '') } : {}),
    },
    document: {
      id: hex(letter.bytes).slice(0, 32),
      assigner: 'SEALPOST',
      type: 'CN',
      mediaType: letter.kind === 'pdf' ? 'application/pdf' : 'application/rtf',
      data: letter.bytes,
      filename: letter.file,
    },
  });
  return { bytes: message.toBytes(), mediaType: HL7 };
}

/** Writes a file durably under a temporary name, then renames it into place. */
function writeDurably(path: string, bytes: Uint8Array): void {
  const temp = `${path}.partial`;
  const fd = openSync(temp, 'w');
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/**
 * Returns the `send` of `scanOutbox`: picks the recipient (sidecar, then a route by MSH-6/MSH-5,
 * then the default `to`), seals the letter to the recipient's certificate and to the agent itself,
 * and submits it to the relay. The messageId is derived from the agent's address and the file's
 * bytes, and the sealed envelope is kept under `envelopeDir` before it is submitted: a letter sent
 * again after a crash (found in `.sending/`) is the identical submission, which the relay accepts
 * as a no-op, so the recipient never gets two copies. Throws (the letter goes to `error/`) when
 * no recipient or certificate is known.
 */
export function createLetterSender(options: LetterSenderOptions): (letter: OutboundLetter) => Promise<SentLetter> {
  mkdirSync(options.envelopeDir, { recursive: true });
  const oldest = Date.now() - (options.keepEnvelopesMs ?? 30 * 24 * 3600_000);
  for (const f of readdirSync(options.envelopeDir)) if (statSync(join(options.envelopeDir, f)).mtimeMs < oldest) rmSync(join(options.envelopeDir, f), { force: true });
  return async (letter) => {
    let recipient = letter.sidecar?.recipient?.toLowerCase();
    if (!recipient && letter.kind === 'hl7') {
      const message = parseMessage(letter.bytes);
      const routes = options.routes ?? {};
      recipient = routes[message.get('MSH-6.1') ?? ''] ?? routes[message.get('MSH-5.1') ?? ''] ?? options.to;
      if (!recipient) throw new Error(`no recipient: no sidecar, no route for MSH-6 '${message.get('MSH-6.1') ?? ''}' or MSH-5 '${message.get('MSH-5.1') ?? ''}', and no default "to"`);
    }
    if (!recipient) throw new Error('no recipient');
    const messageId = `sp-${hex(`${options.client.address}\n${hex(letter.bytes)}`).slice(0, 40)}`;
    const stored = join(options.envelopeDir, `${messageId}.p7m`);
    let envelope: Uint8Array;
    const { mediaType, bytes } = letterPayload(letter, options.client.address);
    if (existsSync(stored)) envelope = new Uint8Array(readFileSync(stored));
    else {
      const certificate = await options.certificate(recipient, letter);
      envelope = (await sealEnvelope(bytes, { sender: options.identity, recipients: [certificate], messageId, receipt: options.receipts ?? true, mediaType })).envelope;
      writeDurably(stored, envelope);
    }
    await options.client.submit(envelope, { messageId, to: [recipient] });
    return { messageId, recipient, mediaType };
  };
}
