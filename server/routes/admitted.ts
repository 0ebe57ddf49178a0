// Routes for any admitted organisation. What each may see is decided by the workflows
// (a model's full record only for its provider and the regulator, a run only for its
// requester and the regulator, and so on).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicField } from '../../datasets/catalog.js';
import { datasetError } from '../../datasets/errors.js';
import { dummyCsv, dummyJson, dummyTable } from '../../datasets/dummy.js';
import type { Platform } from '../../sandbox/platform.js';
import { budgetOf } from '../../sandbox/budget.js';
import { catalog, getModel } from '../../sandbox/models.js';
import { aggregateRequestSchema, runAggregate } from '../../sandbox/run/aggregate.js';
import { encryptedRequestSchema, runEncrypted } from '../../sandbox/run/encrypted.js';
import { getRun } from '../../sandbox/run/pipeline.js';
import { runSubjects, subjectsRequestSchema } from '../../sandbox/run/subjects.js';
import type { Org } from '../../sandbox/state.js';
import { datasetsAnswer, dummyRows, fieldsAnswer } from '../../datasets/datasets.schema.js';
import { checkpointAnswer, consistencyAnswer, inclusionAnswer } from '../../ledger/api.schema.js';
import { budgetAnswer } from '../../sandbox/budget.schema.js';
import { catalogAnswer, modelAnswer } from '../../sandbox/models.schema.js';
import { runAnswer } from '../../sandbox/run/run.schema.js';
import { errorResponses } from '../documented-errors.js';
import { idParams, queryInt } from './params.js';

export const runRequestSchema = z.discriminatedUnion('mode', [aggregateRequestSchema, subjectsRequestSchema, encryptedRequestSchema]);

export function admittedRoutes(platform: Platform) {
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const ctx = platform.ctx;
    const dataset = (id: string) => {
      if (id !== ctx.vault.info.id) throw datasetError('DATASET_UNKNOWN');
      return ctx.vault.info;
    };
    r.get('/v1/datasets', { schema: { tags: ['datasets'], summary: 'The datasets and their versions', response: { 200: datasetsAnswer, ...errorResponses({}) } } }, async () => [ctx.vault.info]);
    r.get('/v1/datasets/:id/fields', { schema: { tags: ['datasets'], summary: 'The field catalog', params: idParams, response: { 200: fieldsAnswer, ...errorResponses({ input: 'params', codes: ['DATASET_UNKNOWN'] }) } } }, async (req) => {
      dataset(req.params.id);
      return ctx.vault.fields().map(publicField);
    });
    r.get(
      '/v1/datasets/:id/dummy',
      {
        schema: {
          tags: ['datasets'],
          summary: 'Dummy rows: the same schema, no real merchant',
          params: idParams,
          querystring: z.object({ format: z.enum(['json', 'csv']).default('json'), subjects: queryInt.pipe(z.number().int().min(1).max(10_000)).optional() }).strict(),
          response: { 200: dummyRows, ...errorResponses({ input: 'params', codes: ['DATASET_UNKNOWN'] }) },
        },
      },
      async (req, reply) => {
        dataset(req.params.id);
        const t = dummyTable(req.query.subjects ?? 100, 20240601);
        // text, sent as is: fastify serialises only JSON answers through the schema
        if (req.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(dummyCsv(t) as never);
        return dummyJson(t);
      },
    );
    r.get('/v1/models/:id', { schema: { tags: ['models'], summary: 'A model: full record for its provider and the regulator, a public card for others once approved', params: idParams, response: { 200: modelAnswer, ...errorResponses({ input: 'params', codes: ['MODEL_UNKNOWN'] }) } } }, async (req) =>
      getModel(ctx, req.org as Org, req.params.id),
    );
    r.get('/v1/catalog', { schema: { tags: ['models'], summary: 'Approved models as public cards', querystring: z.object({ tag: z.string().max(32).optional() }).strict(), response: { 200: catalogAnswer, ...errorResponses({ input: 'params' }) } } }, async (req) =>
      catalog(ctx, req.query.tag),
    );
    r.post(
      '/v1/runs',
      {
        bodyLimit: 16 * 1024 * 1024, // encrypted runs carry ciphertexts
        schema: { tags: ['runs'], summary: 'Run an approved model: aggregate (provider, regulator), subjects or encrypted (bank with access)', body: runRequestSchema,
          description:
            'An aggregate run answers 202 with its runId and availableAt (fixed from public quantities when it begins); GET /v1/runs/{id} answers 202 until then, then 200 with the result. Subjects and encrypted runs answer 200 at their public time. A denied or failed run is a 200 answer with status denied or failed: the decisions say which rule denied it; a failure is RUN_FAILED whatever happened.',
          response: {
            200: runAnswer,
            202: runAnswer,
            ...errorResponses({
              input: 'body',
              role: true,
              codes: [
                'RUN_BAD_REQUEST',
                'SUBJECT_INVALID',
                'DATASET_BAD_PREDICATE',
                'ENCRYPTION_KEY_INVALID',
                'ENCRYPTION_CIPHERTEXT_INVALID',
                'ENCRYPTION_COUNT_MISMATCH',
                'ENCRYPTION_BATCH_TOO_LARGE',
                'ACCESS_NOT_GRANTED',
                'MODEL_UNKNOWN',
                'ENCRYPTION_KEY_UNKNOWN',
                'MODEL_NOT_RUNNABLE',
                'RUN_BUSY',
                'SANDBOX_UNAVAILABLE',
              ],
            }),
          },
        },
      },
      async (req, reply) => {
        const org = req.org as Org;
        const body = req.body as z.infer<typeof runRequestSchema>;
        const answer = await (body.mode === 'aggregate' ? runAggregate(ctx, org, body) : body.mode === 'subjects' ? runSubjects(ctx, org, body) : runEncrypted(ctx, org, body));
        // an aggregate answer is available at availableAt: 202 until then
        return reply.status(answer.status === 'running' ? 202 : 200).send(answer);
      },
    );
    r.get('/v1/runs/:id', { schema: { tags: ['runs'], summary: 'A run as recorded (requester, regulator): 202 with availableAt until its answer is available', params: idParams, response: { 200: runAnswer, 202: runAnswer, ...errorResponses({ input: 'params', codes: ['RUN_UNKNOWN'] }) } } }, async (req, reply) => {
      const answer = getRun(ctx, req.org as Org, req.params.id);
      return reply.status(answer.status === 'running' ? 202 : 200).send(answer);
    });
    r.get('/v1/budget', { schema: { tags: ['runs'], summary: "This legal entity's privacy budget on the dataset's lineage", response: { 200: budgetAnswer, ...errorResponses({}) } } }, async (req) => budgetOf(ctx, req.org as Org, ctx.vault.info.lineage));
    r.get('/v1/ledger/checkpoint', { schema: { tags: ['ledger'], summary: 'The latest signed checkpoint', response: { 200: checkpointAnswer, ...errorResponses({}) } } }, async () => {
      const c = ctx.ledger.latestCheckpoint();
      return { size: c.size, rootHash: c.root.toString('hex'), note: c.note, publicKey: ctx.ledger.publicKey, genesisKey: ctx.ledger.genesisKey, origin: ctx.ledger.origin };
    });
    r.get(
      '/v1/ledger/proofs/inclusion',
      { schema: { tags: ['ledger'], summary: 'Inclusion proof (RFC 9162)', querystring: z.object({ index: queryInt, size: queryInt }).strict(), response: { 200: inclusionAnswer, ...errorResponses({ input: 'params', codes: ['LEDGER_BAD_RANGE'] }) } } },
      async (req) => ({ index: req.query.index, size: req.query.size, path: ctx.ledger.inclusion(req.query.index, req.query.size).map((h) => h.toString('hex')) }),
    );
    r.get(
      '/v1/ledger/proofs/consistency',
      { schema: { tags: ['ledger'], summary: 'Consistency proof (RFC 9162)', querystring: z.object({ from: queryInt, to: queryInt }).strict(), response: { 200: consistencyAnswer, ...errorResponses({ input: 'params', codes: ['LEDGER_BAD_RANGE'] }) } } },
      async (req) => ({ from: req.query.from, to: req.query.to, path: ctx.ledger.consistency(req.query.from, req.query.to).map((h) => h.toString('hex')) }),
    );
  };
}
