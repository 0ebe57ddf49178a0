// What every workflow and run is given: the state database with its ledger, the executor,
// the policy and the clock. Built once by sandbox/platform.ts.
import type { Db } from '../core/sqlite.js';
import type { Ledger } from '../ledger/log.js';
import type { LoadedPolicy } from '../policies/policy.schema.js';
import type { Executor } from '../workers/client.js';

export interface Ctx {
  db: Db;
  ledger: Ledger;
  executor: Executor;
  policy: LoadedPolicy;
  now: () => Date;
  /** How long a rotated API key keeps working (sandbox/orgs.ts; default API_KEY_GRACE_MS, 24 h). */
  apiKeyGraceMs?: number;
}
