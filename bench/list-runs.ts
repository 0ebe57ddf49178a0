// GET /v1/runs at scale: first-page latency of the list with 1,000,000 runs in a temporary
// state database, with the list indexes of sandbox/state.ts and (baseline) without them.
// Usage: npm run build && node dist/bench/list-runs.js [rows]
//        node dist/bench/list-runs.js [rows] --data DIR   only inserts the rows into the state of
//        a data directory made by `dfix init`, to time GET /v1/runs over HTTP on a real server
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { openDatabase } from '../core/sqlite.js';
import type { Ctx } from '../sandbox/context.js';
import { listRuns } from '../sandbox/lists.js';
import { migrate, type Org } from '../sandbox/state.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const dataFlag = process.argv.indexOf('--data');
const target = dataFlag > 0 ? process.argv[dataFlag + 1] : undefined;
const dir = target ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-list-runs-'));
const db = openDatabase(path.join(dir, 'platform.sqlite'));
migrate(db);
const ctx = { db, now: () => new Date('2027-01-01T00:00:00Z') } as unknown as Ctx;

const orgs = Array.from({ length: 100 }, (_, i) => `org_${String(i).padStart(3, '0')}`);
const models = Array.from({ length: 20 }, (_, i) => `mdl_${String(i).padStart(3, '0')}`);
const modes = ['aggregate', 'subjects', 'encrypted'] as const;
const statuses = ['released', 'released', 'released', 'denied', 'failed'] as const;
const t0 = Date.now();
db.transaction(() => {
  const org = db.prepare('INSERT INTO orgs (id, name, kind, uscc, status, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  for (const o of orgs) org.run(o, `Bank ${o}`, 'bank', o, 'admitted', '2026-01-01T00:00:00.000Z');
  const model = db.prepare("INSERT INTO models (id, provider, digest, manifest, source, status, report, created_at) VALUES (?, ?, 'd', ?, '', 'approved', '{}', ?)");
  for (const m of models) model.run(m, orgs[0], JSON.stringify({ name: `model ${m}` }), '2026-01-01T00:00:00.000Z');
  const run = db.prepare('INSERT INTO runs (id, requester, mode, model, status, record, ledger_seq, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < rows; i++) {
    const at = new Date(base + i * 20).toISOString();
    const status = statuses[i % statuses.length] as string;
    const mode = modes[i % 3] as string;
    run.run(`run_${String(i).padStart(8, '0')}`, orgs[(i * 7) % orgs.length], mode, models[i % models.length], status, JSON.stringify({ status, mode, decisions: [{ rule: 'sdc:k-min', status: 'PASS' }], result: { count: 100 } }), i, at, at);
  }
})();
const insertMs = Date.now() - t0;
if (target) {
  console.log(`${rows} runs inserted into ${target} in ${(insertMs / 1000).toFixed(1)} s`);
  db.close();
  process.exit(0);
}

const regulator = { id: 'reg', kind: 'regulator' } as Org;
const bank = { id: 'org_042', kind: 'bank' } as Org;
const cases: [string, Org, Parameters<typeof listRuns>[2]][] = [
  ['regulator, first page (50)', regulator, {}],
  ['regulator, first page (200)', regulator, { limit: 200 }],
  ['bank, own runs, first page', bank, {}],
  ['regulator, ?mode=subjects&status=released', regulator, { mode: 'subjects', status: 'released' }],
  ['regulator, ?status=denied', regulator, { status: 'denied' }],
  ['regulator, ?status=interrupted (none)', regulator, { status: 'interrupted' }],
  ['regulator, ?status=running (none)', regulator, { status: 'running' }],
  ['regulator, ?model=', regulator, { model: 'mdl_007' }],
  ['regulator, ?org=&from=&to=', regulator, { org: 'org_042', from: '2026-01-01T01:00:00Z', to: '2026-01-01T02:00:00Z' }],
];

function measure(repeat: number): { name: string; ms: number; items: number }[] {
  return cases.map(([name, org, q]) => {
    listRuns(ctx, org, q); // prepare the statement
    const times: number[] = [];
    let items = 0;
    for (let k = 0; k < repeat; k++) {
      const s = process.hrtime.bigint();
      const page = listRuns(ctx, org, q);
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
      items = page.items.length;
      // the next page through the cursor, as a client would
      if (k === 0 && page.nextCursor) listRuns(ctx, org, { ...q, cursor: page.nextCursor });
    }
    times.sort((a, b) => a - b);
    return { name, ms: times[Math.floor(times.length / 2)] as number, items };
  });
}

const withIndexes = measure(20);
for (const ix of ['runs_by_time', 'runs_by_requester', 'runs_by_model', 'runs_by_mode', 'runs_by_status_time', 'runs_by_available']) db.exec(`DROP INDEX ${ix}`);
const baseline = measure(3);
console.log(`${rows} runs inserted in ${(insertMs / 1000).toFixed(1)} s; median of 20 first pages (baseline: of 3):`);
for (const [i, w] of withIndexes.entries()) {
  const b = baseline[i] as { ms: number };
  console.log(`${w.name.padEnd(46)} ${w.ms.toFixed(2).padStart(8)} ms (${w.items} items)   without the list indexes ${b.ms.toFixed(1).padStart(8)} ms   ratio ${(b.ms / w.ms).toFixed(0)}x`);
}
db.close();
fs.rmSync(dir, { recursive: true, force: true });
