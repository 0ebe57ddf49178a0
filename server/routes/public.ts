import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../../sandbox/platform.js';
import { applyOrg, orgApplicationSchema } from '../../sandbox/orgs.js';
import { applicationAnswer } from '../../sandbox/orgs.schema.js';
import { errorResponses } from '../documented-errors.js';

export async function publicRoutes(app: FastifyInstance, opts: { platform: Platform }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', { schema: { tags: ['public'], summary: 'Liveness', security: [], response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses({ open: true }) } } }, async () => ({ ok: true as const }));
  r.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  r.post(
    '/v1/orgs',
    {
      schema: {
        tags: ['public'],
        summary: 'An organisation applies to join',
        security: [],
        body: orgApplicationSchema,
        response: { 201: applicationAnswer, ...errorResponses({ open: true, input: 'body', codes: ['ORG_DUPLICATE'] }) },
      },
    },
    async (req, reply) => reply.status(201).send(applyOrg(opts.platform.ctx, req.body)),
  );
}
