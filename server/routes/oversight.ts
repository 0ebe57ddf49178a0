// The regulator's oversight: the ledger with names, and encrypted evaluations per bank and
// per merchant (sandbox/oversight.ts).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { encryptedUse, encryptedUseAnswer, encryptedUseQuery, ledgerEntriesNamed, ledgerPage, ledgerPageQuery } from '../../sandbox/oversight.js';
import { errorResponses } from '../documented-errors.js';

export function oversightRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    const tags = ['regulator'];
    r.get(
      '/v1/regulator/ledger',
      {
        schema: {
          tags,
          summary: 'Ledger entries, newest first, with the names of the organisations, models, runs and access requests they name',
          description: '?limit= (1-200, default 50) and ?cursor= (the nextCursor of the previous page: entries before that sequence number). Answer { size, items, nextCursor }.',
          querystring: ledgerPageQuery,
          response: { 200: ledgerPage, ...errorResponses({ role: true, input: 'params' }) },
        },
      },
      async (req) => ledgerEntriesNamed(ctx, req.org as Org, req.query),
    );
    r.get(
      '/v1/regulator/encrypted',
      {
        schema: {
          tags,
          summary: 'Encrypted evaluations per bank and per merchant (each is a linear equation in the model weights: the weight-extraction signal)',
          description: '?days= (1-366, default 30, today included) and ?top= (1-200, default 20) merchants and bank-merchant pairs, most evaluated first.',
          querystring: encryptedUseQuery,
          response: { 200: encryptedUseAnswer, ...errorResponses({ role: true, input: 'params' }) },
        },
      },
      async (req) => encryptedUse(ctx, req.org as Org, req.query),
    );
  };
}
