// What a webhook costs a run on its request path: begin()'s transaction (the run row and the
// run.requested ledger entry, the baseline, measured in the same run) against the same with
// the run.available event recorded, for an organisation with no endpoint and with three
// endpoints asking for it. The sending itself is off the request path (the dispatcher).
// Usage: npm run build && node dist/bench/webhook-emit.js [runs]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { loadPolicy } from '../policies/policy.schema.js';
import type { Ctx } from '../sandbox/context.js';
import { openPlatformState } from '../sandbox/platform.js';
import { migrate, newId } from '../sandbox/state.js';
import { emit } from '../sandbox/webhooks/events.js';

const runs = Number(process.argv[2] ?? 5_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-webhook-emit-'));
const state = openPlatformState(resolveConfig({ dataDir: dir }, {}));
migrate(state.db);
const ctx = { db: state.db, ledger: state.ledger, policy: loadPolicy(), now: () => new Date() } as unknown as Ctx;
const at = new Date().toISOString();
for (const org of ['org_none', 'org_three']) state.db.prepare("INSERT INTO orgs (id, name, kind, uscc, status, created_at) VALUES (?, ?, 'bank', '', 'admitted', ?)").run(org, org, at);
for (let i = 0; i < 3; i++)
  state.db.prepare('INSERT INTO webhooks (id, org, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(`whk_${i}`, 'org_three', 'https://bank.example.com/h', '["run.available"]', 'whsec_x', at);

const insert = state.db.prepare("INSERT INTO runs (id, requester, mode, model, status, record, created_at, available_at) VALUES (?, ?, 'subjects', 'mdl_x', 'running', '{}', ?, ?)");
function begin(org: string, withEvent: boolean): void {
  const id = newId('run');
  const now = new Date();
  state.db.transaction(() => {
    insert.run(id, org, now.toISOString(), now.toISOString());
    ctx.ledger.append('run.requested', org, { run: id, mode: 'subjects', model: 'mdl_x', digest: 'sha256:x', dataset: 'd', policy: 'p', request: 'r' });
    if (withEvent) emit(ctx, 'run.available', [org], { run: id, mode: 'subjects', model: 'mdl_x', availableAt: now.toISOString() }, now);
  })();
}
/** One timed batch of `n` runs (us per run). */
function batch(f: () => void, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t0) * 1000) / n;
}
const variants: [string, () => void][] = [
  ['baseline: run row + run.requested', () => begin('org_none', false)],
  ['+ run.available, no endpoint', () => begin('org_none', true)],
  ['+ run.available, 3 endpoints (3 deliveries)', () => begin('org_three', true)],
];
for (const [, f] of variants) batch(f, 200); // warm
// interleaved rounds, so that load on a shared machine falls on every variant alike; the median round
const ROUNDS = 9;
const samples = variants.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) variants.forEach(([, f], i) => samples[i]!.push(batch(f, Math.ceil(runs / ROUNDS))));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const us = samples.map(median);
variants.forEach(([label], i) => console.log(`${label.padEnd(44)} ${us[i]!.toFixed(1)} us/run (median of ${ROUNDS} rounds)`));
console.log(`ratio against the baseline: no endpoint ${(us[1]! / us[0]!).toFixed(2)}x, 3 endpoints ${(us[2]! / us[0]!).toFixed(2)}x`);
state.close();
fs.rmSync(dir, { recursive: true, force: true });
