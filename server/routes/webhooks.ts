// Webhook endpoints of any admitted organisation (sandbox/webhooks/): register, list,
// delete, and the record of deliveries and their attempts.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import {
  deletedAnswer,
  deleteEndpoint,
  deliveryList,
  deliveryQuery,
  endpointAnswer,
  endpointList,
  endpointSchema,
  listDeliveries,
  listEndpoints,
  registerEndpoint,
} from '../../sandbox/webhooks/endpoints.js';
import { errorResponses } from '../documented-errors.js';
import { idParams } from './params.js';
import { requireCurrentKey } from '../../sandbox/orgs.js';

const signing =
  'Each delivery is a POST of {"type","timestamp","data"} signed as Standard Webhooks: headers webhook-id (the same on every retry), webhook-timestamp (Unix seconds of the attempt) and webhook-signature "v1,<base64 HMAC-SHA256 under the secret\'s base64-decoded bytes after whsec_, of `${id}.${timestamp}.${body}`>". A 2xx ends a delivery; anything else is retried with exponential backoff (7 attempts over about 13 hours). URLs: https to a public address only (http to loopback only on a platform configured for it); redirects are not followed.';

export function webhookRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    const tags = ['webhooks'];
    r.post(
      '/v1/webhooks',
      { schema: { tags, summary: 'Register a webhook endpoint for some events; its signing secret is shown once', description: signing, body: endpointSchema, response: { 201: endpointAnswer, ...errorResponses({ input: 'body', codes: ['WEBHOOK_URL_REFUSED', 'WEBHOOK_LIMIT', 'AUTH_KEY_IN_GRACE'] }) } } },
      async (req, reply) => {
        requireCurrentKey(req.keyInGrace);
        return reply.status(201).send(registerEndpoint(ctx, req.org as Org, req.body, { allowLoopback: platform.webhooks.allowLoopback }));
      },
    );
    r.get('/v1/webhooks', { schema: { tags, summary: "This organisation's webhook endpoints (without secrets)", response: { 200: endpointList, ...errorResponses({}) } } }, async (req) => listEndpoints(ctx, req.org as Org));
    r.get(
      '/v1/webhooks/deliveries',
      { schema: { tags, summary: "This organisation's webhook deliveries, newest first (at most 100), each with every attempt; ?endpoint= for one endpoint", querystring: deliveryQuery, response: { 200: deliveryList, ...errorResponses({ input: 'params' }) } } },
      async (req) => listDeliveries(ctx, req.org as Org, req.query),
    );
    r.delete('/v1/webhooks/:id', { schema: { tags, summary: 'Delete a webhook endpoint; its pending deliveries are cancelled', params: idParams, response: { 200: deletedAnswer, ...errorResponses({ input: 'params', codes: ['WEBHOOK_UNKNOWN', 'AUTH_KEY_IN_GRACE'] }) } } }, async (req) => {
      requireCurrentKey(req.keyInGrace);
      return deleteEndpoint(ctx, req.org as Org, req.params.id);
    });
  };
}
