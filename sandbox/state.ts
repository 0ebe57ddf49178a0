// The platform's tables. Rows read back are parsed at the door by their users.
import { z } from 'zod';
import { randomId } from '../core/random.js';
import type { Db } from '../core/sqlite.js';

export const STATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, uscc TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (hash BLOB PRIMARY KEY, org TEXT NOT NULL REFERENCES orgs(id), created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (id TEXT PRIMARY KEY, provider TEXT NOT NULL REFERENCES orgs(id), digest TEXT NOT NULL, manifest TEXT NOT NULL, source TEXT NOT NULL,
  status TEXT NOT NULL, report TEXT NOT NULL, approved_digest TEXT, policy TEXT, expires_at TEXT, note TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access (id TEXT PRIMARY KEY, model TEXT NOT NULL REFERENCES models(id), bank TEXT NOT NULL REFERENCES orgs(id), purpose TEXT NOT NULL,
  status TEXT NOT NULL, reason TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS consents (id TEXT PRIMARY KEY, subject TEXT NOT NULL, bank TEXT NOT NULL REFERENCES orgs(id), purpose TEXT NOT NULL, model TEXT,
  channel TEXT NOT NULL REFERENCES orgs(id), expires_at TEXT NOT NULL, revoked_at TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS consents_by_bank ON consents (bank, subject);
CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, requester TEXT NOT NULL, mode TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL,
  record TEXT NOT NULL, ledger_seq INTEGER, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budget (org TEXT NOT NULL, dataset TEXT NOT NULL, spent INTEGER NOT NULL, PRIMARY KEY (org, dataset));
CREATE TABLE IF NOT EXISTS answers (org TEXT NOT NULL, question TEXT NOT NULL, run TEXT NOT NULL, PRIMARY KEY (org, question));
CREATE TABLE IF NOT EXISTS cohorts (org TEXT NOT NULL, dataset TEXT NOT NULL, members BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bank_keys (id TEXT PRIMARY KEY, bank TEXT NOT NULL REFERENCES orgs(id), key BLOB NOT NULL, digest TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spend (entity TEXT NOT NULL, lineage TEXT NOT NULL, spent INTEGER NOT NULL, PRIMARY KEY (entity, lineage));
CREATE TABLE IF NOT EXISTS merchant_spend (lineage TEXT NOT NULL, atom INTEGER NOT NULL, spent INTEGER NOT NULL, PRIMARY KEY (lineage, atom));
CREATE TABLE IF NOT EXISTS released_cohorts (entity TEXT NOT NULL, lineage TEXT NOT NULL, atoms TEXT NOT NULL, PRIMARY KEY (entity, lineage, atoms));
CREATE TABLE IF NOT EXISTS model_failures (model TEXT NOT NULL, run TEXT NOT NULL, code TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS encrypted_quota (bank TEXT NOT NULL, subject TEXT NOT NULL, model TEXT NOT NULL, day TEXT NOT NULL, run TEXT NOT NULL, PRIMARY KEY (bank, subject, model, day));
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE TABLE IF NOT EXISTS merchant_channels (subject TEXT PRIMARY KEY, channel TEXT NOT NULL, since TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subject_results (bank TEXT NOT NULL, subject TEXT NOT NULL, model TEXT NOT NULL, day TEXT NOT NULL, result TEXT NOT NULL,
  PRIMARY KEY (bank, subject, model, day));
-- webhooks (sandbox/webhooks/): endpoints, one delivery per event and endpoint, each attempt
CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, org TEXT NOT NULL REFERENCES orgs(id), url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
  created_at TEXT NOT NULL, deleted_at TEXT);
CREATE TABLE IF NOT EXISTS webhook_deliveries (id TEXT PRIMARY KEY, endpoint TEXT NOT NULL REFERENCES webhooks(id), org TEXT NOT NULL, event TEXT NOT NULL,
  payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, due_at TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT);
CREATE INDEX IF NOT EXISTS webhooks_by_org ON webhooks (org);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, due_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_org ON webhook_deliveries (org, created_at, id);
CREATE TABLE IF NOT EXISTS webhook_attempts (delivery TEXT NOT NULL REFERENCES webhook_deliveries(id), n INTEGER NOT NULL, at TEXT NOT NULL, status INTEGER, error TEXT,
  duration_ms INTEGER NOT NULL, PRIMARY KEY (delivery, n));
-- keyset pages of the list routes (sandbox/lists.ts): newest first, per owner
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at, id);
CREATE INDEX IF NOT EXISTS runs_by_requester ON runs (requester, created_at, id);
CREATE INDEX IF NOT EXISTS runs_by_model ON runs (model, created_at, id);
CREATE INDEX IF NOT EXISTS runs_by_mode ON runs (mode, created_at, id);
CREATE INDEX IF NOT EXISTS runs_by_status_time ON runs (status, created_at, id);
CREATE INDEX IF NOT EXISTS orgs_by_time ON orgs (created_at, id);
CREATE INDEX IF NOT EXISTS models_by_provider ON models (provider, created_at, id);
CREATE INDEX IF NOT EXISTS access_by_bank ON access (bank, created_at, id);
CREATE INDEX IF NOT EXISTS access_by_model ON access (model, created_at, id);
CREATE INDEX IF NOT EXISTS consents_by_channel ON consents (channel, created_at, id);
CREATE INDEX IF NOT EXISTS bank_keys_by_bank ON bank_keys (bank, created_at, id);
`;

/** Columns added after the first release, for state files created before them. */
const ADDED_COLUMNS = [
  'ALTER TABLE runs ADD COLUMN available_at TEXT',
  'ALTER TABLE models ADD COLUMN cost_micros REAL',
  'ALTER TABLE access ADD COLUMN terms TEXT',
  // two-stage approval (sandbox/models.ts): 'evaluation' or 'production', null until approved
  'ALTER TABLE models ADD COLUMN stage TEXT',
  // API key rotation (sandbox/orgs.ts): the end of a rotated key's grace, a reissue's revocation
  'ALTER TABLE api_keys ADD COLUMN expires_at TEXT',
  'ALTER TABLE api_keys ADD COLUMN revoked_at TEXT',
  // the reason of the regulator's last decision on an organisation (reject, suspend, reinstate)
  'ALTER TABLE orgs ADD COLUMN reason TEXT',
  // the dataset version a cohort was first released on (the overlap rule across versions)
  'ALTER TABLE released_cohorts ADD COLUMN version TEXT',
];
/**
 * Data written before the columns above: a model approved under the one-stage rule was open
 * to banks, so it is in production (idempotent: only rows with no stage yet).
 */
const STAGE_BACKFILL = "UPDATE models SET stage = 'production' WHERE stage IS NULL AND approved_digest IS NOT NULL";
/** Indexes on added columns: created once the columns are there. */
const ADDED_INDEXES = 'CREATE INDEX IF NOT EXISTS runs_by_available ON runs (available_at);';

/**
 * Counters of the regulator's overview (sandbox/overview.ts), kept by triggers on every
 * write to runs, so that the overview reads a few rows instead of scanning every run:
 * runs by mode and status, and refusals by rule (each FAIL decision and the error code of
 * a denied or failed run, counted once, when the run enters that status).
 */
const COUNTERS = `
CREATE TABLE IF NOT EXISTS run_counts (mode TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (mode, status));
CREATE TABLE IF NOT EXISTS denial_counts (rule TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS runs_count_insert AFTER INSERT ON runs BEGIN
  INSERT INTO run_counts (mode, status, n) VALUES (new.mode, new.status, 1) ON CONFLICT (mode, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS runs_count_update AFTER UPDATE OF mode, status ON runs WHEN old.mode IS NOT new.mode OR old.status IS NOT new.status BEGIN
  UPDATE run_counts SET n = n - 1 WHERE mode = old.mode AND status = old.status;
  INSERT INTO run_counts (mode, status, n) VALUES (new.mode, new.status, 1) ON CONFLICT (mode, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS runs_denials_insert AFTER INSERT ON runs WHEN new.status IN ('denied', 'failed') AND json_valid(new.record) BEGIN
  INSERT INTO denial_counts (rule, n) SELECT json_extract(d.value, '$.rule'), 1 FROM json_each(new.record, '$.decisions') d
    WHERE json_extract(d.value, '$.status') = 'FAIL' AND json_type(d.value, '$.rule') = 'text' ON CONFLICT (rule) DO UPDATE SET n = n + 1;
  INSERT INTO denial_counts (rule, n) SELECT json_extract(new.record, '$.error.code'), 1 WHERE json_type(new.record, '$.error.code') = 'text' ON CONFLICT (rule) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS runs_denials_update AFTER UPDATE OF status ON runs WHEN new.status IN ('denied', 'failed') AND old.status NOT IN ('denied', 'failed') AND json_valid(new.record) BEGIN
  INSERT INTO denial_counts (rule, n) SELECT json_extract(d.value, '$.rule'), 1 FROM json_each(new.record, '$.decisions') d
    WHERE json_extract(d.value, '$.status') = 'FAIL' AND json_type(d.value, '$.rule') = 'text' ON CONFLICT (rule) DO UPDATE SET n = n + 1;
  INSERT INTO denial_counts (rule, n) SELECT json_extract(new.record, '$.error.code'), 1 WHERE json_type(new.record, '$.error.code') = 'text' ON CONFLICT (rule) DO UPDATE SET n = n + 1;
END;
`;

/** Fills the counters from the runs already there (a state file made before them): once. */
const BACKFILL = `
INSERT INTO run_counts (mode, status, n) SELECT mode, status, count(*) FROM runs GROUP BY mode, status;
INSERT INTO denial_counts (rule, n) SELECT rule, count(*) FROM (
  SELECT json_extract(d.value, '$.rule') AS rule FROM runs r, json_each(r.record, '$.decisions') d
    WHERE r.status IN ('denied', 'failed') AND json_valid(r.record) AND json_extract(d.value, '$.status') = 'FAIL' AND json_type(d.value, '$.rule') = 'text'
  UNION ALL
  SELECT json_extract(r.record, '$.error.code') FROM runs r WHERE r.status IN ('denied', 'failed') AND json_valid(r.record) AND json_type(r.record, '$.error.code') = 'text'
) GROUP BY rule;
`;

export function migrate(db: Db): void {
  db.exec(STATE_SCHEMA);
  const hadCounters = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_counts'").get() !== undefined;
  db.transaction(() => {
    db.exec(COUNTERS);
    if (!hadCounters) db.exec(BACKFILL);
  })();
  for (const sql of ADDED_COLUMNS) {
    try {
      db.exec(sql);
    } catch {
      // the column is there already
    }
  }
  db.exec(ADDED_INDEXES);
  db.exec(STAGE_BACKFILL);
}

/** A random identifier with a readable prefix. */
export function newId(prefix: string): string {
  return `${prefix}_${randomId(12, 'base64url')}`;
}

export type OrgKind = 'fintech' | 'bank' | 'channel' | 'regulator';
export type OrgStatus = 'pending' | 'admitted' | 'suspended' | 'rejected';

export interface Org {
  id: string;
  name: string;
  kind: OrgKind;
  uscc: string;
  status: OrgStatus;
}

export type ModelStatus = 'vetted' | 'vetting_failed' | 'approved' | 'rejected' | 'revoked' | 'suspended';

/** A models row as read back from the file: parsed at the door (modelRow), trusted after. */
export const modelRowSchema = z.object({
  id: z.string(),
  provider: z.string(),
  digest: z.string(),
  manifest: z.string(),
  source: z.string(),
  status: z.enum(['vetted', 'vetting_failed', 'approved', 'rejected', 'revoked', 'suspended']),
  report: z.string(),
  approved_digest: z.string().nullable(),
  policy: z.string().nullable(),
  expires_at: z.string().nullable(),
  note: z.string().nullable(),
  created_at: z.string(),
  cost_micros: z.number().nullable(),
  stage: z.enum(['evaluation', 'production']).nullable(),
});

/** A runs row as read back from the file. */
export const runRowSchema = z.object({
  requester: z.string(),
  mode: z.enum(['aggregate', 'subjects', 'encrypted']),
  status: z.enum(['running', 'released', 'denied', 'failed', 'interrupted']),
  record: z.string(),
  seq: z.number().int().nullable(),
  created_at: z.string(),
  available_at: z.string().nullable(),
});

/** Parses a models row at the door; a row that does not parse is not the platform's (INTERNAL_ERROR). */
export function modelRow(raw: unknown): ModelRow {
  return modelRowSchema.parse(raw) as ModelRow;
}

export interface ModelRow {
  id: string;
  provider: string;
  digest: string;
  manifest: string;
  source: string;
  status: ModelStatus;
  report: string;
  approved_digest: string | null;
  policy: string | null;
  expires_at: string | null;
  note: string | null;
  created_at: string;
  /** CPU per row in a hardened batch, measured at vetting (us); deadlines are computed from it. */
  cost_micros: number | null;
  /** The approval's stage: evaluation (backtests by the provider and the regulator) or production (banks too). */
  stage: ApprovalStage | null;
}

export type ApprovalStage = 'evaluation' | 'production';
