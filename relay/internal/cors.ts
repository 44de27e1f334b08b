/**
 * CORS for browser clients (web pages and browser extensions using @sealpost/sdk/transport and
 * sdk/directory). Off unless origins are configured: the relay authenticates with bearer tokens,
 * never cookies, so CORS only decides which pages may *read* answers; it is still kept to a list.
 *
 * Preflights (OPTIONS with Access-Control-Request-Method) from an allowed origin are answered 204
 * here, before routing, for every path; from other origins they fall through to the normal 404.
 */
import fp from 'fastify-plugin';

/** Request headers the SDK sends (beyond the CORS-safelisted ones). */
const ALLOW_HEADERS = 'authorization, content-type, content-digest, sealpost-to, range, if-range, accept';
/** Answer headers the SDK reads: download resume and digest, retry timing, directory signatures. */
const EXPOSE_HEADERS = 'content-digest, content-range, accept-ranges, etag, retry-after, location, x-sealpost-signature';
const ALLOW_METHODS = 'GET, HEAD, PUT, POST';

/** Options of {@link corsPlugin}. */
export interface CorsOptions {
  /**
   * Exact origins (`https://app.example`, `chrome-extension://<id>`), or `'*'` for any. Extension
   * service workers granted `host_permissions` for the relay need no entry: Chromium exempts them.
   */
  origins: readonly string[];
}

export const corsPlugin = fp<CorsOptions>(
  async (app, options) => {
    const any = options.origins.includes('*');
    const allowed = new Set(options.origins.map((o) => o.replace(/\/+$/, '')));
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || !(any || allowed.has(origin))) return;
      reply.header('access-control-allow-origin', any ? '*' : origin);
      // Answers differ per Origin: caches must keep them apart.
      if (!any) reply.header('vary', 'Origin');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        reply.header('access-control-allow-methods', ALLOW_METHODS);
        reply.header('access-control-allow-headers', ALLOW_HEADERS);
        reply.header('access-control-max-age', '600');
        return reply.code(204).send();
      }
      reply.header('access-control-expose-headers', EXPOSE_HEADERS);
    });
  },
  { name: 'sealpost-cors', fastify: '5.x' },
);
