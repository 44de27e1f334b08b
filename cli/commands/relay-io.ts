/** Shared helpers of the relay commands (relay, send, inbox, fetch): addresses, clients, progress. */
import { X509Certificate } from 'node:crypto';
import { SealpostError } from '@sealpost/sdk';
import type { Identity } from '@sealpost/sdk/crypto';
import { RelayClient, TransportError } from '@sealpost/sdk/transport';
import type { TransferProgress } from '@sealpost/sdk/transport';
import type { CliIo } from '../io.js';

/** The rfc822Name (e-mail) subjectAltName of a certificate: the mailbox address it stands for. */
export function addressOfCertificate(der: Uint8Array): string {
  const san = new X509Certificate(der).subjectAltName ?? '';
  const match = /(?:^|,\s*)email:([^,\s]+)/.exec(san);
  if (!match) throw new SealpostError('ERR_CLI_NO_ADDRESS', 'the certificate names no address (no rfc822Name subjectAltName)');
  return match[1]!.toLowerCase();
}

export function relayClient(relayUrl: string, identity: Identity): RelayClient {
  return new RelayClient({ relayUrl, address: addressOfCertificate(identity.certificate), identity });
}

/**
 * A progress reporter: a redrawn bar on a terminal, otherwise one plain line at the start and at
 * the end (logs and pipes get no carriage returns).
 */
export function progressReporter(io: CliIo, label: string): (p: TransferProgress) => void {
  const tty = process.stderr.isTTY === true && io.env.SEALPOST_PLAIN_PROGRESS === undefined;
  let last = -1;
  return ({ loaded, total }) => {
    const percent = total === 0 ? 100 : Math.floor((loaded / total) * 100);
    if (percent === last) return;
    if (tty) {
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      io.stderr(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(percent).padStart(3)}% ${loaded}/${total} bytes${percent === 100 ? '\n' : ''}`);
    } else if (last === -1 || percent === 100) {
      io.stderr(`${label}: ${loaded}/${total} bytes (${percent}%)\n`);
    }
    last = percent;
  };
}

/** Reports transport errors with their kind and the relay's problem code. */
export function describeTransportError(error: unknown): string | undefined {
  if (!(error instanceof TransportError)) return undefined;
  return `${error.code} (${error.kind}${error.status ? `, HTTP ${error.status}` : ''}): ${error.message}`;
}
