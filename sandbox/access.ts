// A bank's access to a model approved into production, for a purpose: requested by the bank, decided by
// the model's provider.
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { inProduction, rowOf } from './models.js';
import { requireKind } from './orgs.js';
import { newId, type Org } from './state.js';
import { emit } from './webhooks/events.js';

export const accessRequestSchema = z.object({ purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/) }).strict();

export function requestAccess(ctx: Ctx, bank: Org, modelId: string, purpose: string) {
  requireKind(bank, 'bank');
  const row = rowOf(ctx, modelId);
  // a model in evaluation is not the banks' to see (nor to ask for)
  if (!inProduction(row)) throw platformError('MODEL_UNKNOWN');
  const id = newId('acc');
  ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO access (id, model, bank, purpose, status, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, modelId, bank.id, purpose, 'requested', ctx.now().toISOString());
    ctx.ledger.append('access.requested', bank.id, { access: id, model: modelId, bank: bank.id, purpose });
    emit(ctx, 'access.requested', [row.provider], { access: id, model: modelId, bank: bank.id, purpose });
  })();
  return { id, status: 'requested' as const };
}

export const grantSchema = z
  .object({
    /**
     * For a model with bank-held features: the provider accepts that a bank can solve for the
     * weights of its own features with one encrypted query per merchant (see the model card).
     */
    acceptWeightExposure: z.boolean().optional(),
  })
  .strict();

function decideAccess(ctx: Ctx, provider: Org, id: string, status: 'granted' | 'denied', reason?: string, terms?: z.infer<typeof grantSchema>) {
  requireKind(provider, 'fintech');
  ctx.db.transaction(() => {
    const a = stmt(ctx.db, 'SELECT access.status, access.bank, access.model, models.provider, models.manifest FROM access JOIN models ON models.id = access.model WHERE access.id = ?').get(id) as
      | { status: string; bank: string; model: string; provider: string; manifest: string }
      | undefined;
    if (!a || a.provider !== provider.id) throw platformError('ACCESS_UNKNOWN');
    if (a.status !== 'requested') throw platformError('ACCESS_STATE');
    const bankFeatures = (JSON.parse(a.manifest) as { bankFeatures?: unknown[] }).bankFeatures ?? [];
    if (status === 'granted' && bankFeatures.length > 0 && terms?.acceptWeightExposure !== true) throw platformError('ACCESS_TERMS_REQUIRED', { detail: 'acceptWeightExposure' });
    if (terms?.acceptWeightExposure) stmt(ctx.db, 'UPDATE access SET terms = ? WHERE id = ?').run(JSON.stringify({ acceptWeightExposure: true }), id);
    stmt(ctx.db, 'UPDATE access SET status = ?, reason = ? WHERE id = ?').run(status, reason ?? null, id);
    if (status === 'granted') ctx.ledger.append('access.granted', provider.id, { access: id });
    else ctx.ledger.append('access.denied', provider.id, { access: id, reason: (reason ?? '').slice(0, 500) });
    emit(ctx, 'access.decided', [a.bank], { access: id, model: a.model, status });
  })();
  return { id, status };
}

export const grantAccess = (ctx: Ctx, provider: Org, id: string, terms: z.infer<typeof grantSchema> = {}) => decideAccess(ctx, provider, id, 'granted', undefined, terms);
export const denyAccess = (ctx: Ctx, provider: Org, id: string, reason: string) => decideAccess(ctx, provider, id, 'denied', reason);

/** A bank's run of a model for a purpose needs this access granted: ACCESS_NOT_GRANTED otherwise. */
export function requireAccess(ctx: Ctx, bank: string, model: string, purpose: string): void {
  if (!stmt(ctx.db, "SELECT 1 FROM access WHERE bank = ? AND model = ? AND purpose = ? AND status = 'granted'").get(bank, model, purpose)) throw platformError('ACCESS_NOT_GRANTED');
}

