// Vault benchmarks: seeding and projection at a million merchants.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../core/sqlite.js';
import { Vault } from '../datasets/store.js';
import { figure, timeMedian, type Figure } from './report.js';
import type { BenchContext } from './context.js';

const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tasks.js');

function child(task: string, dir: string, subjects: number): Promise<{ ms: number; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const p = fork(TASKS, [task, dir, String(subjects)], { stdio: 'inherit', execArgv: [] });
    let result: { ms: number; maxRssMb: number } | undefined;
    p.on('message', (m) => (result = m as { ms: number; maxRssMb: number }));
    p.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`${task} exited ${code}`))));
  });
}

/** Seeding: merchants per second, against generating the same merchants without storing them. */
export async function benchSeed(ctx: BenchContext): Promise<Figure[]> {
  const n = ctx.subjects;
  const seed = await child('seed', ctx.dir, n);
  ctx.vaultReady = true;
  const gen = await child('generate', ctx.dir, n);
  return [
    figure(`data.seed.${n}`, (n / seed.ms) * 1000, 'merchants/s', (n / gen.ms) * 1000, 'baseline: generation alone, no storage'),
    figure(`data.seed.${n}.wall`, seed.ms / 1000, 's', gen.ms / 1000, 'target under 180 s at 1,000,000'),
    figure(`data.seed.${n}.peak-rss`, seed.maxRssMb, 'MiB', gen.maxRssMb, 'target under 2048 MiB; baseline: generation alone'),
  ];
}

export const PROJECTION_FIELDS = [
  'business_age_months', 'tax_credit_rating', 'tax_sales_growth_yoy', 'zero_filing_months_12m', 'late_filing_count_24m',
  'enforcement_cases_active', 'lawsuits_defendant_36m', 'elec_late_payments_24m', 'si_arrears_months_24m',
  'rent_late_months_12m', 'annual_report_filed',
];

/** Projection of 11 fields for every merchant, against iterating a plain SELECT of the same columns. */
export async function benchProjection(ctx: BenchContext): Promise<Figure[]> {
  await ctx.ensureVault();
  const vault = Vault.open(path.join(ctx.dir, 'vault.sqlite'));
  const k = PROJECTION_FIELDS.length;
  const n = vault.info.subjects;
  let sink = 0;
  const proj = timeMedian(3, () => {
    sink += vault.project(PROJECTION_FIELDS, null).data[7] ?? 0;
  });
  // The floor: the same columns as an ordinary row table, read with one SELECT.
  const flat = vault.project(PROJECTION_FIELDS, null).data;
  vault.close();
  const plainFile = path.join(ctx.dir, 'plain.sqlite');
  const db = openDatabase(plainFile, { bulk: true });
  db.exec(`DROP TABLE IF EXISTS t; CREATE TABLE t (${PROJECTION_FIELDS.map((f) => `${f} REAL`).join(', ')})`);
  const ins = db.prepare(`INSERT INTO t VALUES (${PROJECTION_FIELDS.map(() => '?').join(', ')})`);
  db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run(...Array.from(flat.subarray(i * k, i * k + k), (v) => (Number.isNaN(v) ? null : v)));
  })();
  const select = db.prepare(`SELECT ${PROJECTION_FIELDS.join(', ')} FROM t`).raw();
  const floor = timeMedian(3, () => {
    const out = new Float64Array(n * k);
    let o = 0;
    for (const row of select.iterate() as Iterable<(number | null)[]>) for (const v of row) out[o++] = v ?? NaN;
    sink += out[7] ?? 0;
  });
  db.close();
  if (sink === 0.5) console.log('');
  return [figure(`data.project.${k}x${n}`, proj, 'ms', floor, 'baseline: iterate a plain SELECT of the same columns; target under 1500 ms')];
}
