import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import { applyOrg, orgApplicationSchema } from '../../sandbox/orgs.js';

export async function publicRoutes(app: FastifyInstance, opts: { platform: Platform }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', { schema: { tags: ['public'], summary: 'Liveness', security: [] } }, async () => ({ ok: true }));
  r.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  r.post(
    '/v1/orgs',
    { schema: { tags: ['public'], summary: 'An organisation applies to join', security: [], body: orgApplicationSchema } },
    async (req, reply) => reply.status(201).send(applyOrg(opts.platform.ctx, req.body)),
  );
}
