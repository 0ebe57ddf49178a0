// PMML fixtures written by hand after the PMML 4.4 examples, checked against independent
// arithmetic written out here, and compiled modules checked against evaluate.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { dummyMatrix } from '../../datasets/dummy.js';
import { evaluate } from '../../formats/evaluate.js';
import { parsePmml } from '../../formats/pmml.js';
import { reasonCodes, reasonPlan } from '../../formats/reasons.js';
import type { Scaling } from '../../formats/scaling.schema.js';
import { agree, fixtureBytes } from './helpers.js';

type R = Record<string, number | null>;

/** Dummy rows of the fields (null where missing) plus rows with every field missing or at a boundary. */
function rows(fields: string[], extra: R[] = []): R[] {
  const n = 300;
  const m = dummyMatrix(fields, n, 11);
  const out: R[] = [];
  for (let i = 0; i < n; i++) {
    const r: R = {};
    fields.forEach((f, j) => {
      const v = m.data[i * fields.length + j] as number;
      r[f] = Number.isNaN(v) ? null : v;
    });
    // knock out some values so every missing-value path runs
    if (i % 7 === 0) r[fields[i % fields.length] as string] = null;
    out.push(Object.freeze(r));
  }
  out.push(Object.freeze(Object.fromEntries(fields.map((f) => [f, null]))));
  return [...out, ...extra.map((e) => Object.freeze({ ...Object.fromEntries(fields.map((f) => [f, 0])), ...e }))];
}

const RATING = { A: 0, B: 1, M: 2, C: 3, D: 4 };

describe('PMML scorecard (PMML 4.4 Scorecard example)', () => {
  const ir = parsePmml(fixtureBytes('scorecard.pmml'), catalog());
  const fields = ['business_age_months', 'tax_credit_rating', 'tax_sales_growth_yoy', 'enforcement_cases_active', 'annual_report_filed'];
  const MAP = { RC1: 'R05_LOW_TAX_CREDIT_RATING', RC5: 'R12_LOW_RATING', RC2: 'R01_SHORT_HISTORY', RC3: 'R08_SALES_DECLINE', RC4: 'R06_ENFORCEMENT_CASES' };

  /** The scorecard by hand: points per characteristic and [reason, baseline - points]. */
  function reference(r: R): { score: number; reasons: string[] } {
    const diffs: [string, number][] = [];
    let total = 0;
    const add = (rc: string, base: number, pts: number) => {
      total += pts;
      diffs.push([rc, base - pts]);
    };
    const rating = r.tax_credit_rating ?? null;
    if (rating === null) add('RC1', 19, -9);
    else if (rating === RATING.A || rating === RATING.B) add('RC1', 19, 19);
    else if (rating === RATING.M) add('RC1', 19, 3);
    else add('RC5', 19, 6);
    const bam = r.business_age_months ?? null;
    const years = bam === null ? null : bam / 12;
    add('RC2', 18, years === null ? -1 : years <= 1 ? -3 : years <= 5 ? 0 : 12);
    const g = r.tax_sales_growth_yoy ?? null;
    add('RC3', 10, g === null ? 8 : g < -0.2 ? 20 * g + 6 : g < 0.1 ? 8 : 15);
    const e = r.enforcement_cases_active ?? 0;
    add('RC4', 10, e === 0 ? 10 : -5);
    add('RC1', 5, r.annual_report_filed === 1 ? 5 : 0);
    // PMML 4.4: differences of one reason code are added, then ranked in descending order
    const order = ['RC1', 'RC5', 'RC2', 'RC3', 'RC4'];
    const sum = new Map<string, number>();
    for (const [rc, d] of diffs) sum.set(rc, (sum.get(rc) ?? 0) + d);
    const ranked = order.filter((rc) => (sum.get(rc) ?? 0) > 0).sort((a, b) => (sum.get(b) as number) - (sum.get(a) as number) || order.indexOf(a) - order.indexOf(b));
    return { score: total, reasons: ranked.slice(0, 3).map((rc) => MAP[rc as keyof typeof MAP]) };
  }

  const data = rows(fields, [{ tax_sales_growth_yoy: -0.2 }, { tax_sales_growth_yoy: 0.1 }, { business_age_months: 12 }, { business_age_months: 60 }, { tax_credit_rating: 4, annual_report_filed: 1 }]);

  it('reads catalog fields, with category codes as indices', () => {
    expect([...ir.inputs].sort()).toEqual([...fields].sort());
    expect(ir.output).toBe('points');
    expect(ir.reasonKeys).toEqual(['RC1', 'RC5', 'RC2', 'RC3', 'RC4']);
  });

  it('scores and ranks reason codes as the hand-written arithmetic does', () => {
    const plan = reasonPlan(ir, MAP, 3);
    for (const r of data) {
      const want = reference(r);
      expect(evaluate(ir, r)).toBeCloseTo(want.score, 12);
      expect(reasonCodes(ir, r, plan, 3, 1)).toEqual(want.reasons);
    }
  });

  it('compiles to a module that agrees with evaluate', async () => {
    await agree(ir, { method: 'identity' }, { min: -50, max: 100, step: 1 }, MAP, 3, data);
  });

  it('requires a code for every reason the scorecard can give', () => {
    expect(() => reasonPlan(ir, { RC1: 'R05_LOW_TAX_CREDIT_RATING' }, 3)).toThrow(expect.objectContaining({ code: 'FORMAT_REASON_UNMAPPED', detail: 'RC5' }));
  });
});

describe('PMML logistic regression', () => {
  const ir = parsePmml(fixtureBytes('logistic.pmml'), catalog());
  const fields = ['business_age_months', 'tax_credit_rating', 'late_filing_count_24m', 'tax_sales_growth_yoy', 'enforcement_cases_active'];

  function reference(r: R): number {
    const bam = r.business_age_months ?? 36;
    const rating = r.tax_credit_rating ?? RATING.B;
    const lf = r.late_filing_count_24m ?? 0;
    const g = r.tax_sales_growth_yoy ?? 0;
    const e = r.enforcement_cases_active ?? 0;
    const clip = g < -1 ? -1 : g > 1 ? 0.5 : g <= 0 ? g : 0.5 * g;
    const risk = [0.1, 0.2, 0.35, 0.5, 0.8][rating] as number;
    const cat = rating === RATING.A ? -0.6 : rating === RATING.C ? 0.5 : rating === RATING.D ? 1.1 : 0;
    const y = -1.2 - 0.35 * Math.log(bam + 1) + 0.04 * lf * lf + 0.1 * lf - 0.8 * clip + 0.5 * risk + 0.3 * e + cat;
    return 1 / (1 + Math.exp(-y));
  }
  const data = rows(fields, [{ tax_sales_growth_yoy: -3 }, { tax_sales_growth_yoy: 2 }, { tax_sales_growth_yoy: 0.5 }]);
  const MAP = { late_filing_count_24m: 'R11_LATE_TAX_FILING', enforcement_cases_active: 'R06_ENFORCEMENT_CASES', tax_credit_rating: 'R05_LOW_TAX_CREDIT_RATING' };
  const scaling: Scaling = { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' };

  it('is a probability that matches the arithmetic, missing values replaced', () => {
    expect(ir.output).toBe('probability');
    for (const r of data) expect(Math.abs((evaluate(ir, r) as number) - reference(r))).toBeLessThan(1e-12);
  });

  it('gives coefficient x (value - baseline) reasons, adverse (raising the bad odds) first', () => {
    const plan = reasonPlan(ir, MAP, 3);
    const r = { business_age_months: 40, tax_credit_rating: RATING.D, late_filing_count_24m: 3, tax_sales_growth_yoy: 0, enforcement_cases_active: 2 };
    // late filing 0.04*9 + 0.3 = 0.66, enforcement 0.6, rating D vs A 1.7
    expect(reasonCodes(ir, r, plan, 3, -1)).toEqual(['R05_LOW_TAX_CREDIT_RATING', 'R11_LATE_TAX_FILING', 'R06_ENFORCEMENT_CASES']);
    expect(reasonCodes(ir, { ...r, tax_credit_rating: RATING.A, enforcement_cases_active: 0 }, plan, 3, -1)).toEqual(['R11_LATE_TAX_FILING']);
  });

  it('compiles to a module that agrees with evaluate', async () => {
    await agree(ir, scaling, { min: 300, max: 900, step: 10 }, MAP, 3, data);
  });
});

describe('PMML regression tree and its missing value strategies', () => {
  const text = fixtureBytes('tree.pmml').toString('utf8');
  const fields = ['business_age_months', 'elec_late_payments_24m', 'tax_credit_rating', 'si_arrears_months_24m'];
  type S = 'defaultChild' | 'lastPrediction' | 'nullPrediction' | 'none';

  function reference(r: R, s: S, returnLast: boolean): number | null {
    // the strategy at a node whose child predicates meet a missing value
    const unknown = (here: number, dflt: () => number | null): number | null =>
      s === 'defaultChild' ? dflt() : s === 'lastPrediction' ? here : s === 'nullPrediction' ? null : returnLast ? here : null;
    const noTrue = (here: number) => (returnLast ? here : null);
    const bam = r.business_age_months ?? null;
    const el = r.elec_late_payments_24m ?? null;
    const rating = r.tax_credit_rating ?? null;
    const si = r.si_arrears_months_24m ?? null;
    const node1 = () => (el === null ? unknown(0.08, () => 0.05) : el < 2 ? 0.05 : 0.15);
    const node6 = () => (si === null ? unknown(0.18, () => 0.12) : si === 0 ? 0.12 : si > 2 ? 0.25 : noTrue(0.18));
    const node2 = () => (rating === null ? unknown(0.2, node6) : rating === RATING.C || rating === RATING.D ? 0.3 : node6());
    return bam === null ? unknown(0.1, node1) : bam >= 24 ? node1() : node2();
  }
  const data = rows(fields, [{ business_age_months: 24 }, { si_arrears_months_24m: 1 }, { si_arrears_months_24m: 3 }, { tax_credit_rating: RATING.C }]);

  for (const s of ['defaultChild', 'lastPrediction', 'nullPrediction', 'none'] as S[]) {
    for (const returnLast of [true, false]) {
      it(`missingValueStrategy ${s}, noTrueChildStrategy ${returnLast ? 'returnLastPrediction' : 'returnNullPrediction'}`, async () => {
        const tag = '<TreeModel modelName="tree" functionName="regression" missingValueStrategy="defaultChild" noTrueChildStrategy="returnLastPrediction">';
        expect(text).toContain(tag);
        const doc = text.replace(tag, `<TreeModel modelName="tree" functionName="regression" missingValueStrategy="${s}" noTrueChildStrategy="${returnLast ? 'returnLastPrediction' : 'returnNullPrediction'}">`);
        const ir = parsePmml(doc, catalog());
        for (const r of data) expect(evaluate(ir, r), JSON.stringify(r)).toBe(reference(r, s, returnLast));
        await agree(ir, { method: 'identity' }, { min: 0, max: 1, step: 1 }, {}, 0, data);
      });
    }
  }
});

describe('PMML boosted MiningModel (modelChain of a sum of trees and a logistic link)', () => {
  const ir = parsePmml(fixtureBytes('boosted.pmml'), catalog());
  const fields = ['business_age_months', 'tax_sales_growth_yoy', 'late_filing_count_24m'];
  const f = Math.fround;

  function reference(r: R): number {
    const bam = r.business_age_months == null ? null : f(r.business_age_months);
    const g = r.tax_sales_growth_yoy == null ? null : f(r.tax_sales_growth_yoy);
    const lf = r.late_filing_count_24m == null ? null : f(r.late_filing_count_24m);
    const t1 = bam === null || bam < 30.5 ? (lf === null || lf < 1.5 ? 0.42 : 0.71) : -0.2;
    const t2 = g !== null && g < f(-0.1) ? 0.33 : -0.13;
    const t3 = g === null || g >= f(0.1) ? -0.09 : bam !== null && bam < 12 ? 0.05 : -0.04;
    return 1 / (1 + Math.exp(-(-1.386294361 + (t1 + t2 + t3))));
  }
  const data = rows(fields, [{ tax_sales_growth_yoy: -0.1 }, { tax_sales_growth_yoy: 0.1 }, { business_age_months: 30.5 }]);

  it('chains the summed trees into the logistic segment', () => {
    expect(ir.output).toBe('probability');
    expect([...ir.inputs].sort()).toEqual([...fields].sort());
    for (const r of data) expect(Math.abs((evaluate(ir, r) as number) - reference(r))).toBeLessThan(1e-12);
  });

  it('compiles to a module that agrees with evaluate', async () => {
    await agree(ir, { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' }, { min: 300, max: 900, step: 10 }, {}, 0, data);
  });
});

describe('PMML Segmentation methods', () => {
  const doc = (method: string) => `<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <DataDictionary><DataField name="business_age_months" optype="continuous" dataType="double"/></DataDictionary>
  <MiningModel functionName="regression">
    <MiningSchema><MiningField name="business_age_months"/></MiningSchema>
    <Segmentation multipleModelMethod="${method}">
      ${[
        ['<True/>', 1, 12, 1, 2],
        ['<True/>', 2, 24, 1, 3],
        ['<SimplePredicate field="business_age_months" operator="greaterThan" value="100"/>', 3, 0, 2, 2],
      ]
        .map(
          ([p, w, cut, a, b]) => `<Segment weight="${w}">${p}<TreeModel functionName="regression"><MiningSchema><MiningField name="business_age_months"/></MiningSchema>
        <Node><True/><Node score="${a}"><SimplePredicate field="business_age_months" operator="lessThan" value="${cut}"/></Node><Node score="${b}"><True/></Node></Node></TreeModel></Segment>`,
        )
        .join('\n')}
    </Segmentation>
  </MiningModel>
</PMML>`;

  function reference(bam: number | null, method: string): number | null {
    const vals: [number, number][] = [];
    vals.push([bam !== null && bam < 12 ? 1 : 2, 1]);
    vals.push([bam !== null && bam < 24 ? 1 : 3, 2]);
    if (bam !== null && bam > 100) vals.push([2, 3]);
    const sum = vals.reduce((s, [v]) => s + v, 0);
    if (method === 'sum') return sum;
    if (method === 'average') return sum / vals.length;
    if (method === 'weightedAverage') return vals.reduce((s, [v, w]) => s + v * w, 0) / vals.reduce((s, [, w]) => s + w, 0);
    const counts = new Map<number, number>();
    for (const [v] of vals) counts.set(v, (counts.get(v) ?? 0) + 1);
    let best: number | null = null;
    let most = 0;
    for (const [v, c] of counts) if (c > most) [best, most] = [v, c];
    return best;
  }

  for (const method of ['sum', 'average', 'weightedAverage', 'majorityVote']) {
    it(method, async () => {
      const ir = parsePmml(doc(method), catalog());
      const data = [null, 0, 11.9, 12, 20, 24, 99, 100, 101, 250].map((v) => Object.freeze({ business_age_months: v }));
      for (const r of data) expect(evaluate(ir, r)).toBe(reference(r.business_age_months, method));
      await agree(ir, { method: 'identity' }, { min: 0, max: 10, step: 1 }, {}, 0, data);
    });
  }
});
