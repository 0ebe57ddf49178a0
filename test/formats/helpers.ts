import fs from 'node:fs';
import { expect } from 'vitest';
import { compileModule } from '../../formats/compile.js';
import { evaluate } from '../../formats/evaluate.js';
import type { FormatIR } from '../../formats/ir.js';
import { reasonCodes, reasonPlan } from '../../formats/reasons.js';
import { scaleScore, scalingPlan, scoreSign } from '../../formats/scaling.js';
import type { Lattice, Scaling } from '../../formats/scaling.schema.js';
import { shapWork } from '../../formats/treeshap.js';
import { checkPurity } from '../../workers/purity.js';
import { ruleViolations } from './rules.js';

export const FIXTURES = new URL('../fixtures/formats/', import.meta.url);

export function fixtureBytes(name: string): Buffer {
  return fs.readFileSync(new URL(name, FIXTURES));
}

export interface Expected {
  xgboost: string;
  fields: string[];
  rows: (number | null)[][];
  prediction: number[];
  margin: number[];
  contribs: number[][];
}

export function expected(name: string): Expected {
  return JSON.parse(fs.readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8')) as Expected;
}

export function rowObject(fields: readonly string[], r: readonly (number | null)[]): Record<string, number | null> {
  return Object.freeze(Object.fromEntries(fields.map((f, j) => [f, r[j] ?? null])));
}

type Score = (row: unknown) => { score: number | null; reasons: string[] };

export async function load(source: string): Promise<Score> {
  const mod = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as { score: Score };
  expect(Object.keys(mod)).toEqual(['score']);
  return mod.score;
}


/** Checks a compiled module against the TypeScript path on the given rows. */
export async function agree(ir: FormatIR, scaling: Scaling, lattice: Lattice, map: Record<string, string>, k: number, rows: Record<string, number | null>[]): Promise<void> {
  const src = compileModule(ir, scaling, lattice, map, k);
  const rawSrc = compileModule(ir, scaling, lattice, map, k, { raw: true });
  expect(ruleViolations(src)).toEqual([]);
  expect(ruleViolations(rawSrc)).toEqual([]);
  const score = await load(src);
  const raw = await load(rawSrc);
  // the aggregate lane's module (no reasons) is compiled without TreeSHAP and with
  // scoreBatch: same scores, one row at a time and from a buffer
  const batchSrc = compileModule(ir, scaling, lattice, map, 0, { batch: true });
  expect(ruleViolations(batchSrc)).toEqual([]);
  expect(checkPurity(batchSrc, true)).toEqual([]);
  expect(checkPurity(batchSrc).map((f) => f.rule)).toEqual(['R1']);
  const batchModule = (await import(`data:text/javascript,${encodeURIComponent(batchSrc)}`)) as BatchModule;
  expect(Object.keys(batchModule).sort()).toEqual(['score', 'scoreBatch']);
  const batch = batchModule.score;
  const scores: (number | null)[] = [];
  const plan = scalingPlan(ir.output, scaling);
  const rp = reasonPlan(ir, map, k);
  const work = ir.model.kind === 'xgb' ? shapWork(ir.model) : undefined;
  for (const row of rows) {
    const want = evaluate(ir, row);
    const got = raw(row);
    expect(got.score).toBe(want);
    const s = score(row);
    expect(s.score).toBe(scaleScore(want, plan, lattice));
    expect(batch(row)).toEqual({ score: s.score, reasons: [] });
    scores.push(s.score);
    const reasons = s.score === null ? [] : reasonCodes(ir, row, rp, k, scoreSign(plan), {}, work);
    expect(s.reasons).toEqual(reasons);
    expect(got.reasons).toEqual(reasons);
  }
  expectBatchAgrees(batchModule, ir.inputs, rows, scores);
}

export interface BatchModule {
  score: Score;
  scoreBatch: (x: ArrayLike<number>, names: readonly string[], n: number, out: Float64Array) => void;
}

/**
 * `scoreBatch` gives every row the score `score(row)` gives: on the rows as they are, in
 * reverse order with the columns reversed and an extra column, and one row at a time. So a
 * row's output depends on neither its place in the batch nor its neighbours.
 */
export function expectBatchAgrees(mod: BatchModule, inputs: readonly string[], rows: readonly Record<string, number | null>[], want: readonly (number | null)[]): void {
  const run = (names: readonly string[], order: readonly number[]) => {
    const x = new Float64Array(order.length * names.length);
    order.forEach((r, i) => names.forEach((f, j) => (x[i * names.length + j] = rows[r]?.[f] ?? NaN)));
    const out = new Float64Array(order.length).fill(-1);
    mod.scoreBatch(x, names, order.length, out);
    return order.map((r, i) => [want[r] ?? null, Number.isNaN(out[i]) ? null : (out[i] as number)]);
  };
  const all = rows.map((_, i) => i);
  for (const [w, got] of run(inputs, all)) expect(got).toBe(w);
  for (const [w, got] of run(['zz_not_an_input', ...[...inputs].reverse()], [...all].reverse())) expect(got).toBe(w);
  for (const i of all.slice(0, 20)) for (const [w, got] of run(inputs, [i])) expect(got).toBe(w);
}

