// Lists and the inbox, for any admitted organisation: each list decides in
// sandbox/lists.ts which rows the caller may see (and refuses kinds that see none).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { inbox, inboxQuery } from '../../sandbox/inbox.js';
import {
  accessListQuery,
  consentListQuery,
  keyListQuery,
  listAccess,
  listConsents,
  listKeys,
  listModels,
  listOrgs,
  listRuns,
  modelListQuery,
  orgListQuery,
  runListQuery,
} from '../../sandbox/lists.js';
import { modelSource } from '../../sandbox/review.js';
import { accessPage, consentPage, inboxAnswer, keyPage, meAnswer, modelPage, orgPage, runPage, sourceAnswer } from '../../sandbox/lists.schema.js';
import { idParams } from './params.js';
import { errorResponses } from '../documented-errors.js';

/** A list refuses the kinds of organisation that see none of its rows, and cursors it did not give. */
const listErrors = errorResponses({ input: 'params', role: true, codes: ['LIST_CURSOR_INVALID'] });
const paged = 'Newest first; ?limit= (1-200, default 50) and ?cursor= (the nextCursor of the previous page, opaque). Answer { items, nextCursor }.';

export function listRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    r.get('/v1/me', { schema: { tags: ['lists'], summary: 'The organisation of this API key (id, name, kind, USCC, status)', response: { 200: meAnswer, ...errorResponses({}) } } }, async (req) => req.org as Org);
    r.get('/v1/orgs', { schema: { tags: ['lists'], summary: 'Organisations (the regulator)', description: paged, querystring: orgListQuery, response: { 200: orgPage, ...listErrors } } }, async (req) => listOrgs(ctx, req.org as Org, req.query));
    r.get(
      '/v1/models',
      {
        schema: {
          tags: ['lists'],
          summary: 'Models: the regulator all, a fintech its own, others approved ones as public cards; with provider names',
          description: `Without source or vetting report (see /v1/models/{id} and /v1/models/{id}/source). ${paged}`,
          querystring: modelListQuery,
          response: { 200: modelPage, ...listErrors },
        },
      },
      async (req) => listModels(ctx, req.org as Org, req.query),
    );
    r.get(
      '/v1/models/:id/source',
      { schema: { tags: ['models'], summary: "A model's source text, manifest and vetting report (the regulator and the model's provider)", params: idParams, response: { 200: sourceAnswer, ...errorResponses({ input: 'params', codes: ['MODEL_UNKNOWN'] }) } } },
      async (req) => modelSource(ctx, req.org as Org, req.params.id),
    );
    r.get(
      '/v1/access',
      { schema: { tags: ['lists'], summary: "Access requests: the requesting bank's and the model provider's own, the regulator all", description: paged, querystring: accessListQuery, response: { 200: accessPage, ...listErrors } } },
      async (req) => listAccess(ctx, req.org as Org, req.query),
    );
    r.get(
      '/v1/runs',
      {
        schema: {
          tags: ['lists'],
          summary: "Runs: the requester's own, the regulator all (?org= for one organisation)",
          description: `A run is listed as running, without result, until its availableAt; ?status= filters on the status as shown. ?from= (inclusive) and ?to= (exclusive) bound the request time. Per-merchant results and ciphertexts are only at /v1/runs/{id}. ${paged}`,
          querystring: runListQuery,
          response: { 200: runPage, ...listErrors },
        },
      },
      async (req) => listRuns(ctx, req.org as Org, req.query),
    );
    r.get(
      '/v1/consents',
      { schema: { tags: ['lists'], summary: 'Consents: the channel that recorded them, the bank they authorise', description: paged, querystring: consentListQuery, response: { 200: consentPage, ...listErrors } } },
      async (req) => listConsents(ctx, req.org as Org, req.query),
    );
    r.get('/v1/keys', { schema: { tags: ['lists'], summary: "A bank's registered encryption keys (id, digest, date)", description: paged, querystring: keyListQuery, response: { 200: keyPage, ...listErrors } } }, async (req) =>
      listKeys(ctx, req.org as Org, req.query),
    );
    r.get(
      '/v1/inbox',
      {
        schema: {
          tags: ['lists'],
          summary: 'What awaits this organisation',
          description:
            'regulator: pending applications, vetted models awaiting approval, and models in evaluation awaiting a decision on production; fintech: access requests to its models awaiting a decision; bank: its runs whose answers became available since ?since= (default 24 hours ago); channel: active consents it recorded expiring within 30 days. Each section: { type, count, items } with at most 50 items, oldest first.',
          querystring: inboxQuery,
          response: { 200: inboxAnswer, ...errorResponses({ input: 'params' }) },
        },
      },
      async (req) => inbox(ctx, req.org as Org, req.query),
    );
  };
}
