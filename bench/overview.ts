// GET /v1/regulator/overview at scale: with 1,000,000 runs in a temporary state database,
// the overview as served (counters kept by triggers, sandbox/state.ts) against the baseline
// measured in the same run: the scan it replaced (a GROUP BY over every run and a JSON
// parse of every denied or failed run's record). Also the cost the triggers add to writes.
// Usage: npm run build && node dist/bench/overview.js [rows]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../core/sqlite.js';
import { overview } from '../sandbox/overview.js';
import type { RunCtx } from '../sandbox/run/pipeline.js';
import { migrate } from '../sandbox/state.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-overview-'));

const modes = ['aggregate', 'subjects', 'encrypted'] as const;
const statuses = ['released', 'released', 'released', 'denied', 'failed'] as const;
const rules = ['sdc:k-min', 'dp:budget', 'dp:merchant-cap', 'overlap:differencing'];

function fill(db: Db, n: number, offset = 0): number {
  const t0 = process.hrtime.bigint();
  db.transaction(() => {
    const run = db.prepare('INSERT INTO runs (id, requester, mode, model, status, record, ledger_seq, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let i = offset; i < offset + n; i++) {
      const at = new Date(base + i * 20).toISOString();
      const status = statuses[i % statuses.length] as string;
      const mode = modes[i % 3] as string;
      const decisions = [{ rule: 'consent:valid', status: 'PASS' }, ...(status === 'denied' ? [{ rule: rules[i % rules.length], status: 'FAIL' }] : [])];
      const record = { runId: `run_${i}`, status, mode, decisions, result: { count: 100 }, ...(status === 'failed' ? { error: { code: 'RUN_FAILED' } } : {}) };
      run.run(`run_${String(i).padStart(8, '0')}`, `org_${(i * 7) % 100}`, mode, `mdl_${i % 20}`, status, JSON.stringify(record), i, at, at);
    }
  })();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The overview's runs and refusals as computed before the counters: every run read. */
function byScan(db: Db) {
  const runs = Object.fromEntries((db.prepare("SELECT mode || ':' || status AS k, count(*) AS n FROM runs GROUP BY mode, status").all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
  const denialsByRule: Record<string, number> = {};
  for (const rec of db.prepare("SELECT record FROM runs WHERE status IN ('denied', 'failed')").pluck().all() as string[]) {
    const run = JSON.parse(rec) as { decisions?: { rule: string; status: string }[]; error?: { code: string } };
    for (const d of run.decisions ?? []) if (d.status === 'FAIL') denialsByRule[d.rule] = (denialsByRule[d.rule] ?? 0) + 1;
    if (run.error) denialsByRule[run.error.code] = (denialsByRule[run.error.code] ?? 0) + 1;
  }
  return { runs, denialsByRule };
}

function median(repeat: number, fn: () => unknown): { ms: number; value: unknown } {
  let value: unknown = fn();
  const times: number[] = [];
  for (let k = 0; k < repeat; k++) {
    const s = process.hrtime.bigint();
    value = fn();
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, value };
}

const db = openDatabase(path.join(dir, 'platform.sqlite'));
migrate(db);
const insertMs = fill(db, rows);
const ctx = {
  db,
  ledger: { size: () => rows, latestCheckpoint: () => ({ size: rows }) },
  executor: { posture: { mode: 'bench' } },
  policy: { policy: { budget: { perOrganisationMicros: 1, perMerchantCapMicros: 1 } } },
} as unknown as RunCtx;

const served = median(20, () => overview(ctx));
const scanned = median(3, () => byScan(db));
const a = served.value as { runs: unknown; denialsByRule: unknown };
const b = scanned.value as { runs: unknown; denialsByRule: unknown };
const same = JSON.stringify(a.runs) === JSON.stringify(Object.fromEntries(Object.entries(b.runs as object).sort())) && JSON.stringify(a.denialsByRule) === JSON.stringify(Object.fromEntries(Object.entries(b.denialsByRule as object).sort()));

// the write cost of the triggers: 100,000 runs inserted into a fresh file with and without them
const writes = Math.min(rows, 100_000);
const withDb = openDatabase(path.join(dir, 'with.sqlite'));
migrate(withDb);
const withMs = fill(withDb, writes);
const withoutDb = openDatabase(path.join(dir, 'without.sqlite'));
migrate(withoutDb);
withoutDb.exec('DROP TRIGGER runs_count_insert; DROP TRIGGER runs_count_update; DROP TRIGGER runs_denials_insert; DROP TRIGGER runs_denials_update;');
const withoutMs = fill(withoutDb, writes);

console.log(`${rows} runs inserted in ${(insertMs / 1000).toFixed(1)} s`);
console.log(`overview (counters), median of 20     ${served.ms.toFixed(2).padStart(9)} ms`);
console.log(`baseline: scan of every run, median of 3 ${scanned.ms.toFixed(1).padStart(7)} ms   ratio ${(scanned.ms / served.ms).toFixed(0)}x   same counts: ${same}`);
console.log(`writes: ${writes} runs inserted with the triggers ${withMs.toFixed(0)} ms, without ${withoutMs.toFixed(0)} ms   ratio ${(withMs / withoutMs).toFixed(2)}x`);
for (const d of [db, withDb, withoutDb]) d.close();
fs.rmSync(dir, { recursive: true, force: true });
if (!same) process.exit(1);
