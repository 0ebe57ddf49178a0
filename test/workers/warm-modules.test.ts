// Banks' runs of models as data: a process keeps each platform-compiled module loaded in a
// hardened context per requester (WarmModules), so that one merchant's run is not a new
// isolate, a compile and cold code. What a merchant gets must still be what it gets alone:
// two secrets scored before it, one question, everything compared.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule } from '../../formats/compile.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { FreshScorer } from '../../workers/isolates.js';
import { runTask, warmModules } from '../../workers/scorer.js';
import type { Task } from '../../workers/protocol.js';
import { keptContexts } from '../helpers/warm.js';

const ir = parseXgboostJson(fs.readFileSync(path.resolve('test/fixtures/formats/xgb-logistic.model.json'), 'utf8'), catalog());
const fields = ir.inputs;
const codes = ['R01_ONE', 'R02_TWO', 'R03_THREE'];
const source = compileModule(ir, { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' }, { min: 300, max: 900, step: 10 }, Object.fromEntries(fields.map((f, i) => [f, codes[i % 3] as string])), 3);
const LIMITS = { memoryMb: 128, callMs: 20 };
const k = fields.length;

/** One merchant's row: field j is `base + j` (NaN where j % 4 === 3 when `missing`). */
function row(base: number, missing = false): Float64Array<ArrayBuffer> {
  return Float64Array.from({ length: k }, (_, j) => (missing && j % 4 === 3 ? NaN : base + j * 1.5));
}
const bits = (x: { scores: Float64Array; reasons: Uint8Array }) => ({ scores: Array.from(x.scores, (v) => (Number.isNaN(v) ? 'NaN' : v)), reasons: Array.from(x.reasons) });

function alone(data: Float64Array) {
  const f = new FreshScorer(source, fields, codes, { memoryMb: 128, callMs: 1000 });
  try {
    return f.score(data);
  } finally {
    f.dispose();
  }
}

const warm = keptContexts();

describe('compiled modules kept loaded for banks', () => {
  it('a merchant scored after two different secrets gets the same bits both times, and what it gets alone', () => {
    const question = row(40, true);
    const want = alone(question);
    expect(want).not.toBeNull();
    const answers = [row(3), row(900)].map((secret) => {
      const w = warm();
      const first = w.score('model|bank', 'bank', source, fields, codes, LIMITS, secret);
      expect(first).not.toBeNull();
      const second = w.score('model|bank', 'bank', source, fields, codes, LIMITS, question);
      expect(w.size).toBe(1); // the same context answered both
      return bits(second as NonNullable<typeof second>);
    });
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toEqual(bits(want as NonNullable<typeof want>));
    expect(answers[0]?.reasons.some((r) => r > 0)).toBe(true);
  });

  it('the secrets themselves differ in what they get: the comparison above can fail', () => {
    const w = warm();
    const a = w.score('m', 'bank', source, fields, codes, LIMITS, row(3));
    const b = w.score('m', 'bank', source, fields, codes, LIMITS, row(900));
    expect(bits(a as NonNullable<typeof a>)).not.toEqual(bits(b as NonNullable<typeof b>));
  });

  it('a task of many merchants gets, row by row, what each gets alone', () => {
    const data = new Float64Array(12 * k);
    for (let i = 0; i < 12; i++) data.set(row(i * 37, i % 2 === 0), i * k);
    const w = warm();
    w.score('m', 'bank', source, fields, codes, LIMITS, row(7)); // something before
    const out = w.score('m', 'bank', source, fields, codes, LIMITS, data);
    expect(out).not.toBeNull();
    for (let i = 0; i < 12; i++) {
      const one = alone(data.slice(i * k, (i + 1) * k));
      expect(Object.is(out?.scores[i], one?.scores[0])).toBe(true);
      expect(Array.from(out?.reasons.slice(i * 4, i * 4 + 4) ?? [])).toEqual(Array.from(one?.reasons ?? []));
    }
  });

  it('keeps one context per requester, and at most four', () => {
    const w = warm();
    for (const bank of ['a', 'b', 'a']) w.score(`m|${bank}`, bank, source, fields, codes, LIMITS, row(5));
    expect(w.size).toBe(2);
    for (const bank of ['c', 'd', 'e', 'f']) w.score(`m|${bank}`, bank, source, fields, codes, LIMITS, row(5));
    expect(w.size).toBe(4);
  });

  it('a merchant whose call fails is marked for scoring alone; the others of its task are scored, and every context stays', () => {
    const w = warm();
    w.score('good', 'bank', source, fields, codes, LIMITS, row(5));
    const throwing = 'export function score(row) {\n  if (row.business_age_months === 7) return row.nothing.at;\n  return { score: 300 + 10 * row.business_age_months };\n}\n';
    const out = w.score('bad', 'bank', throwing, ['business_age_months'], [], LIMITS, new Float64Array([7, 3]));
    expect(Array.from(out?.failed ?? [])).toEqual([1, 0]);
    expect(out?.scores[1]).toBe(330);
    expect(w.holds('bad')).toBe(true);
    expect(w.holds('good')).toBe(true);
    expect(w.score('good', 'bank', source, fields, codes, LIMITS, row(5))).not.toBeNull();
  });

  it('a module that cannot load answers null and keeps nothing of it', () => {
    const w = warm();
    w.score('good', 'bank', source, fields, codes, LIMITS, row(5));
    expect(w.score('broken', 'bank', 'export const x = 1;\n', ['business_age_months'], [], LIMITS, new Float64Array([1]))).toBeNull();
    expect(w.holds('broken')).toBe(false);
    expect(w.holds('good')).toBe(true);
  });

  it('a requester\'s models evict its own contexts before another requester\'s', () => {
    const w = warm();
    w.score('m0|b', 'b', source, fields, codes, LIMITS, row(5));
    // four more "models" for bank a (the same module under other keys)
    for (const m of ['m1', 'm2', 'm3', 'm4', 'm5']) w.score(`${m}|a`, 'a', source, fields, codes, LIMITS, row(5));
    expect(w.size).toBe(4);
    expect(w.holds('m0|b')).toBe(true);
    expect(w.holds('m1|a')).toBe(false); // a's least recent went first
    expect(w.holds('m5|a')).toBe(true);
  });

  it('a module that would keep state between merchants cannot: the second task gets the same whatever the first held', () => {
    // not something the compiler writes, but flagged compiled: the hardened context freezes it
    const stateful = 'const seen = [];\nexport function score(row) {\n  seen.push(row.business_age_months);\n  return { score: 300 + 10 * seen.length };\n}\n';
    const outcome = (first: number) => {
      const w = warm();
      const a = w.score('s', 'bank', stateful, ['business_age_months'], [], LIMITS, new Float64Array([first]));
      const b = w.score('s', 'bank', stateful, ['business_age_months'], [], LIMITS, new Float64Array([12]));
      return [a && bits(a), b && bits(b)];
    };
    expect(outcome(1)).toEqual(outcome(99));
    expect(outcome(1)[1]).toBeNull();
  });

  it('through the executor thread: a bank task of a compiled module uses the context kept for that bank', () => {
    const task = (bank: string, data: Float64Array<ArrayBuffer>): Task => ({ kind: 'fresh', compiled: true, partition: bank, source, fields: [...fields], reasons: codes, limits: LIMITS, data });
    const r1 = runTask(task('bank-1', row(3)));
    const r2 = runTask(task('bank-2', row(3)));
    expect(warmModules.size).toBe(2);
    expect(r1.kind === 'scores' && r2.kind === 'scores' && bits(r1)).toEqual(bits(r2 as { scores: Float64Array; reasons: Uint8Array }));
    const again = runTask(task('bank-1', row(40, true)));
    expect(warmModules.size).toBe(2);
    expect(again.kind).toBe('scores');
    if (again.kind === 'scores') expect(bits(again)).toEqual(bits(alone(row(40, true)) as NonNullable<ReturnType<typeof alone>>));
  });
});
