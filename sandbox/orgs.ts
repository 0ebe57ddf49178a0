// Organisations and their API keys: applications, admission, suspension, authentication,
// and key rotation (a new key, the old ones valid for a grace period) and reissue (every
// key revoked at once, a new one issued: for a lost or leaked key). Keys are stored as
// SHA-256 hashes; a key is named anywhere (ledger, lists, logs) only by its id, a
// fingerprint of that hash that says nothing of the key.
// One admitted organisation per legal entity (USCC) and kind: budgets are kept per legal
// entity, and a second organisation of the same entity would be a second budget.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { isValidUscc } from '../datasets/uscc.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { newId, type Org, type OrgKind } from './state.js';
import { endAllEndpoints } from './webhooks/endpoints.js';
import { emit, regulators } from './webhooks/events.js';

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
    // one organisation per legal entity and kind (a suspended one still counts: it is reinstated, not re-admitted)
    if (stmt(ctx.db, 'SELECT 1 FROM orgs WHERE uscc = ? AND kind = ?').get(a.uscc, a.kind)) throw platformError('ORG_DUPLICATE', { detail: 'uscc' });
    stmt(ctx.db, 'INSERT INTO orgs (id, name, kind, uscc, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, a.name, a.kind, a.uscc, 'pending', ctx.now().toISOString());
    ctx.ledger.append('org.applied', id, { org: id, kind: a.kind });
  })();
  return { id, status: 'pending' };
}

const keyHash = (key: string) => createHash('sha256').update(key).digest();
/** A key's public name: the first 8 bytes of its hash, in hex. */
export const keyId = (hash: Buffer) => `key_${hash.subarray(0, 8).toString('hex')}`;

/** How long a rotated key keeps working, unless the platform is given another (Ctx.apiKeyGraceMs). */
export const API_KEY_GRACE_MS = 24 * 3_600_000;

function issueKey(ctx: Ctx, org: string): { apiKey: string; id: string } {
  const apiKey = `dfx_${randomBytes(32).toString('base64url')}`;
  const hash = keyHash(apiKey);
  stmt(ctx.db, 'INSERT INTO api_keys (hash, org, created_at) VALUES (?, ?, ?)').run(hash, org, ctx.now().toISOString());
  return { apiKey, id: keyId(hash) };
}

/** The regulator's organisation and key, created once on first start. */
export function bootstrapRegulator(ctx: Ctx): { id: string; apiKey: string } | null {
  if (stmt(ctx.db, "SELECT 1 FROM orgs WHERE kind = 'regulator'").get()) return null;
  const id = newId('org');
  return ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO orgs (id, name, kind, uscc, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, 'Financial regulator', 'regulator', '', 'admitted', ctx.now().toISOString());
    ctx.ledger.append('org.applied', 'platform', { org: id, kind: 'regulator' });
    ctx.ledger.append('org.admitted', 'platform', { org: id });
    return { id, apiKey: issueKey(ctx, id).apiKey };
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
    emit(ctx, 'application.decided', [...regulators(ctx), id], { org: id, status: 'admitted' });
    return { id, status: 'admitted' as const, apiKey: issueKey(ctx, id).apiKey };
  })();
}

export function suspendOrg(ctx: Ctx, regulator: Org, id: string, reason: string): { id: string; status: 'suspended' } {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const org = getOrg(ctx, id);
    if (!org) throw platformError('ORG_UNKNOWN');
    if (org.status === 'suspended' || org.kind === 'regulator') throw platformError('ORG_STATE');
    stmt(ctx.db, "UPDATE orgs SET status = 'suspended', reason = ? WHERE id = ?").run(reason, id);
    ctx.ledger.append('org.suspended', regulator.id, { org: id, reason: reason.slice(0, 500) });
  })();
  return { id, status: 'suspended' };
}

/**
 * The organisation of an API key; a suspended organisation's keys stop working at once, a
 * rotated key at the end of its grace, a reissued organisation's old keys at once (all with
 * the same AUTH_INVALID as a key never issued).
 */
export function authenticate(ctx: Ctx, key: string | undefined): Org {
  return authenticateKey(ctx, key).org;
}

/**
 * authenticate(), and whether the key is one rotated away and still in its grace period: such
 * a key (perhaps the leaked one the rotation was for) may run and read, but may not manage
 * keys or webhooks, or it could rotate the new key away and keep the organisation.
 */
export function authenticateKey(ctx: Ctx, key: string | undefined): { org: Org; inGrace: boolean } {
  if (!key) throw platformError('AUTH_MISSING');
  if (key.length > 200) throw platformError('AUTH_INVALID');
  const h = keyHash(key);
  const row = stmt(ctx.db, 'SELECT hash, org, expires_at, revoked_at FROM api_keys WHERE hash = ?').get(h) as { hash: Buffer; org: string; expires_at: string | null; revoked_at: string | null } | undefined;
  if (!row || !timingSafeEqual(row.hash, h)) throw platformError('AUTH_INVALID');
  if (row.revoked_at !== null || (row.expires_at !== null && Date.parse(row.expires_at) <= ctx.now().getTime())) throw platformError('AUTH_INVALID');
  const org = getOrg(ctx, row.org) as Org;
  if (org.status !== 'admitted') throw platformError('ORG_NOT_ADMITTED');
  return { org, inGrace: row.expires_at !== null };
}

/** Refuses a key in its grace period (see authenticateKey). */
export function requireCurrentKey(inGrace: boolean): void {
  if (inGrace) throw platformError('AUTH_KEY_IN_GRACE');
}

// --- rotation and reissue -------------------------------------------------------------------

/** An organisation whose keys may be rotated or reissued: admitted, or suspended (for when it is reinstated). */
function keyHolder(ctx: Ctx, id: string): Org {
  const org = getOrg(ctx, id);
  if (!org) throw platformError('ORG_UNKNOWN');
  if (org.status !== 'admitted' && org.status !== 'suspended') throw platformError('ORG_STATE');
  return org;
}

const apiKeyItem = z.object({
  id: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable().describe('the end of a rotated key\'s grace period; null: no end'),
  revokedAt: z.string().nullable(),
  status: z.enum(['active', 'grace', 'expired', 'revoked']),
});
export const apiKeyList = z.object({ org: z.string(), items: z.array(apiKeyItem) });
export const rotationAnswer = z.object({
  org: z.string(),
  id: z.string(),
  apiKey: z.string().describe('shown once'),
  graceUntil: z.string().describe('the keys this one replaces work until then'),
  previous: z.array(z.object({ id: z.string(), expiresAt: z.string() })),
});
export const reissueAnswer = z.object({ org: z.string(), id: z.string(), apiKey: z.string().describe('shown once'), revoked: z.array(z.string()) });
export const apiKeyQuery = z.object({ org: z.string().min(1).max(64).optional() }).strict();

type KeyRow = { hash: Buffer; created_at: string; expires_at: string | null; revoked_at: string | null };
const liveKeys = (ctx: Ctx, org: string, now: string) =>
  stmt(ctx.db, 'SELECT hash, created_at, expires_at, revoked_at FROM api_keys WHERE org = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)').all(org, now) as KeyRow[];

/**
 * A new key for `orgId` (the organisation itself, or the regulator for it). Keys that had
 * no end keep working for the grace period; a key already in its grace (rotated before)
 * ends now, so at most one generation of old keys is ever live.
 */
export function rotateKey(ctx: Ctx, actor: Org, orgId: string): z.infer<typeof rotationAnswer> {
  if (actor.id !== orgId) requireKind(actor, 'regulator');
  return ctx.db.transaction(() => {
    keyHolder(ctx, orgId);
    const now = ctx.now();
    const graceUntil = new Date(now.getTime() + (ctx.apiKeyGraceMs ?? API_KEY_GRACE_MS)).toISOString();
    const previous: { id: string; expiresAt: string }[] = [];
    const end = stmt(ctx.db, 'UPDATE api_keys SET expires_at = ? WHERE hash = ?');
    for (const k of liveKeys(ctx, orgId, now.toISOString())) {
      const expiresAt = k.expires_at === null ? graceUntil : now.toISOString();
      end.run(expiresAt, k.hash);
      previous.push({ id: keyId(k.hash), expiresAt });
    }
    const fresh = issueKey(ctx, orgId);
    ctx.ledger.append('apikey.rotated', actor.id, { org: orgId, key: fresh.id, graceUntil, previous: previous.map((p) => p.id) });
    return { org: orgId, id: fresh.id, apiKey: fresh.apiKey, graceUntil, previous };
  })();
}

/** The regulator revokes every key of `orgId` at once (no grace) and issues a new one. */
export function reissueKeys(ctx: Ctx, regulator: Org, orgId: string, reason: string): z.infer<typeof reissueAnswer> {
  requireKind(regulator, 'regulator');
  return ctx.db.transaction(() => {
    keyHolder(ctx, orgId);
    const now = ctx.now().toISOString();
    const revoked = liveKeys(ctx, orgId, now).map((k) => keyId(k.hash));
    stmt(ctx.db, 'UPDATE api_keys SET revoked_at = ? WHERE org = ? AND revoked_at IS NULL').run(now, orgId);
    const fresh = issueKey(ctx, orgId);
    ctx.ledger.append('apikey.reissued', regulator.id, { org: orgId, key: fresh.id, revoked, reason: reason.slice(0, 500) });
    endAllEndpoints(ctx, orgId, regulator.id);
    return { org: orgId, id: fresh.id, apiKey: fresh.apiKey, revoked };
  })();
}

/** An organisation's keys, newest first (at most 100): its own, or any organisation's for the regulator (?org=). */
export function listApiKeys(ctx: Ctx, actor: Org, q: z.infer<typeof apiKeyQuery>): z.infer<typeof apiKeyList> {
  const orgId = q.org ?? actor.id;
  if (orgId !== actor.id) requireKind(actor, 'regulator');
  if (!getOrg(ctx, orgId)) throw platformError('ORG_UNKNOWN');
  const now = ctx.now().getTime();
  const rows = stmt(ctx.db, 'SELECT hash, created_at, expires_at, revoked_at FROM api_keys WHERE org = ? ORDER BY created_at DESC, rowid DESC LIMIT 100').all(orgId) as KeyRow[];
  return {
    org: orgId,
    items: rows.map((k) => ({
      id: keyId(k.hash),
      createdAt: k.created_at,
      expiresAt: k.expires_at,
      revokedAt: k.revoked_at,
      status: k.revoked_at !== null ? 'revoked' : k.expires_at === null ? 'active' : Date.parse(k.expires_at) > now ? 'grace' : 'expired',
    })),
  };
}
