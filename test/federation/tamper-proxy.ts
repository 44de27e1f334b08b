/**
 * An HTTP proxy on loopback in front of a relay that, when `tamper` is on, alters the bytes of
 * directory answers (/fhir/…) — an attacker on the path rewriting where letters go. Everything
 * else (forwards, relay identity, .well-known) passes through unchanged.
 */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface TamperProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Where requests go; set once the relay's URL is known. */
  target: string | undefined;
  tamper: boolean;
  /** Directory answers altered so far. */
  altered: number;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

export async function startTamperProxy(alter: (body: string) => string): Promise<TamperProxy> {
  const proxy: TamperProxy = { url: '', target: undefined, tamper: false, altered: 0, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res) => {
    void (async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string') headers.set(k, v);
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const upstream = await fetch(new URL(req.url ?? '/', proxy.target), {
        method: req.method ?? 'GET',
        headers,
        ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
      } as RequestInit);
      let body = new Uint8Array(await upstream.arrayBuffer());
      if (proxy.tamper && req.url?.startsWith('/fhir/')) {
        body = new TextEncoder().encode(alter(new TextDecoder().decode(body)));
        proxy.altered++;
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!HOP.has(k) && k !== 'content-encoding') out[k] = v;
      });
      res.writeHead(upstream.status, { ...out, 'content-length': String(body.length) });
      res.end(body);
    })().catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
