// Review that sees what it approves: a model's source and vetting report for the regulator
// and the model's provider, and the regulator's other decisions on applications (reject a
// pending application, reinstate a suspended organisation), each with a reason in the ledger.
import { LRUCache } from 'lru-cache';
import { lineDiff } from '../core/line-diff.js';
import { stmt } from '../core/sqlite.js';
import { checkPurity, type Finding } from '../workers/purity.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { rowOf } from './models.js';
import { getOrg, requireKind } from './orgs.js';
import type { Org } from './state.js';
import { emit, regulators } from './webhooks/events.js';

/**
 * The static review's findings by model digest (the digest binds the source): parsing a
 * source near the 256 KiB cap takes a few hundred milliseconds, so a reviewer who opens it
 * again, or a second reviewer, does not pay that again.
 */
const findingsOf = new LRUCache<string, readonly Finding[]>({ max: 256 });
function findings(digest: string, source: string): readonly Finding[] {
  let f = findingsOf.get(digest);
  if (!f) findingsOf.set(digest, (f = Object.freeze(checkPurity(source))));
  return f;
}

/** Work the line diff may spend before it answers that the versions differ too much. */
const DIFF_WORK = 2_000_000;

/**
 * The same provider's most recent earlier submission of a model with the same manifest
 * name (whatever became of it), or undefined for a first version.
 */
function previousVersion(ctx: Ctx, id: string, provider: string, name: unknown) {
  if (typeof name !== 'string') return undefined;
  return stmt(
    ctx.db,
    `SELECT p.id, p.digest, p.manifest, p.source FROM models p, models m
     WHERE m.id = ? AND p.provider = ? AND json_extract(p.manifest, '$.name') = ?
       AND (p.created_at < m.created_at OR (p.created_at = m.created_at AND p.rowid < m.rowid))
     ORDER BY p.created_at DESC, p.rowid DESC LIMIT 1`,
  ).get(id, provider, name) as { id: string; digest: string; manifest: string; source: string } | undefined;
}

/** The model's source text as submitted, with its manifest and vetting report. */
export function modelSource(ctx: Ctx, org: Org, id: string) {
  const row = rowOf(ctx, id);
  // anyone else is told the model does not exist, as GET /v1/models/:id does for unapproved ones
  if (org.kind !== 'regulator' && org.id !== row.provider) throw platformError('MODEL_UNKNOWN');
  const provider = getOrg(ctx, row.provider);
  const manifest = JSON.parse(row.manifest) as { name?: unknown; format?: unknown };
  const prev = previousVersion(ctx, row.id, row.provider, manifest.name);
  const prevVersion = prev ? (JSON.parse(prev.manifest) as { version?: unknown }).version : undefined;
  const diff = prev ? lineDiff(prev.source, row.source, { maxWork: DIFF_WORK }) : null;
  // JavaScript models: the static review's findings with their lines, for the reviewer to read
  // beside the code (the same check vetting ran on this very text; formats are read as structure)
  const javascript = (manifest.format ?? 'javascript') === 'javascript';
  return {
    id: row.id,
    digest: row.digest,
    status: row.status,
    provider: row.provider,
    providerName: provider?.name ?? null,
    manifest: manifest as unknown,
    source: row.source,
    report: JSON.parse(row.report) as unknown,
    findings: javascript ? [...findings(row.digest, row.source)] : [],
    previous: prev ? { id: prev.id, version: typeof prevVersion === 'string' ? prevVersion : null, digest: prev.digest } : null,
    diff: !prev ? null : diff ? { status: 'ok' as const, ...diff } : { status: 'too_large' as const, reason: 'the versions differ too much for a line diff within its work budget' },
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
