// Hostile and bad model files: each class gets exactly one coded error naming what was
// wrong, and nothing is built from it.
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../core/errors.js';
import { catalog } from '../../datasets/catalog.js';
import { parsePmml } from '../../formats/pmml.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { fixtureBytes } from './helpers.js';

function codeOf(fn: () => unknown): { code: string; detail: string | undefined } {
  try {
    fn();
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { code: e.code, detail: e.detail };
  }
  throw new Error('no error');
}

const pmml = (doc: string | Uint8Array) => () => parsePmml(doc, catalog());
const xgb = (doc: string | Uint8Array) => () => parseXgboostJson(doc, catalog());
const LOGISTIC = fixtureBytes('logistic.pmml').toString('utf8');
const TREE = fixtureBytes('tree.pmml').toString('utf8');
const XGB = JSON.parse(fixtureBytes('xgb-logitraw.model.json').toString('utf8')) as {
  learner: { feature_names: string[]; objective: { name: string }; gradient_booster: { name: string; model: { trees: Record<string, unknown>[]; tree_info: number[] } } };
};
const xgbWith = (edit: (m: typeof XGB) => void) => {
  const m = structuredClone(XGB);
  edit(m);
  return JSON.stringify(m);
};

describe('malformed input', () => {
  it('XML that is not well-formed', () => {
    expect(codeOf(pmml('<PMML version="4.4"><DataDictionary>'))).toEqual({ code: 'FORMAT_MALFORMED', detail: 'xml' });
    expect(codeOf(pmml(LOGISTIC.replace('</RegressionModel>', '')))).toMatchObject({ code: 'FORMAT_MALFORMED' });
  });
  it('JSON that is not JSON, or not an XGBoost model', () => {
    expect(codeOf(xgb('{"learner":'))).toEqual({ code: 'FORMAT_MALFORMED', detail: 'json' });
    expect(codeOf(xgb('{}'))).toMatchObject({ code: 'FORMAT_MALFORMED' });
    expect(codeOf(xgb(xgbWith((m) => (m.learner.gradient_booster.model.trees[0] = { ...m.learner.gradient_booster.model.trees[0], left_children: [5, -1] })))))
      .toMatchObject({ code: 'FORMAT_MALFORMED' });
  });
  it('bytes that are not UTF-8', () => {
    expect(codeOf(pmml(new Uint8Array([0x3c, 0xff, 0xfe, 0x3e])))).toEqual({ code: 'FORMAT_MALFORMED', detail: 'utf-8' });
  });
  it('a tree whose child points back up (a cycle)', () => {
    const cyc = xgbWith((m) => {
      const t = m.learner.gradient_booster.model.trees[0] as { left_children: number[] };
      t.left_children[1] = 0;
    });
    expect(codeOf(xgb(cyc))).toMatchObject({ code: 'FORMAT_MALFORMED', detail: 'trees[0].children' });
  });
});

describe('unsupported elements and options, named', () => {
  it('a NeuralNetwork', () => {
    const doc = LOGISTIC.replace(/<RegressionModel[\s\S]*<\/RegressionModel>/, '<NeuralNetwork functionName="regression" activationFunction="logistic"><MiningSchema/></NeuralNetwork>');
    expect(codeOf(pmml(doc))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'NeuralNetwork' });
  });
  it('an unknown Apply function and a DefineFunction', () => {
    expect(codeOf(pmml(LOGISTIC.replace('function="ln"', 'function="substring"')))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'Apply@substring' });
    expect(codeOf(pmml(LOGISTIC.replace('<DataDictionary>', '<TransformationDictionary><DefineFunction name="f"/></TransformationDictionary><DataDictionary>'))))
      .toMatchObject({ code: 'FORMAT_UNSUPPORTED' });
  });
  it('XGBoost dart, other objectives, categorical splits', () => {
    expect(codeOf(xgb(xgbWith((m) => (m.learner.gradient_booster.name = 'dart'))))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'dart' });
    expect(codeOf(xgb(xgbWith((m) => (m.learner.objective.name = 'multi:softprob'))))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'multi:softprob' });
    const cat = xgbWith((m) => {
      const t = m.learner.gradient_booster.model.trees[0] as { split_type: number[]; left_children: number[] };
      t.split_type = t.left_children.map(() => 1);
    });
    expect(codeOf(xgb(cat))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'categorical split' });
  });
});

describe('fields', () => {
  it('a field not in the catalog', () => {
    expect(codeOf(pmml(LOGISTIC.replaceAll('late_filing_count_24m', 'made_up_field')))).toEqual({ code: 'FORMAT_FIELD_UNKNOWN', detail: 'made_up_field' });
    expect(codeOf(xgb(xgbWith((m) => (m.learner.feature_names[3] = 'made_up_field'))))).toEqual({ code: 'FORMAT_FIELD_UNKNOWN', detail: 'made_up_field' });
  });
  it('a field a model may not read (identifier, label)', () => {
    expect(codeOf(pmml(LOGISTIC.replaceAll('late_filing_count_24m', 'uscc')))).toEqual({ code: 'FORMAT_FIELD_UNKNOWN', detail: 'uscc' });
    expect(codeOf(xgb(xgbWith((m) => (m.learner.feature_names[0] = 'default_12m'))))).toEqual({ code: 'FORMAT_FIELD_UNKNOWN', detail: 'default_12m' });
  });
  it('a name that is not a name is not echoed', () => {
    expect(codeOf(xgb(xgbWith((m) => (m.learner.feature_names[0] = '"; alert(1) //'))))).toEqual({ code: 'FORMAT_FIELD_UNKNOWN', detail: '(unprintable)' });
  });
  it('a category code the catalog does not know', () => {
    expect(codeOf(pmml(LOGISTIC.replace('value="D"', 'value="Z"')))).toEqual({ code: 'FORMAT_NUMBER_INVALID', detail: 'CategoricalPredictor@value' });
  });
});

describe('limits', () => {
  it('nesting too deep (XML and JSON)', () => {
    const deep = `<PMML version="4.4">${'<Extension>'.repeat(100)}${'</Extension>'.repeat(100)}</PMML>`;
    expect(codeOf(pmml(deep))).toMatchObject({ code: 'FORMAT_TOO_LARGE', detail: 'nesting>64' });
    expect(codeOf(xgb(`{"learner":${'['.repeat(100)}${']'.repeat(100)}}`))).toEqual({ code: 'FORMAT_TOO_LARGE', detail: 'nesting>64' });
  });
  it('a tree deeper than 16 (PMML and XGBoost)', () => {
    let nodes = '<Node score="1"><True/></Node>';
    for (let i = 0; i < 17; i++) nodes = `<Node score="1"><SimplePredicate field="si_arrears_months_24m" operator="lessThan" value="${i}"/>${nodes}</Node>`;
    const doc = TREE.replace(/<Node id="0"[\s\S]*<\/Node>\s*<\/TreeModel>/, `<Node><True/>${nodes}</Node></TreeModel>`);
    expect(codeOf(pmml(doc))).toEqual({ code: 'FORMAT_LIMIT', detail: 'depth>16' });
    const chain = xgbWith((m) => {
      const n = 35; // a path of 17 splits: node 2i splits into 2i+1 (leaf) and 2i+2
      const left = [], right = [], idx = [], cond = [], dl = [], hess = [], bw = [];
      for (let i = 0; i < n; i++) {
        const leaf = i % 2 === 1 || i === n - 1;
        left.push(leaf ? -1 : i + 1);
        right.push(leaf ? -1 : i + 2);
        idx.push(0);
        cond.push(0.5);
        dl.push(0);
        hess.push(1);
        bw.push(0);
      }
      m.learner.gradient_booster.model.trees[0] = { ...m.learner.gradient_booster.model.trees[0], left_children: left, right_children: right, split_indices: idx, split_conditions: cond, default_left: dl, sum_hessian: hess, base_weights: bw };
    });
    expect(codeOf(xgb(chain))).toEqual({ code: 'FORMAT_LIMIT', detail: 'depth>16' });
  });
  it('more than 2,000 trees', () => {
    const many = xgbWith((m) => {
      const leaf = { left_children: [-1], right_children: [-1], split_indices: [0], split_conditions: [0.1], default_left: [0], sum_hessian: [1], base_weights: [0.1] };
      m.learner.gradient_booster.model.trees = Array.from({ length: 2001 }, () => ({ ...leaf }));
      m.learner.gradient_booster.model.tree_info = m.learner.gradient_booster.model.trees.map(() => 0);
    });
    expect(codeOf(xgb(many))).toEqual({ code: 'FORMAT_LIMIT', detail: 'trees>2000' });
  });
  it('more than 1,000 characteristics', () => {
    const doc = fixtureBytes('scorecard.pmml').toString('utf8');
    const one = '<Characteristic name="c" reasonCode="RC4" baselineScore="1"><Attribute partialScore="1"><True/></Attribute></Characteristic>';
    expect(codeOf(pmml(doc.replace('<Characteristics>', `<Characteristics>${one.repeat(1001)}`)))).toEqual({ code: 'FORMAT_LIMIT', detail: 'characteristics>1000' });
  });
  it('more than 200,000 nodes (here: the values of one set predicate)', () => {
    const doc = fixtureBytes('tree.pmml').toString('utf8').replace('<Array n="2" type="string">C D</Array>', `<Array type="int">${'1 '.repeat(200_001)}</Array>`);
    expect(codeOf(pmml(doc))).toEqual({ code: 'FORMAT_LIMIT', detail: 'nodes>200000' });
  });
  it('a 100 MB file is refused before it is read', () => {
    const big = new Uint8Array(100 * 1024 * 1024);
    expect(codeOf(pmml(big))).toEqual({ code: 'FORMAT_TOO_LARGE', detail: `bytes>${4 * 1024 * 1024}` });
    expect(codeOf(xgb(big))).toEqual({ code: 'FORMAT_TOO_LARGE', detail: `bytes>${4 * 1024 * 1024}` });
  });
});

describe('numbers', () => {
  it('NaN or infinite weights and thresholds', () => {
    expect(codeOf(pmml(LOGISTIC.replace('coefficient="-0.35"', 'coefficient="NaN"')))).toEqual({ code: 'FORMAT_NUMBER_INVALID', detail: 'NumericPredictor@coefficient' });
    expect(codeOf(pmml(LOGISTIC.replace('intercept="-1.2"', 'intercept="1e999"')))).toEqual({ code: 'FORMAT_NUMBER_INVALID', detail: 'RegressionTable@intercept' });
    const inf = JSON.stringify(XGB).replace(/"split_conditions":\[[^,\]]+/, '"split_conditions":[1e999');
    expect(codeOf(xgb(inf))).toEqual({ code: 'FORMAT_NUMBER_INVALID', detail: 'trees[0].split_conditions' });
    expect(codeOf(xgb(JSON.stringify(XGB).replace(/"split_conditions":\[[^,\]]+/, '"split_conditions":[NaN')))).toMatchObject({ code: 'FORMAT_MALFORMED' });
    const f32overflow = JSON.stringify(XGB).replace(/"split_conditions":\[[^,\]]+/, '"split_conditions":[1e300');
    expect(codeOf(xgb(f32overflow))).toEqual({ code: 'FORMAT_NUMBER_INVALID', detail: 'trees[0].split_conditions' });
  });
});

describe('XML attacks', () => {
  it('billion laughs: a DOCTYPE with entities is refused before parsing', () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<PMML version="4.4"><Header description="&lol9;"/></PMML>`;
    expect(codeOf(pmml(lol))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'DOCTYPE' });
  });
  it('an external entity is refused the same way', () => {
    expect(codeOf(pmml('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><PMML version="4.4">&e;</PMML>'))).toEqual({ code: 'FORMAT_UNSUPPORTED', detail: 'DOCTYPE' });
  });
  it('an undeclared entity reference is never expanded', () => {
    expect(codeOf(pmml(LOGISTIC.replace('value="D"', 'value="&amp;D"')))).toEqual({ code: 'FORMAT_NUMBER_INVALID', detail: 'CategoricalPredictor@value' });
  });
});
