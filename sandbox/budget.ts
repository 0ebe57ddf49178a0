// Privacy budgets (docs/privacy.md). Spend is kept per legal entity (the USCC: every
// organisation of one entity shares it) and per dataset lineage (the population, not the
// content hash: a refreshed vault of the same merchants continues the same spend). Each
// merchant also has a cap across all organisations: since cohorts are chosen by public S1
// predicates, every merchant of one "atom" (one industry, district, size band and
// registration-year band) is in exactly the same cohorts, so the spend per merchant is kept
// per atom. Debits happen before any data is read and are never refunded; only the
// regulator refreshes a budget, with a reason, in the ledger.
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { fieldByName, SEGMENT_KEYS, type SegmentKey } from '../datasets/catalog.js';
import type { Cohort } from '../datasets/store.js';
import type { Decision } from '../policies/decision.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { requireKind } from './orgs.js';
import type { Org } from './state.js';

const KEYS = Object.keys(SEGMENT_KEYS) as SegmentKey[];
const categories = (k: SegmentKey) => (fieldByName(SEGMENT_KEYS[k])?.categories ?? []).map((c) => c.code);

/** Who is charged: the legal entity (the regulator, which has no USCC, by its organisation). */
export const entityOf = (org: Org): string => org.uscc || org.id;

/** The atoms (combinations of public S1 categories) a cohort covers: public, no data read. */
export function atomsOf(cohort: Cohort): number[] {
  let atoms = [0];
  for (const k of KEYS) {
    const all = categories(k);
    const pick = cohort[k] === undefined ? all.map((_, i) => i) : [all.indexOf(cohort[k] as string)].filter((i) => i >= 0);
    atoms = atoms.flatMap((a) => pick.map((i) => a * all.length + i));
  }
  return atoms;
}

export interface BudgetLine {
  lineage: string;
  spentMicros: number;
  limitMicros: number;
  remainingMicros: number;
}

export function budgetOf(ctx: Ctx, org: Org, lineage: string): BudgetLine[] {
  const spent = (stmt(ctx.db, 'SELECT spent FROM spend WHERE entity = ? AND lineage = ?').pluck().get(entityOf(org), lineage) as number | undefined) ?? 0;
  const limit = ctx.policy.policy.budget.perOrganisationMicros;
  return [{ lineage, spentMicros: spent, limitMicros: limit, remainingMicros: Math.max(0, limit - spent) }];
}

/** The budget decisions of a request, from public quantities only. */
export function budgetDecisions(ctx: Ctx, org: Org, lineage: string, atoms: readonly number[], cost: number): Decision[] {
  const [line] = budgetOf(ctx, org, lineage) as [BudgetLine];
  const cap = ctx.policy.policy.budget.perMerchantCapMicros;
  const spentAtom = stmt(ctx.db, 'SELECT spent FROM merchant_spend WHERE lineage = ? AND atom = ?').pluck();
  let most = 0;
  for (const a of atoms) most = Math.max(most, (spentAtom.get(lineage, a) as number | undefined) ?? 0);
  const own = line.spentMicros + cost <= line.limitMicros;
  const merchants = most + cost <= cap;
  return [
    { rule: 'dp:budget', status: own ? 'PASS' : 'FAIL', action: own ? 'debit' : 'deny', params: { costMicros: cost, spentMicros: line.spentMicros, limitMicros: line.limitMicros, lineage } },
    { rule: 'dp:merchant-cap', status: merchants ? 'PASS' : 'FAIL', action: merchants ? 'debit' : 'deny', params: { capMicros: cap } },
  ];
}

/** Debits the entity and every atom of the cohort; call inside the run's first transaction. */
export function debit(ctx: Ctx, org: Org, lineage: string, atoms: readonly number[], cost: number, run: string): void {
  if (cost <= 0) return;
  stmt(ctx.db, 'INSERT INTO spend (entity, lineage, spent) VALUES (?, ?, ?) ON CONFLICT (entity, lineage) DO UPDATE SET spent = spent + excluded.spent').run(entityOf(org), lineage, cost);
  const atom = stmt(ctx.db, 'INSERT INTO merchant_spend (lineage, atom, spent) VALUES (?, ?, ?) ON CONFLICT (lineage, atom) DO UPDATE SET spent = spent + excluded.spent');
  for (const a of atoms) atom.run(lineage, a, cost);
  ctx.ledger.append('budget.charged', 'platform', { org: org.id, entity: entityOf(org), lineage, amount: cost, run });
}

export const refreshSchema = z.object({ uscc: z.string().min(1).max(64), lineage: z.string().min(1).max(64), reason: z.string().min(1).max(1000) }).strict();

/** The regulator resets one legal entity's spend on one lineage, with a reason, in the ledger. */
export function refreshBudget(ctx: Ctx, regulator: Org, r: z.infer<typeof refreshSchema>): { uscc: string; lineage: string; spentMicros: 0 } {
  requireKind(regulator, 'regulator');
  ctx.db.transaction(() => {
    const had = stmt(ctx.db, 'SELECT spent FROM spend WHERE entity = ? AND lineage = ?').pluck().get(r.uscc, r.lineage) as number | undefined;
    if (had === undefined) throw platformError('BUDGET_REFRESH_INVALID');
    stmt(ctx.db, 'UPDATE spend SET spent = 0 WHERE entity = ? AND lineage = ?').run(r.uscc, r.lineage);
    ctx.ledger.append('budget.refreshed', regulator.id, { entity: r.uscc, lineage: r.lineage, previousMicros: had, reason: r.reason.slice(0, 500) });
  })();
  return { uscc: r.uscc, lineage: r.lineage, spentMicros: 0 };
}
