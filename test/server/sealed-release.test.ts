// A sealed release path (THREATS.md, "Smuggling data out through the shape of the answer",
// "Learning about individuals from aggregates"). Each attack asks one question in two
// worlds that differ only in one merchant's secret. Worlds are made with two versions of
// the hostile model that read the same merchant's value against two thresholds, one below
// it and one above: for the model, the secret bit differs. Everything that comes back is
// compared: status, decisions, codes, the time the answer becomes available, later answers.
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../core/config.js';
import { openDatabase } from '../../core/sqlite.js';
import { seedVault } from '../../datasets/store.js';
import { readPackage } from '../../models/package.js';
import { Platform } from '../../sandbox/platform.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { build } from '../../server/app.js';
import { Executor } from '../../workers/client.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

type Kind = 'regulator' | 'fintech' | 'fintech2' | 'bank' | 'channel';
let executor: Executor;
let dir: string;
let platform: Platform;
let app: FastifyInstance;
const keys: Partial<Record<Kind, string>> = {};
const ids: Partial<Record<Kind, string>> = {};

async function call(method: string, url: string, as: Kind | null, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const r = await app.inject({ method: method as 'GET', url, headers: as ? { authorization: `Bearer ${keys[as]}` } : {}, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, any> };
}

const manifest = () => JSON.parse(JSON.stringify(readPackage(REFERENCE).manifestJson)) as Record<string, unknown>;
async function approved(source: string): Promise<string> {
  const sub = await call('POST', '/v1/models', 'fintech', { manifest: manifest(), source });
  expect(sub.json.status, JSON.stringify(sub.json.report)).toBe('vetted');
  await call('POST', `/v1/models/${sub.json.id}/approve`, 'regulator', {});
  return sub.json.id as string;
}

/** Posts an aggregate run and polls until its answer is there; records when that happened. */
async function ask(modelId: string, cohort: Record<string, string>, statistics: string[], as: Kind = 'fintech') {
  const posted = await call('POST', '/v1/runs', as, { mode: 'aggregate', modelId, cohort, statistics });
  expect(posted.status, JSON.stringify(posted.json)).toBe(202);
  const availableAfter = Date.parse(posted.json.availableAt as string) - Date.parse(posted.json.requestedAt as string);
  const early: number[] = [];
  for (;;) {
    const r = await call('GET', `/v1/runs/${posted.json.runId as string}`, as);
    if (r.status === 200) return { posted, answer: r.json, availableAfter, early, seenAt: Date.now(), availableAt: Date.parse(posted.json.availableAt as string) };
    early.push(r.status);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** What must not differ between the worlds: everything but the noised values. */
function shape(a: Record<string, unknown>) {
  return {
    status: a.status,
    error: a.error ?? null,
    decisions: (a.decisions as { rule: string; status: string; action: string; params: unknown }[]).map((d) => [d.rule, d.status, d.action, JSON.stringify(d.params)]),
  };
}

// The target: one merchant of the cohort, found by a quasi-identifier no other merchant
// in the cohort shares (its registration date), and its secret: 12-month sales.
let target: { regDate: number; sales: number };
const COHORT = { district: 'loufeng' };

beforeAll(async () => {
  executor = await Executor.start();
  dir = tmpDir('dfix-sealed-');
  const config = resolveConfig({ dataDir: dir }, {});
  seedVault(config.vaultPath, { subjects: 1600, seed: 20240601 });
  platform = await Platform.open(config, { executor });
  app = await build({ platform });
  keys.regulator = (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
  // two fintechs of two legal entities: the two worlds of a comparison start from the same history
  for (const [i, kind] of (['fintech', 'bank', 'channel', 'fintech2'] as const).entries()) {
    const a = await call('POST', '/v1/orgs', null, { name: `${kind} org`, kind: kind === 'fintech2' ? 'fintech' : kind, uscc: strangerUscc(300 + i) });
    ids[kind] = a.json.id as string;
    keys[kind] = (await call('POST', `/v1/orgs/${a.json.id}/admit`, 'regulator')).json.apiKey as string;
  }
  const v = platform.ctx.vault;
  const cohort = v.cohort(COHORT);
  const p = v.project(['reg_date', 'tax_sales_total_12m'], cohort).data;
  const counts = new Map<number, number>();
  for (let i = 0; i < cohort.length; i++) counts.set(p[i * 2] as number, (counts.get(p[i * 2] as number) ?? 0) + 1);
  for (let i = 0; i < cohort.length; i++) {
    if (counts.get(p[i * 2] as number) === 1 && !Number.isNaN(p[i * 2 + 1] as number)) {
      target = { regDate: p[i * 2] as number, sales: p[i * 2 + 1] as number };
      break;
    }
  }
});
afterAll(async () => {
  await app.close();
  await platform.close();
  await executor.close();
  rmDir(dir);
});

/** A model that behaves in one way on the target when its secret is above `t`, normally elsewhere. */
function hostile(t: number, act: string): string {
  return `export function score(row) {
  const sales = row.tax_sales_total_12m === null ? 0 : row.tax_sales_total_12m;
  const age = row.business_age_months === null ? 0 : row.business_age_months;
  const base = 300 + 10 * Math.min(60, Math.floor(age / 6));
  if (row.reg_date === ${target.regDate} && sales > ${t}) { ${act} }
  return { score: base, reasons: [] };
}`;
}
function withInputs(source: string) {
  return { source, inputs: ['business_age_months', 'tax_sales_total_12m', 'reg_date'] };
}
async function approvedWith(t: number, act: string, as: Kind = 'fintech'): Promise<string> {
  const { source, inputs } = withInputs(hostile(t, act));
  const m = manifest();
  m.inputs = inputs;
  const sub = await call('POST', '/v1/models', as, { manifest: m, source });
  expect(sub.json.status, JSON.stringify(sub.json.report)).toBe('vetted');
  await call('POST', `/v1/models/${sub.json.id}/approve`, 'regulator', {});
  // The two worlds run the same model; here they are two copies vetted separately, whose
  // measured costs (public, from dummy rows) differ by measurement noise: give both one cost.
  platform.ctx.db.prepare('UPDATE models SET cost_micros = 5 WHERE id = ?').run(sub.json.id);
  return sub.json.id as string;
}

describe('the outcome of a run is not a channel', () => {
  it('off-lattice scores and undeclared reasons on the target give the same status, decisions and codes for either secret', async () => {
    const act = `return { score: 301 + (sales % 1024), reasons: ['NOT_DECLARED'] };`;
    const [below, above] = [await approvedWith(target.sales - 1, act), await approvedWith(target.sales + 1, act, 'fintech2')];
    // one world after the other: each alone on the aggregate lane, as it would be
    const one = await ask(below, COHORT, ['histogram', 'meanScore', 'count']);
    const two = await ask(above, COHORT, ['histogram', 'meanScore', 'count'], 'fintech2');
    expect(shape(one.answer)).toEqual(shape(two.answer));
    expect(one.availableAfter).toBe(two.availableAfter);
    expect(JSON.stringify(one.answer)).not.toMatch(/offLattice|undeclared|substituted/);
    // the exact counts are the regulator's, in the ledger
    const entries = [...platform.ctx.ledger.exportLines()].join('\n');
    expect(entries).toMatch(/"substituted":\{"failed":0,"offLattice":1,"undeclared":0\}/);
  });

  it('a data-dependent busy loop does not move the time an answer becomes available, nor its status', async () => {
    const act = `let x = 0; for (let i = 0; i < 3e7; i++) x = x + (i % 3); if (x < 0) return { score: 900 };`;
    const [below, above] = [await approvedWith(target.sales - 1, act), await approvedWith(target.sales + 1, act, 'fintech2')];
    const one = await ask(below, COHORT, ['meanScore']);
    const two = await ask(above, COHORT, ['meanScore'], 'fintech2');
    expect(shape(one.answer)).toEqual(shape(two.answer));
    expect(one.availableAfter).toBe(two.availableAfter);
    // never available before its public time, in either world
    for (const r of [one, two]) {
      expect(r.seenAt).toBeGreaterThanOrEqual(r.availableAt);
      expect(r.early.every((s) => s === 202)).toBe(true);
    }
  });
});

describe('the residual bit: a run that fails is limited and recorded', () => {
  it('a failure is RUN_FAILED at the public time whatever happened; three failures suspend the model for review', async () => {
    const model = await approvedWith(-1, `return null.x;`);
    const before = Date.now();
    const first = await ask(model, COHORT, ['backtest']);
    expect(first.answer).toMatchObject({ status: 'failed', error: { code: 'RUN_FAILED' } });
    expect(first.seenAt - before).toBeGreaterThanOrEqual(first.availableAfter - 60);
    // (the target is in this cohort: each different question fails on it)
    expect((await ask(model, COHORT, ['meanScore'])).answer.status).toBe('failed');
    expect((await ask(model, COHORT, ['histogram'])).answer.status).toBe('failed');
    const after = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: model, cohort: COHORT, statistics: ['meanScore', 'histogram'] });
    expect([after.status, after.json.code]).toEqual([422, 'MODEL_NOT_RUNNABLE']);
    const ledger = [...platform.ctx.ledger.exportLines()].join('\n');
    expect(ledger).toMatch(/"type":"model.suspended"/);
    expect(ledger).toMatch(/"code":"SANDBOX_MODEL_ERROR"/);
  });
});

describe('suppression and thresholds look at noised values only', () => {
  it('no per-rule counts of suppressed cells, no dominance or p-ratio rule, in any answer', async () => {
    const model = await approved(readPackage(REFERENCE).source);
    const r = await ask(model, { industry: 'F' }, ['histogram', 'backtest', 'segments'].filter((s) => s !== 'segments'));
    const text = JSON.stringify(r.answer);
    expect(text).not.toMatch(/byRule|dominance|p-ratio|"suppressed":\d/);
    for (const d of r.answer.decisions as { action: string; params: Record<string, unknown> }[]) expect(d.params).not.toHaveProperty('suppressed');
  });
});

describe('accounting', () => {
  it('charges per legal entity and lineage: a second organisation of the same entity is refused; a re-seeded vault continues the spend; a refresh is the regulator’s, recorded', async () => {
    expect((await call('POST', '/v1/orgs', null, { name: 'same entity', kind: 'fintech', uscc: strangerUscc(300) })).json.code).toBe('ORG_DUPLICATE');
    const spent = ((await call('GET', '/v1/budget', 'fintech')).json as unknown as { lineage: string; spentMicros: number }[])[0]!;
    expect(spent.spentMicros).toBeGreaterThan(0);
    await settleBackground(platform.ctx);
    // re-seed: a new content digest, the same population
    await app.close();
    await platform.close();
    const config = resolveConfig({ dataDir: dir }, {});
    const versionBefore = platform.ctx.vault.info.version;
    seedVault(config.vaultPath, { subjects: 1600, seed: 777, force: true });
    platform = await Platform.open(config, { executor });
    app = await build({ platform });
    expect(platform.ctx.vault.info.version).not.toBe(versionBefore);
    const again = ((await call('GET', '/v1/budget', 'fintech')).json as unknown as { lineage: string; spentMicros: number }[])[0]!;
    expect(again).toMatchObject({ lineage: spent.lineage, spentMicros: spent.spentMicros });
    // only the regulator refreshes, with a reason, in the ledger
    expect((await call('POST', '/v1/budget/refresh', 'fintech', { uscc: strangerUscc(300), lineage: spent.lineage, reason: 'x' })).status).toBe(403);
    const refreshed = await call('POST', '/v1/budget/refresh', 'regulator', { uscc: strangerUscc(300), lineage: spent.lineage, reason: 'new pilot phase' });
    expect(refreshed.json).toMatchObject({ spentMicros: 0 });
    const refresh = [...platform.ctx.ledger.exportLines()].find((l) => l.includes('"type":"budget.refreshed"'));
    expect(refresh).toContain('"reason":"new pilot phase"');
  });

  it('refuses a per-merchant lattice of more than 128 values at vetting', async () => {
    const m = manifest();
    (m.output as { score: unknown }).score = { min: 0, max: 2000, step: 1 };
    (m.output as { grades?: unknown }).grades = undefined;
    const sub = await call('POST', '/v1/models', 'fintech', { manifest: JSON.parse(JSON.stringify(m)), source: readPackage(REFERENCE).source });
    expect(sub.json.status).toBe('vetting_failed');
    expect(JSON.stringify(sub.json.report)).toMatch(/at most 128/);
  });
});

describe('recovery', () => {
  it('runs a killed process left open are closed as interrupted at start, with a ledger entry, and keep their debit', async () => {
    await settleBackground(platform.ctx);
    await app.close();
    await platform.close();
    const config = resolveConfig({ dataDir: dir }, {});
    const db = openDatabase(config.statePath);
    db.prepare("INSERT INTO runs (id, requester, mode, model, status, record, created_at, available_at) VALUES ('run_killed', ?, 'aggregate', 'mdl_x', 'running', '{}', ?, ?)").run(ids.fintech, new Date().toISOString(), new Date().toISOString());
    db.close();
    platform = await Platform.open(config, { executor });
    app = await build({ platform });
    const r = await call('GET', '/v1/runs/run_killed', 'fintech');
    expect(r.json).toMatchObject({ status: 'interrupted', error: { code: 'RUN_INTERRUPTED' } });
    expect([...platform.ctx.ledger.exportLines()].join('\n')).toMatch(/"type":"run.interrupted","run":"run_killed"|"run":"run_killed".*"type":"run.interrupted"/);
  });
});
