// The aggregate strategy (fintech on its own model, regulator): a cohort chosen by public
// S1 predicates, a fixed menu of statistics released with noise by policies/aggregates.ts.
// It answers at once with the run id and the time its answer will be available (computed
// from the public cohort size and the model's cost measured at vetting); GET /v1/runs/:id
// returns the answer from then on, never earlier. Denials (cohort too small, overlap,
// budget) come from public quantities and are answered at once, before any data is read.
import { z } from 'zod';
import { stmt } from '../../core/sqlite.js';
import { SEGMENT_KEYS, type SegmentKey } from '../../datasets/catalog.js';
import type { Projection } from '../../datasets/store.js';
import { costMicros, releaseAggregate, STATISTICS, type Statistic } from '../../policies/aggregates.js';
import { denied, type Decision } from '../../policies/decision.js';
import { primarySuppression } from '../../policies/disclosure.js';
import { overlapByAtoms } from '../../policies/overlap.js';
import { isAppError } from '../../core/errors.js';
import { atomsOf, budgetDecisions, debit, entityOf } from '../budget.js';
import { platformError } from '../errors.js';
import { modelOwner, runnableModel } from '../models.js';
import { requireKind } from '../orgs.js';
import { checkedScores, contractOf } from '../scoring.js';
import { newId, type Org } from '../state.js';
import { aggregateTiming } from './deadline.js';
import { reserveSlot } from './schedule.js';
import { begin, cachedRun, compact, digestOf, failure, finish, inBackground, until, type RunAnswer, type RunCtx } from './pipeline.js';

/** A cohort key may be given as in API.md (sizeBand) or as the catalog's field name (size_band). */
const FIELD_KEYS: Record<string, SegmentKey> = Object.fromEntries(Object.entries(SEGMENT_KEYS).map(([k, f]) => [f, k as SegmentKey]));
const value = z.string().max(32);
const cohortSchema = z
  .object({ industry: value, district: value, sizeBand: value, regYearBand: value, industry_section: value, size_band: value, reg_year_band: value })
  .partial()
  .strict()
  .superRefine((c, ctx) => {
    for (const [field, key] of Object.entries(FIELD_KEYS)) {
      if (field !== key && (c as Record<string, unknown>)[field] !== undefined && (c as Record<string, unknown>)[key] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `both ${key} and ${field}` });
    }
  })
  .transform((c): Partial<Record<SegmentKey, string>> => {
    const out: Partial<Record<SegmentKey, string>> = {};
    for (const [k, v] of Object.entries(c)) if (v !== undefined) out[FIELD_KEYS[k] ?? (k as SegmentKey)] = v;
    return out;
  });

export const aggregateRequestSchema = z
  .object({
    mode: z.literal('aggregate'),
    modelId: z.string().max(64),
    cohort: cohortSchema,
    statistics: z.array(z.enum(STATISTICS)).min(1).max(STATISTICS.length),
    segmentBy: z
      .enum([...Object.keys(SEGMENT_KEYS), ...Object.keys(FIELD_KEYS).filter((f) => !(f in SEGMENT_KEYS))] as [string, ...string[]])
      .transform((k): SegmentKey => FIELD_KEYS[k] ?? (k as SegmentKey))
      .optional(),
  })
  .strict();
export type AggregateRequest = z.infer<typeof aggregateRequestSchema>;

/** Rows projected per turn of the event loop, so a large cohort never blocks the server. */
const PROJECTION_SLICE = 32_768;

/** The vault's rows for a cohort, read a slice per turn of the event loop. */
async function project(ctx: RunCtx, fields: readonly string[], cohort: Int32Array): Promise<Float64Array> {
  const k = fields.length;
  const out = new Float64Array(cohort.length * k);
  for (let from = 0; from < cohort.length; from += PROJECTION_SLICE) {
    const p: Projection = ctx.vault.project(fields, cohort.subarray(from, Math.min(cohort.length, from + PROJECTION_SLICE)));
    out.set(p.data, from * k);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

export async function runAggregate(ctx: RunCtx, org: Org, req: AggregateRequest): Promise<RunAnswer> {
  requireKind(org, 'fintech', 'regulator');
  // another fintech learns nothing of a model it cannot see: as for an unknown id, unless its
  // public card shows it (test/attacks/evaluation-model-oracle.test.ts)
  const owner = modelOwner(ctx, req.modelId);
  if (org.kind === 'fintech' && owner && owner.provider !== org.id) throw platformError(owner.public ? 'ROLE_FORBIDDEN' : 'MODEL_UNKNOWN');
  const { row, manifest, batchModule, compiled } = await runnableModel(ctx, req.modelId, 'aggregate');
  const policy = ctx.policy.policy;
  const statistics = [...new Set(req.statistics)].sort() as Statistic[];
  if (statistics.includes('segments') !== (req.segmentBy !== undefined)) throw platformError('RUN_BAD_REQUEST', { detail: 'segmentBy' });
  if (req.segmentBy && !policy.segments.keys.includes(req.segmentBy)) throw platformError('RUN_BAD_REQUEST', { detail: 'segmentBy' });
  const info = ctx.vault.info;
  // public: the S1 predicates and the size of the cohort they select
  const cohort = ctx.vault.cohort(req.cohort);
  const digest = row.approved_digest as string;

  // The same canonical question from the same organisation: the earlier answer, at no cost.
  const question = digestOf({ digest, dataset: info.version, policy: ctx.policy.digest, cohort: req.cohort, statistics, segmentBy: req.segmentBy ?? null });
  const earlier = stmt(ctx.db, 'SELECT run FROM answers WHERE org = ? AND question = ?').pluck().get(org.id, question) as string | undefined;
  if (earlier) return cachedRun(ctx, org, earlier);

  const cost = costMicros(statistics, policy);
  const atoms = atomsOf(req.cohort);
  const entity = entityOf(org);
  const planned: Decision[] = [];
  const small = primarySuppression({ count: cohort.length }, policy.disclosure);
  planned.push({ rule: 'sdc:k-min', status: small ? 'FAIL' : 'PASS', action: small ? 'deny' : 'none', params: { kMin: policy.disclosure.kMin, scope: 'cohort', appliedTo: 'public' } });
  // each distinct released cohort is kept once, as its atoms; sizes per atom are public
  const rows = stmt(ctx.db, 'SELECT atoms, version FROM released_cohorts WHERE entity = ? AND lineage = ?').all(entity, info.lineage) as { atoms: string; version: string | null }[];
  const released = rows.map((r) => JSON.parse(r.atoms) as number[]);
  // The same atoms released on an earlier version of the lineage: the members may differ by
  // the few merchants an import moved, which the atom sizes of today cannot tell, so the
  // question is denied; its earlier answer stays readable (GET /v1/runs/:id)
  // (test/attacks/overlap-across-versions.test.ts).
  const key = JSON.stringify([...atoms].sort((a, b) => a - b));
  const acrossVersions = rows.some((r) => r.atoms === key && r.version !== null && r.version !== info.version);
  planned.push(
    acrossVersions
      ? { rule: 'overlap:min-difference', status: 'FAIL', action: 'deny', params: { minDifference: policy.overlap.minDifference, acrossVersions: true } }
      : overlapByAtoms(atoms, released, ctx.vault.atomSizes(), policy.overlap.minDifference),
  );
  planned.push(...budgetDecisions(ctx, org, info.lineage, atoms, cost));

  const runId = newId('run');
  const requestedAt = ctx.now();
  const requested = { digest, dataset: info.version, lineage: info.lineage, policy: ctx.policy.digest, request: question };
  if (denied(planned)) {
    const answer: RunAnswer = { runId, status: 'denied', mode: 'aggregate', decisions: planned, requestedAt: requestedAt.toISOString(), availableAt: requestedAt.toISOString(), result: null };
    begin(ctx, org, { id: runId, mode: 'aggregate', model: req.modelId, requestedAt, availableAt: requestedAt }, requested);
    return (await finish(ctx, answer, () => ctx.ledger.append('run.denied', 'platform', { run: runId, decisions: compact(planned) }).seq)) as RunAnswer;
  }

  // A cohort's size is public: a request for it alone needs no model and no data.
  if (statistics.every((s) => s === 'count')) {
    const answer: RunAnswer = { runId, status: 'released', mode: 'aggregate', decisions: planned, requestedAt: requestedAt.toISOString(), availableAt: requestedAt.toISOString(), result: { count: cohort.length, marginLevel: 0.95 } };
    begin(ctx, org, { id: runId, mode: 'aggregate', model: req.modelId, requestedAt, availableAt: requestedAt }, requested, () => {
      stmt(ctx.db, 'INSERT OR REPLACE INTO answers (org, question, run) VALUES (?, ?, ?)').run(org.id, question, runId);
    });
    return (await finish(ctx, answer, () => ctx.ledger.append('run.released', 'platform', { run: runId, output: digestOf(answer.result), decisions: compact(planned), budget: 0 }).seq)) as RunAnswer;
  }

  // The slot on the aggregate lane, and so the availability time, are fixed now, from public quantities.
  const timing = aggregateTiming(cohort.length, row.cost_micros, ctx.executor.laneCount('aggregate'), policy.timing);
  const slot = reserveSlot(ctx, entity, timing.computeMs, new Date(requestedAt.getTime() + Math.ceil(policy.timing.aggregateBaseMs / 2)));
  if (!slot) throw platformError('RUN_BUSY');
  const availableAt = new Date(slot.end.getTime() + Math.ceil(policy.timing.aggregateBaseMs / 2) + Math.ceil((cohort.length / 1000) * policy.timing.aggregatePerThousandMs));
  // Debit before execution; never refunded once the data is read.
  begin(ctx, org, { id: runId, mode: 'aggregate', model: req.modelId, requestedAt, availableAt }, requested, () => {
    debit(ctx, org, info.lineage, atoms, cost, runId);
    stmt(ctx.db, 'INSERT OR REPLACE INTO answers (org, question, run) VALUES (?, ?, ?)').run(org.id, question, runId);
  });
  const base = { runId, mode: 'aggregate' as const, requestedAt: requestedAt.toISOString(), availableAt: availableAt.toISOString() };

  // A run not closed by its availability time fails then, whatever it was doing: the
  // requester sees RUN_FAILED, and it counts towards the model's suspension like any failure.
  // (`computed`: the answer is ready and waits for availableAt to be written, see finish)
  let computed = false;
  const deadline = setTimeout(() => {
    if (!computed) void failure(ctx, { ...base, decisions: planned, result: null }, 'RUN_DEADLINE_MISSED', req.modelId, digest);
  }, availableAt.getTime() - Date.now());
  deadline.unref();

  const work = (async () => {
    const contract = contractOf(manifest);
    let scores: Float64Array;
    let substituted;
    try {
      // the projection is read ahead; the model starts at the slot's start, with the slot's time
      const data = await project(ctx, manifest.inputs, cohort);
      await until(slot.start, ctx.now);
      const out = await ctx.executor.execute({ mode: 'cohort', lane: 'aggregate', source: batchModule, compiled, fields: manifest.inputs, reasons: contract.reasons, data, timeoutMs: Math.max(1, slot.end.getTime() - Date.now()), partition: org.id });
      ({ scores, substituted } = checkedScores(out, cohort.length, contract));
    } catch (e) {
      if (!isAppError(e) || !e.code.startsWith('SANDBOX_')) throw e;
      computed = true;
      await failure(ctx, { ...base, decisions: planned, result: null }, e.code, req.modelId, digest);
      return;
    }
    const segments = req.segmentBy
      ? (() => {
          const field = SEGMENT_KEYS[req.segmentBy];
          const f = ctx.vault.fields().find((x) => x.name === field);
          return { key: req.segmentBy, codes: ctx.vault.project([field], cohort).data, categories: (f?.categories ?? []).map((c) => c.code) };
        })()
      : undefined;
    const labels = statistics.includes('backtest') ? ctx.vault.labels(cohort) : undefined;
    const release = releaseAggregate({ statistics, scores, contract, policy, ...(labels ? { labels } : {}), ...(segments ? { segments } : {}), ...(ctx.noise ? { noise: ctx.noise } : {}) });
    const decisions = [...planned, ...release.decisions];
    computed = true;
    await finish(ctx, { ...base, status: 'released', decisions, result: release.result }, () => {
      stmt(ctx.db, 'INSERT OR IGNORE INTO released_cohorts (entity, lineage, atoms, version) VALUES (?, ?, ?, ?)').run(entity, info.lineage, key, info.version);
      ctx.ledger.append('run.executed', 'platform', { run: runId, resources: { rows: cohort.length, fields: manifest.inputs.length }, substituted: { ...substituted } });
      return ctx.ledger.append('run.released', 'platform', { run: runId, output: digestOf(release.result), decisions: compact(decisions), budget: cost }).seq;
    });
  })()
    .catch(async () => {
      computed = true;
      await finish(ctx, { ...base, status: 'failed', decisions: planned, result: null, error: { code: 'RUN_FAILED' } }, () => {
        ctx.ledger.append('run.executed', 'platform', { run: runId, resources: {} });
        return ctx.ledger.append('run.failed', 'platform', { run: runId, code: 'INTERNAL_ERROR' }).seq;
      });
    })
    .finally(() => clearTimeout(deadline));
  inBackground(ctx, work);
  return { ...base, status: 'running', decisions: [] };
}

/** For callers in the same process (the demo, tests): the answer once it is available. */
export async function answerOf(ctx: RunCtx, org: Org, runId: string, get: (ctx: RunCtx, org: Org, id: string) => RunAnswer): Promise<RunAnswer> {
  for (;;) {
    const a = get(ctx, org, runId);
    if (a.status !== 'running') return a;
    await until(new Date(Math.max(Date.parse(a.availableAt), ctx.now().getTime() + 20)), ctx.now);
  }
}
