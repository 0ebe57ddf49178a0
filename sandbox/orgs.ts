// Organisations and their API keys: applications, admission, suspension, authentication.
// One admitted organisation per legal entity (USCC) and kind: budgets are kept per legal
// entity, and a second organisation of the same entity would be a second budget.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { isValidUscc } from '../datasets/uscc.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { newId, type Org, type OrgKind } from './state.js';

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

