import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { refreshBudget, refreshSchema } from '../../sandbox/budget.js';
import { approvalSchema, approveModel, rejectModel, revokeModel } from '../../sandbox/models.js';
import { admitOrg, suspendOrg } from '../../sandbox/orgs.js';
import { overview } from '../../sandbox/overview.js';
import { reinstateOrg, rejectOrg } from '../../sandbox/review.js';
import { idParams, queryInt, reasonBody } from './params.js';
import { entriesAnswer } from '../../ledger/api.schema.js';
import { refreshAnswer } from '../../sandbox/budget.schema.js';
import { modelDecisionAnswer } from '../../sandbox/models.schema.js';
import { admissionAnswer, orgDecisionAnswer } from '../../sandbox/orgs.schema.js';
import { overviewAnswer } from '../../sandbox/overview.schema.js';
import { errorResponses } from '../documented-errors.js';

export function regulatorRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    const tags = ['regulator'];
    const orgErrors = (input: 'params' | 'body') => errorResponses({ role: true, input, codes: ['ORG_UNKNOWN', 'ORG_STATE'] });
    const modelErrors = errorResponses({ role: true, input: 'body', codes: ['MODEL_UNKNOWN', 'MODEL_STATE'] });
    r.post('/v1/orgs/:id/admit', { schema: { tags, summary: 'Admit an organisation; its API key is shown once', params: idParams, response: { 200: admissionAnswer, ...orgErrors('params') } } }, async (req) => admitOrg(ctx, req.org as Org, req.params.id));
    r.post('/v1/orgs/:id/suspend', { schema: { tags, summary: 'Suspend an organisation; its keys stop working at once', params: idParams, body: reasonBody, response: { 200: orgDecisionAnswer, ...orgErrors('body') } } }, async (req) =>
      suspendOrg(ctx, req.org as Org, req.params.id, req.body.reason),
    );
    r.post('/v1/orgs/:id/reject', { schema: { tags, summary: 'Reject a pending application, with a reason (recorded in the ledger)', params: idParams, body: reasonBody, response: { 200: orgDecisionAnswer, ...orgErrors('body') } } }, async (req) =>
      rejectOrg(ctx, req.org as Org, req.params.id, req.body.reason),
    );
    r.post('/v1/orgs/:id/reinstate', { schema: { tags, summary: 'Reinstate a suspended organisation, with a reason (recorded in the ledger); its keys work again', params: idParams, body: reasonBody, response: { 200: orgDecisionAnswer, ...orgErrors('body') } } }, async (req) =>
      reinstateOrg(ctx, req.org as Org, req.params.id, req.body.reason),
    );
    r.post(
      '/v1/models/:id/approve',
      {
        schema: {
          tags,
          summary: 'Approve a vetted model into a stage (bound to its digest, the policy and an expiry)',
          description:
            "{ stage: 'evaluation' } opens it to aggregate backtests by its provider and the regulator only; { stage: 'production' } (the default) to banks too. A model in evaluation is promoted with { stage: 'production' } if unchanged since.",
          params: idParams,
          body: approvalSchema.nullish(),
          response: { 200: modelDecisionAnswer, ...modelErrors },
        },
      },
      async (req) =>
      approveModel(ctx, req.org as Org, req.params.id, req.body ?? {}),
    );
    r.post('/v1/models/:id/reject', { schema: { tags, summary: 'Reject a model', params: idParams, body: reasonBody, response: { 200: modelDecisionAnswer, ...modelErrors } } }, async (req) => rejectModel(ctx, req.org as Org, req.params.id, req.body.reason));
    r.post('/v1/models/:id/revoke', { schema: { tags, summary: 'Revoke an approved model', params: idParams, body: reasonBody, response: { 200: modelDecisionAnswer, ...modelErrors } } }, async (req) => revokeModel(ctx, req.org as Org, req.params.id, req.body.reason));
    r.get(
      '/v1/ledger/entries',
      { schema: { tags, summary: 'Ledger entries [start, end), at most 1,000', querystring: z.object({ start: queryInt.optional(), end: queryInt.optional() }).strict(), response: { 200: entriesAnswer, ...errorResponses({ role: true, input: 'params', codes: ['LEDGER_BAD_RANGE'] }) } } },
      async (req) => {
        const start = req.query.start ?? 0;
        return ctx.ledger.entries(start, Math.min(req.query.end ?? start + 1000, start + 1000));
      },
    );
    r.post('/v1/budget/refresh', { schema: { tags, summary: "Reset a legal entity's spend on a dataset lineage, with a reason (recorded in the ledger)", body: refreshSchema, response: { 200: refreshAnswer, ...errorResponses({ role: true, input: 'body', codes: ['BUDGET_REFRESH_INVALID'] }) } } }, async (req) =>
      refreshBudget(ctx, req.org as Org, req.body),
    );
    r.get('/v1/regulator/overview', { schema: { tags, summary: 'Counts of organisations, models, runs, denials by rule, budget use', response: { 200: overviewAnswer, ...errorResponses({ role: true }) } } }, async () => overview(ctx));
  };
}
