import { readFile, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bundle, Organization, Patient, Practitioner } from '@medplum/fhirtypes';
import { SealpostError } from '@sealpost/sdk';
import { sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { choosePayloadForm, DirectoryClient, DirectoryError, producePayload, relayDirectories } from '@sealpost/sdk/directory';
import type { CertificateChange, PayloadType, ResolvedAddress } from '@sealpost/sdk/directory';
import { convertFhirToHl7v2 } from '@sealpost/sdk/fhir';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, readCertificates, reportError, trustFrom } from './crypto-io.js';
import { describeTransportError, progressReporter, relayClient } from './relay-io.js';
import { resumeSending } from './send-resume.js';
import { confirmSent, dropSendingCopy, isRefusal, keepSendingCopy, sendingCopyPath, sentCopyPath } from './sent-copy.js';

const usage = `Usage: sealpost send --relay URL --id DIR --to ADDRESS FILE [--trust CA.pem …] [--directory URL …]
                     [--patient P.json --author PRACTITIONER.json --organization ORG.json [--title T]]
                     [--to-cert CERT.pem] [--receipt] [--media-type TYPE] [--json] [--passphrase-file F]
       sealpost send --resume --relay URL --id DIR [--trust CA.pem …] [--json] [--passphrase-file F]

Seals FILE (signed by the identity in DIR, encrypted to the recipient and to the sender) and submits
it to the relay, which delivers or forwards it to ADDRESS. Prints the messageId once the relay has
durably accepted it (--json: an object with messageId, digest, size, recipients, acceptedAt,
expiresAt, sentCopy, and recipient: address, relay URL, certificate fingerprint, payload form).
Retries are safe: the messageId is the relay's idempotency key.

The recipient's encryption certificate and accepted payload forms come from the directory: the
relay's and its peers' (its signed /.well-known/sealpost), plus any --directory. Every directory
answer must be signed by its relay and chain to --trust (default: the root of the identity's
chain); the certificate must chain to it too. An answer that does not verify is refused: nothing is
sent (exit 1). A certificate other than the one last seen for ADDRESS (remembered in
DIR/known-certificates.json) is sent to with a loud warning: a key rollover, or an attack.
--to-cert CERT.pem skips the directory (the certificate is used as given).

Your sealed copy (every envelope is also sealed to you) is kept as DIR/sent/MESSAGE_ID.p7m, so
\`sealpost status\` can bind the recipient's receipts to the message. It is written durably to
DIR/sending/ before the submission and moved to DIR/sent/ once the relay has accepted the message;
a refusal (exit 1) removes it. When the outcome is unknown (network failure, relay error after the
retries, a crash) the copy stays in DIR/sending/ and the exit code is 1: \`sealpost status
MESSAGE_ID\` says whether the relay holds the message (the messageId is its idempotency key, so it
holds it at most once) and, if it does, moves the copy to DIR/sent/.

--resume resubmits every copy left in DIR/sending/, byte for byte under its original messageId, to
the recipients its signed header names (the copy is opened with the identity's own key and must be
a message it sealed, chaining to --trust). Safe whatever happened the first time: the relay dedupes
by messageId and digest until it purges the message, so a message it holds is answered as before
and delivered once (past that window the recipient's replay check refuses a second copy).
Each accepted copy moves to DIR/sent/ and its messageId is printed; a refused one is removed; one
that is unreadable, expired or whose outcome is unknown again stays. Exit 0 when every copy was
accepted (or none waited), else 1. --json: {"resent":[…]}, one entry per copy with its outcome
(accepted, refused, unknown, unreadable) and the relay's answer or the error.

Payload form: a letter (.pdf, .txt, .html, .rtf) with --patient, --author and --organization (FHIR
JSON) is sent as the best form the recipient accepts: FHIR document, else HL7 v2 REF^I12 level 2,
else level 1 (PDF letters only). A FHIR document Bundle (.json) goes as is, or as REF^I12 level 2
when the recipient does not take FHIR. Anything else goes as is (--media-type).
`;

const LETTER_TYPES: Record<string, string> = { '.pdf': 'application/pdf', '.txt': 'text/plain', '.html': 'text/html', '.htm': 'text/html', '.rtf': 'application/rtf' };
const KNOWN_FILE = 'known-certificates.json';

/** The anchors for directory answers when no --trust is given: the root of the sender's own chain. */
function identityTrust(identity: Identity): TrustStore {
  const root = identity.chain.at(-1);
  if (root === undefined) throw new UsageError('the identity has no issuer chain to trust: pass --trust CA.pem');
  return new TrustStore().addAnchor(root);
}

async function readKnown(dir: string): Promise<Map<string, string>> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, KNOWN_FILE), 'utf8')) as Record<string, unknown>;
    return new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new SealpostError('ERR_CLI_KNOWN_CERTIFICATES', `${join(dir, KNOWN_FILE)} is unreadable: ${(error as Error).message}`, { cause: error });
  }
}

async function readJson<T>(io: CliIo, file: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(resolve(io.cwd, file), 'utf8')) as T;
  } catch (error) {
    throw new SealpostError('ERR_CLI_BAD_INPUT', `${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

interface Payload {
  bytes: Uint8Array;
  mediaType: string | undefined;
  form: PayloadType | undefined;
}

/** Turns FILE into the form the recipient accepts (see usage). */
async function negotiate(io: CliIo, file: string, bytes: Uint8Array, accepted: readonly PayloadType[], values: { patient?: string; author?: string; organization?: string; title?: string; 'media-type'?: string }): Promise<Payload> {
  const letterType = LETTER_TYPES[extname(file).toLowerCase()];
  const context = [values.patient, values.author, values.organization];
  if (letterType !== undefined && context.every((v) => v !== undefined)) {
    const produced = producePayload(accepted, {
      patient: await readJson<Patient>(io, values.patient!, '--patient'),
      author: await readJson<Practitioner>(io, values.author!, '--author'),
      organization: await readJson<Organization>(io, values.organization!, '--organization'),
      title: values.title ?? 'Letter',
      letter: { contentType: letterType, data: bytes },
    });
    return { bytes: produced.bytes, mediaType: produced.contentType, form: produced.form };
  }
  if (context.some((v) => v !== undefined)) throw new UsageError('--patient, --author and --organization go together, with a letter FILE (.pdf, .txt, .html, .rtf)');
  if (extname(file).toLowerCase() === '.json') {
    let bundle: Bundle | undefined;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Bundle;
      if (parsed.resourceType === 'Bundle' && parsed.type === 'document') bundle = parsed;
    } catch {
      bundle = undefined;
    }
    if (bundle) {
      const form = choosePayloadForm(accepted, { canProduce: ['fhir-document', 'hl7v2-ref-i12-l2'] });
      if (form === 'fhir-document') return { bytes, mediaType: 'application/fhir+json', form };
      return { bytes: convertFhirToHl7v2(bundle, { profile: 'au-ref-l2' }).message.toBytes(), mediaType: 'x-application/hl7-v2+er7', form };
    }
  }
  return { bytes, mediaType: values['media-type'] ?? letterType, form: undefined };
}

/** `sealpost send`: seal a file and submit it to a relay. */
export const sendCommand: CommandGroup = {
  name: 'send',
  summary: 'seal a file to a recipient found in the directory and submit it to a relay',
  usage,
  run: async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        relay: { type: 'string' },
        id: { type: 'string' },
        to: { type: 'string' },
        'to-cert': { type: 'string' },
        trust: { type: 'string', multiple: true },
        directory: { type: 'string', multiple: true },
        patient: { type: 'string' },
        author: { type: 'string' },
        organization: { type: 'string' },
        title: { type: 'string' },
        receipt: { type: 'boolean' },
        'media-type': { type: 'string' },
        json: { type: 'boolean' },
        'passphrase-file': { type: 'string' },
        resume: { type: 'boolean' },
      },
    });
    if (values.resume) {
      if (!values.relay || !values.id || positionals.length !== 0 || values.to || values['to-cert']) throw new UsageError('send --resume needs --relay and --id, and takes no FILE, --to or --to-cert (the copies name their recipients)');
      try {
        const sender = await loadIdentity(io, values.id, values['passphrase-file']);
        const trust = values.trust?.length ? await trustFrom(io, values.trust) : identityTrust(sender);
        return await resumeSending(io, { idDir: resolve(io.cwd, values.id), relay: values.relay, sender, trust, json: values.json ?? false });
      } catch (error) {
        if (error instanceof UsageError) throw error;
        return reportError(io, 'send', error);
      }
    }
    if (!values.relay || !values.id || !values.to || positionals.length !== 1) throw new UsageError('send needs --relay, --id, --to and one FILE');
    const file = positionals[0]!;
    try {
      const idDir = resolve(io.cwd, values.id);
      const sender = await loadIdentity(io, values.id, values['passphrase-file']);
      const raw = new Uint8Array(await readFile(resolve(io.cwd, file)));
      let recipients: Uint8Array[];
      let resolved: ResolvedAddress | undefined;
      let payload: Payload;
      if (values['to-cert']) {
        recipients = await readCertificates(io, [values['to-cert']]);
        payload = await negotiate(io, file, raw, ['fhir-document'], values);
      } else {
        const trust = values.trust?.length ? await trustFrom(io, values.trust) : identityTrust(sender);
        const known = await readKnown(idDir);
        try {
          const { directories, signers } = await relayDirectories(values.relay, { trust, requireSignature: true });
          directories.push(...(values.directory ?? []).filter((d) => !directories.includes(d)));
          const onCertificateChange = (change: CertificateChange): void =>
            io.stderr(
              `\nWARNING: the certificate of ${change.address} has CHANGED (was ${change.previousFingerprint.slice(0, 16)}…, now ${change.fingerprint.slice(0, 16)}…, from ${change.directory}).\n` +
                'WARNING: a key rollover, or someone is intercepting. Check with the recipient before sending anything sensitive.\n\n',
            );
          resolved = await new DirectoryClient({ directories, trust, signers, knownCertificates: known, onCertificateChange }).resolve(values.to);
        } catch (error) {
          if (error instanceof DirectoryError && (error.code === 'ERR_DIRECTORY_SIGNATURE' || error.code === 'ERR_DIRECTORY_UNTRUSTED')) {
            io.stderr(`sealpost send: refusing to send to ${values.to}: the directory answer does not verify (${error.code}: ${error.message}). Nothing was sent.\n`);
            return 1;
          }
          throw error;
        }
        await writeFile(join(idDir, KNOWN_FILE), `${JSON.stringify(Object.fromEntries(known), null, 2)}\n`);
        recipients = [resolved.certificate];
        payload = await negotiate(io, file, raw, resolved.payloadTypes, values);
      }
      const { envelope, header } = await sealEnvelope(payload.bytes, {
        sender,
        recipients,
        receipt: values.receipt ?? false,
        ...(payload.mediaType ? { mediaType: payload.mediaType } : {}),
      });
      const client = relayClient(values.relay, sender);
      const messageId = header.messageId;
      // Kept before the submission: a crash after the relay's commit must not lose the copy.
      await keepSendingCopy(idDir, messageId, envelope);
      let answer;
      try {
        answer = await client.submit(envelope, { messageId, to: [values.to], onProgress: values.json ? undefined : progressReporter(io, 'upload') });
      } catch (error) {
        if (isRefusal(error)) await dropSendingCopy(idDir, messageId);
        else
          io.stderr(
            `sealpost send: whether the relay accepted ${messageId} is unknown; your sealed copy stays at ${sendingCopyPath(idDir, messageId)}.\n` +
              `  \`sealpost status ${messageId} --relay ${values.relay} --id ${values.id}\` tells whether it was accepted.\n`,
          );
        throw error;
      }
      try {
        await confirmSent(idDir, messageId);
      } catch (error) {
        // The relay has the message: that is the outcome to report (status confirms the copy later).
        io.stderr(`sealpost send: warning: ${messageId} was accepted, but its sealed copy could not be moved to sent/ (${(error as Error).message}); it stays at ${sendingCopyPath(idDir, messageId)}\n`);
      }
      const recipient = resolved ? { address: resolved.address, relayUrl: resolved.relayUrl, fingerprint: resolved.fingerprint, certificateChanged: resolved.certificateChanged, payloadForm: payload.form ?? null } : undefined;
      io.stdout(values.json ? `${JSON.stringify({ ...answer, sentCopy: sentCopyPath(idDir, messageId), ...(recipient ? { recipient } : {}) })}\n` : `${answer.messageId}\n`);
      return 0;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      const transport = describeTransportError(error);
      if (transport) {
        io.stderr(`sealpost send: ${transport}\n`);
        return 1;
      }
      return reportError(io, 'send', error);
    }
  },
};
