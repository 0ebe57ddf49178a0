// The platform's workflows: admission, model review, the catalog and access, consent.
// Every state change is written with its ledger entry in one transaction.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import type { Db } from '../core/sqlite.js';
import { isValidUscc } from '../datasets/uscc.js';
import type { Ledger } from '../ledger/log.js';
import type { Manifest } from '../models/manifest.schema.js';
import { modelDigest, parseManifest } from '../models/package.js';
import type { VettingReport } from '../models/vetting.js';
import { consentValid, type ConsentRecord } from '../policies/consent.js';
import type { LoadedPolicy } from '../policies/policy.schema.js';
import type { Executor } from '../workers/client.js';
import { platformError } from './errors.js';
import { newId, type ModelRow, type Org, type OrgKind } from './state.js';
import { vetPackage } from './vetting.js';

export interface Ctx {
  db: Db;
  ledger: Ledger;
  executor: Executor;
  policy: LoadedPolicy;
  now: () => Date;
}

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
/** Merchants appear in the ledger only as digests of their codes. */
export const subjectDigest = (uscc: string) => sha(`dfix-subject\n${uscc}`);

// ---- organisations and keys -------------------------------------------------------------

export const orgApplicationSchema = z
  .object({
    name: z.string().min(1).max(200),
    kind: z.enum(['fintech', 'bank', 'channel']),
    uscc: z.string().refine(isValidUscc, 'not a valid unified social credit code'),
  })
  .strict();

export function requireKind(org: Org, ...kinds: OrgKind[]): void {
  if (!kinds.includes(org.kind)) throw platformError('ROLE_FORBIDDEN');
}

export function getOrg(ctx: Ctx, id: string): Org | undefined {
  return stmt(ctx.db, 'SELECT id, name, kind, uscc, status FROM orgs WHERE id = ?').get(id) as Org | undefined;
}

export function applyOrg(ctx: Ctx, a: z.infer<typeof orgApplicationSchema>): { id: string; status: 'pending' } {
  const id = newId('org');
  ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO orgs (id, name, kind, uscc, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, a.name, a.kind, a.uscc, 'pending', ctx.now().toISOString());
    ctx.ledger.append('org.applied', id, { org: id, kind: a.kind });
  })();
  return { id, status: 'pending' };
}

const keyHash = (key: string) => createHash('sha256').update(key).digest();

function issueKey(ctx: Ctx, org: string): string {
  const key = `dfx_${randomBytes(32).toString('base64url')}`;
  stmt(ctx.db, 'INSERT INTO api_keys (hash, org, created_at) VALUES (?, ?, ?)').run(keyHash(key), org, ctx.now().toISOString());
  return key;
}

/** The regulator's organisation and key, created once on first start. */
export function bootstrapRegulator(ctx: Ctx): { id: string; apiKey: string } | null {
  if (stmt(ctx.db, "SELECT 1 FROM orgs WHERE kind = 'regulator'").get()) return null;
  const id = newId('org');
  return ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO orgs (id, name, kind, uscc, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, 'Financial regulator', 'regulator', '', 'admitted', ctx.now().toISOString());
    ctx.ledger.append('org.applied', 'platform', { org: id, kind: 'regulator' });
    ctx.ledger.append('org.admitted', 'platform', { org: id });
    return { id, apiKey: issueKey(ctx, id) };
  })();
}

export function admitOrg(ctx: Ctx, regulator: Org, id: string): { id: string; status: 'admitted'; apiKey: string } {
  requireKind(regulator, 'regulator');
  return ctx.db.transaction(() => {
    const org = getOrg(ctx, id);
    if (!org) throw platformError('ORG_UNKNOWN');
    if (org.status !== 'pending') throw platformError('ORG_STATE');
    stmt(ctx.db, "UPDATE orgs SET status = 'admitted' WHERE id = ?").run(id);
    ctx.ledger.append('org.admitted', regulator.id, { org: id });
    return { id, status: 'admitted' as const, apiKey: issueKey(ctx, id) };
  })();
}

export function suspendOrg(ctx: Ctx, regulator: Org, id: string, reason: string): { id: string; status: 'suspended' } {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const org = getOrg(ctx, id);
    if (!org) throw platformError('ORG_UNKNOWN');
    if (org.status === 'suspended' || org.kind === 'regulator') throw platformError('ORG_STATE');
    stmt(ctx.db, "UPDATE orgs SET status = 'suspended' WHERE id = ?").run(id);
    ctx.ledger.append('org.suspended', regulator.id, { org: id, reason: reason.slice(0, 500) });
  })();
  return { id, status: 'suspended' };
}

/** The organisation of an API key; a suspended organisation's keys stop working at once. */
export function authenticate(ctx: Ctx, key: string | undefined): Org {
  if (!key) throw platformError('AUTH_MISSING');
  if (key.length > 200) throw platformError('AUTH_INVALID');
  const h = keyHash(key);
  const row = stmt(ctx.db, 'SELECT hash, org FROM api_keys WHERE hash = ?').get(h) as { hash: Buffer; org: string } | undefined;
  if (!row || !timingSafeEqual(row.hash, h)) throw platformError('AUTH_INVALID');
  const org = getOrg(ctx, row.org) as Org;
  if (org.status !== 'admitted') throw platformError('ORG_NOT_ADMITTED');
  return org;
}

// ---- models ---------------------------------------------------------------------------------

export const submissionSchema = z.object({ manifest: z.record(z.string(), z.unknown()), source: z.string().max(512 * 1024) }).strict();

export interface Approval {
  policy: string;
  expiresAt: string;
  note: string | null;
}

function rowOf(ctx: Ctx, id: string): ModelRow {
  const row = stmt(ctx.db, 'SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  if (!row) throw platformError('MODEL_UNKNOWN');
  return row;
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
    approval: row.expires_at ? { policy: row.policy, expiresAt: row.expires_at } : null,
  };
}

export async function submitModel(ctx: Ctx, fintech: Org, sub: z.infer<typeof submissionSchema>) {
  requireKind(fintech, 'fintech');
  const pkg = { manifestJson: sub.manifest, source: sub.source };
  const report: VettingReport = await vetPackage(pkg, ctx.executor);
  const id = newId('mdl');
  const status = report.passed ? 'vetted' : 'vetting_failed';
  ctx.db.transaction(() => {
    ctx.db
      .prepare('INSERT INTO models (id, provider, digest, manifest, source, status, report, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, fintech.id, report.digest, JSON.stringify(sub.manifest), sub.source, status, JSON.stringify(report), ctx.now().toISOString());
    ctx.ledger.append('model.submitted', fintech.id, { model: id, digest: report.digest, provider: fintech.id });
    ctx.ledger.append('model.vetted', 'platform', { model: id, digest: report.digest, passed: report.passed, report: sha(JSON.stringify(report)) });
  })();
  return { id, digest: report.digest, status, report };
}

export function getModel(ctx: Ctx, org: Org, id: string) {
  const row = rowOf(ctx, id);
  if (org.kind === 'regulator' || org.id === row.provider) {
    return {
      id: row.id,
      provider: row.provider,
      digest: row.digest,
      status: row.status,
      manifest: JSON.parse(row.manifest) as unknown,
      report: JSON.parse(row.report) as unknown,
      approval: row.expires_at ? { policy: row.policy, expiresAt: row.expires_at, note: row.note } : null,
    };
  }
  if (row.status !== 'approved') throw platformError('MODEL_UNKNOWN'); // not yours to see
  return publicCard(row);
}

export const approvalSchema = z.object({ expiresAt: z.iso.datetime().optional(), note: z.string().max(1000).optional() }).strict();
export const reasonSchema = z.object({ reason: z.string().min(1).max(1000) }).strict();

export function approveModel(ctx: Ctx, regulator: Org, id: string, a: z.infer<typeof approvalSchema>) {
  requireKind(regulator, 'regulator');
  const now = ctx.now();
  const expiresAt = a.expiresAt ?? new Date(now.getTime() + 365 * 86_400_000).toISOString();
  if (Date.parse(expiresAt) <= now.getTime()) throw platformError('MODEL_STATE', { detail: 'expiresAt' });
  ctx.db.transaction(() => {
    const row = rowOf(ctx, id);
    if (row.status !== 'vetted') throw platformError('MODEL_STATE');
    ctx.db
      .prepare("UPDATE models SET status = 'approved', approved_digest = ?, policy = ?, expires_at = ?, note = ? WHERE id = ?")
      .run(row.digest, ctx.policy.digest, expiresAt, a.note ?? null, id);
    ctx.ledger.append('model.approved', regulator.id, { model: id, digest: row.digest, policy: ctx.policy.digest, expiresAt });
  })();
  return { id, status: 'approved' as const };
}

export function rejectModel(ctx: Ctx, regulator: Org, id: string, reason: string) {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const row = rowOf(ctx, id);
    if (row.status !== 'vetted' && row.status !== 'vetting_failed') throw platformError('MODEL_STATE');
    stmt(ctx.db, "UPDATE models SET status = 'rejected', note = ? WHERE id = ?").run(reason, id);
    ctx.ledger.append('model.rejected', regulator.id, { model: id, digest: row.digest, reason: reason.slice(0, 500) });
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
  const rows = stmt(ctx.db, "SELECT * FROM models WHERE status = 'approved' AND expires_at > ? ORDER BY created_at").all(now) as ModelRow[];
  return rows.map(publicCard).filter((c) => !tag || (c.manifest.tags ?? []).includes(tag));
}

// The digest check and the parsed manifest are cached against the exact stored text: any
// change to the manifest or source in the database misses the cache and is checked again.
interface Checked {
  manifestText: string;
  source: string;
  approved: string | null;
  intact: boolean;
  manifest: Manifest | null;
}
const checked = new Map<string, Checked>();
/** Shared across runs, so nobody may change it. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
function checkedModel(row: ModelRow): Checked {
  const c = checked.get(row.id);
  if (c && c.manifestText === row.manifest && c.source === row.source && c.approved === row.approved_digest) return c;
  const manifestJson = JSON.parse(row.manifest) as unknown;
  const fresh: Checked = {
    manifestText: row.manifest,
    source: row.source,
    approved: row.approved_digest,
    intact: modelDigest({ manifestJson, source: row.source }) === row.approved_digest,
    manifest: deepFreeze(parseManifest(manifestJson)),
  };
  checked.set(row.id, fresh);
  return fresh;
}

export function runnableModel(ctx: Ctx, id: string): { row: ModelRow; manifest: Manifest } {
  const row = stmt(ctx.db, 'SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  if (!row) throw platformError('MODEL_UNKNOWN');
  const { manifest, intact } = checkedModel(row);
  if (row.status !== 'approved' || !row.expires_at || Date.parse(row.expires_at) <= ctx.now().getTime() || !intact || !manifest) {
    throw platformError('MODEL_NOT_RUNNABLE');
  }
  return { row, manifest };
}

// ---- access and consent -------------------------------------------------------------------

export const accessRequestSchema = z.object({ purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/) }).strict();

export function requestAccess(ctx: Ctx, bank: Org, modelId: string, purpose: string) {
  requireKind(bank, 'bank');
  const row = rowOf(ctx, modelId);
  if (row.status !== 'approved') throw platformError('MODEL_UNKNOWN');
  const id = newId('acc');
  ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO access (id, model, bank, purpose, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, modelId, bank.id, purpose, 'requested', ctx.now().toISOString());
    ctx.ledger.append('access.requested', bank.id, { access: id, model: modelId, bank: bank.id, purpose });
  })();
  return { id, status: 'requested' as const };
}

function decideAccess(ctx: Ctx, provider: Org, id: string, status: 'granted' | 'denied', reason?: string) {
  requireKind(provider, 'fintech');
  ctx.db.transaction(() => {
    const a = stmt(ctx.db, 'SELECT access.status, models.provider FROM access JOIN models ON models.id = access.model WHERE access.id = ?').get(id) as
      | { status: string; provider: string }
      | undefined;
    if (!a || a.provider !== provider.id) throw platformError('ACCESS_UNKNOWN');
    if (a.status !== 'requested') throw platformError('ACCESS_STATE');
    stmt(ctx.db, 'UPDATE access SET status = ?, reason = ? WHERE id = ?').run(status, reason ?? null, id);
    if (status === 'granted') ctx.ledger.append('access.granted', provider.id, { access: id });
    else ctx.ledger.append('access.denied', provider.id, { access: id, reason: (reason ?? '').slice(0, 500) });
  })();
  return { id, status };
}

export const grantAccess = (ctx: Ctx, provider: Org, id: string) => decideAccess(ctx, provider, id, 'granted');
export const denyAccess = (ctx: Ctx, provider: Org, id: string, reason: string) => decideAccess(ctx, provider, id, 'denied', reason);

export function hasAccess(ctx: Ctx, bank: string, model: string, purpose: string): boolean {
  return !!stmt(ctx.db, "SELECT 1 FROM access WHERE bank = ? AND model = ? AND purpose = ? AND status = 'granted'").get(bank, model, purpose);
}

export const consentSchema = z
  .object({
    subject: z.string().max(32),
    bank: z.string().max(64),
    purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
    modelId: z.string().max(64).optional(),
    expiresAt: z.iso.datetime(),
  })
  .strict();

export function recordConsent(ctx: Ctx, channel: Org, c: z.infer<typeof consentSchema>) {
  requireKind(channel, 'channel');
  if (!isValidUscc(c.subject)) throw platformError('SUBJECT_INVALID');
  const bank = getOrg(ctx, c.bank);
  if (!bank || bank.kind !== 'bank') throw platformError('ORG_UNKNOWN');
  if (Date.parse(c.expiresAt) <= ctx.now().getTime()) throw platformError('CONSENT_STATE', { detail: 'expiresAt' });
  const id = newId('cns');
  ctx.db.transaction(() => {
    ctx.db
      .prepare('INSERT INTO consents (id, subject, bank, purpose, model, channel, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, c.subject, c.bank, c.purpose, c.modelId ?? null, channel.id, c.expiresAt, ctx.now().toISOString());
    ctx.ledger.append('consent.granted', channel.id, {
      consent: id,
      subject: subjectDigest(c.subject),
      bank: c.bank,
      purpose: c.purpose,
      model: c.modelId ?? null,
      expiresAt: c.expiresAt,
    });
  })();
  return { id };
}

/** Whether the merchant's consent lets this bank score it now, for this purpose and model. */
export function hasValidConsent(ctx: Ctx, bank: string, subject: string, purpose: string, model: string): boolean {
  const rows = stmt(ctx.db, 'SELECT subject, bank, purpose, model, expires_at AS expiresAt, revoked_at AS revokedAt FROM consents WHERE bank = ? AND subject = ?').all(bank, subject) as ConsentRecord[];
  return rows.some((c) => consentValid(c, { bank, purpose, model, now: ctx.now() }));
}

export function revokeConsent(ctx: Ctx, channel: Org, id: string) {
  requireKind(channel, 'channel');
  ctx.db.transaction(() => {
    const c = stmt(ctx.db, 'SELECT channel, revoked_at FROM consents WHERE id = ?').get(id) as { channel: string; revoked_at: string | null } | undefined;
    if (!c || c.channel !== channel.id) throw platformError('CONSENT_UNKNOWN');
    if (c.revoked_at) throw platformError('CONSENT_STATE');
    stmt(ctx.db, 'UPDATE consents SET revoked_at = ? WHERE id = ?').run(ctx.now().toISOString(), id);
    ctx.ledger.append('consent.revoked', channel.id, { consent: id });
  })();
  return { id, status: 'revoked' as const };
}
