// Every release decision names the rule that made it, so a denial is explainable.
export type DecisionStatus = 'PASS' | 'FAIL' | 'REVIEW';

export interface Decision {
  /** A stable rule id, e.g. "output:lattice" or "policy:k-min". */
  rule: string;
  status: DecisionStatus;
  /** What the platform did: release, reject, suppress, round, noise, cache, ... */
  action: string;
  /** Numbers and names of the rule (never data values). */
  params: Record<string, string | number | boolean>;
}

export const denied = (ds: readonly Decision[]): boolean => ds.some((d) => d.status === 'FAIL');
