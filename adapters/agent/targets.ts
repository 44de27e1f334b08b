import { readFileSync, statSync } from 'node:fs';
import { extractDocuments, parseMessage } from '@sealpost/sdk/hl7v2';
import { ImportFolder } from '../file-drop/import-folder.js';
import { FhirEmr } from '../fhir/fhir-emr.js';
import { smartBackendToken } from '../fhir/smart-backend.js';
import type { FileRequest, RenderedLetter } from '../import/pipeline.js';
import { openDb } from '../internal/sqlite.js';
import type { PatientCandidate, PatientDemographics } from '../match/match-patient.js';
import { MllpSender } from '../mllp/sender.js';
import type { AgentConfig, InboundConfig } from './config.js';

/** One configured inbound adapter as the agent drives it. */
export interface InboundTarget {
  name: string;
  config: InboundConfig;
  /** Files a letter, idempotently per messageId. */
  file: (letter: RenderedLetter, patientId: string, messageId: string) => Promise<void>;
  /** Files a batch behind one durability barrier, same idempotency (import folder: `fileMany`). */
  fileBatch?: (letters: FileRequest[]) => Promise<void>;
  findPatients?: (query: PatientDemographics) => Promise<PatientCandidate[]>;
  /** Periodic work (MLLP: flush the queue). */
  tick?: () => Promise<unknown>;
  queues?: () => Record<string, number>;
  close?: () => void;
}

const isHl7 = (mediaType: string): boolean => /hl7/i.test(mediaType);

/** SMART Backend Services key: a private JWK file (ES384 or RS384), as registered through the client's JWKS. */
async function importJwk(file: string): Promise<CryptoKey> {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JsonWebKey;
  const params = jwk.kty === 'EC' ? { name: 'ECDSA', namedCurve: jwk.crv ?? 'P-384' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' };
  return crypto.subtle.importKey('jwk', jwk, params, false, ['sign']);
}

/**
 * Builds the inbound adapters of a configuration: an import folder (HL7 only), a FHIR EMR (an
 * HL7 letter that carries a PDF or RTF is filed as that document, anything else as the HL7 text),
 * or an MLLP receiver (HL7 only; a durable queue in the agent's state file, one entry per MSH-10 so
 * a repeat after a crash queues nothing).
 */
export async function buildTargets(config: AgentConfig): Promise<InboundTarget[]> {
  const targets: InboundTarget[] = [];
  for (const [i, t] of config.inbound.entries()) {
    const name = `inbound[${i}]`;
    if (t.type === 'file-drop') {
      const folder = new ImportFolder({ dir: t.folder, ...(t.workFolder ? { workDir: t.workFolder } : {}), ...(t.name ? { name: t.name } : {}) });
      targets.push({
        name,
        config: t,
        file: (letter, _patientId, messageId) => {
          if (!isHl7(letter.mediaType)) return Promise.resolve();
          folder.file(messageId, letter.content);
          return Promise.resolve();
        },
        // One fsync of each folder for the whole batch instead of three per letter.
        fileBatch: async (letters) => void (await folder.fileMany(letters.filter((l) => isHl7(l.letter.mediaType)).map((l) => ({ messageId: l.messageId, bytes: l.letter.content })))),
      });
    } else if (t.type === 'fhir') {
      let token: string | (() => Promise<string>) | undefined;
      if (t.auth?.type === 'bearer') {
        const file = t.auth.tokenFile;
        // Read at each request: operators rotate the token file without restarting the agent.
        token = () => Promise.resolve(readFileSync(file, 'utf8').trim());
      } else if (t.auth?.type === 'smart-backend') {
        token = smartBackendToken({ tokenUrl: t.auth.tokenUrl, clientId: t.auth.clientId, keyId: t.auth.keyId, privateKey: await importJwk(t.auth.keyFile), ...(t.auth.scope ? { scope: t.auth.scope } : {}) });
      }
      const emr = new FhirEmr({ baseUrl: t.baseUrl, ...(token ? { token } : {}), ...(t.resource ? { resource: t.resource } : {}) });
      targets.push({
        name,
        config: t,
        findPatients: (query) => emr.findPatients(query),
        file: (letter, patientId, messageId) => {
          if (isHl7(letter.mediaType)) {
            const [document] = extractDocuments(parseMessage(letter.content));
            if (document) return emr.file({ ...letter, content: document.bytes, mediaType: document.mediaType }, patientId, messageId);
          }
          return emr.file(letter, patientId, messageId);
        },
      });
    } else {
      const sender = new MllpSender({ host: t.host, port: t.port, path: config.state, ...(t.ackTimeoutMs ? { ackTimeoutMs: t.ackTimeoutMs } : {}), ...(t.minIntervalMs ? { minIntervalMs: t.minIntervalMs } : {}) });
      const db = openDb(config.state);
      targets.push({
        name,
        config: t,
        file: (letter) => {
          if (!isHl7(letter.mediaType)) return Promise.resolve();
          const controlId = parseMessage(letter.content).controlId;
          // Enqueueing is one committed insert, so "already queued" is exact after a crash.
          if (!db.prepare('SELECT 1 FROM mllp_outbox WHERE control_id = ?').get(controlId)) sender.enqueue(letter.content);
          return Promise.resolve();
        },
        tick: async () => {
          const result = await sender.flush();
          if (result.error) throw result.error;
          return result;
        },
        queues: () => ({ queued: sender.list('queued').length, held: sender.list('held').length }),
        close: () => {
          sender.close();
          db.close();
        },
      });
    }
  }
  return targets;
}

/** Patients from an exported JSON list (`PatientCandidate[]`), re-read when the file changes. */
export function patientList(file: string): (query: PatientDemographics) => Promise<PatientCandidate[]> {
  let cache: { mtimeMs: number; patients: PatientCandidate[] } | undefined;
  return () => {
    const mtimeMs = statSync(file).mtimeMs;
    if (!cache || cache.mtimeMs !== mtimeMs) {
      const patients = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (!Array.isArray(patients)) throw new Error(`${file}: must be a JSON list of patients`);
      cache = { mtimeMs, patients: patients as PatientCandidate[] };
    }
    return Promise.resolve(cache.patients);
  };
}
