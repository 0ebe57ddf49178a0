// Review that sees what it approves: a model's source and vetting report for the regulator
// and the model's provider, and the regulator's other decisions on applications (reject a
// pending application, reinstate a suspended organisation), each with a reason in the ledger.
import { stmt } from '../core/sqlite.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { rowOf } from './models.js';
import { getOrg, requireKind } from './orgs.js';
import type { Org } from './state.js';
import { emit, regulators } from './webhooks/events.js';

/** The model's source text as submitted, with its manifest and vetting report. */
export function modelSource(ctx: Ctx, org: Org, id: string) {
  const row = rowOf(ctx, id);
  // anyone else is told the model does not exist, as GET /v1/models/:id does for unapproved ones
  if (org.kind !== 'regulator' && org.id !== row.provider) throw platformError('MODEL_UNKNOWN');
  const provider = getOrg(ctx, row.provider);
  return {
    id: row.id,
    digest: row.digest,
    status: row.status,
    provider: row.provider,
    providerName: provider?.name ?? null,
    manifest: JSON.parse(row.manifest) as unknown,
    source: row.source,
    report: JSON.parse(row.report) as unknown,
    createdAt: row.created_at,
  };
}

/** A pending application is rejected; it keeps its row (one application per USCC and kind). */
export function rejectOrg(ctx: Ctx, regulator: Org, id: string, reason: string): { id: string; status: 'rejected' } {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const org = getOrg(ctx, id);
    if (!org) throw platformError('ORG_UNKNOWN');
    if (org.status !== 'pending') throw platformError('ORG_STATE');
    stmt(ctx.db, "UPDATE orgs SET status = 'rejected', reason = ? WHERE id = ?").run(reason, id);
    ctx.ledger.append('org.rejected', regulator.id, { org: id, reason: reason.slice(0, 500) });
    emit(ctx, 'application.decided', [...regulators(ctx), id], { org: id, status: 'rejected' });
  })();
  return { id, status: 'rejected' };
}

/** A suspended organisation is admitted again; the API keys it held work again. */
export function reinstateOrg(ctx: Ctx, regulator: Org, id: string, reason: string): { id: string; status: 'admitted' } {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const org = getOrg(ctx, id);
    if (!org) throw platformError('ORG_UNKNOWN');
    if (org.status !== 'suspended') throw platformError('ORG_STATE');
    stmt(ctx.db, "UPDATE orgs SET status = 'admitted', reason = ? WHERE id = ?").run(reason, id);
    ctx.ledger.append('org.reinstated', regulator.id, { org: id, reason: reason.slice(0, 500) });
  })();
  return { id, status: 'admitted' };
}
