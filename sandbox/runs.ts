// The run engine: authorise, plan, project from the vault, execute in the executor, check,
// release, record (DESIGN.md, "The path of one run"). The model never decides what leaves:
// the host aggregates, adds noise, rounds and suppresses, or scores only consented
// merchants. Budget is debited before execution and not refunded once data was read.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { canonicalize } from '../core/canonical-json.js';
import { isAppError } from '../core/errors.js';
import { SEGMENT_KEYS, type SegmentKey } from '../datasets/catalog.js';
import type { Vault } from '../datasets/store.js';
import type { CryptoProcess } from '../encryption/process/client.js';
import { isValidUscc } from '../datasets/uscc.js';
import type { ProofBundle } from '../ledger/log.js';
import { computeAggregates, costMicros, STATISTICS, type AggregateResult, type Statistic } from '../policies/aggregates.js';
import { quotaDay } from '../policies/consent.js';
import { denied, type Decision } from '../policies/decision.js';
import { primarySuppression } from '../policies/disclosure.js';
import { overlapDecision } from '../policies/overlap.js';
import type { NoiseFn } from '../policies/aggregates.js';
import { platformError } from './errors.js';
import { checkedScores, OutputRejected, type SubjectScore } from './scoring.js';
import { newId, type Org } from './state.js';
import { hasAccess, hasValidConsent, requireKind, runnableModel, subjectDigest, type Ctx } from './workflows.js';

export interface RunCtx extends Ctx {
  vault: Vault;
  /** The crypto process for homomorphic evaluation (started on first use). */
  crypto?: CryptoProcess;
  /** Injected by tests to make noise visible; the platform always uses the default. */
  noise?: NoiseFn;
}

const cohortSchema = z
  .object({ industry: z.string().max(32), district: z.string().max(32), sizeBand: z.string().max(32), regYearBand: z.string().max(32) })
  .partial()
  .strict();

export const aggregateRequestSchema = z
  .object({
    mode: z.literal('aggregate'),
    modelId: z.string().max(64),
    cohort: cohortSchema,
    statistics: z.array(z.enum(STATISTICS)).min(1).max(STATISTICS.length),
    segmentBy: z.enum(Object.keys(SEGMENT_KEYS) as [SegmentKey, ...SegmentKey[]]).optional(),
  })
  .strict();

export const subjectsRequestSchema = z
  .object({
    mode: z.literal('subjects'),
    modelId: z.string().max(64),
    subjects: z.array(z.string().max(32)).min(1).max(4096),
    purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
  })
  .strict();

export type AggregateRequest = z.infer<typeof aggregateRequestSchema>;
export type SubjectsRequest = z.infer<typeof subjectsRequestSchema>;

export interface RunAnswer {
  runId: string;
  status: 'released' | 'denied' | 'failed';
  mode: 'aggregate' | 'subjects' | 'encrypted';
  decisions: Decision[];
  result?: AggregateResult | null;
  results?: (SubjectScore & { subject: string })[];
  notScored?: number;
  error?: { code: string };
  cached?: boolean;
  ledger: ProofBundle;
}

const digestOf = (v: unknown) => `sha256:${createHash('sha256').update(canonicalize(v)).digest('hex')}`;
const compact = (ds: readonly Decision[]) => ds.map((d) => ({ rule: d.rule, status: d.status, action: d.action }));

function sandboxCode(e: unknown): string {
  if (e instanceof OutputRejected) return e.code;
  if (isAppError(e) && e.code.startsWith('SANDBOX_')) return e.code;
  throw e;
}

/**
 * Writes the run's row and its closing ledger entries in one transaction, then attaches the
 * proof bundle (under a checkpoint shared with the runs that finish in the same turn). The
 * stored record has no bundle: one is made, under the latest checkpoint, when it is read.
 */
export function finishRun(ctx: RunCtx, answer: Omit<RunAnswer, 'ledger'>, entries: () => number): Promise<RunAnswer> {
  return finish(ctx, answer, entries);
}

async function finish(ctx: RunCtx, answer: Omit<RunAnswer, 'ledger'>, entries: () => number): Promise<RunAnswer> {
  const seq = ctx.db.transaction(() => {
    const seq = entries();
    stmt(ctx.db, 'UPDATE runs SET status = ?, record = ?, ledger_seq = ? WHERE id = ?').run(answer.status, JSON.stringify(answer), seq, answer.runId);
    return seq;
  })();
  return { ...answer, ledger: await ctx.ledger.bundleSoon(seq) };
}

/** A stored run record with a bundle made now. */
function withBundle(ctx: RunCtx, record: string, seq: number): RunAnswer {
  return { ...(JSON.parse(record) as Omit<RunAnswer, 'ledger'>), ledger: ctx.ledger.bundle(seq) };
}

export function beginRun(ctx: RunCtx, org: Org, runId: string, mode: string, model: string, fields: Record<string, string | number>): void {
  begin(ctx, org, runId, mode, model, fields);
}

function begin(ctx: RunCtx, org: Org, runId: string, mode: string, model: string, fields: Record<string, string | number>): void {
  stmt(ctx.db, 'INSERT INTO runs (id, requester, mode, model, status, record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(runId, org.id, mode, model, 'running', '{}', ctx.now().toISOString());
  ctx.ledger.append('run.requested', org.id, { run: runId, mode, model, ...fields } as never);
}

export function budgetOf(ctx: RunCtx, org: string): { dataset: string; spentMicros: number; limitMicros: number; remainingMicros: number }[] {
  const dataset = ctx.vault.info.version;
  const spent = (stmt(ctx.db, 'SELECT spent FROM budget WHERE org = ? AND dataset = ?').pluck().get(org, dataset) as number | undefined) ?? 0;
  const limit = ctx.policy.policy.budget.perOrganisationMicros;
  return [{ dataset, spentMicros: spent, limitMicros: limit, remainingMicros: Math.max(0, limit - spent) }];
}

/** Identical questions in flight, per platform: a second asker waits for the first answer. */
const inFlight = new WeakMap<RunCtx, Map<string, Promise<RunAnswer>>>();

export async function runAggregate(ctx: RunCtx, org: Org, req: AggregateRequest): Promise<RunAnswer> {
  requireKind(org, 'fintech', 'regulator');
  const { row, manifest } = runnableModel(ctx, req.modelId);
  if (org.kind === 'fintech' && row.provider !== org.id) throw platformError('ROLE_FORBIDDEN');
  const policy = ctx.policy.policy;
  const statistics = [...new Set(req.statistics)].sort() as Statistic[];
  if (statistics.includes('segments') !== (req.segmentBy !== undefined)) throw platformError('RUN_BAD_REQUEST', { detail: 'segmentBy' });
  if (req.segmentBy && !policy.segments.keys.includes(req.segmentBy)) throw platformError('RUN_BAD_REQUEST', { detail: 'segmentBy' });
  const dataset = ctx.vault.info.version;
  const cohort = ctx.vault.cohort(req.cohort);

  // The same canonical question from the same organisation: the cached answer, at no cost.
  const question = digestOf({ digest: row.approved_digest, dataset, policy: ctx.policy.digest, cohort: req.cohort, statistics, segmentBy: req.segmentBy ?? null });
  const cachedRun = stmt(ctx.db, 'SELECT runs.record, runs.ledger_seq AS seq FROM answers JOIN runs ON runs.id = answers.run WHERE answers.org = ? AND answers.question = ?').get(org.id, question) as
    | { record: string; seq: number }
    | undefined;
  if (cachedRun) {
    const earlier = withBundle(ctx, cachedRun.record, cachedRun.seq);
    return { ...earlier, cached: true, decisions: [...earlier.decisions, { rule: 'dp:cache', status: 'PASS', action: 'serve-cached', params: { charged: 0 } }] };
  }

  let pending = inFlight.get(ctx);
  if (!pending) inFlight.set(ctx, (pending = new Map()));
  const key = `${org.id}\n${question}`;
  const running = pending.get(key);
  if (running) {
    const earlier = await running;
    return earlier.status === 'released'
      ? { ...earlier, cached: true, decisions: [...earlier.decisions, { rule: 'dp:cache', status: 'PASS', action: 'serve-cached', params: { charged: 0 } }] }
      : earlier;
  }
  const answer = aggregateOnce(ctx, org, req, { row, manifest, statistics, dataset, cohort, question });
  pending.set(key, answer);
  try {
    return await answer;
  } finally {
    pending.delete(key);
  }
}

interface Plan {
  row: ReturnType<typeof runnableModel>['row'];
  manifest: ReturnType<typeof runnableModel>['manifest'];
  statistics: Statistic[];
  dataset: string;
  cohort: Int32Array;
  question: string;
}

async function aggregateOnce(ctx: RunCtx, org: Org, req: AggregateRequest, plan: Plan): Promise<RunAnswer> {
  const { row, statistics, dataset, cohort, question } = plan;
  const policy = ctx.policy.policy;
  const runId = newId('run');
  const cost = costMicros(statistics, policy);
  const requested = { digest: row.approved_digest as string, dataset, policy: ctx.policy.digest, request: question };
  const planned: Decision[] = [];
  const size = primarySuppression({ count: cohort.length }, policy.disclosure);
  planned.push({ rule: 'sdc:k-min', status: size ? 'FAIL' : 'PASS', action: size ? 'deny' : 'none', params: { kMin: policy.disclosure.kMin, scope: 'cohort' } });
  const earlier = (stmt(ctx.db, 'SELECT members FROM cohorts WHERE org = ? AND dataset = ?').pluck().all(org.id, dataset) as Buffer[]).map(
    (b) => new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
  );
  planned.push(overlapDecision(cohort, earlier, policy.overlap.minDifference));
  const spent = budgetOf(ctx, org.id)[0] as { spentMicros: number; limitMicros: number };
  const global = (stmt(ctx.db, 'SELECT coalesce(sum(spent), 0) FROM budget WHERE dataset = ?').pluck().get(dataset) as number) ?? 0;
  const affordable = spent.spentMicros + cost <= spent.limitMicros && global + cost <= policy.budget.perMerchantCapMicros;
  planned.push({
    rule: 'dp:budget',
    status: affordable ? 'PASS' : 'FAIL',
    action: affordable ? 'debit' : 'deny',
    params: { costMicros: cost, spentMicros: spent.spentMicros, limitMicros: spent.limitMicros, globalCapMicros: policy.budget.perMerchantCapMicros },
  });

  if (denied(planned)) {
    ctx.db.transaction(() => begin(ctx, org, runId, 'aggregate', req.modelId, requested))();
    return finish(ctx, { runId, status: 'denied', mode: 'aggregate', decisions: planned, result: null }, () => ctx.ledger.append('run.denied', 'platform', { run: runId, decisions: compact(planned) }).seq);
  }

  // Debit before execution; never refunded once the data is read.
  ctx.db.transaction(() => {
    begin(ctx, org, runId, 'aggregate', req.modelId, requested);
    stmt(ctx.db, 'INSERT INTO budget (org, dataset, spent) VALUES (?, ?, ?) ON CONFLICT (org, dataset) DO UPDATE SET spent = spent + excluded.spent').run(org.id, dataset, cost);
    ctx.ledger.append('budget.charged', 'platform', { org: org.id, dataset, amount: cost, run: runId });
  })();

  return recorded(ctx, runId, 'aggregate', () => releaseAggregate(ctx, org, req, plan, runId, planned, cost));
}

/** After a run has begun, an unexpected failure is recorded as run.failed, never left open. */
export const recordedRun = (ctx: RunCtx, runId: string, mode: RunAnswer['mode'], work: () => Promise<RunAnswer>) => recorded(ctx, runId, mode, work);

async function recorded(ctx: RunCtx, runId: string, mode: RunAnswer['mode'], work: () => Promise<RunAnswer>): Promise<RunAnswer> {
  try {
    return await work();
  } catch (e) {
    const open = stmt(ctx.db, "SELECT 1 FROM runs WHERE id = ? AND status = 'running'").get(runId);
    if (open) {
      await finish(ctx, { runId, status: 'failed', mode, decisions: [], error: { code: 'INTERNAL_ERROR' } }, () =>
        ctx.ledger.append('run.failed', 'platform', { run: runId, code: 'INTERNAL_ERROR' }).seq,
      );
    }
    throw e;
  }
}

async function releaseAggregate(ctx: RunCtx, org: Org, req: AggregateRequest, plan: Plan, runId: string, planned: Decision[], cost: number): Promise<RunAnswer> {
  const { row, manifest, statistics, dataset, cohort, question } = plan;
  const policy = ctx.policy.policy;
  const projection = ctx.vault.project(manifest.inputs, cohort);
  let scores: Float64Array;
  const contract = manifest.output;
  try {
    const out = await ctx.executor.execute({ mode: 'cohort', source: row.source, fields: manifest.inputs, reasons: contract.reasons, data: projection.data });
    checkedScores(out, cohort.length, contract);
    scores = out.scores;
  } catch (e) {
    const code = sandboxCode(e);
    const decisions = e instanceof OutputRejected ? [...planned, ...e.decisions] : planned;
    return finish(ctx, { runId, status: code === 'SANDBOX_OUTPUT_INVALID' ? 'denied' : 'failed', mode: 'aggregate', decisions, result: null, error: { code } }, () =>
      ctx.ledger.append('run.failed', 'platform', { run: runId, code, decisions: compact(decisions) }).seq,
    );
  }

  const segments = req.segmentBy
    ? (() => {
        const field = SEGMENT_KEYS[req.segmentBy];
        const f = ctx.vault.fields().find((x) => x.name === field);
        return { key: req.segmentBy, codes: ctx.vault.project([field], cohort).data, categories: (f?.categories ?? []).map((c) => c.code) };
      })()
    : undefined;
  const labels = statistics.includes('backtest') ? ctx.vault.labels(cohort) : undefined;
  const { result, decisions: released } = computeAggregates({
    statistics,
    scores,
    contract,
    policy,
    ...(labels ? { labels } : {}),
    ...(segments ? { segments } : {}),
    ...(ctx.noise ? { noise: ctx.noise } : {}),
  });
  const decisions = [...planned, ...released];
  return finish(ctx, { runId, status: 'released', mode: 'aggregate', decisions, result }, () => {
    stmt(ctx.db, 'INSERT OR IGNORE INTO answers (org, question, run) VALUES (?, ?, ?)').run(org.id, question, runId);
    stmt(ctx.db, 'INSERT INTO cohorts (org, dataset, members) VALUES (?, ?, ?)').run(org.id, dataset, Buffer.from(cohort.buffer, cohort.byteOffset, cohort.byteLength));
    ctx.ledger.append('run.executed', 'platform', { run: runId, resources: { rows: cohort.length, fields: manifest.inputs.length } });
    return ctx.ledger.append('run.released', 'platform', { run: runId, output: digestOf(result), decisions: compact(decisions), budget: cost }).seq;
  });
}

export async function runSubjects(ctx: RunCtx, bank: Org, req: SubjectsRequest): Promise<RunAnswer> {
  requireKind(bank, 'bank');
  const { row, manifest } = runnableModel(ctx, req.modelId);
  if (!hasAccess(ctx, bank.id, req.modelId, req.purpose)) throw platformError('ACCESS_NOT_GRANTED');
  const policy = ctx.policy.policy;
  const subjects = [...new Set(req.subjects)];
  if (subjects.length > policy.subjects.maxSubjectsPerRun) throw platformError('RUN_BAD_REQUEST', { detail: 'subjects' });
  if (!subjects.every(isValidUscc)) throw platformError('SUBJECT_INVALID');
  const valid = (s: string) => hasValidConsent(ctx, bank.id, s, req.purpose, req.modelId);

  // Merchants without a valid consent are not computed at all.
  const consented = subjects.filter(valid);
  const day = quotaDay(ctx.now());
  const digest = row.approved_digest as string;
  const cachedStmt = stmt(ctx.db, 'SELECT result FROM subject_results WHERE bank = ? AND subject = ? AND model = ? AND day = ?').pluck();
  const cached = new Map<string, SubjectScore>();
  for (const s of consented) {
    const r = cachedStmt.get(bank.id, s, digest, day) as string | undefined;
    if (r) cached.set(s, JSON.parse(r) as SubjectScore);
  }
  const fresh = consented.filter((s) => !cached.has(s));
  const idx = ctx.vault.resolve(fresh);
  const known = fresh.filter((_, i) => (idx[i] as number) >= 0);
  const knownIdx = Int32Array.from(idx).filter((i) => i >= 0);

  const runId = newId('run');
  const decisions: Decision[] = [
    { rule: 'consent:valid', status: 'PASS', action: 'score-consented-only', params: { requested: subjects.length } },
    { rule: 'consent:daily-quota', status: 'PASS', action: cached.size ? 'serve-cached' : 'none', params: { freshPerDay: policy.subjects.freshResultsPerMerchantPerBankPerDay } },
  ];
  ctx.db.transaction(() =>
    begin(ctx, bank, runId, 'subjects', req.modelId, { digest, dataset: ctx.vault.info.version, policy: ctx.policy.digest, request: digestOf({ subjects: subjects.map(subjectDigest), purpose: req.purpose }) }),
  )();

  return recorded(ctx, runId, 'subjects', async () => {
    const scored = new Map<string, SubjectScore>(cached);
    if (known.length) {
      try {
        const projection = ctx.vault.project(manifest.inputs, knownIdx);
        const out = await ctx.executor.execute({ mode: 'subjects', source: row.source, fields: manifest.inputs, reasons: manifest.output.reasons, data: projection.data, partition: bank.id });
        const { subjects: results, decisions: contract } = checkedScores(out, known.length, manifest.output);
        decisions.push(...contract);
        known.forEach((s, i) => scored.set(s, results[i] as SubjectScore));
      } catch (e) {
        const code = sandboxCode(e);
        const all = e instanceof OutputRejected ? [...decisions, ...e.decisions] : decisions;
        return finish(ctx, { runId, status: code === 'SANDBOX_OUTPUT_INVALID' ? 'denied' : 'failed', mode: 'subjects', decisions: all, results: [], notScored: subjects.length, error: { code } }, () =>
          ctx.ledger.append('run.failed', 'platform', { run: runId, code, decisions: compact(all) }).seq,
        );
      }
    }

    // Consent is checked again at release: a revocation during the run takes effect.
    const results = subjects.filter((s) => scored.has(s) && valid(s)).map((s) => ({ subject: s, ...(scored.get(s) as SubjectScore) }));
    decisions.push({ rule: 'consent:recheck', status: 'PASS', action: 'drop-revoked', params: { checkedAtRelease: true } });
    return finish(ctx, { runId, status: 'released', mode: 'subjects', decisions, results, notScored: subjects.length - results.length }, () => {
      const put = stmt(ctx.db, 'INSERT OR IGNORE INTO subject_results (bank, subject, model, day, result) VALUES (?, ?, ?, ?, ?)');
      for (const s of known) if (scored.has(s)) put.run(bank.id, s, digest, day, JSON.stringify(scored.get(s)));
      ctx.ledger.append('run.executed', 'platform', { run: runId, resources: { rows: known.length, cached: cached.size } });
      return ctx.ledger.append('run.released', 'platform', { run: runId, output: digestOf(results), decisions: compact(decisions), budget: 0 }).seq;
    });
  });
}

export function getRun(ctx: RunCtx, org: Org, id: string): RunAnswer {
  const r = stmt(ctx.db, 'SELECT requester, record, ledger_seq AS seq FROM runs WHERE id = ?').get(id) as { requester: string; record: string; seq: number | null } | undefined;
  if (!r || (org.kind !== 'regulator' && r.requester !== org.id) || r.seq === null) throw platformError('RUN_UNKNOWN');
  return withBundle(ctx, r.record, r.seq);
}
