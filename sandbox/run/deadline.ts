// When an answer becomes available, and how long the model may compute, from public
// quantities only: the number of merchants asked (or the public cohort size), the model's
// cost measured at vetting, and the policy. Never from anything the model did on real data.
import type { Policy } from '../../policies/policy.schema.js';

/** The model's cost per row when vetting measured none (older records): a generous default. */
const UNKNOWN_COST_MICROS = 20;

export interface AggregateTiming {
  /** Time the model may compute on each executor lane's share of the cohort, ms. */
  computeMs: number;
  /** From the request to the answer's availability, ms. */
  availableAfterMs: number;
}

export function aggregateTiming(rows: number, costMicros: number | null, lanes: number, t: Policy['timing']): AggregateTiming {
  const perLane = Math.ceil(rows / Math.max(1, rows >= 50_000 ? lanes : 1));
  const computeMs = 1000 + Math.ceil((perLane * (costMicros ?? UNKNOWN_COST_MICROS) * t.aggregateCostFactor) / 1000);
  return { computeMs, availableAfterMs: t.aggregateBaseMs + Math.ceil((rows / 1000) * t.aggregatePerThousandMs) + computeMs };
}

/** A subjects run answers at base + perSubject x the number of merchants asked (known or not, consented or not). */
export function subjectsAvailableAfterMs(asked: number, t: Policy['timing']): number {
  return t.subjectsBaseMs + asked * t.subjectsPerSubjectMs;
}
