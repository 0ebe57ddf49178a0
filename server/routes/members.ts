import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { accessRequestSchema, denyAccess, grantAccess, grantSchema, requestAccess } from '../../sandbox/access.js';
import { consentSchema, recordConsent, revokeAllConsents, revokeAllQuery, revokeConsent } from '../../sandbox/consents.js';
import { submissionSchema, submitModel } from '../../sandbox/models.js';
import { modelUsage, modelUsageAnswer } from '../../sandbox/usage.js';
import { idParams, reasonBody } from './params.js';
import { keyRegistrationSchema, registerBankKey } from '../../sandbox/run/encrypted.js';
import { accessDecisionAnswer, accessRequestedAnswer } from '../../sandbox/access.schema.js';
import { consentRecordedAnswer, consentRevokedAnswer, consentsRevokedAnswer } from '../../sandbox/consents.schema.js';
import { submissionAnswer } from '../../sandbox/models.schema.js';
import { keyRegisteredAnswer } from '../../sandbox/run/run.schema.js';
import { errorResponses } from '../documented-errors.js';

export function fintechRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    r.post('/v1/models', { bodyLimit: 6 * 1024 * 1024, schema: { tags: ['fintech'], summary: 'Submit a model package; vetting runs at once', description: 'Answers 201 with the vetting report whether or not it passed (status vetted or vetting_failed).', body: submissionSchema, response: { 201: submissionAnswer, ...errorResponses({ role: true, input: 'body', codes: ['MODEL_VETTING_BUSY', 'SANDBOX_UNAVAILABLE'] }) } } }, async (req, reply) =>
      reply.status(201).send(await submitModel(ctx, req.org as Org, req.body)),
    );
    r.get(
      '/v1/models/usage',
      {
        schema: {
          tags: ['fintech'],
          summary: "Runs on each of this fintech's models, by mode (counts and model names only)",
          description: "Every model the fintech submitted, newest first, with the runs requested on it by mode (its own and banks', whatever their outcome). Nothing about requesters, merchants, results or times.",
          response: { 200: modelUsageAnswer, ...errorResponses({ role: true }) },
        },
      },
      async (req) => modelUsage(ctx, req.org as Org),
    );
    r.post('/v1/access/:id/grant', { schema: { tags: ['fintech'], summary: "Grant a bank's access request (the model's provider); for a model with bank-held features, { acceptWeightExposure: true }", params: idParams, body: grantSchema.nullish(), response: { 200: accessDecisionAnswer, ...errorResponses({ role: true, input: 'body', codes: ['ACCESS_UNKNOWN', 'ACCESS_STATE', 'ACCESS_TERMS_REQUIRED'] }) } } }, async (req) =>
      grantAccess(ctx, req.org as Org, req.params.id, req.body ?? {}),
    );
    r.post('/v1/access/:id/deny', { schema: { tags: ['fintech'], summary: "Deny a bank's access request (the model's provider)", params: idParams, body: reasonBody, response: { 200: accessDecisionAnswer, ...errorResponses({ role: true, input: 'body', codes: ['ACCESS_UNKNOWN', 'ACCESS_STATE'] }) } } }, async (req) =>
      denyAccess(ctx, req.org as Org, req.params.id, req.body.reason),
    );
  };
}

export function bankRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post('/v1/keys', { bodyLimit: 4 * 1024 * 1024, schema: { tags: ['bank'], summary: 'Register a CKKS public key for encrypted runs (the secret key stays with the bank)', body: keyRegistrationSchema, response: { 201: keyRegisteredAnswer, ...errorResponses({ role: true, input: 'body', codes: ['ENCRYPTION_KEY_INVALID'] }) } } }, async (req, reply) =>
      reply.status(201).send(await registerBankKey(platform.ctx, req.org as Org, req.body.publicKey)),
    );
    r.post('/v1/models/:id/access', { schema: { tags: ['bank'], summary: 'Request access to an approved model for a purpose', params: idParams, body: accessRequestSchema, response: { 201: accessRequestedAnswer, ...errorResponses({ role: true, input: 'body', codes: ['MODEL_UNKNOWN'] }) } } }, async (req, reply) =>
      reply.status(201).send(requestAccess(platform.ctx, req.org as Org, req.params.id, req.body.purpose)),
    );
  };
}

export function channelRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post('/v1/consents', { schema: { tags: ['channel'], summary: "Record a merchant's authorisation of a bank", body: consentSchema, response: { 201: consentRecordedAnswer, ...errorResponses({ role: true, input: 'body', codes: ['SUBJECT_INVALID', 'CONSENT_CHANNEL_MISMATCH', 'ORG_UNKNOWN', 'CONSENT_STATE'] }) } } }, async (req, reply) =>
      reply.status(201).send(recordConsent(platform.ctx, req.org as Org, req.body)),
    );
    r.delete(
      '/v1/consents',
      {
        schema: {
          tags: ['channel'],
          summary: "Revoke all of one merchant's consents this channel recorded",
          description: '?subject= (the merchant USCC). Each consent not yet revoked is revoked with its own ledger entry and consent.revoked webhook, as by DELETE /v1/consents/{id}; the answer lists them (empty when none was active).',
          querystring: revokeAllQuery,
          response: { 200: consentsRevokedAnswer, ...errorResponses({ role: true, input: 'params', codes: ['SUBJECT_INVALID'] }) },
        },
      },
      async (req) => revokeAllConsents(platform.ctx, req.org as Org, req.query.subject),
    );
    r.delete('/v1/consents/:id', { schema: { tags: ['channel'], summary: 'Revoke a consent (the channel that recorded it)', params: idParams, response: { 200: consentRevokedAnswer, ...errorResponses({ role: true, input: 'params', codes: ['CONSENT_UNKNOWN', 'CONSENT_STATE'] }) } } }, async (req) => revokeConsent(platform.ctx, req.org as Org, req.params.id));
  };
}
