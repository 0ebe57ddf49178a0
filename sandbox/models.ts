// The model registry: submission (with vetting), review (approve, reject, revoke, and
// suspension for review after repeated failures on real data), the catalog, and the check
// that a model may run (approved, not expired, unchanged since approval).
//
// Approval has two stages (docs/design.md, "Approval stages, keys and webhooks"). Evaluation: the model
// runs aggregate backtests for its provider and the regulator only; no bank sees it.
// Production: banks see it in the catalog, may ask for access, and score merchants with it.
// A vetted model is approved into either stage (a plain approve is production, as before
// stages existed); an evaluation model is promoted to production, unchanged since its
// evaluation approval. Each approval is its own model.approved entry, bound to the digest,
// the policy digest and an expiry.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { isAppError } from '../core/errors.js';
import { MAX_MODEL_FILE_BYTES, REASON_SLOTS } from '../core/limits.js';
import { stmt } from '../core/sqlite.js';
import type { Manifest } from '../models/manifest.schema.js';
import { modelDigest, parseManifest } from '../models/package.js';
import { runtimeModule } from '../models/runtime.js';
import { catalog as fieldCatalog } from '../datasets/catalog.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { requireKind } from './orgs.js';
import { modelRow, newId, type ApprovalStage, type ModelRow, type Org } from './state.js';
import { runtimeModuleInThread, type RunModules } from './model-thread.js';
import { vetPackage } from './vetting.js';
import type { modelRecord } from './models.schema.js';
import { emit, regulators } from './webhooks/events.js';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** A package as submitted: the manifest, and the model file's text (JavaScript, PMML XML or XGBoost JSON). */
export const submissionSchema = z.object({ manifest: z.record(z.string(), z.unknown()), source: z.string().max(MAX_MODEL_FILE_BYTES + 1) }).strict();

/** Who may run a model: aggregates (provider, regulator) in either stage; banks in production only. */
export type ModelUse = 'aggregate' | 'bank';

/** Banks (and anyone but the provider and the regulator) see a model only in production. */
export const inProduction = (row: Pick<ModelRow, 'status' | 'stage'>) => row.status === 'approved' && row.stage === 'production';

export function rowOf(ctx: Ctx, id: string): ModelRow {
  const raw = stmt(ctx.db, 'SELECT * FROM models WHERE id = ?').get(id);
  if (!raw) throw platformError('MODEL_UNKNOWN');
  return modelRow(raw);
}

/** What anyone admitted may see of an approved model: no source, no bank-side weights. */
export function publicCard(row: ModelRow) {
  const m = JSON.parse(row.manifest) as Manifest & { bankFeatures?: { name: string; weight: number }[] };
  const { bankFeatures, ...manifest } = m;
  return {
    id: row.id,
    provider: row.provider,
    digest: row.digest,
    status: row.status,
    manifest: { ...manifest, ...(bankFeatures ? { bankFeatures: bankFeatures.map((f) => ({ name: f.name })) } : {}) },
    approval: row.expires_at ? { stage: row.stage, policy: row.policy, expiresAt: row.expires_at } : null,
    disclosure: disclosureOf(m),
  };
}

/**
 * What a bank can learn about one merchant from this model, stated on its card: the
 * capacity of one answer (a lattice value and a set of at most REASON_SLOTS declared
 * codes), given once per merchant per bank per day.
 */
export function disclosureOf(m: Manifest & { bankFeatures?: unknown[] }) {
  const values = Math.floor((m.output.score.max - m.output.score.min) / m.output.score.step) + 1;
  const codes = m.output.reasons.length;
  let sets = 0;
  for (let k = 0, c = 1; k <= Math.min(REASON_SLOTS, codes); k++) {
    sets += c;
    c = (c * (codes - k)) / (k + 1);
  }
  const bits = Math.round((Math.log2(values) + Math.log2(sets)) * 10) / 10;
  return {
    bitsPerMerchantPerBankPerDay: bits,
    explanation: `at most ${bits} bits per merchant per bank per day: one of ${values} scores and one set of at most ${Math.min(REASON_SLOTS, codes)} of ${codes} reason codes, one fresh answer a day`,
    ...(m.bankFeatures && m.bankFeatures.length > 0
      ? { encryptedWeights: 'a bank can solve for the weights of its own features with one encrypted query per merchant; the provider accepts this when it grants access' }
      : {}),
  };
}

/** Organisations with a submission being vetted: one at a time each, so no one fills the vetting lane. */
const vetting = new Set<string>();

export async function submitModel(ctx: Ctx, fintech: Org, sub: z.infer<typeof submissionSchema>) {
  requireKind(fintech, 'fintech');
  if (vetting.has(fintech.id)) throw platformError('MODEL_VETTING_BUSY');
  vetting.add(fintech.id);
  try {
    return await submitAndVet(ctx, fintech, sub);
  } finally {
    vetting.delete(fintech.id);
  }
}

async function submitAndVet(ctx: Ctx, fintech: Org, sub: z.infer<typeof submissionSchema>) {
  const pkg = { manifestJson: sub.manifest, source: sub.source };
  const report = await vetPackage(pkg, ctx.executor);
  const id = newId('mdl');
  const status = report.passed ? ('vetted' as const) : ('vetting_failed' as const);
  ctx.db.transaction(() => {
    ctx.db
      .prepare('INSERT INTO models (id, provider, digest, manifest, source, status, report, created_at, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, fintech.id, report.digest, JSON.stringify(sub.manifest), sub.source, status, JSON.stringify(report), ctx.now().toISOString(), report.cost?.perRowMicros ?? null);
    ctx.ledger.append('model.submitted', fintech.id, { model: id, digest: report.digest, provider: fintech.id });
    ctx.ledger.append('model.vetted', 'platform', { model: id, digest: report.digest, passed: report.passed, report: sha(JSON.stringify(report)) });
    emit(ctx, 'model.vetted', [fintech.id, ...regulators(ctx)], { model: id, passed: report.passed });
  })();
  return { id, digest: report.digest, status, report };
}

export function getModel(ctx: Ctx, org: Org, id: string) {
  const row = rowOf(ctx, id);
  if (org.kind === 'regulator' || org.id === row.provider) {
    const record: z.infer<typeof modelRecord> = {
      id: row.id,
      provider: row.provider,
      digest: row.digest,
      status: row.status,
      manifest: JSON.parse(row.manifest) as Record<string, unknown>,
      report: JSON.parse(row.report) as z.infer<typeof modelRecord>['report'],
      approval: row.expires_at ? { stage: row.stage, policy: row.policy, expiresAt: row.expires_at, note: row.note } : null,
    };
    return record;
  }
  if (!inProduction(row)) throw platformError('MODEL_UNKNOWN'); // not yours to see
  return publicCard(row);
}

export const approvalSchema = z
  .object({
    /** evaluation: aggregate backtests by the provider and the regulator; production (the default): banks too. */
    stage: z.enum(['evaluation', 'production']).optional(),
    expiresAt: z.iso.datetime().optional(),
    note: z.string().max(1000).optional(),
  })
  .strict();
export const reasonSchema = z.object({ reason: z.string().min(1).max(1000) }).strict();


/**
 * Approves a model into a stage. Evaluation: from vetted. Production: from vetted, or from
 * evaluation if the model is unchanged since (its digest still what was approved). A second
 * approval into the same stage is refused (MODEL_STATE): a new expiry is a new decision the
 * regulator takes by revoking and resubmitting, never silently.
 */
export function approveModel(ctx: Ctx, regulator: Org, id: string, a: z.infer<typeof approvalSchema>) {
  requireKind(regulator, 'regulator');
  const stage: ApprovalStage = a.stage ?? 'production';
  const now = ctx.now();
  const expiresAt = a.expiresAt ? new Date(a.expiresAt).toISOString() : new Date(now.getTime() + 365 * 86_400_000).toISOString();
  if (Date.parse(expiresAt) <= now.getTime()) throw platformError('MODEL_STATE', { detail: 'expiresAt' });
  ctx.db.transaction(() => {
    const row = rowOf(ctx, id);
    const promotion = stage === 'production' && row.status === 'approved' && row.stage === 'evaluation';
    if (row.status !== 'vetted' && !promotion) throw platformError('MODEL_STATE', { detail: 'stage' });
    if (promotion && !intactOf(row)) throw platformError('MODEL_STATE', { detail: 'digest' });
    ctx.db
      .prepare("UPDATE models SET status = 'approved', stage = ?, approved_digest = ?, policy = ?, expires_at = ?, note = ? WHERE id = ?")
      .run(stage, row.digest, ctx.policy.digest, expiresAt, a.note ?? null, id);
    ctx.ledger.append('model.approved', regulator.id, { model: id, digest: row.digest, policy: ctx.policy.digest, expiresAt, stage, ...(promotion ? { from: 'evaluation' } : {}) });
    emit(ctx, 'model.approved', [row.provider], { model: id, stage, expiresAt });
  })();
  return { id, status: 'approved' as const, stage, expiresAt };
}

export function rejectModel(ctx: Ctx, regulator: Org, id: string, reason: string) {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const row = rowOf(ctx, id);
    // a model in evaluation may be rejected after it: it never reached banks
    const evaluated = row.status === 'approved' && row.stage === 'evaluation';
    if (row.status !== 'vetted' && row.status !== 'vetting_failed' && !evaluated) throw platformError('MODEL_STATE');
    stmt(ctx.db, "UPDATE models SET status = 'rejected', note = ? WHERE id = ?").run(reason, id);
    ctx.ledger.append('model.rejected', regulator.id, { model: id, digest: row.digest, reason: reason.slice(0, 500) });
    emit(ctx, 'model.rejected', [row.provider], { model: id });
  })();
  return { id, status: 'rejected' as const };
}

export function revokeModel(ctx: Ctx, regulator: Org, id: string, reason: string) {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const row = rowOf(ctx, id);
    if (row.status !== 'approved') throw platformError('MODEL_STATE');
    stmt(ctx.db, "UPDATE models SET status = 'revoked', note = ? WHERE id = ?").run(reason, id);
    ctx.ledger.append('model.revoked', regulator.id, { model: id, digest: row.digest, reason: reason.slice(0, 500) });
  })();
  return { id, status: 'revoked' as const };
}

export function catalog(ctx: Ctx, tag: string | undefined) {
  const now = ctx.now().toISOString();
  const rows = stmt(ctx.db, "SELECT * FROM models WHERE status = 'approved' AND stage = 'production' AND expires_at > ? ORDER BY created_at").all(now).map(modelRow);
  return rows.map(publicCard).filter((c) => !tag || (c.manifest.tags ?? []).includes(tag));
}

// The digest check, the parsed manifest and the modules are cached against the exact stored
// text: any change to the manifest or source in the database misses the cache and is
// checked again.
interface Checked {
  manifestText: string;
  source: string;
  approved: string | null;
  intact: boolean;
  manifest: Manifest | null;
  /** What the executor runs: the JavaScript module, or the module compiled from a model file. */
  module: string | null;
  /** For aggregates (no reason codes released): the same, compiled without reasons for models as data. */
  batchModule: string | null;
  /** module and batchModule are the platform's compiled modules (a model as data): see ExecuteRequest.compiled. */
  compiled: boolean;
}
/**
 * By model id; the least recently used dropped past 1,000 models or 256 M characters of
 * text (a compiled model as data holds up to 3 MB per module; a miss is only checked again).
 */
const checked = new LRUCache<string, Checked>({
  max: 1000,
  maxSize: 256 * 1024 * 1024,
  sizeCalculation: (c) => 1 + c.manifestText.length + c.source.length + (c.module === c.source ? 0 : (c.module?.length ?? 0)) + (c.batchModule === c.module ? 0 : (c.batchModule?.length ?? 0)),
});
/** Checks in progress, by model id: concurrent first runs of a model compile it once. */
const checking = new Map<string, Promise<Checked>>();
/** Shared across runs, so nobody may change it. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
const sameText = (c: Checked, row: ModelRow) => c.manifestText === row.manifest && c.source === row.source && c.approved === row.approved_digest;

/** Whether the stored package is still the one approved. */
function intactOf(row: ModelRow): boolean {
  return modelDigest({ manifestJson: JSON.parse(row.manifest) as unknown, source: row.source }) === row.approved_digest;
}

async function checkedModel(row: ModelRow): Promise<Checked> {
  const c = checked.get(row.id);
  if (c && sameText(c, row)) return c;
  const pending = checking.get(row.id);
  if (pending) {
    const p = await pending;
    if (sameText(p, row)) return p;
  }
  const job = check(row);
  checking.set(row.id, job);
  try {
    const fresh = await job;
    checked.set(row.id, fresh);
    return fresh;
  } finally {
    if (checking.get(row.id) === job) checking.delete(row.id);
  }
}

async function check(row: ModelRow): Promise<Checked> {
  const manifest = deepFreeze(parseManifest(JSON.parse(row.manifest) as unknown));
  let modules: RunModules | null = null;
  try {
    // a model as data is compiled on a worker thread: a large one takes hundreds of ms of
    // CPU, which would stall every other request on the server's event loop
    if (manifest) modules = manifest.format === 'javascript' ? runtimeModule(manifest, row.source, fieldCatalog()) : await runtimeModuleInThread(manifest, row.source);
  } catch (e) {
    // the thread failed: nothing known of the model, nothing remembered (asked again next run)
    if (isAppError(e) && e.code === 'SANDBOX_UNAVAILABLE') throw e;
    modules = null; // vetting refused such a file; a changed one is not runnable
  }
  return {
    manifestText: row.manifest,
    source: row.source,
    approved: row.approved_digest,
    intact: intactOf(row),
    manifest,
    module: modules?.source ?? null,
    batchModule: modules?.batchSource ?? null,
    compiled: modules?.compiled ?? false,
  };
}

/** A model's provider, and whether its public card is shown (production), or null for an unknown id. */
export function modelOwner(ctx: Ctx, id: string): { provider: string; public: boolean } | null {
  const raw = stmt(ctx.db, 'SELECT * FROM models WHERE id = ?').get(id);
  if (!raw) return null;
  const row = modelRow(raw);
  return { provider: row.provider, public: everInProduction(row) };
}

/** Whether banks could ever have seen the model: approved into production (since revoked, suspended or expired, or not). */
export function everInProduction(row: ModelRow): boolean {
  return row.stage === 'production' && (row.status === 'approved' || row.status === 'revoked' || row.status === 'suspended');
}

/**
 * An approved, unexpired, unchanged model, with the modules the executor runs for it; for a
 * bank's use (subjects, encrypted), approved into production. `authorise` (the caller's own
 * checks, such as a bank's access) runs before anything is compiled: a request refused
 * makes the server compile nothing.
 */
export async function runnableModel(ctx: Ctx, id: string, use: ModelUse, authorise: (row: ModelRow) => void = () => undefined): Promise<{ row: ModelRow; manifest: Manifest; module: string; batchModule: string; compiled: boolean }> {
  let fresh: Checked | undefined;
  // the model as it is now: read again after its modules were compiled (which yields the
  // event loop), so a model revoked meanwhile does not run
  for (let attempt = 0; attempt < 3; attempt++) {
    const raw = stmt(ctx.db, 'SELECT * FROM models WHERE id = ?').get(id);
    if (!raw) throw platformError('MODEL_UNKNOWN');
    const row = modelRow(raw);
    // a bank never sees a model that was never in production: answered as for an unknown id
    // (test/attacks/evaluation-model-oracle.test.ts)
    if (use === 'bank' && !everInProduction(row)) throw platformError('MODEL_UNKNOWN');
    if (row.status !== 'approved' || (use === 'bank' && row.stage !== 'production') || !row.expires_at || Date.parse(row.expires_at) <= ctx.now().getTime()) {
      throw platformError('MODEL_NOT_RUNNABLE');
    }
    authorise(row);
    const cached = checked.get(row.id);
    const c = fresh && sameText(fresh, row) ? fresh : cached && sameText(cached, row) ? cached : undefined;
    if (!c) {
      fresh = await checkedModel(row);
      continue;
    }
    if (!c.intact || !c.manifest || c.module === null || c.batchModule === null) throw platformError('MODEL_NOT_RUNNABLE');
    return { row, manifest: c.manifest, module: c.module, batchModule: c.batchModule, compiled: c.compiled };
  }
  throw platformError('MODEL_NOT_RUNNABLE');
}

