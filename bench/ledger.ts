// Ledger benchmarks: appends in the state change's transaction, proofs and full
// verification at 1,000,000 entries.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../core/sqlite.js';
import { newSigner } from '../ledger/keys.js';
import { Ledger } from '../ledger/log.js';
import { audit, parseExport } from '../ledger/verify.js';
import type { BenchContext } from './context.js';
import { figure, timeMedian, type Figure } from './report.js';

const ORIGIN = 'dfix-bench/ledger';

function runEntry(i: number) {
  return { run: `run-${i}`, output: `sha256:${(i * 2654435761 >>> 0).toString(16).padStart(64, '0')}`, decisions: [{ rule: 'policy:k-min', status: 'PASS' }], budget: 100 };
}

export async function benchLedger(ctx: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  const signer = newSigner(ORIGIN);

  // 1. appends, each in its own transaction with a state change, against the state change alone
  {
    const db = openDatabase(path.join(ctx.dir, 'append.sqlite'));
    db.exec('CREATE TABLE runs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, model TEXT NOT NULL)');
    const ledger = new Ledger(db, signer, { origin: ORIGIN });
    const insert = db.prepare('INSERT INTO runs (state, model) VALUES (?, ?)');
    const n = 20_000;
    const withLedger = db.transaction((i: number) => {
      insert.run('released', 'm');
      ledger.append('run.released', 'org-1', runEntry(i));
    });
    const stateOnly = db.transaction(() => insert.run('released', 'm'));
    let t = performance.now();
    for (let i = 0; i < n; i++) withLedger(i);
    const appendMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < n; i++) stateOnly();
    const baseMs = performance.now() - t;
    db.close();
    figures.push(figure('ledger.append', (n / appendMs) * 1000, 'appends/s', (n / baseMs) * 1000, 'one transaction per append with its state change (WAL, synchronous=NORMAL); baseline: the state change alone; target 5,000 or more'));
  }

  // 2. a log of ctx.subjects entries: proofs
  const size = ctx.subjects;
  const file = path.join(ctx.dir, 'big.sqlite');
  const db = openDatabase(file);
  const ledger = new Ledger(db, signer, { origin: ORIGIN });
  const build = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) ledger.append('run.released', 'org-1', runEntry(i));
  });
  const tb = performance.now();
  for (let i = 1; i < size; i += 10_000) build(i, Math.min(size, i + 10_000));
  const buildMs = performance.now() - tb;
  ledger.checkpoint();
  figures.push(figure(`ledger.build.${size}`, (size / buildMs) * 1000, 'appends/s', null, 'batched 10,000 per transaction, to build the log for the figures below'));
  let seed = 12345;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const lookup = db.prepare('SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = ?').pluck();
  const floor = timeMedian(2001, () => lookup.get(rand(size))) ;
  const inclusion = timeMedian(2001, () => ledger.inclusion(rand(size), size));
  const consistency = timeMedian(2001, () => ledger.consistency(1 + rand(size - 1), size));
  figures.push(
    figure(`ledger.proof.inclusion.${size}`, inclusion, 'ms', floor, 'median of 2,001 random indexes; baseline: one node lookup; target under 1 ms'),
    figure(`ledger.proof.consistency.${size}`, consistency, 'ms', floor, 'median of 2,001 random sizes; baseline: one node lookup; target under 1 ms'),
  );

  // 3. full verification of the export, against SHA-256 alone over the same bytes
  const text = [...ledger.exportLines()].join('\n');
  const genesisKey = ledger.genesisKey;
  db.close();
  const t0 = performance.now();
  const report = audit({ export: parseExport(text), genesisKey, origin: ORIGIN });
  const verifyMs = performance.now() - t0;
  if (!report.ok) throw new Error('the benchmark log does not verify');
  const t1 = performance.now();
  let start = 0;
  for (let i = 0; i < size; i++) {
    const end = text.indexOf('\n', start);
    createHash('sha256').update(text.slice(start, end < 0 ? undefined : end)).digest();
    start = end + 1;
  }
  const hashMs = performance.now() - t1;
  figures.push(
    figure(`ledger.verify.${size}`, verifyMs / 1000, 's', hashMs / 1000, 'full audit of the export; baseline: SHA-256 alone over each line; target under 15 s at 1,000,000'),
    figure(`ledger.verify.${size}.rate`, (size / verifyMs) * 1000, 'entries/s', (size / hashMs) * 1000, 'the same, as a rate'),
  );
  fs.rmSync(file, { force: true });
  return figures;
}
