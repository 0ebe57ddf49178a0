// Two-stage approval (sandbox/models.ts): evaluation opens a model to aggregate backtests by
// its provider and the regulator only; production opens it to banks. Each stage is its own
// ledger entry bound to the digest, the policy digest and an expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/sqlite.js';
import { readPackage } from '../../models/package.js';
import { grantAccess, requestAccess } from '../../sandbox/access.js';
import { recordConsent } from '../../sandbox/consents.js';
import { inbox } from '../../sandbox/inbox.js';
import { approveModel, catalog, getModel, rejectModel, revokeModel, runnableModel, submitModel } from '../../sandbox/models.js';
import { runAggregate } from '../../sandbox/run/aggregate.js';
import { runSubjects } from '../../sandbox/run/subjects.js';
import { migrate } from '../../sandbox/state.js';
import { Executor } from '../../workers/client.js';
import { REFERENCE, world, type World } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

let executor: Executor;
let w: World;
beforeAll(async () => {
  executor = await Executor.start();
  w = await world(executor);
});
afterAll(async () => {
  await w.platform.close();
  await executor.close();
  rmDir(w.dir);
});

const pkg = readPackage(REFERENCE);
const submit = async () => (await submitModel(w.platform.ctx, w.fintech, { manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source })).id;
const count = (org: World['fintech'], modelId: string) => runAggregate(w.platform.ctx, org, { mode: 'aggregate', modelId, cohort: {}, statistics: ['count'] });
const approvals = (model: string) =>
  [...w.platform.ctx.ledger.exportLines()]
    .map((l) => JSON.parse(l) as { entry?: Record<string, unknown> })
    .filter((l) => l.entry?.type === 'model.approved' && l.entry.model === model)
    .map((l) => l.entry!);

describe('two-stage approval', () => {
  it('evaluation: the provider and the regulator backtest; no bank sees, asks for or runs the model', async () => {
    const ctx = w.platform.ctx;
    const id = await submit();
    expect(approveModel(ctx, w.regulator, id, { stage: 'evaluation' })).toMatchObject({ id, status: 'approved', stage: 'evaluation' });
    expect((await count(w.fintech, id)).status).toBe('released');
    expect((await count(w.regulator, id)).status).toBe('released');
    // banks: not in the catalog, not visible, no access to ask for
    expect(catalog(ctx, undefined).map((c) => c.id)).not.toContain(id);
    expect(() => getModel(ctx, w.bank, id)).toThrowWithCode('MODEL_UNKNOWN');
    expect(() => requestAccess(ctx, w.bank, id, 'credit-assessment')).toThrowWithCode('MODEL_UNKNOWN');
    // even with an access row (written behind the workflow's back), the run engine refuses, as for an unknown id
    ctx.db.prepare("INSERT INTO access (id, model, bank, purpose, status, created_at) VALUES ('acc_forged', ?, ?, 'credit-assessment', 'granted', ?)").run(id, w.bank.id, ctx.now().toISOString());
    const [subject] = ctx.vault.usccOf(Int32Array.from([7]));
    recordConsent(ctx, w.channel, { subject: subject!, bank: w.bank.id, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    await expect(runSubjects(ctx, w.bank, { mode: 'subjects', modelId: id, subjects: [subject!], purpose: 'credit-assessment' })).rejects.toMatchObject({ code: 'MODEL_UNKNOWN' }) // as for an unknown id;
    ctx.db.prepare("DELETE FROM access WHERE id = 'acc_forged'").run();
  });

  it('production after evaluation: in the catalog, and banks ask for access and score merchants', async () => {
    const ctx = w.platform.ctx;
    const id = await submit();
    approveModel(ctx, w.regulator, id, { stage: 'evaluation' });
    const awaiting = () => inbox(ctx, w.regulator, {}).sections.find((s) => s.type === 'model.evaluation')!.items.map((i) => i.id);
    expect(awaiting()).toContain(id);
    expect(approveModel(ctx, w.regulator, id, { stage: 'production', note: 'backtests reviewed' })).toMatchObject({ stage: 'production' });
    expect(awaiting()).not.toContain(id);
    expect(catalog(ctx, undefined).find((c) => c.id === id)?.approval).toMatchObject({ stage: 'production', policy: ctx.policy.digest });
    const acc = requestAccess(ctx, w.bank, id, 'credit-assessment');
    grantAccess(ctx, w.fintech, acc.id);
    const [subject] = ctx.vault.usccOf(Int32Array.from([11]));
    recordConsent(ctx, w.channel, { subject: subject!, bank: w.bank.id, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const a = await runSubjects(ctx, w.bank, { mode: 'subjects', modelId: id, subjects: [subject!], purpose: 'credit-assessment' });
    expect(a.status).toBe('released');
    expect(a.results).toHaveLength(1);
    // two entries, each bound to the digest, the policy and an expiry
    const entries = approvals(id);
    expect(entries.map((e) => e.stage)).toEqual(['evaluation', 'production']);
    for (const e of entries) expect(e).toMatchObject({ digest: getModel(ctx, w.regulator, id).digest, policy: ctx.policy.digest, expiresAt: expect.any(String) });
    expect(entries[1]).toMatchObject({ from: 'evaluation' });
  });

  it('a plain approve is production at once, as before stages existed', async () => {
    const ctx = w.platform.ctx;
    const id = await submit();
    expect(approveModel(ctx, w.regulator, id, {})).toMatchObject({ stage: 'production' });
    expect(requestAccess(ctx, w.bank, id, 'credit-assessment').status).toBe('requested');
    expect(approvals(id).map((e) => e.stage)).toEqual(['production']);
  });

  it('refuses stages out of order, and a promotion of a model changed since its evaluation', async () => {
    const ctx = w.platform.ctx;
    const id = await submit();
    approveModel(ctx, w.regulator, id, { stage: 'evaluation' });
    expect(() => approveModel(ctx, w.regulator, id, { stage: 'evaluation' })).toThrowWithCode('MODEL_STATE');
    const prod = await submit();
    approveModel(ctx, w.regulator, prod, {});
    expect(() => approveModel(ctx, w.regulator, prod, { stage: 'evaluation' })).toThrowWithCode('MODEL_STATE');
    expect(() => approveModel(ctx, w.regulator, prod, { stage: 'production' })).toThrowWithCode('MODEL_STATE');
    // changed in the database after evaluation: not promoted, and nothing recorded
    const changed = await submit();
    approveModel(ctx, w.regulator, changed, { stage: 'evaluation' });
    ctx.db.prepare('UPDATE models SET source = ? WHERE id = ?').run(`${pkg.source}\n// changed`, changed);
    let err: unknown;
    try {
      approveModel(ctx, w.regulator, changed, { stage: 'production' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'MODEL_STATE', detail: 'digest' });
    expect(approvals(changed).map((e) => e.stage)).toEqual(['evaluation']);
    expect(getModel(ctx, w.regulator, changed)).toMatchObject({ status: 'approved', approval: { stage: 'evaluation' } });
    // a model in evaluation may be rejected; then it runs for nobody
    const rejected = await submit();
    approveModel(ctx, w.regulator, rejected, { stage: 'evaluation' });
    expect(rejectModel(ctx, w.regulator, rejected, 'backtest too weak').status).toBe('rejected');
    await expect(count(w.fintech, rejected)).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNABLE' });
    expect(() => approveModel(ctx, w.regulator, rejected, { stage: 'production' })).toThrowWithCode('MODEL_STATE');
  });
});

describe('migration', () => {
  it('adds the new columns and tables to a state file from before them, approved models in production', () => {
    const dir = tmpDir('dfix-migrate-');
    try {
      const db = openDatabase(`${dir}/platform.sqlite`);
      // the first release's tables for models and API keys
      db.exec(`CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, uscc TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE api_keys (hash BLOB PRIMARY KEY, org TEXT NOT NULL REFERENCES orgs(id), created_at TEXT NOT NULL);
        CREATE TABLE models (id TEXT PRIMARY KEY, provider TEXT NOT NULL REFERENCES orgs(id), digest TEXT NOT NULL, manifest TEXT NOT NULL, source TEXT NOT NULL,
          status TEXT NOT NULL, report TEXT NOT NULL, approved_digest TEXT, policy TEXT, expires_at TEXT, note TEXT, created_at TEXT NOT NULL);
        INSERT INTO orgs VALUES ('org_f', 'f', 'fintech', 'x', 'admitted', '2026-01-01');
        INSERT INTO api_keys VALUES (x'00', 'org_f', '2026-01-01');
        INSERT INTO models VALUES ('mdl_a', 'org_f', 'd', '{}', '', 'approved', '{}', 'd', 'p', '2027-01-01', NULL, '2026-01-01');
        INSERT INTO models VALUES ('mdl_r', 'org_f', 'd', '{}', '', 'revoked', '{}', 'd', 'p', '2027-01-01', NULL, '2026-01-01');
        INSERT INTO models VALUES ('mdl_v', 'org_f', 'd', '{}', '', 'vetted', '{}', NULL, NULL, NULL, NULL, '2026-01-01');`);
      migrate(db);
      migrate(db); // twice: nothing changes
      expect(db.prepare('SELECT id, stage FROM models ORDER BY id').all()).toEqual([
        { id: 'mdl_a', stage: 'production' },
        { id: 'mdl_r', stage: 'production' },
        { id: 'mdl_v', stage: null },
      ]);
      expect(db.prepare('SELECT expires_at, revoked_at FROM api_keys').get()).toEqual({ expires_at: null, revoked_at: null });
      expect(db.prepare('SELECT reason FROM orgs').get()).toEqual({ reason: null });
      expect(db.prepare('SELECT count(*) AS n FROM webhooks').get()).toEqual({ n: 0 });
      db.close();
    } finally {
      rmDir(dir);
    }
  });
});

// An approved model as data is compiled for its runs on a worker thread (the event loop
// stays free), which yields between reading the model and running it.
describe('compiling a model as data for its runs', () => {
  const xgb = readPackage('models/examples/xgboost-credit');
  const submitXgb = async () => (await submitModel(w.platform.ctx, w.fintech, { manifest: xgb.manifestJson as Record<string, unknown>, source: xgb.source })).id;

  it('a model revoked while its modules are compiled does not run', async () => {
    const id = await submitXgb();
    approveModel(w.platform.ctx, w.regulator, id, {});
    const pending = runnableModel(w.platform.ctx, id, 'aggregate');
    revokeModel(w.platform.ctx, w.regulator, id, 'revoked during the compilation');
    await expect(pending).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNABLE' });
  });

  it('concurrent first runs get the same compiled modules', async () => {
    const id = await submitXgb();
    approveModel(w.platform.ctx, w.regulator, id, {});
    const [a, b] = await Promise.all([runnableModel(w.platform.ctx, id, 'aggregate'), runnableModel(w.platform.ctx, id, 'bank')]);
    expect(a.compiled && b.compiled).toBe(true);
    expect(a.batchModule).toContain('export function scoreBatch');
    expect(b.module).toBe(a.module);
    expect(b.batchModule).toBe(a.batchModule);
  });
});
