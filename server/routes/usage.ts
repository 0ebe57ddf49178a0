// The merchant channel: who used one of its merchants' data, and when (sandbox/usage.ts).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { merchantUsage, usageAnswer, usageQuery } from '../../sandbox/usage.js';
import { errorResponses } from '../documented-errors.js';

export function usageRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/merchants/usage',
      {
        schema: {
          tags: ['channel'],
          summary: "Who evaluated one of this channel's merchants, and when (fresh evaluations: subjects scores and encrypted evaluations), with bank and model names",
          description: '?subject= (the merchant USCC) and ?limit= (1-200, default 50), newest first. A merchant whose consents this channel does not record gets an empty list.',
          querystring: usageQuery,
          response: { 200: usageAnswer, ...errorResponses({ role: true, input: 'params' }) },
        },
      },
      async (req) => merchantUsage(platform.ctx, req.org as Org, req.query),
    );
  };
}
