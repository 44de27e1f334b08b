import { buildAck, escapeText, unescapeText } from '@sealpost/sdk/hl7v2';
import type { AckCode, Delimiters, Hl7Message } from '@sealpost/sdk/hl7v2';

/** Options of {@link encodeAck}. */
export interface EncodeAckOptions {
  /** MSA-1. */
  code: AckCode;
  /** MSA-3 (versions before 2.7) and, for error codes, ERR's user message; plain text, escaped here. */
  text?: string;
  /** MSH-10 of the acknowledgment. */
  controlId: string;
  /** MSH-7 (default: now). */
  timestamp?: Date;
}

/**
 * The wire bytes of the acknowledgment of `message`, exactly as sdk/hl7v2's
 * `buildAck(message, options).toBytes()` gives them (HL7 v2.5.1 §2.9, §2.14.1: MSH mirrored with the
 * received delimiters, MSH-11, MSH-12 and MSH-18; MSA-2 = the received MSH-10) — or, where
 * `toBytes()` cannot write them, the same ACK written by hand ({@link ackBytes}).
 *
 * Why not just call buildAck: it assembles the text, parses it back into a message and encodes it
 * again, ~10 µs per ACK, a fifth of a plain MLLP listener's work per message. A positive ACK
 * (AA, CA) that is plain ASCII is filled in here from the MSH fields without the round trip.
 * Every MSH-18 charset sdk/hl7v2 reads is ASCII-compatible, so such an ACK's bytes are its char
 * codes in any of them — including the ones `toBytes()` cannot write (8859/2 and the other
 * legacy sets throw NotSupportedError there), which this path can therefore acknowledge.
 * Everything else (error codes with their ERR segment, REF^I12 answered with RRI^I12, non-ASCII
 * header fields) goes through buildAck. test/adapters/mllp/encode-ack.test.ts holds both paths
 * to the same bytes.
 */
export function encodeAck(message: Hl7Message, options: EncodeAckOptions): Uint8Array {
  const bytes = encodePositiveAck(message, options);
  if (bytes !== undefined) return bytes;
  const { code, controlId } = options;
  return ackBytes(buildAck(message, { code, controlId, ...(options.text === undefined ? {} : { text: options.text }), ...(options.timestamp ? { timestamp: options.timestamp } : {}) }));
}

/**
 * The bytes of an acknowledgment built by sdk/hl7v2 (buildAck, buildErrorAck): `toBytes()` when
 * it can write them, otherwise the same ACK written by hand in its own charset as far as it goes.
 *
 * Why: `toBytes()` writes only UTF-8, ISO-8859-1 and ASCII. An ACK of a message in 8859/2, ISO IR87
 * or another legacy charset (an error ACK, an RRI^I12), or with application text outside the
 * message's charset (non-ASCII text on an ASCII message), would otherwise have no bytes, and a peer
 * with no answer resends or stalls. The ACK keeps the received MSH-18 and is written in it:
 * printable ASCII as is (every charset sdk/hl7v2 reads is ASCII-compatible), other characters by
 * the charset's own byte when it is a single-byte one (8859/2…/15, windows-125x: the table comes
 * from the platform's decoder). What is left — anything in multi-byte charsets (ISO IR87, Big5…)
 * or outside the charset — is transliterated: diacritics dropped (`Zoë` → `Zoe`), anything else
 * `?` (`Łódź` → `?odz`). MSA-1, MSA-2 and the ERR codes are ASCII in practice and come through
 * unchanged; only human-readable text can lose letters. (`\Xhh\` escapes were not used: they
 * carry bytes of the message's own charset, which is exactly what cannot be encoded here.)
 */
export function ackBytes(ack: Hl7Message): Uint8Array {
  try {
    return ack.toBytes();
  } catch {
    // NotSupportedError (no encoder for the charset) or RangeError (a character outside it).
    return encodeLegibly(ack.toString(), ack.delimiters, singleByteTable(ack.charset));
  }
}

/**
 * Printable ASCII and CR kept; other characters by `table` (character → byte) when it has them,
 * else transliterated when their compatibility decomposition minus combining marks is letters and
 * digits, `?` otherwise. Only letters and digits are accepted from a decomposition: a fullwidth
 * `｜` decomposes to the field separator and would change the message's structure. Controls become
 * `?` too: ESC would shift state in ISO-2022-JP.
 */
function encodeLegibly(text: string, delimiters: Delimiters, table: ReadonlyMap<string, number> | undefined): Uint8Array {
  const replacement = Object.values(delimiters).includes('?') ? ' ' : '?';
  const out: number[] = [];
  for (const char of text) {
    if (!NOT_PLAIN_ASCII.test(char)) {
      out.push(char.charCodeAt(0));
      continue;
    }
    const byte = table?.get(char);
    if (byte !== undefined) {
      out.push(byte);
      continue;
    }
    const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
    for (const c of /^[A-Za-z0-9]+$/.test(base) ? base : replacement) out.push(c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

const singleByteTables = new Map<string, ReadonlyMap<string, number> | undefined>();

/** Character → byte for the upper half of a single-byte encoding (by its WHATWG name), from the platform's decoder; undefined for others. */
function singleByteTable(encoding: string): ReadonlyMap<string, number> | undefined {
  if (!/^(iso-8859-|windows-125)/.test(encoding)) return undefined;
  if (singleByteTables.has(encoding)) return singleByteTables.get(encoding);
  let table: Map<string, number> | undefined;
  try {
    const decoder = new TextDecoder(encoding, { fatal: true });
    table = new Map();
    for (let byte = 0x80; byte <= 0xff; byte++) {
      let char: string;
      try {
        char = decoder.decode(Uint8Array.of(byte));
      } catch {
        continue; // unassigned in this charset
      }
      if (!/\p{Cc}/u.test(char) && !table.has(char)) table.set(char, byte);
    }
  } catch {
    table = undefined; // the runtime has no decoder for it (no ICU)
  }
  singleByteTables.set(encoding, table);
  return table;
}

/** Characters outside printable ASCII and CR: 0x1B would shift state in ISO-2022-JP, anything above 0x7E is charset-specific. */
const NOT_PLAIN_ASCII = /[^\x20-\x7e\r]/;

/** buildAck's AA/CA text as bytes, or undefined when it is not the simple case (see encodeAck). Exported for its test. */
export function encodePositiveAck(message: Hl7Message, options: EncodeAckOptions): Uint8Array | undefined {
  if (options.code !== 'AA' && options.code !== 'CA') return undefined;
  const d = message.delimiters;
  const msh = message.segment('MSH');
  if (!msh) return undefined;
  const f = d.field;
  const messageCode = leniently(msh.raw(9, 1, 1, 1), d);
  const trigger = leniently(msh.raw(9, 1, 2, 1), d);
  if (messageCode === 'REF' && trigger === 'I12') return undefined;
  const messageType = trigger ? `ACK${d.component}${escapeText(trigger, d)}${d.component}ACK` : 'ACK';
  let text =
    `MSH${f}${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}${f}${msh.raw(5)}${f}${msh.raw(6)}${f}${msh.raw(3)}${f}${msh.raw(4)}` +
    `${f}${hl7Timestamp(options.timestamp)}${f}${f}${messageType}${f}${escapeText(options.controlId, d)}${f}${msh.raw(11)}${f}${msh.raw(12)}`;
  const charset = msh.raw(18);
  if (charset) text += `${f}${f}${f}${f}${f}${f}${charset}`;
  text += `\rMSA${f}${options.code}${f}${msh.raw(10)}`;
  if (options.text !== undefined && options.text !== '') {
    const escaped = escapeText(options.text, d);
    if (escaped && !versionAtLeast27(leniently(msh.raw(12, 1, 1, 1), d))) text += `${f}${escaped}`;
  }
  text += '\r';
  if (NOT_PLAIN_ASCII.test(text)) return undefined;
  return Buffer.from(text, 'latin1');
}

/** A decoded MSH leaf, read leniently as buildAck does: a malformed escape in MSH-9 or MSH-12 must not stop the reply. */
function leniently(raw: string, d: Delimiters): string {
  return raw.includes(d.escape) ? unescapeText(raw, d, { escapes: 'lenient' }) : raw;
}

/** buildAck's version test for MSA-3: MSH-12.1 at least 2.7 drops the text from MSA. */
function versionAtLeast27(version: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 2 || (major === 2 && minor >= 7);
}

// MSH-7 changes once a second: formatted once per second rather than per ACK.
let cachedSecond = Number.NaN;
let cachedStamp = '';

/** `YYYYMMDDHHMMSS±ZZZZ` in local time, as sdk/hl7v2's builders write MSH-7. */
function hl7Timestamp(at: Date | undefined): string {
  if (at === undefined) {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== cachedSecond) {
      cachedStamp = formatTimestamp(new Date(now));
      cachedSecond = second;
    }
    return cachedStamp;
  }
  if (Number.isNaN(at.getTime())) throw new RangeError('invalid Date');
  return formatTimestamp(at);
}

function formatTimestamp(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const abs = Math.abs(offset);
  return (
    `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1, 2)}${pad(date.getDate(), 2)}${pad(date.getHours(), 2)}${pad(date.getMinutes(), 2)}${pad(date.getSeconds(), 2)}` +
    `${offset >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60), 2)}${pad(abs % 60, 2)}`
  );
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
