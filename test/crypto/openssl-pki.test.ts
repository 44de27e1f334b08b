import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fromPem, importPkcs12, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore, validateChain, createReceipt, verifyReceipt } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { openssl, tempDir } from './helpers.js';

/**
 * Identities issued by an OpenSSL CA (names, extensions and encodings as OpenSSL writes them, the
 * way a health PKI's certificates arrive), imported from OpenSSL 3 PKCS#12 files.
 */
describe('identities from an OpenSSL-run PKI', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let caDer: Uint8Array;
  let ec: Identity;
  let rsa: Identity;
  let trust: TrustStore;
  beforeAll(async () => {
    tmp = await tempDir();
    const f = tmp.file;
    await tmp.write('leaf-ec.ext', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation,keyAgreement\nextendedKeyUsage=emailProtection\nsubjectAltName=email:gp@practice.example\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    await tmp.write('leaf-rsa.ext', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection,clientAuth\nsubjectAltName=email:lab@pathology.example\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '30', '-subj', '/C=AU/O=Test Health PKI/CN=Test Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ec.key'), '-out', f('ec.csr'), '-subj', '/C=AU/O=Harbourside GP/CN=Dr Example GP']);
    await openssl(['x509', '-req', '-in', f('ec.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('ec.pem'), '-days', '10', '-sha256', '-extfile', f('leaf-ec.ext')]);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('rsa.key'), '-out', f('rsa.csr'), '-subj', '/C=AU/O=City Pathology/CN=Lab Results']);
    await openssl(['x509', '-req', '-in', f('rsa.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('rsa.pem'), '-days', '10', '-sha256', '-extfile', f('leaf-rsa.ext')]);
    for (const name of ['ec', 'rsa']) {
      await openssl(['pkcs12', '-export', '-in', f(`${name}.pem`), '-inkey', f(`${name}.key`), '-certfile', f('ca.pem'), '-out', f(`${name}.p12`), '-passout', 'pass:nash-like']);
    }
    ec = (await importPkcs12(new Uint8Array(await readFile(f('ec.p12'))), 'nash-like')).identity;
    rsa = (await importPkcs12(new Uint8Array(await readFile(f('rsa.p12'))), 'nash-like')).identity;
    caDer = fromPem(await readFile(f('ca.pem'), 'utf8'), 'CERTIFICATE')[0] as Uint8Array;
    trust = new TrustStore().addAnchor(caDer);
  });
  afterAll(() => tmp.cleanup());

  it('validates OpenSSL-issued chains (RSA CA, EC and RSA leaves)', async () => {
    expect(ec.chain).toHaveLength(1);
    await expect(validateChain(ec.certificate, trust, { use: 'sign' })).resolves.toHaveLength(2);
    await expect(validateChain(ec.certificate, trust, { use: 'encrypt' })).resolves.toHaveLength(2);
    await expect(validateChain(rsa.certificate, trust, { use: 'encrypt' })).resolves.toHaveLength(2);
  });

  it('seals and opens between them, with a receipt', async () => {
    const seenStore = new MemorySeenStore();
    const { envelope } = await sealEnvelope(new TextEncoder().encode('ORU^R01 …'), { sender: rsa, recipients: [ec.certificate], receipt: true });
    const opened = await openEnvelope(envelope, { identity: ec, trust, seenStore });
    expect(opened.signer.subject).toBe('C=AU, O=City Pathology, CN=Lab Results');
    expect(opened.header?.sender.address).toBe('lab@pathology.example');
    const receipt = await createReceipt(opened, { identity: ec, status: 'imported' });
    await expect(verifyReceipt(receipt, envelope, { identity: rsa, trust })).resolves.toMatchObject({ status: { status: 'imported' } });
  });

  it('a certificate whose signature does not verify under its named issuer is ERR_CRYPTO_CHAIN_SIGNATURE', async () => {
    const forged = new Uint8Array(ec.certificate);
    forged[forged.length - 10] = (forged[forged.length - 10] as number) ^ 0x01; // inside the CA's signature
    await expect(validateChain(forged, trust, {})).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_SIGNATURE', subject: 'C=AU, O=Harbourside GP, CN=Dr Example GP' });
  });
});
