// The regulator's overview: counts, and how model code is confined.
import { stmt } from '../core/sqlite.js';
import type { RunCtx } from './run/pipeline.js';

export function overview(ctx: RunCtx) {
  const db = ctx.db;
  const group = (sql: string) => Object.fromEntries((stmt(db, sql).all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
  // runs and refusals come from counters that triggers keep on every write to runs
  // (sandbox/state.ts): a few rows read, whatever the number of runs
  const denialsByRule = group('SELECT rule AS k, n FROM denial_counts WHERE n > 0 ORDER BY rule');
  return {
    organisations: group("SELECT kind || ':' || status AS k, count(*) AS n FROM orgs GROUP BY kind, status"),
    models: group('SELECT status AS k, count(*) AS n FROM models GROUP BY status'),
    runs: group("SELECT mode || ':' || status AS k, n FROM run_counts WHERE n > 0 ORDER BY mode, status"),
    denialsByRule,
    budget: {
      spentMicros: (stmt(db, 'SELECT coalesce(sum(spent), 0) FROM spend').pluck().get() as number) ?? 0,
      entities: stmt(db, 'SELECT count(*) FROM spend').pluck().get() as number,
      byEntityAndLineage: stmt(db, 'SELECT entity, lineage, spent AS spentMicros FROM spend ORDER BY entity, lineage').all() as { entity: string; lineage: string; spentMicros: number }[],
      /** Per lineage: spent by all entities, and the most spent on any one merchant (its atom) against the cap. */
      byLineage: stmt(
        db,
        `SELECT l.lineage, coalesce((SELECT sum(spent) FROM spend s WHERE s.lineage = l.lineage), 0) AS spentMicros,
          coalesce((SELECT max(spent) FROM merchant_spend m WHERE m.lineage = l.lineage), 0) AS merchantMaxMicros
          FROM (SELECT lineage FROM spend UNION SELECT lineage FROM merchant_spend) l ORDER BY l.lineage`,
      ).all() as { lineage: string; spentMicros: number; merchantMaxMicros: number }[],
      perOrganisationMicros: ctx.policy.policy.budget.perOrganisationMicros,
      perMerchantCapMicros: ctx.policy.policy.budget.perMerchantCapMicros,
    },
    confinement: ctx.executor.posture,
    ledger: { size: ctx.ledger.size(), checkpoint: ctx.ledger.latestCheckpoint().size },
  };
}
