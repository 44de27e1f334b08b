/**
 * Runs {@link startFhirServer} in its own process, so the tests can use it on Node 20 too (where
 * @medplum/core needs `--experimental-websocket` at load time). Reads `FHIR_SERVER_AUTH`
 * (`{clientId, jwk, staticToken}`, optional) and prints `{baseUrl, tokenUrl}` as one JSON line.
 */
import { startFhirServer } from './fhir-server.js';

const raw = process.env.FHIR_SERVER_AUTH;
const auth = raw ? (JSON.parse(raw) as { clientId: string; jwk: JsonWebKey; staticToken?: string }) : undefined;
const publicKey = auth ? await crypto.subtle.importKey('jwk', auth.jwk, { name: 'ECDSA', namedCurve: 'P-384' }, false, ['verify']) : undefined;
const server = await startFhirServer(auth && publicKey ? { clientId: auth.clientId, publicKey, ...(auth.staticToken ? { staticToken: auth.staticToken } : {}) } : undefined);
process.stdout.write(JSON.stringify({ baseUrl: server.baseUrl, tokenUrl: server.tokenUrl }) + '\n');
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
