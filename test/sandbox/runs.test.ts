// THREATS.md, "Learning about individuals from aggregates" and "Abusing access", through the
// run engine with the real executor and vault.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryBytes } from '../../ledger/entry.js';
import { leafHash, verifyInclusion } from '../../ledger/merkle.js';
import { openCheckpoint, parseVkey } from '../../ledger/note.js';
import { overlapDecision, symmetricDifference } from '../../policies/overlap.js';
import type { AggregateResult } from '../../policies/aggregates.js';
import { budgetOf } from '../../sandbox/budget.js';
import { recordConsent, revokeConsent } from '../../sandbox/consents.js';
import { approveModel, rejectModel, revokeModel, submitModel } from '../../sandbox/models.js';
import { admitOrg, applyOrg, authenticate, suspendOrg } from '../../sandbox/orgs.js';
import { runAggregate } from '../../sandbox/run/aggregate.js';
import { getRun, type RunAnswer } from '../../sandbox/run/pipeline.js';
import { runSubjects } from '../../sandbox/run/subjects.js';
import type { SubjectScore } from '../../sandbox/scoring.js';
import { Executor } from '../../workers/client.js';
import { readPackage } from '../../models/package.js';
import { aggregate, REFERENCE, strangerUscc, world, policyWith, type World } from '../helpers/platform.js';
import { rmDir } from '../helpers/tmp.js';

let executor: Executor;
let w: World;
// The platform's clock: real time, moved forward by `skip` instead of sleeping
let skew = 0;
const clock = () => new Date(Date.now() + skew);
const skip = (ms: number) => {
  skew += ms;
};
beforeAll(async () => {
  executor = await Executor.start();
  w = await world(executor, { now: clock });
});
afterAll(async () => {
  await w.platform.close();
  await executor.close();
  rmDir(w.dir);
});

const ruleOf = (a: RunAnswer, rule: string) => a.decisions.find((d) => d.rule === rule);
const agg = (over: Partial<Parameters<typeof runAggregate>[2]> = {}) => aggregate(w, w.fintech, { modelId: w.modelId, cohort: {}, statistics: ['count'], ...over });
const resultOf = (a: RunAnswer) => a.result as AggregateResult;
const resultsOf = (a: RunAnswer) => a.results as (SubjectScore & { subject: string })[];
const spent = (ww: World, org = ww.fintech) => budgetOf(ww.platform.ctx, org, ww.platform.ctx.vault.info.lineage)[0]!;

describe('aggregate runs', () => {
  it('release host-computed statistics with every decision named, and a ledger bundle', async () => {
    const a = await agg({ cohort: { district: 'loufeng' }, statistics: ['count', 'meanScore', 'histogram', 'segments', 'backtest'], segmentBy: 'industry' });
    expect(a.status).toBe('released');
    const r = resultOf(a);
    // the cohort size is public (docs/privacy.md): exact
    expect(r.count).toBe(w.platform.ctx.vault.cohort({ district: 'loufeng' }).length);
    expect(r.meanScore).toBeGreaterThan(300);
    expect(r.histogram!.map((b) => b.label)).toEqual(['E', 'D', 'C', 'B', 'A']);
    // accuracy is checked over 100,000 merchants (backtest-100k.test.ts); here, with ~20
    // defaulters, the noised count of defaulters may fall under the threshold, and then the
    // AUC is withheld and the k-min decision says so; otherwise it is a released probability
    const auc = r.backtest!.auc;
    if (auc === null) {
      expect(a.decisions.find((d) => d.rule === 'sdc:k-min' && d.params?.statistic === 'backtest')?.action).toBe('suppressed');
      expect(r.backtest!.margins.auc).toBeNull();
    } else {
      expect(auc).toBeGreaterThanOrEqual(0);
      expect(auc).toBeLessThanOrEqual(1);
    }
    for (const rule of ['sdc:k-min', 'overlap:min-difference', 'dp:budget', 'dp:merchant-cap', 'dp:noise', 'dp:relation']) expect(ruleOf(a, rule), rule).toBeDefined();
    expect(a.decisions.map((d) => d.rule)).not.toContain('sdc:dominance');
    expect(a.ledger!.inclusionProof.length).toBeGreaterThan(0);
    // industries absent from the district: a public size of 0, no mean
    const empty = r.segments!.rows.find((x) => x.value === 'A');
    expect(empty).toMatchObject({ value: 'A', count: 0, meanScore: null });
    expect(JSON.stringify(r)).not.toMatch(/"(min|max)"/);
  });

  it('deny a tiny cohort before anything runs, charging nothing', async () => {
    const before = spent(w).spentMicros;
    const a = await agg({ cohort: { industry: 'A' } });
    expect(a.status).toBe('denied');
    expect(ruleOf(a, 'sdc:k-min')?.status).toBe('FAIL');
    expect(a.result).toBeNull();
    expect(spent(w).spentMicros).toBe(before);
  });

  it('refuse segment keys that are not public', async () => {
    await expect(agg({ statistics: ['segments'], segmentBy: 'uscc' as never })).rejects.toMatchObject({ code: 'RUN_BAD_REQUEST' });
  });

  it('deny a cohort that differs from an earlier release by fewer than 10 merchants', async () => {
    // find two public cohorts 1..9 merchants apart
    const v = w.platform.ctx.vault;
    const keys = { industry: ['F', 'H', 'O', 'C'], district: ['loufeng', 'xietang', 'weiting', 'shengpu', 'jinjihu', 'dushuhu'], sizeBand: ['micro', 'small', 'medium'], regYearBand: ['before-2010', '2010-2014', '2015-2019', '2020-later'] };
    const cohorts: Record<string, string>[] = [];
    for (const [k1, vs1] of Object.entries(keys)) for (const a of vs1) {
      cohorts.push({ [k1]: a });
      for (const [k2, vs2] of Object.entries(keys)) if (k2 > k1) for (const b of vs2) cohorts.push({ [k1]: a, [k2]: b });
    }
    const sets = cohorts.map((c) => ({ c, m: v.cohort(c) })).filter((x) => x.m.length >= 10);
    let pair: [Record<string, string>, Record<string, string>] | undefined;
    for (const x of sets) for (const y of sets) {
      const d = symmetricDifference(x.m, y.m);
      if (!pair && d > 0 && d < 10) pair = [x.c, y.c];
    }
    expect(pair).toBeDefined();
    // (a count alone is public and released without any data: overlap control is for what is noised)
    const first = await agg({ cohort: pair![0], statistics: ['meanScore'] });
    expect(first.status).toBe('released');
    const second = await agg({ cohort: pair![1], statistics: ['meanScore'] });
    expect(second.status).toBe('denied');
    expect(ruleOf(second, 'overlap:min-difference')?.status).toBe('FAIL');
    expect(second.result).toBeNull();
  });

  it('answer an identical question from cache at no cost; variants pay; an exhausted budget denies', async () => {
    const p = policyWith((x) => {
      x.budget.perOrganisationMicros = 2 * x.privacy.epsilonMicros.meanScore;
    });
    const w2 = await world(executor, { policy: p });
    const ctx = w2.platform.ctx;
    const q = { modelId: w2.modelId, cohort: { industry: 'F' }, statistics: ['count', 'meanScore'] as ('count' | 'meanScore')[] };
    const a = await aggregate(w2, w2.fintech, q);
    const paid = spent(w2).spentMicros;
    const b = await aggregate(w2, w2.fintech, { ...q, statistics: ['meanScore', 'count'] });
    expect(b.cached).toBe(true);
    expect(b.runId).toBe(a.runId);
    expect(b.result).toEqual(a.result);
    expect(spent(w2).spentMicros).toBe(paid);
    const c = await aggregate(w2, w2.fintech, { ...q, statistics: ['meanScore'], cohort: { industry: 'C' } });
    expect(c.status).toBe('released');
    const d = await aggregate(w2, w2.fintech, { ...q, cohort: { industry: 'H' } });
    expect(d.status).toBe('denied');
    expect(ruleOf(d, 'dp:budget')?.status).toBe('FAIL');
    expect(d.result).toBeNull();
    expect(spent(w2)).toMatchObject({ spentMicros: 2 * p.policy.privacy.epsilonMicros.meanScore });
    void ctx;
    await w2.platform.close();
    rmDir(w2.dir);
  });

  it('answer identical questions asked at the same time once, charging once', async () => {
    const before = spent(w).spentMicros;
    const q = { mode: 'aggregate' as const, modelId: w.modelId, cohort: { district: 'dushuhu', sizeBand: 'micro' }, statistics: ['meanScore'] as 'meanScore'[] };
    const first = await Promise.all([1, 2, 3, 4].map(() => runAggregate(w.platform.ctx, w.fintech, q)));
    expect(new Set(first.map((a) => a.runId)).size).toBe(1);
    expect(new Set(first.map((a) => a.availableAt)).size).toBe(1);
    const answers = await Promise.all([1, 2].map(() => agg(q)));
    expect(answers.every((a) => a.status === 'released' && a.runId === first[0]!.runId)).toBe(true);
    expect(spent(w).spentMicros - before).toBe(w.platform.ctx.policy.policy.privacy.epsilonMicros.meanScore);
  });

  it('overlap from public atom sizes equals the symmetric difference of the members (attack A8: no member lists stored)', async () => {
    const { atomsOf } = await import('../../sandbox/budget.js');
    const { overlapByAtoms } = await import('../../policies/overlap.js');
    const v = w.platform.ctx.vault;
    const cohorts = [{}, { district: 'loufeng' }, { industry: 'F' }, { industry: 'F', sizeBand: 'micro' }, { district: 'xietang', regYearBand: '2015-2019' }, { industry: 'H', district: 'weiting' }];
    for (const a of cohorts) {
      for (const b of cohorts) {
        const exact = symmetricDifference(v.cohort(a), v.cohort(b));
        for (const min of [exact, exact + 1]) {
          const byAtoms = overlapByAtoms(atomsOf(a), [atomsOf(b)], v.atomSizes(), min);
          expect(byAtoms.status, JSON.stringify([a, b, min])).toBe(overlapDecision(v.cohort(a), [v.cohort(b)], min).status);
        }
      }
    }
  });

  it('unit: overlap control allows 0 or at least 10 merchants of difference', () => {
    const a = Int32Array.from({ length: 50 }, (_, i) => i);
    expect(overlapDecision(a, [a], 10).status).toBe('PASS');
    expect(overlapDecision(a.slice(1), [a], 10).status).toBe('FAIL');
    expect(overlapDecision(a.slice(10), [a], 10).status).toBe('PASS');
  });
});

describe('subjects runs and access', () => {
  const codes = (n: number, from = 0) => w.platform.ctx.vault.usccOf(Int32Array.from({ length: n }, (_, i) => from + i));
  const consent = (subject: string, extra: Record<string, string> = {}) =>
    recordConsent(w.platform.ctx, w.channel, { subject, bank: w.bank.id, purpose: w.accessPurpose, expiresAt: '2099-01-01T00:00:00Z', ...extra });
  const subjects = (list: string[], org = w.bank) => runSubjects(w.platform.ctx, org, { mode: 'subjects', modelId: w.modelId, subjects: list, purpose: w.accessPurpose });

  it('score only consented merchants; the count of the rest does not reveal which exist', async () => {
    const [a, b, c] = codes(3, 100);
    consent(a!);
    const r = await subjects([a!, b!, strangerUscc(1)]);
    expect(r.status).toBe('released');
    expect(resultsOf(r).map((x) => x.subject)).toEqual([a]);
    expect(resultsOf(r)[0]!.score % 10).toBe(0);
    expect(r.notScored).toBe(2);
    // an unknown merchant and a known one without consent are indistinguishable
    const r1 = await subjects([c!]);
    const r2 = await subjects([strangerUscc(2)]);
    const shape = (x: RunAnswer) => ({ status: x.status, results: x.results, notScored: x.notScored, decisions: x.decisions.map((d) => [d.rule, d.status, d.action]) });
    expect(shape(r1)).toEqual(shape(r2));
  });

  it('take consents for a merchant from one channel only (attack A3: a rogue channel for a colluding bank)', async () => {
    const ctx = w.platform.ctx;
    const [m] = codes(1, 700);
    consent(m!);
    const rogue = authenticate(ctx, admitOrg(ctx, w.regulator, applyOrg(ctx, { name: 'rogue channel', kind: 'channel', uscc: strangerUscc(34) }).id).apiKey);
    expect(() => recordConsent(ctx, rogue, { subject: m!, bank: w.bank.id, purpose: w.accessPurpose, expiresAt: '2099-01-01T00:00:00Z' })).toThrowWithCode('CONSENT_CHANNEL_MISMATCH');
  });

  it('ignore expired and revoked consents, and consents for another purpose or model', async () => {
    const [a, b, c, d] = codes(4, 200);
    const past = new Date(clock().getTime() + 50).toISOString();
    consent(a!, { expiresAt: past });
    const { id } = consent(b!);
    revokeConsent(w.platform.ctx, w.channel, id);
    consent(c!, { purpose: 'marketing' });
    consent(d!, { modelId: 'mdl_other' });
    skip(80);
    const r = await subjects([a!, b!, c!, d!]);
    expect(r.results).toEqual([]);
    expect(r.notScored).toBe(4);
  });

  it('take a revocation during the run into account at release', async () => {
    const [a, b] = codes(2, 300);
    consent(a!);
    const { id } = consent(b!);
    const pending = subjects([a!, b!]);
    revokeConsent(w.platform.ctx, w.channel, id);
    const r = await pending;
    expect(resultsOf(r).map((x) => x.subject)).toEqual([a]);
    expect(r.notScored).toBe(1);
  });

  it('give one fresh result per merchant per bank per day; repeats come from cache', async () => {
    const [a] = codes(1, 400);
    consent(a!);
    const r1 = await subjects([a!]);
    const r2 = await subjects([a!]);
    expect(r2.results).toEqual(r1.results);
    // whether a result came from the cache is not said (the decisions are the same either way)
    expect(r2.decisions).toEqual(r1.decisions);
    expect(getRun(w.platform.ctx, w.bank, r2.runId).runId).toBe(r2.runId);
    await expect(Promise.resolve().then(() => getRun(w.platform.ctx, w.fintech, r2.runId))).rejects.toMatchObject({ code: 'RUN_UNKNOWN' });
  });

  it('prove each answer in the log: its bundle, and the one made when the run is read back, verify', async () => {
    const ctx = w.platform.ctx;
    const key = parseVkey(ctx.ledger.publicKey);
    const proves = (a: RunAnswer) => {
      const l = a.ledger!;
      const cp = openCheckpoint(l.checkpoint, key ? [key] : []);
      const entry = ctx.ledger.entries(l.index, l.index + 1)[0]?.entry;
      const leaf = leafHash(entryBytes(entry));
      return (
        !!cp &&
        cp.size === l.size &&
        (entry as { type?: string; run?: string }).run === a.runId &&
        leaf.toString('hex') === l.leafHash &&
        verifyInclusion(leaf, l.index, cp.size, l.inclusionProof.map((h) => Buffer.from(h, 'hex')), cp.root)
      );
    };
    const [a, b] = codes(2, 500);
    consent(a!);
    consent(b!);
    // concurrent runs: their bundles may share a checkpoint
    const answers = await Promise.all([subjects([a!]), subjects([b!]), agg({ cohort: { district: 'loufeng' }, statistics: ['count'] })]);
    for (const x of answers) expect(proves(x)).toBe(true);
    // later, under a later checkpoint
    ctx.ledger.append('heartbeat', 'platform', {});
    ctx.ledger.checkpoint();
    for (const x of answers) {
      const back = getRun(ctx, w.regulator, x.runId);
      expect(back.ledger!.size).toBeGreaterThan(x.ledger!.size);
      expect(proves(back)).toBe(true);
      expect(x.cached).toBeUndefined();
      expect({ ...back, ledger: null }).toEqual({ ...x, ledger: null });
    }
  });

  it('refuse the wrong role, a bank without access, and runs of models not runnable', async () => {
    const ctx = w.platform.ctx;
    await expect(runAggregate(ctx, w.bank, { mode: 'aggregate', modelId: w.modelId, cohort: {}, statistics: ['count'] })).rejects.toMatchObject({ code: 'ROLE_FORBIDDEN' });
    await expect(subjects(codes(1), w.fintech)).rejects.toMatchObject({ code: 'ROLE_FORBIDDEN' });
    const { id: otherBankId } = applyOrg(ctx, { name: 'other bank', kind: 'bank', uscc: strangerUscc(31) });
    const otherBank = authenticate(ctx, admitOrg(ctx, w.regulator, otherBankId).apiKey);
    await expect(runSubjects(ctx, otherBank, { mode: 'subjects', modelId: w.modelId, subjects: codes(1), purpose: w.accessPurpose })).rejects.toMatchObject({ code: 'ACCESS_NOT_GRANTED' });
    const { id: otherFintechId } = applyOrg(ctx, { name: 'other fintech', kind: 'fintech', uscc: strangerUscc(32) });
    const otherFintech = authenticate(ctx, admitOrg(ctx, w.regulator, otherFintechId).apiKey);
    await expect(runAggregate(ctx, otherFintech, { mode: 'aggregate', modelId: w.modelId, cohort: {}, statistics: ['count'] })).rejects.toMatchObject({ code: 'ROLE_FORBIDDEN' });
    // suspended: the key stops working at once
    const key = admitOrg(ctx, w.regulator, applyOrg(ctx, { name: 'to suspend', kind: 'bank', uscc: strangerUscc(33) }).id).apiKey;
    const org = authenticate(ctx, key);
    suspendOrg(ctx, w.regulator, org.id, 'test');
    expect(() => authenticate(ctx, key)).toThrowWithCode('ORG_NOT_ADMITTED');
    expect(() => authenticate(ctx, 'dfx_nope')).toThrowWithCode('AUTH_INVALID');

    const pkg = readPackage(REFERENCE);
    const fresh = async () => (await submitModel(ctx, w.fintech, { manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source })).id;
    const run = (id: string) => runAggregate(ctx, w.fintech, { mode: 'aggregate', modelId: id, cohort: {}, statistics: ['count'] });
    const vetted = await fresh();
    await expect(run(vetted)).toThrowWithCode('MODEL_NOT_RUNNABLE');
    const rejected = await fresh();
    rejectModel(ctx, w.regulator, rejected, 'no');
    await expect(run(rejected)).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNABLE' });
    const revoked = await fresh();
    approveModel(ctx, w.regulator, revoked, {});
    revokeModel(ctx, w.regulator, revoked, 'no');
    await expect(run(revoked)).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNABLE' });
    const expiring = await fresh();
    approveModel(ctx, w.regulator, expiring, { expiresAt: new Date(clock().getTime() + 60).toISOString() });
    skip(100);
    await expect(run(expiring)).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNABLE' });
    const modified = await fresh();
    approveModel(ctx, w.regulator, modified, {});
    ctx.db.prepare('UPDATE models SET source = ? WHERE id = ?').run(`${pkg.source}\n// changed`, modified);
    await expect(run(modified)).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNABLE' });
  });

  it('record every run in the ledger, and the log verifies', async () => {
    const { audit, parseExport } = await import('../../ledger/verify.js');
    const ledger = w.platform.ctx.ledger;
    const text = [...ledger.exportLines()].join('\n');
    expect(text).toMatch(/"type":"run.released"/);
    expect(text).toMatch(/"type":"run.denied"/);
    expect(text).not.toMatch(/9[12]320594MA/); // no merchant code in the log, only digests
    const r = audit({ export: parseExport(text), genesisKey: ledger.genesisKey, origin: ledger.origin });
    expect(r.problems).toEqual([]);
  });
});
