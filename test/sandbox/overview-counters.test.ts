// The overview's counters (sandbox/state.ts triggers) agree with a full scan of the runs
// table after inserts, closes and recoveries, and are filled once for a state file made
// before them.
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../core/sqlite.js';
import { migrate } from '../../sandbox/state.js';

/** What the overview used to compute by reading every run. */
function scan(db: Db) {
  const runs: Record<string, number> = {};
  for (const r of db.prepare('SELECT mode, status, count(*) AS n FROM runs GROUP BY mode, status').all() as { mode: string; status: string; n: number }[]) runs[`${r.mode}:${r.status}`] = r.n;
  const denials: Record<string, number> = {};
  for (const rec of db.prepare("SELECT record FROM runs WHERE status IN ('denied', 'failed')").pluck().all() as string[]) {
    const run = JSON.parse(rec) as { decisions?: { rule: string; status: string }[]; error?: { code: string } };
    for (const d of run.decisions ?? []) if (d.status === 'FAIL') denials[d.rule] = (denials[d.rule] ?? 0) + 1;
    if (run.error) denials[run.error.code] = (denials[run.error.code] ?? 0) + 1;
  }
  return { runs, denials };
}

function counters(db: Db) {
  const runs = Object.fromEntries((db.prepare("SELECT mode || ':' || status AS k, n FROM run_counts WHERE n > 0").all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
  const denials = Object.fromEntries((db.prepare('SELECT rule AS k, n FROM denial_counts WHERE n > 0').all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
  return { runs, denials };
}

const insert = (db: Db, id: string, mode: string, status: string, record: unknown) =>
  db.prepare('INSERT INTO runs (id, requester, mode, model, status, record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(id, 'org_a', mode, 'mdl_a', status, JSON.stringify(record), new Date().toISOString());
const close = (db: Db, id: string, status: string, record: unknown) => db.prepare('UPDATE runs SET status = ?, record = ?, ledger_seq = 1 WHERE id = ?').run(status, JSON.stringify(record), id);

describe('overview counters', () => {
  it('follow every insert and status change, as a scan would count them', () => {
    const db = openDatabase(':memory:');
    migrate(db);
    const kMin = { status: 'denied', decisions: [{ rule: 'sdc:k-min', status: 'FAIL' }, { rule: 'dp:budget', status: 'PASS' }] };
    insert(db, 'r1', 'aggregate', 'running', {});
    insert(db, 'r2', 'aggregate', 'running', {});
    insert(db, 'r3', 'subjects', 'running', {});
    insert(db, 'r4', 'encrypted', 'running', {});
    expect(counters(db).runs).toEqual({ 'aggregate:running': 2, 'subjects:running': 1, 'encrypted:running': 1 });
    close(db, 'r1', 'denied', kMin);
    close(db, 'r2', 'failed', { status: 'failed', decisions: [{ rule: 'dp:budget', status: 'FAIL' }], error: { code: 'RUN_FAILED' } });
    close(db, 'r3', 'released', { status: 'released', decisions: [{ rule: 'consent:valid', status: 'PASS' }] });
    // a record rewritten without a status change counts nothing twice
    db.prepare('UPDATE runs SET record = record WHERE id = ?').run('r1');
    // a run inserted closed (a restore, a bench) counts too
    insert(db, 'r5', 'aggregate', 'denied', kMin);
    db.prepare("UPDATE runs SET status = 'interrupted', record = ? WHERE id = 'r4'").run(JSON.stringify({ status: 'interrupted', error: { code: 'RUN_INTERRUPTED' } }));
    expect(counters(db)).toEqual(scan(db));
    expect(counters(db).denials).toEqual({ 'sdc:k-min': 2, 'dp:budget': 1, RUN_FAILED: 1 });
    expect(counters(db).runs).toEqual({ 'aggregate:denied': 2, 'aggregate:failed': 1, 'subjects:released': 1, 'encrypted:interrupted': 1 });
  });

  it('are filled once from the runs of a state file made before them', () => {
    const db = openDatabase(':memory:');
    migrate(db);
    db.exec('DROP TRIGGER runs_count_insert; DROP TRIGGER runs_count_update; DROP TRIGGER runs_denials_insert; DROP TRIGGER runs_denials_update; DROP TABLE run_counts; DROP TABLE denial_counts;');
    for (let i = 0; i < 30; i++) insert(db, `r${i}`, ['aggregate', 'subjects'][i % 2] as string, ['released', 'denied', 'failed'][i % 3] as string, { decisions: [{ rule: `rule-${i % 4}`, status: i % 5 ? 'FAIL' : 'PASS' }], ...(i % 7 ? {} : { error: { code: 'RUN_FAILED' } }) });
    migrate(db);
    expect(counters(db)).toEqual(scan(db));
    expect(Object.keys(counters(db).denials).length).toBeGreaterThan(2);
    migrate(db); // again: not counted twice
    expect(counters(db)).toEqual(scan(db));
  });
});
