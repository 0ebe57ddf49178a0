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
    r.get('/v1/datasets', { schema: { tags: ['datasets'], summary: 'The datasets and their versions' } }, async () => [ctx.vault.info]);
    r.get('/v1/datasets/:id/fields', { schema: { tags: ['datasets'], summary: 'The field catalog', params: idParams } }, async (req) => {
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
        },
      },
      async (req, reply) => {
        dataset(req.params.id);
        const t = dummyTable(req.query.subjects ?? 100, 20240601);
        if (req.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(dummyCsv(t));
        return dummyJson(t);
      },
    );
    r.get('/v1/models/:id', { schema: { tags: ['models'], summary: 'A model: full record for its provider and the regulator, a public card for others once approved', params: idParams } }, async (req) =>
      getModel(ctx, req.org as Org, req.params.id),
    );
    r.get('/v1/catalog', { schema: { tags: ['models'], summary: 'Approved models as public cards', querystring: z.object({ tag: z.string().max(32).optional() }).strict() } }, async (req) =>
      catalog(ctx, req.query.tag),
    );
    r.post(
      '/v1/runs',
      {
        bodyLimit: 16 * 1024 * 1024, // encrypted runs carry ciphertexts
        schema: { tags: ['runs'], summary: 'Run an approved model: aggregate (provider, regulator), subjects or encrypted (bank with access)', body: runRequestSchema },
      },
      async (req, reply) => {
        const org = req.org as Org;
        const body = req.body as z.infer<typeof runRequestSchema>;
        const answer = await (body.mode === 'aggregate' ? runAggregate(ctx, org, body) : body.mode === 'subjects' ? runSubjects(ctx, org, body) : runEncrypted(ctx, org, body));
        // an aggregate answer is available at availableAt: 202 until then
        return reply.status(answer.status === 'running' ? 202 : 200).send(answer);
      },
    );
    r.get('/v1/runs/:id', { schema: { tags: ['runs'], summary: 'A run as recorded (requester, regulator): 202 with availableAt until its answer is available', params: idParams } }, async (req, reply) => {
      const answer = getRun(ctx, req.org as Org, req.params.id);
      return reply.status(answer.status === 'running' ? 202 : 200).send(answer);
    });
    r.get('/v1/budget', { schema: { tags: ['runs'], summary: "This legal entity's privacy budget on the dataset's lineage" } }, async (req) => budgetOf(ctx, req.org as Org, ctx.vault.info.lineage));
    r.get('/v1/ledger/checkpoint', { schema: { tags: ['ledger'], summary: 'The latest signed checkpoint' } }, async () => {
      const c = ctx.ledger.latestCheckpoint();
      return { size: c.size, rootHash: c.root.toString('hex'), note: c.note, publicKey: ctx.ledger.publicKey, genesisKey: ctx.ledger.genesisKey, origin: ctx.ledger.origin };
    });
    r.get(
      '/v1/ledger/proofs/inclusion',
      { schema: { tags: ['ledger'], summary: 'Inclusion proof (RFC 9162)', querystring: z.object({ index: queryInt, size: queryInt }).strict() } },
      async (req) => ({ index: req.query.index, size: req.query.size, path: ctx.ledger.inclusion(req.query.index, req.query.size).map((h) => h.toString('hex')) }),
    );
    r.get(
      '/v1/ledger/proofs/consistency',
      { schema: { tags: ['ledger'], summary: 'Consistency proof (RFC 9162)', querystring: z.object({ from: queryInt, to: queryInt }).strict() } },
      async (req) => ({ from: req.query.from, to: req.query.to, path: ctx.ledger.consistency(req.query.from, req.query.to).map((h) => h.toString('hex')) }),
    );
  };
}
