// One run pipeline for every mode (docs/design.md, "The path of one run"):
//   begin      authorise and validate: coded 4xx before anything is written
//   plan       public decisions only (cohort size, overlap, budget, consent); a denial
//              happens here, before any data is read
//   record     the run row, run.requested and the budget debit, in one transaction
//   execute    the executor's production lanes
//   check      the output contract: a bad row gets the manifest's default output; exact
//              counts go to the ledger, never to the requester
//   release    pure functions of policies/
//   record     run.executed and run.released (or run.failed), in one transaction
// Each mode is a small strategy (aggregate.ts, subjects.ts, encrypted.ts) built from these
// steps. The moment an answer becomes available is computed from public quantities when
// the run begins (deadline.ts) and is never earlier; what the model did, and how long it
// took, changes neither the status nor the codes a requester sees, except for one residual
// bit per run (the run failed) which is recorded, and limited by suspending a model after
// policy.timing.failuresBeforeReview failures.
import { createHash } from 'node:crypto';
import { canonicalize } from '../../core/canonical-json.js';
import { stmt } from '../../core/sqlite.js';
import type { Vault } from '../../datasets/store.js';
import type { CryptoProcess } from '../../encryption/process/client.js';
import type { NoiseFn } from '../../policies/aggregates.js';
import type { Decision } from '../../policies/decision.js';
import type { Ctx } from '../context.js';
import { platformError } from '../errors.js';
import { runRowSchema, type Org } from '../state.js';
import { emit } from '../webhooks/events.js';
import type { RunAnswer } from './run.schema.js';

export interface RunCtx extends Ctx {
  vault: Vault;
  /** The crypto process for homomorphic evaluation (started on first use). */
  crypto?: CryptoProcess;
  /** Injected by tests to make noise visible; the platform always uses the default. */
  noise?: NoiseFn;
}

export type RunMode = 'aggregate' | 'subjects' | 'encrypted';
export type RunStatus = RunAnswer['status'];

/** A run's answer, as recorded and as served: its type is the schema the server serialises it through. */
export type { RunAnswer } from './run.schema.js';

export const digestOf = (v: unknown) => `sha256:${createHash('sha256').update(canonicalize(v)).digest('hex')}`;
/** Decisions as the ledger records them (rules and actions; numbers stay in the run record). */
export const compact = (ds: readonly Decision[]) => ds.map((d) => ({ rule: d.rule, status: d.status, action: d.action }));

/** Work of runs that answer asynchronously, so that a closing platform can wait for it. */
const background = new WeakMap<RunCtx, Set<Promise<unknown>>>();
export function inBackground(ctx: RunCtx, p: Promise<unknown>): void {
  let set = background.get(ctx);
  if (!set) background.set(ctx, (set = new Set()));
  const tracked = p.catch(() => undefined).finally(() => set?.delete(tracked));
  set.add(tracked);
}
export async function settleBackground(ctx: RunCtx): Promise<void> {
  await Promise.all([...(background.get(ctx) ?? [])]);
}

/** Writes the run's row and run.requested, and whatever the mode must debit, in one transaction. */
export function begin(ctx: RunCtx, org: Org, run: { id: string; mode: RunMode; model: string; requestedAt: Date; availableAt: Date }, fields: Record<string, string | number>, debit?: () => void): void {
  ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO runs (id, requester, mode, model, status, record, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      run.id,
      org.id,
      run.mode,
      run.model,
      'running',
      '{}',
      run.requestedAt.toISOString(),
      run.availableAt.toISOString(),
    );
    ctx.ledger.append('run.requested', org.id, { run: run.id, mode: run.mode, model: run.model, ...fields } as never);
    // the answer's webhook, fixed now from public quantities: sent at availableAt, never
    // earlier, whatever the run does (its payload says nothing of the outcome)
    emit(ctx, 'run.available', [org.id], { run: run.id, mode: run.mode, model: run.model, availableAt: run.availableAt.toISOString() }, run.availableAt);
    debit?.();
  })();
}

/**
 * Closes a run: its record and closing ledger entries in one transaction, then the proof
 * bundle (under a checkpoint shared with the runs that finish in the same turn). A run
 * already closed (by its deadline, or at recovery) is left as it is: the second closer
 * gets null.
 *
 * Not before the run's public availableAt: the ledger's size is visible to every admitted
 * organisation (GET /v1/ledger/checkpoint), so a close written when the model finished
 * would show others how long it computed on the data. A run that executed always closes
 * with two entries, run.executed and then run.released or run.failed, whatever happened
 * in it (test/attacks/ledger-size-outcome.test.ts).
 */
export async function finish(ctx: RunCtx, answer: RunAnswer, entries: () => number): Promise<RunAnswer | null> {
  await until(new Date(answer.availableAt), ctx.now);
  const seq = ctx.db.transaction(() => {
    const open = stmt(ctx.db, "SELECT 1 FROM runs WHERE id = ? AND status = 'running'").get(answer.runId);
    if (!open) return null;
    const seq = entries();
    const { ledger: _omit, ...record } = answer;
    stmt(ctx.db, 'UPDATE runs SET status = ?, record = ?, ledger_seq = ? WHERE id = ?').run(answer.status, JSON.stringify(record), seq, answer.runId);
    return seq;
  })();
  if (seq === null) return null;
  return { ...answer, ledger: await ctx.ledger.bundleSoon(seq) };
}

/**
 * A run that failed in the sandbox. The requester sees one code, RUN_FAILED, whatever
 * happened (which limit fired is the model's doing, and may depend on the data); the
 * ledger keeps the exact code for the regulator. An approved model that fails this way
 * policy.timing.failuresBeforeReview times is suspended for review.
 */
export function failure(ctx: RunCtx, answer: Omit<RunAnswer, 'status' | 'error'>, code: string, modelId: string, digest: string): Promise<RunAnswer | null> {
  return finish(ctx, { ...answer, status: 'failed', error: { code: 'RUN_FAILED' } }, () => {
    // the same two entries as a released run (see finish)
    ctx.ledger.append('run.executed', 'platform', { run: answer.runId, resources: {} });
    const seq = ctx.ledger.append('run.failed', 'platform', { run: answer.runId, code }).seq;
    stmt(ctx.db, 'INSERT INTO model_failures (model, run, code, at) VALUES (?, ?, ?, ?)').run(modelId, answer.runId, code, ctx.now().toISOString());
    const failures = stmt(ctx.db, 'SELECT count(*) FROM model_failures WHERE model = ?').pluck().get(modelId) as number;
    if (failures >= ctx.policy.policy.timing.failuresBeforeReview) {
      const changed = stmt(ctx.db, "UPDATE models SET status = 'suspended', note = ? WHERE id = ? AND status = 'approved'").run('suspended for review: repeated failures on real data', modelId);
      if (changed.changes > 0) {
        stmt(ctx.db, 'DELETE FROM model_failures WHERE model = ?').run(modelId);
        return ctx.ledger.append('model.suspended', 'platform', { model: modelId, digest, reason: `failed ${failures} runs on real data` }).seq;
      }
    }
    return seq;
  });
}

/** Resolves at `at` (never before). */
export function until(at: Date, now: () => Date): Promise<void> {
  const ms = at.getTime() - now().getTime();
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** A stored run record, with a bundle made now. */
function withBundle(ctx: RunCtx, record: string, seq: number): RunAnswer {
  return { ...(JSON.parse(record) as RunAnswer), ledger: ctx.ledger.bundle(seq) };
}

/** The run as its requester (or the regulator) may see it now: nothing before its availability time. */
export function getRun(ctx: RunCtx, org: Org, id: string): RunAnswer {
  const raw = stmt(ctx.db, 'SELECT requester, mode, status, record, ledger_seq AS seq, created_at, available_at FROM runs WHERE id = ?').get(id);
  const r = raw === undefined ? undefined : runRowSchema.parse(raw);
  if (!r || (org.kind !== 'regulator' && r.requester !== org.id)) throw platformError('RUN_UNKNOWN');
  const availableAt = r.available_at ?? r.created_at;
  if (r.status === 'running' || r.seq === null || Date.parse(availableAt) > ctx.now().getTime()) {
    return { runId: id, status: 'running', mode: r.mode, decisions: [], requestedAt: r.created_at, availableAt };
  }
  return withBundle(ctx, r.record, r.seq);
}

/** The cached answer of an earlier run, as released to the same organisation. */
export function cachedRun(ctx: RunCtx, org: Org, runId: string): RunAnswer {
  const earlier = getRun(ctx, org, runId);
  if (earlier.status === 'running') return earlier;
  return { ...earlier, cached: true, decisions: [...earlier.decisions, { rule: 'dp:cache', status: 'PASS', action: 'serve-cached', params: { charged: 0 } }] };
}

/**
 * At start: a run still `running` was interrupted (the process was killed). It is closed
 * as `interrupted` with a ledger entry. Its budget debit and any encrypted quota it used
 * stay spent: a run that may have read data keeps its debit (docs/design.md).
 */
export function recoverInterrupted(ctx: RunCtx): number {
  return ctx.db.transaction(() => {
    const open = stmt(ctx.db, "SELECT id, mode, created_at, available_at FROM runs WHERE status = 'running'").all() as { id: string; mode: RunMode; created_at: string; available_at: string | null }[];
    for (const r of open) {
      const seq = ctx.ledger.append('run.interrupted', 'platform', { run: r.id }).seq;
      const record: RunAnswer = { runId: r.id, status: 'interrupted', mode: r.mode, decisions: [], requestedAt: r.created_at, availableAt: r.available_at ?? r.created_at, error: { code: 'RUN_INTERRUPTED' } };
      stmt(ctx.db, "UPDATE runs SET status = 'interrupted', record = ?, ledger_seq = ? WHERE id = ?").run(JSON.stringify(record), seq, r.id);
    }
    return open.length;
  })();
}
