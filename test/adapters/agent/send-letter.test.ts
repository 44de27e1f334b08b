/**
 * The agent's outbound sender: recipient choice (sidecar, MSH-6/MSH-5 route, default), the very
 * same envelope resubmitted after a crash, old envelopes pruned, and a PDF wrapped into an MDM^T02
 * that the recipient opens and reads back byte for byte.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, openEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { extractDocuments, parseMessage } from '@sealpost/sdk/hl7v2';
import { createLetterSender } from '../../../adapters/agent/send-letter.js';
import type { OutboundLetter } from '../../../adapters/file-drop/outbox-watcher.js';
import { renderHl7Letter } from '../../../adapters/import/render-hl7.js';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { oru } from '../support/messages.js';

let gp: Identity;
let lab: Identity;
let trust: TrustStore;
const dirs: string[] = [];
beforeAll(async () => {
  const ca = await createDevCa({ notBefore: new Date(Date.now() - 3600_000) });
  gp = (await generateIdentity({ name: 'GP', address: 'letters@gp.example', issuer: ca.identity, notBefore: new Date(Date.now() - 3600_000) })).identity;
  lab = (await generateIdentity({ name: 'Lab', address: 'results@lab.example', issuer: ca.identity, notBefore: new Date(Date.now() - 3600_000) })).identity;
  trust = new TrustStore().addAnchor(ca.identity.certificate);
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const hl7 = (text: string, file = 'a.hl7'): OutboundLetter => ({ file, kind: 'hl7', messageId: 'sha256:x', bytes: new TextEncoder().encode(text) });

function setup(options: { to?: string; routes?: Record<string, string> } = {}) {
  const envelopeDir = mkdtempSync(join(tmpdir(), 'sealpost-send-'));
  dirs.push(envelopeDir);
  const submitted: { envelope: Uint8Array; messageId: string; to: string[] }[] = [];
  const send = createLetterSender({
    identity: gp,
    client: { address: 'letters@gp.example', submit: (envelope, o) => Promise.resolve(void submitted.push({ envelope, messageId: o.messageId, to: o.to }) as never) },
    envelopeDir,
    certificate: (address) => (address === 'results@lab.example' ? Promise.resolve(lab.certificate) : Promise.reject(new Error(`no certificate for ${address}`))),
    ...options,
  });
  return { send, submitted, envelopeDir };
}

describe('createLetterSender', () => {
  it('routes HL7 by MSH-6, then MSH-5, then the default; refuses a letter with no recipient', async () => {
    const byFacility = setup({ routes: { SURGERY: 'results@lab.example' } });
    expect(await byFacility.send(hl7(oru('R1')))).toMatchObject({ recipient: 'results@lab.example', mediaType: 'application/hl7-v2' });
    const byApp = setup({ routes: { GP: 'results@lab.example' } });
    expect((await byApp.send(hl7(oru('R2')))).recipient).toBe('results@lab.example');
    const none = setup();
    await expect(none.send(hl7(oru('R3')))).rejects.toThrow("no recipient: no sidecar, no route for MSH-6 'SURGERY' or MSH-5 'GP', and no default \"to\"");
    const unknown = setup({ to: 'someone@else.example' });
    await expect(unknown.send(hl7(oru('R4')))).rejects.toThrow('no certificate for someone@else.example');
    expect(unknown.submitted).toEqual([]);
  });

  it('resubmits the very same envelope under the same messageId (a crash after submitting), and prunes envelopes older than 30 days', async () => {
    const { send, submitted, envelopeDir } = setup({ to: 'results@lab.example' });
    const first = await send(hl7(oru('S1')));
    const again = await send(hl7(oru('S1')));
    expect(again.messageId).toBe(first.messageId);
    expect(first.messageId).toMatch(/^sp-[0-9a-f]{40}$/);
    expect(submitted[1]!.envelope).toEqual(submitted[0]!.envelope);
    expect(readdirSync(envelopeDir)).toEqual([`${first.messageId}.p7m`]);
    const old = join(envelopeDir, 'sp-old.p7m');
    writeFileSync(old, 'x');
    utimesSync(old, new Date(Date.now() - 31 * 24 * 3600_000), new Date(Date.now() - 31 * 24 * 3600_000));
    createLetterSender({ identity: gp, client: { address: 'letters@gp.example', submit: () => Promise.reject(new Error('unused')) }, envelopeDir, certificate: () => Promise.reject(new Error('unused')) });
    expect(readdirSync(envelopeDir)).toEqual([`${first.messageId}.p7m`]);
  });

  it('wraps a PDF into an MDM^T02 from its sidecar: the recipient matches the patient and gets the PDF back', async () => {
    const { send, submitted } = setup();
    const pdf = new TextEncoder().encode('%PDF-1.4\nreferral\n%%EOF\n');
    await send({ file: 'ref.pdf', kind: 'pdf', messageId: 'sha256:y', bytes: pdf, sidecar: { recipient: 'results@lab.example', patient: { family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }] } } });
    const opened = await openEnvelope(submitted[0]!.envelope, { identity: lab, trust, seenStore: { remember: () => Promise.resolve(true) } });
    expect(opened.header?.mediaType).toBe('application/hl7-v2');
    const message = parseMessage(opened.payload);
    expect(message.messageType).toBe('MDM^T02^MDM_T02');
    expect(renderHl7Letter(opened.payload).patient).toMatchObject({ family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }] });
    expect(extractDocuments(message)[0]).toMatchObject({ mediaType: 'application/pdf', bytes: pdf });
  });
});
