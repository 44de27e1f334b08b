/** Operations: liveness, readiness (the store answers), Prometheus metrics and the OpenAPI document. */
import type { FastifyPluginAsync } from 'fastify';
import { openApiDocument } from '../openapi.js';

export const opsPlugin: FastifyPluginAsync = async (app) => {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining' });
    try {
      await app.relay.store.ping();
      return { status: 'ready', store: app.relay.store.kind };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', store: app.relay.store.kind });
    }
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(app.metrics.render(app.relay.store.kind)));
  const document = JSON.stringify(openApiDocument());
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json').send(document));
};
