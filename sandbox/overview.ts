// The regulator's overview: counts, and how model code is confined.
import { stmt } from '../core/sqlite.js';
import type { RunAnswer, RunCtx } from './run/pipeline.js';

export function overview(ctx: RunCtx) {
  const db = ctx.db;
  const group = (sql: string) => Object.fromEntries((stmt(db, sql).all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
  const denialsByRule: Record<string, number> = {};
  for (const rec of stmt(db, "SELECT record FROM runs WHERE status IN ('denied', 'failed')").pluck().all() as string[]) {
    const run = JSON.parse(rec) as Partial<RunAnswer>;
    for (const d of run.decisions ?? []) if (d.status === 'FAIL') denialsByRule[d.rule] = (denialsByRule[d.rule] ?? 0) + 1;
    if (run.error) denialsByRule[run.error.code] = (denialsByRule[run.error.code] ?? 0) + 1;
  }
  return {
    organisations: group("SELECT kind || ':' || status AS k, count(*) AS n FROM orgs GROUP BY kind, status"),
    models: group('SELECT status AS k, count(*) AS n FROM models GROUP BY status'),
    runs: group("SELECT mode || ':' || status AS k, count(*) AS n FROM runs GROUP BY mode, status"),
    denialsByRule,
    budget: {
      spentMicros: (stmt(db, 'SELECT coalesce(sum(spent), 0) FROM spend').pluck().get() as number) ?? 0,
      entities: stmt(db, 'SELECT count(*) FROM spend').pluck().get() as number,
      byEntityAndLineage: stmt(db, 'SELECT entity, lineage, spent AS spentMicros FROM spend ORDER BY entity, lineage').all() as { entity: string; lineage: string; spentMicros: number }[],
    },
    confinement: ctx.executor.posture,
    ledger: { size: ctx.ledger.size(), checkpoint: ctx.ledger.latestCheckpoint().size },
  };
}
