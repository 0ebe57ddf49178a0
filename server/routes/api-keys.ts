// API keys (sandbox/orgs.ts): any admitted organisation lists and rotates its own; the
// regulator lists, rotates and reissues any organisation's. (GET /v1/keys is another list:
// a bank's CKKS public keys for encrypted runs.)
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { apiKeyList, apiKeyQuery, listApiKeys, reissueAnswer, reissueKeys, requireCurrentKey, rotateKey, rotationAnswer } from '../../sandbox/orgs.js';
import { errorResponses } from '../documented-errors.js';
import { idParams, reasonBody } from './params.js';

const grace = 'The keys it replaces keep working until graceUntil (24 hours by default), then fail with AUTH_INVALID; a key already in its grace ends at once.';

export function apiKeyRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    const tags = ['api-keys'];
    r.get(
      '/v1/api-keys',
      { schema: { tags, summary: "This organisation's API keys by id (never the key), with each one's grace expiry; the regulator any organisation's with ?org=", querystring: apiKeyQuery, response: { 200: apiKeyList, ...errorResponses({ role: true, input: 'params', codes: ['ORG_UNKNOWN'] }) } } },
      async (req) => listApiKeys(ctx, req.org as Org, req.query),
    );
    r.post('/v1/api-keys/rotate', { schema: { tags, summary: 'A new API key for this organisation, shown once', description: grace, response: { 200: rotationAnswer, ...errorResponses({ codes: ['ORG_UNKNOWN', 'ORG_STATE', 'AUTH_KEY_IN_GRACE'] }) } } }, async (req) => {
      requireCurrentKey(req.keyInGrace);
      return rotateKey(ctx, req.org as Org, (req.org as Org).id);
    });
    r.post(
      '/v1/orgs/:id/api-keys/rotate',
      { schema: { tags, summary: "The regulator rotates an organisation's API key; the new key is shown once", description: grace, params: idParams, response: { 200: rotationAnswer, ...errorResponses({ role: true, input: 'params', codes: ['ORG_UNKNOWN', 'ORG_STATE', 'AUTH_KEY_IN_GRACE'] }) } } },
      async (req) => {
        requireCurrentKey(req.keyInGrace);
        return rotateKey(ctx, req.org as Org, req.params.id);
      },
    );
    r.post(
      '/v1/orgs/:id/api-keys/reissue',
      {
        schema: {
          tags,
          summary: "The regulator revokes all of an organisation's API keys at once (a lost or leaked key) and issues a new one, shown once; the reason is recorded in the ledger",
          params: idParams,
          body: reasonBody,
          response: { 200: reissueAnswer, ...errorResponses({ role: true, input: 'body', codes: ['ORG_UNKNOWN', 'ORG_STATE', 'AUTH_KEY_IN_GRACE'] }) },
        },
      },
      async (req) => {
        requireCurrentKey(req.keyInGrace);
        return reissueKeys(ctx, req.org as Org, req.params.id, req.body.reason);
      },
    );
  };
}
