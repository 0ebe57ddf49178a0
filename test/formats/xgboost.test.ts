// XGBoost conformance: predictions, margins and pred_contribs of XGBoost itself (the
// fixtures of test/fixtures/formats/make.py) against the IR's evaluation and TreeSHAP.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import type { XgbIR } from '../../formats/ir.js';
import { shapWork, treeShap } from '../../formats/treeshap.js';
import { xgbMargin, xgbOutput } from '../../formats/xgb-eval.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { expected, fixtureBytes } from './helpers.js';

const MODELS = ['xgb-logistic', 'xgb-logitraw', 'xgb-regression', 'xgb-bench300'] as const;

describe.each(MODELS)('XGBoost fixture %s', (name) => {
  const ir = parseXgboostJson(fixtureBytes(`${name}.model.json`), catalog());
  const exp = expected(name);
  const m = ir.model as XgbIR;

  it('reads the feature names as inputs', () => {
    expect(ir.inputs).toEqual(exp.fields);
    expect(exp.rows.some((r) => r.includes(null))).toBe(true);
  });

  it('margins and predictions match XGBoost within 1e-6 on every row', () => {
    exp.rows.forEach((r, i) => {
      const margin = xgbMargin(m, r);
      expect(Math.abs(margin - (exp.margin[i] as number)), `row ${i}`).toBeLessThan(1e-6);
      expect(Math.abs(xgbOutput(m, margin) - (exp.prediction[i] as number)), `row ${i}`).toBeLessThan(1e-6);
    });
  });

  it.each([
    ['leaf tables', false],
    ['Algorithm 2', true],
  ])('TreeSHAP (%s) matches pred_contribs within 1e-5 on every row', (_, algorithm2) => {
    const work = shapWork(m, algorithm2);
    expect(work.tables === null).toBe(algorithm2);
    exp.rows.forEach((r, i) => {
      const phi = treeShap(m, r, work);
      const want = exp.contribs[i] as number[];
      expect(phi.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) expect(Math.abs((phi[j] as number) - (want[j] as number)), `row ${i} col ${j}`).toBeLessThan(1e-5);
    });
  });
});
