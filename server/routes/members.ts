import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { accessRequestSchema, denyAccess, grantAccess, grantSchema, requestAccess } from '../../sandbox/access.js';
import { consentSchema, recordConsent, revokeConsent } from '../../sandbox/consents.js';
import { submissionSchema, submitModel } from '../../sandbox/models.js';
import { idParams, reasonBody } from './params.js';
import { keyRegistrationSchema, registerBankKey } from '../../sandbox/run/encrypted.js';

export function fintechRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    r.post('/v1/models', { bodyLimit: 6 * 1024 * 1024, schema: { tags: ['fintech'], summary: 'Submit a model package; vetting runs at once', body: submissionSchema } }, async (req, reply) =>
      reply.status(201).send(await submitModel(ctx, req.org as Org, req.body)),
    );
    r.post('/v1/access/:id/grant', { schema: { tags: ['fintech'], summary: "Grant a bank's access request (the model's provider); for a model with bank-held features, { acceptWeightExposure: true }", params: idParams, body: grantSchema.nullish() } }, async (req) =>
      grantAccess(ctx, req.org as Org, req.params.id, req.body ?? {}),
    );
    r.post('/v1/access/:id/deny', { schema: { tags: ['fintech'], summary: "Deny a bank's access request (the model's provider)", params: idParams, body: reasonBody } }, async (req) =>
      denyAccess(ctx, req.org as Org, req.params.id, req.body.reason),
    );
  };
}

export function bankRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post('/v1/keys', { bodyLimit: 4 * 1024 * 1024, schema: { tags: ['bank'], summary: 'Register a CKKS public key for encrypted runs (the secret key stays with the bank)', body: keyRegistrationSchema } }, async (req, reply) =>
      reply.status(201).send(await registerBankKey(platform.ctx, req.org as Org, req.body.publicKey)),
    );
    r.post('/v1/models/:id/access', { schema: { tags: ['bank'], summary: 'Request access to an approved model for a purpose', params: idParams, body: accessRequestSchema } }, async (req, reply) =>
      reply.status(201).send(requestAccess(platform.ctx, req.org as Org, req.params.id, req.body.purpose)),
    );
  };
}

export function channelRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post('/v1/consents', { schema: { tags: ['channel'], summary: "Record a merchant's authorisation of a bank", body: consentSchema } }, async (req, reply) =>
      reply.status(201).send(recordConsent(platform.ctx, req.org as Org, req.body)),
    );
    r.delete('/v1/consents/:id', { schema: { tags: ['channel'], summary: 'Revoke a consent (the channel that recorded it)', params: idParams } }, async (req) => revokeConsent(platform.ctx, req.org as Org, req.params.id));
  };
}
