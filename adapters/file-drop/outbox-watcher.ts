import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseMessage } from '@sealpost/sdk/hl7v2';

/** Sidecar next to a PDF or RTF letter: `<letter>.json`, naming who it goes to and who it is about. */
export interface LetterSidecar {
  /** Sealpost address of the recipient. */
  recipient: string;
  patient: { family?: string; given?: string[]; birthDate?: string; identifiers?: { system: string; value: string }[] };
  title?: string;
  /** PEM file of the recipient's certificate, relative to the outbox folder (when no directory or configuration names it). */
  recipientCertificate?: string;
}

/** One letter picked up from the EMR's outbox folder. */
export interface OutboundLetter {
  /** File name in the outbox. */
  file: string;
  /** Deterministic id: `sha256:<hex>` of the file's bytes, so a resend after a crash carries the same messageId and the receiver drops the copy. */
  messageId: string;
  kind: 'hl7' | 'pdf' | 'rtf';
  bytes: Uint8Array;
  /** MSH-9 for HL7 letters (`REF^I12`, `ORU^R01`, `MDM^T02`). */
  messageType?: string;
  sidecar?: LetterSidecar;
}

/** Options of {@link scanOutbox}. */
export interface ScanOutboxOptions {
  /** Sends one letter; throwing moves it to `error/` with the message as the reason. */
  send: (letter: OutboundLetter) => Promise<void>;
  /** A file younger than this is left for the next scan: the EMR may still be writing it (default 2000 ms). */
  settleMs?: number;
  /** HL7 message types accepted (default REF, ORU, MDM). */
  messageTypes?: string[];
  /** Stops the scan between two letters (a shutdown): the letter in progress finishes; claimed ones wait in `.sending/`. */
  signal?: AbortSignal;
  /** Errors for which the letter stays in `.sending/` and the scan stops, to be tried again (the relay is down), instead of going to `error/`. Default none. */
  isTransient?: (error: unknown) => boolean;
}

/** What one scan did. */
export interface ScanOutboxResult {
  sent: string[];
  failed: { file: string; reason: string }[];
  /** Set when a transient failure stopped the scan; the letter is tried again at the next scan. */
  deferred?: { file: string; reason: string };
}

const KINDS: Record<string, OutboundLetter['kind']> = { '.hl7': 'hl7', '.txt': 'hl7', '.pdf': 'pdf', '.rtf': 'rtf' };

/**
 * One pass over an EMR's outbox folder. Each settled letter is claimed by renaming it into
 * `.sending/` (atomic), sent, then moved to `sent/`, or to `error/` beside `<file>.reason.txt`.
 * HL7 letters must parse and be one of `messageTypes`; PDF and RTF letters need a `<file>.json`
 * sidecar (which moves with them). A letter found in `.sending/` at the next scan was interrupted by
 * a crash: it is sent again with the same messageId (the hash of its bytes), which the receiving
 * agent recognises, so it is never imported twice. A failure `isTransient` accepts (the relay is
 * down) leaves the letter in `.sending/` and ends the scan; an aborted `signal` ends it between two
 * letters. A name already present in `sent/` or `error/` gets a numbered suffix (`a.1.hl7`), so a
 * name the EMR reuses never overwrites an earlier letter. Call it on a timer; it is restart-safe.
 */
export async function scanOutbox(dir: string, options: ScanOutboxOptions): Promise<ScanOutboxResult> {
  const settle = options.settleMs ?? 2000;
  const types = options.messageTypes ?? ['REF', 'ORU', 'MDM'];
  const sending = join(dir, '.sending');
  for (const sub of [sending, join(dir, 'sent'), join(dir, 'error')]) mkdirSync(sub, { recursive: true });
  const result: ScanOutboxResult = { sent: [], failed: [] };
  // A name already used in sent/ or error/ (the EMR reuses names) gets a numbered suffix: never overwrite an earlier letter.
  const move = (from: string, to: string, file: string): string => {
    let name = file;
    for (let n = 1; existsSync(join(dir, to, name)); n++) name = `${basename(file, extname(file))}.${n}${extname(file)}`;
    renameSync(join(from, file), join(dir, to, name));
    if (existsSync(join(from, `${file}.json`))) renameSync(join(from, `${file}.json`), join(dir, to, `${name}.json`));
    return name;
  };
  // Interrupted letters first, then new ones, oldest name first.
  const claimed = readdirSync(sending).filter((f) => KINDS[extname(f).toLowerCase()]);
  const fresh = readdirSync(dir).filter((f) => {
    if (!KINDS[extname(f).toLowerCase()]) return false;
    const stat = statSync(join(dir, f));
    // settleMs 0 takes every file: the file clock can run a fraction of a millisecond ahead of Date.now().
    return stat.isFile() && (settle <= 0 || Date.now() - stat.mtimeMs >= settle);
  });
  for (const file of fresh.sort()) {
    if (existsSync(join(dir, `${file}.json`))) renameSync(join(dir, `${file}.json`), join(sending, `${file}.json`));
    renameSync(join(dir, file), join(sending, file));
    claimed.push(file);
  }
  for (const file of claimed) {
    if (options.signal?.aborted) break;
    // A crash between claiming the sidecar and the letter, or a sidecar written after its letter was claimed.
    if (!existsSync(join(sending, `${file}.json`)) && existsSync(join(dir, `${file}.json`))) renameSync(join(dir, `${file}.json`), join(sending, `${file}.json`));
    try {
      const bytes = new Uint8Array(readFileSync(join(sending, file)));
      const kind = KINDS[extname(file).toLowerCase()]!;
      const letter: OutboundLetter = { file: basename(file), messageId: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, kind, bytes };
      if (kind === 'hl7') {
        const message = parseMessage(bytes);
        const type = message.get('MSH-9.1') ?? '';
        if (!types.includes(type)) throw new Error(`message type '${message.messageType}' is not sent (accepted: ${types.join(', ')})`);
        letter.messageType = message.messageType;
      }
      const sidecarPath = join(sending, `${file}.json`);
      if (existsSync(sidecarPath)) letter.sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8')) as LetterSidecar;
      else if (kind !== 'hl7') throw new Error(`a ${kind.toUpperCase()} letter needs a sidecar ${file}.json naming the recipient and the patient`);
      if (letter.sidecar && typeof letter.sidecar.recipient !== 'string') throw new Error(`${file}.json: "recipient" is missing`);
      await options.send(letter);
      move(sending, 'sent', file);
      result.sent.push(file);
    } catch (error) {
      const reason = (error as Error).message;
      if (options.isTransient?.(error)) {
        result.deferred = { file, reason };
        break;
      }
      const name = move(sending, 'error', file);
      writeFileSync(join(dir, 'error', `${name}.reason.txt`), `${reason}\n`);
      result.failed.push({ file, reason });
    }
  }
  return result;
}
