import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A FHIR server process (see fhir-server-main.ts) and helpers to set it up and inspect it over HTTP. */
export interface FhirServerProcess {
  baseUrl: string;
  tokenUrl: string;
  /** POST a resource with the given bearer token (or none); resolves to the created resource. */
  create<T extends { resourceType: string }>(resource: T, token?: string): Promise<T & { id: string }>;
  /** GET a FHIR path (e.g. `DocumentReference?identifier=…`). */
  get<T>(path: string, token?: string): Promise<T>;
  stats(): Promise<{ issued: number; refused: number }>;
  close(): Promise<void>;
}

export async function spawnFhirServer(auth?: { clientId: string; jwk: JsonWebKey; staticToken?: string }): Promise<FhirServerProcess> {
  const main = fileURLToPath(new URL('./fhir-server-main.ts', import.meta.url));
  const flags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
  const child = spawn(process.execPath, [...flags, '--no-warnings', '--conditions=source', '--import', 'tsx', main], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FHIR_SERVER_AUTH: auth ? JSON.stringify(auth) : '' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const { baseUrl, tokenUrl } = await new Promise<{ baseUrl: string; tokenUrl: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { baseUrl: string; tokenUrl: string });
    });
    child.on('exit', (code) => reject(new Error(`FHIR server exited ${code}: ${stderr}`)));
  });
  const headers = (token?: string): Record<string, string> => ({ 'content-type': 'application/fhir+json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
  return {
    baseUrl,
    tokenUrl,
    create: async (resource, token) => (await (await fetch(`${baseUrl}/${resource.resourceType}`, { method: 'POST', headers: headers(token), body: JSON.stringify(resource) })).json()) as never,
    get: async (path, token) => (await (await fetch(`${baseUrl}/${path}`, { headers: headers(token) })).json()) as never,
    stats: async () => (await (await fetch(new URL('/stats', baseUrl))).json()) as never,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
