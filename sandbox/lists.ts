// Lists for each organisation: organisations, models, access requests, runs, consents and
// keys, each paged by keyset (newest first: created_at DESC, id DESC) with an opaque
// cursor, and names beside every identifier. Who sees which rows is decided here, in the
// WHERE clause, never by filtering a page afterwards (a page is always full when more rows
// exist, and no row of another organisation is ever read into an answer).
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { publicCard } from './models.js';
import type { ModelRow, Org } from './state.js';

export const LIST_LIMIT = Object.freeze({ default: 50, max: 200 });

/** limit and cursor, as every list route takes them. */
export const pageQuery = {
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(LIST_LIMIT.max))
    .optional(),
  cursor: z.string().max(256).optional(),
};

export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Pass as ?cursor= for the next page; null on the last page. */
  nextCursor: string | null;
}

// The cursor is the sort key of the last row served. It is opaque to clients (base64url of
// JSON) but not secret: it holds a time and an id of a row the caller was already shown.
// It comes from the client: parsed defensively, any malformed cursor is LIST_CURSOR_INVALID.
const cursorSchema = z.tuple([z.string().max(40), z.string().max(64)]);

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw platformError('LIST_CURSOR_INVALID');
  }
}

/** A WHERE clause under construction: conditions joined by AND, with their parameters. */
class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...params: unknown[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
  sql(): string {
    return this.parts.length ? `WHERE ${this.parts.map((p) => `(${p})`).join(' AND ')}` : '';
  }
}

/**
 * One keyset page. `table` is the alias whose created_at and id order the list. The SQL
 * text is built from constants in this file only; every value is a bound parameter.
 */
function page<R extends { created_at: string; id: string }, T>(ctx: Ctx, select: string, table: string, where: Where, req: PageRequest, map: (r: R) => T): Page<T> {
  const limit = req.limit ?? LIST_LIMIT.default;
  if (req.cursor) {
    const [at, id] = decodeCursor(req.cursor);
    where.add(`(${table}.created_at, ${table}.id) < (?, ?)`, at, id);
  }
  const sql = `${select} ${where.sql()} ORDER BY ${table}.created_at DESC, ${table}.id DESC LIMIT ?`;
  const rows = stmt(ctx.db, sql).all(...where.params, limit + 1) as R[];
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown[shown.length - 1];
  return { items: shown.map(map), nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null };
}

const forbid = () => {
  throw platformError('ROLE_FORBIDDEN');
};

// --- organisations (the regulator) --------------------------------------------------------

export const orgListQuery = z.object({ status: z.enum(['pending', 'admitted', 'suspended', 'rejected']).optional(), kind: z.enum(['fintech', 'bank', 'channel', 'regulator']).optional(), ...pageQuery }).strict();

export function listOrgs(ctx: Ctx, org: Org, q: z.infer<typeof orgListQuery>) {
  if (org.kind !== 'regulator') forbid();
  const w = new Where();
  if (q.status) w.add('o.status = ?', q.status);
  if (q.kind) w.add('o.kind = ?', q.kind);
  return page(ctx, 'SELECT o.id, o.name, o.uscc, o.kind, o.status, o.reason, o.created_at FROM orgs o', 'o', w, q, (r: { id: string; name: string; uscc: string; kind: string; status: string; reason: string | null; created_at: string }) => ({
    id: r.id,
    name: r.name,
    uscc: r.uscc,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
  }));
}

// --- models -------------------------------------------------------------------------------

export const modelListQuery = z
  .object({ status: z.enum(['vetted', 'vetting_failed', 'approved', 'rejected', 'revoked', 'suspended']).optional(), provider: z.string().min(1).max(64).optional(), ...pageQuery })
  .strict();

type ModelListRow = ModelRow & { provider_name: string };

/**
 * The regulator sees every model, a fintech its own (both without source or report: those
 * are at /v1/models/:id and /v1/models/:id/source); everyone else sees approved, unexpired
 * models in production as public cards.
 */
export function listModels(ctx: Ctx, org: Org, q: z.infer<typeof modelListQuery>) {
  const w = new Where();
  const full = org.kind === 'regulator' || org.kind === 'fintech';
  if (org.kind === 'fintech') w.add('m.provider = ?', org.id);
  if (!full) w.add("m.status = 'approved' AND m.stage = 'production' AND m.expires_at > ?", ctx.now().toISOString());
  if (q.status) w.add('m.status = ?', q.status);
  if (q.provider) w.add('m.provider = ?', q.provider);
  const select =
    'SELECT m.id, m.provider, m.digest, m.manifest, m.status, m.approved_digest, m.policy, m.expires_at, m.stage, m.note, m.created_at, p.name AS provider_name FROM models m JOIN orgs p ON p.id = m.provider';
  return page(ctx, select, 'm', w, q, (r: ModelListRow) => {
    if (!full) return { ...publicCard(r), providerName: r.provider_name, createdAt: r.created_at };
    const manifest = JSON.parse(r.manifest) as { name?: string; version?: string; description?: string; tags?: string[] };
    return {
      id: r.id,
      name: manifest.name ?? null,
      version: manifest.version ?? null,
      description: manifest.description ?? null,
      tags: manifest.tags ?? [],
      provider: r.provider,
      providerName: r.provider_name,
      digest: r.digest,
      status: r.status,
      note: r.note,
      approval: r.expires_at ? { stage: r.stage, policy: r.policy, expiresAt: r.expires_at } : null,
      createdAt: r.created_at,
    };
  });
}

// --- access requests ----------------------------------------------------------------------

export const accessListQuery = z.object({ model: z.string().min(1).max(64).optional(), status: z.enum(['requested', 'granted', 'denied']).optional(), ...pageQuery }).strict();

/** The requesting bank and the model's provider see theirs; the regulator all; a channel none. */
export function listAccess(ctx: Ctx, org: Org, q: z.infer<typeof accessListQuery>) {
  const w = new Where();
  if (org.kind === 'bank') w.add('a.bank = ?', org.id);
  else if (org.kind === 'fintech') w.add('m.provider = ?', org.id);
  else if (org.kind !== 'regulator') forbid();
  if (q.model) w.add('a.model = ?', q.model);
  if (q.status) w.add('a.status = ?', q.status);
  const select = `SELECT a.id, a.model, a.bank, a.purpose, a.status, a.reason, a.created_at, json_extract(m.manifest, '$.name') AS model_name, m.provider,
    p.name AS provider_name, b.name AS bank_name FROM access a JOIN models m ON m.id = a.model JOIN orgs p ON p.id = m.provider JOIN orgs b ON b.id = a.bank`;
  type Row = { id: string; model: string; bank: string; purpose: string; status: string; reason: string | null; created_at: string; model_name: string | null; provider: string; provider_name: string; bank_name: string };
  return page(ctx, select, 'a', w, q, (r: Row) => ({
    id: r.id,
    model: r.model,
    modelName: r.model_name,
    provider: r.provider,
    providerName: r.provider_name,
    bank: r.bank,
    bankName: r.bank_name,
    purpose: r.purpose,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
  }));
}

// --- runs ---------------------------------------------------------------------------------

const isoTime = z.iso.datetime();
export const runListQuery = z
  .object({
    org: z.string().min(1).max(64).optional(),
    model: z.string().min(1).max(64).optional(),
    mode: z.enum(['aggregate', 'subjects', 'encrypted']).optional(),
    status: z.enum(['running', 'released', 'denied', 'failed', 'interrupted']).optional(),
    /** Requested at or after (ISO 8601, UTC). */
    from: isoTime.optional(),
    /** Requested before (ISO 8601, UTC). */
    to: isoTime.optional(),
    ...pageQuery,
  })
  .strict();

// A run is shown as `running` until its answer is available (the same rule as
// GET /v1/runs/:id): neither its status nor its result may show earlier, and the status
// filter follows the status as shown, so filtering cannot reveal it either.
const SHOWN_RUNNING = "r.status = 'running' OR r.ledger_seq IS NULL OR coalesce(r.available_at, r.created_at) > ?";

/** The requester's own runs; the regulator's all (or one organisation's with ?org=). */
export function listRuns(ctx: Ctx, org: Org, q: z.infer<typeof runListQuery>) {
  const now = ctx.now().toISOString();
  const w = new Where();
  if (org.kind !== 'regulator') w.add('r.requester = ?', org.id);
  if (q.org) w.add('r.requester = ?', q.org);
  if (q.model) w.add('r.model = ?', q.model);
  if (q.mode) w.add('r.mode = ?', q.mode);
  // Shown as running: still open, or closed with its answer not yet available. Found
  // through two indexes (runs_by_status, runs_by_available), so the few such rows are
  // looked up rather than scanned for; a closed run always has its ledger_seq (finish()
  // and recoverInterrupted() set both in one UPDATE), and a row without available_at
  // predates deferred answers (available at its creation, in the past).
  if (q.status === 'running') w.add("r.rowid IN (SELECT rowid FROM runs WHERE status = 'running' UNION ALL SELECT rowid FROM runs WHERE available_at > ?)", now);
  else if (q.status) w.add(`r.status = ? AND NOT (${SHOWN_RUNNING})`, q.status, now);
  if (q.from) w.add('r.created_at >= ?', new Date(q.from).toISOString());
  if (q.to) w.add('r.created_at < ?', new Date(q.to).toISOString());
  const select = `SELECT r.id, r.requester, r.mode, r.model, r.status, r.ledger_seq, r.created_at, r.available_at,
    CASE WHEN ${SHOWN_RUNNING} THEN NULL ELSE r.record END AS record,
    q.name AS requester_name, json_extract(m.manifest, '$.name') AS model_name
    FROM runs r LEFT JOIN orgs q ON q.id = r.requester LEFT JOIN models m ON m.id = r.model`;
  w.params.unshift(now); // the CASE's parameter comes before the WHERE's
  type Row = { id: string; requester: string; mode: string; model: string; status: string; created_at: string; available_at: string | null; record: string | null; requester_name: string | null; model_name: string | null };
  return page(ctx, select, 'r', w, q, (r: Row) => {
    const base = {
      runId: r.id,
      mode: r.mode,
      model: r.model,
      modelName: r.model_name,
      requester: r.requester,
      requesterName: r.requester_name,
      requestedAt: r.created_at,
      availableAt: r.available_at ?? r.created_at,
    };
    if (r.record === null) return { ...base, status: 'running' };
    // the stored record, as GET /v1/runs/:id would show it now (without the proof bundle);
    // ciphertexts and per-merchant results stay behind that route
    const rec = JSON.parse(r.record) as { status: string; decisions?: { rule: string; status: string }[]; result?: unknown; results?: unknown[]; notScored?: number; error?: { code: string }; cached?: boolean };
    return {
      ...base,
      status: rec.status,
      decisions: (rec.decisions ?? []).map((d) => ({ rule: d.rule, status: d.status })),
      ...(r.mode === 'aggregate' ? { result: rec.result ?? null } : {}),
      ...(rec.results ? { scored: rec.results.length } : {}),
      ...(rec.notScored !== undefined ? { notScored: rec.notScored } : {}),
      ...(rec.error ? { error: rec.error } : {}),
      ...(rec.cached ? { cached: true } : {}),
    };
  });
}

// --- consents -----------------------------------------------------------------------------

export const consentListQuery = z.object({ subject: z.string().min(1).max(32).optional(), bank: z.string().min(1).max(64).optional(), ...pageQuery }).strict();

/** The channel that recorded them, and the bank they authorise; nobody else. */
export function listConsents(ctx: Ctx, org: Org, q: z.infer<typeof consentListQuery>) {
  const w = new Where();
  if (org.kind === 'channel') w.add('c.channel = ?', org.id);
  else if (org.kind === 'bank') w.add('c.bank = ?', org.id);
  else forbid();
  if (q.subject) w.add('c.subject = ?', q.subject);
  if (q.bank) w.add('c.bank = ?', q.bank);
  const now = ctx.now().toISOString();
  const select = `SELECT c.id, c.subject, c.bank, c.purpose, c.model, c.channel, c.expires_at, c.revoked_at, c.created_at, b.name AS bank_name, ch.name AS channel_name,
    json_extract(m.manifest, '$.name') AS model_name FROM consents c JOIN orgs b ON b.id = c.bank JOIN orgs ch ON ch.id = c.channel LEFT JOIN models m ON m.id = c.model`;
  type Row = { id: string; subject: string; bank: string; purpose: string; model: string | null; channel: string; expires_at: string; revoked_at: string | null; created_at: string; bank_name: string; channel_name: string; model_name: string | null };
  return page(ctx, select, 'c', w, q, (r: Row) => ({
    id: r.id,
    subject: r.subject,
    bank: r.bank,
    bankName: r.bank_name,
    channel: r.channel,
    channelName: r.channel_name,
    purpose: r.purpose,
    model: r.model,
    modelName: r.model_name,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    status: (r.revoked_at ? 'revoked' : r.expires_at <= now ? 'expired' : 'active') as 'active' | 'revoked' | 'expired',
    createdAt: r.created_at,
  }));
}

// --- bank keys ----------------------------------------------------------------------------

export const keyListQuery = z.object({ ...pageQuery }).strict();

export function listKeys(ctx: Ctx, org: Org, q: z.infer<typeof keyListQuery>) {
  if (org.kind !== 'bank') forbid();
  const w = new Where().add('k.bank = ?', org.id);
  return page(ctx, 'SELECT k.id, k.digest, k.created_at FROM bank_keys k', 'k', w, q, (r: { id: string; digest: string; created_at: string }) => ({ id: r.id, digest: r.digest, createdAt: r.created_at }));
}
