// Issue: row isolation in every mode. A merchant's output is a function of its row and the
// model alone. Two layers hold it: the static rules (workers/purity.ts) and the runtime
// (SES-hardened batches, fresh contexts with fresh-isolate retries). Each layer is tested
// on its own here, then together through the real executor, with two secrets compared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPurity } from '../../workers/purity.js';
import { FreshScorer, HardenedBatch, SandboxFailure } from '../../workers/isolates.js';
import { Executor } from '../../workers/client.js';
import { FIELDS, runSource } from '../helpers/sandbox.js';

const LIMITS = { memoryMb: 128, callMs: 1000 };
const k = FIELDS.length;
/** n rows whose first field is `age` (the others 0). */
const rows = (ages: number[]) => {
  const d = new Float64Array(ages.length * k);
  ages.forEach((a, i) => (d[i * k] = a));
  return d;
};
const fails = (source: string) => checkPurity(source).filter((f) => f.severity === 'fail').map((f) => f.rule);

/** Batch scores of the rows, or the failure code of the whole batch; runtime layer alone. */
function batch(source: string, ages: number[]): number[] | string {
  let b: HardenedBatch | null = null;
  try {
    b = new HardenedBatch(source, FIELDS, [], LIMITS, false);
    return Array.from(b.score(rows(ages), ages.length, 5000).scores);
  } catch (e) {
    return e instanceof SandboxFailure ? e.code : 'unexpected';
  } finally {
    b?.dispose();
  }
}

// Attacks from the feasibility study that a static rule does NOT catch: the runtime must.
const RUNTIME_ATTACKS: Record<string, string> = {
  'an object field (const st = {n: 0}; st.n++)': `const st = { n: 0 };
export function score(row) { st.n = st.n + 1; return { score: 300 + 10 * st.n }; }`,
  'an array at the top level (seen.push)': `const seen = [];
export function score(row) { seen.push(row.business_age_months); return { score: 300 + 10 * seen.length }; }`,
  'a property of a helper function': `function helper() { return 1; }
export function score(row) { helper.n = (helper.n || 0) + 1; return { score: 300 + 10 * helper.n }; }`,
  'a prototype of a helper': `function Helper() {}
export function score(row) { Helper.prototype.n = (Helper.prototype.n || 0) + 1; return { score: 300 + 10 * Helper.prototype.n }; }`,
  'Object.prototype': `export function score(row) { Object.prototype.n = (Object.prototype.n || 0) + 1; return { score: 300 + 10 * Object.prototype.n }; }`,
  'Array.prototype': `export function score(row) { const a = []; Array.prototype.push.n = 1; return { score: 300 + 10 * a.length }; }`,
  'a sort comparator that counts into a table': `const T = { c: 0 };
export function score(row) { [3, 1, 2].sort((a, b) => { T.c = T.c + 1; return a - b; }); return { score: 300 + 10 * (T.c % 50) }; }`,
  'reverse() of a top-level table': `const T = [1, 2, 3];
export function score(row) { T.reverse(); return { score: 300 + 10 * T[0] }; }`,
  'Math as a store': `export function score(row) { Math.carried = (Math.carried || 0) + 1; return { score: 300 + 10 * Math.carried }; }`,
  'JSON as a store': `export function score(row) { JSON.n = row.business_age_months; return { score: 300 }; }`,
};

describe('runtime layer alone: a hardened batch', () => {
  it.each(Object.entries(RUNTIME_ATTACKS))('carries nothing through %s: the whole batch fails instead', (_, source) => {
    expect(fails(source)).toEqual([]); // the static rules let these through
    const out = batch(source, [12, 12, 12, 12, 12]);
    expect(out).toBe('SANDBOX_MODEL_ERROR');
  });

  it('offers no clock, randomness, code from strings, weak references or host objects', () => {
    for (const probe of ['Date.now()', 'Math.random()', '(function(){}).constructor("return 1")()', 'new WeakRef({})', 'new Intl.DateTimeFormat()', 'globalThis.process', 'eval("1")', 'new Proxy({}, {})']) {
      const source = `export function score(row) { const v = ${probe}; return { score: 300 }; }`;
      expect(batch(source, [1, 2]), probe).toBe('SANDBOX_MODEL_ERROR');
    }
  });

  it('a pure model gives in a batch exactly what each row gives alone', () => {
    const source = `const W = [0.5, -2, 3];
export function score(row) { const a = row.business_age_months === null ? 0 : row.business_age_months; return { score: 300 + 10 * Math.min(60, Math.floor(Math.sqrt(a) * W[0] * 4)) }; }`;
    const ages = [0, 1, 4, 9, 16, 100, 400, 2500];
    expect(batch(source, ages)).toEqual(ages.map((a) => (batch(source, [a]) as number[])[0]));
  });

  it('a failure whose occurrence depends on earlier rows (the JIT stack-depth channel without try) fails the whole batch, never one row', () => {
    // rec(n) overflows or not depending on how hot it is: whether a row throws may depend on earlier rows
    const source = `function rec(n) { return n === 0 ? 0 : 1 + rec(n - 1); }
export function score(row) { const d = row.business_age_months; return { score: 300 + 10 * (rec(d) % 2) }; }`;
    const out = batch(source, [10, 10, 10, 200000, 10]);
    expect(out).toBe('SANDBOX_MODEL_ERROR');
  });
});

describe('runtime layer alone: fresh contexts', () => {
  it('a merchant after a memory-hungry one scores what it scores alone', () => {
    const source = `export function score(row) {
  const keep = [];
  for (let i = 0; i < (row.business_age_months > 100 ? 70 : 1); i++) keep.push(new Array(131072).fill(i + 0.5));
  return { score: 300 + 10 * Math.min(60, keep.length) };
}`;
    const alone = new FreshScorer(source, FIELDS, [], LIMITS, false);
    const b = alone.score(rows([5]))?.scores[0];
    alone.dispose();
    const after = new FreshScorer(source, FIELDS, [], LIMITS, false);
    const outs = [200, 200, 5].map((a) => after.score(rows([a]))?.scores[0] ?? null);
    after.dispose();
    expect(outs[2]).toBe(b);
  });

  it('nothing written to the global object, intrinsics or the symbol registry is seen by the next merchant', () => {
    const source = `export function score(row) {
  const seen = Object.prototype.carried !== undefined || Array.prototype.carried !== undefined || Math.carried !== undefined;
  Object.prototype.carried = 1; Array.prototype.carried = 1; Math.carried = 1;
  return { score: seen ? 900 : 300 };
}`;
    const s = new FreshScorer(source, FIELDS, [], LIMITS, false);
    const outs = [1, 2, 3, 4].map((a) => s.score(rows([a]))?.scores[0]);
    s.dispose();
    expect(outs).toEqual([300, 300, 300, 300]);
  });
});

describe('static layer: what the runtime could not stop is refused at the door', () => {
  const cases: Record<string, [string, string]> = {
    'a top-level let counter': ['R2', `let n = 0;\nexport function score(row) { n = n + 1; return { score: 300 + n }; }`],
    'a closure factory': ['R3', `const next = (() => { let i = 0; return () => ++i; })();\nexport function score(row) { return { score: 300 + next() }; }`],
    'a generator object at the top level': ['R3', `function* g() { let i = 0; for (;;) yield i++; }\nconst it = g();\nexport function score(row) { return { score: 300 + it.next().value }; }`],
    'import.meta': ['R1', `export function score(row) { import.meta.n = (import.meta.n || 0) + 1; return { score: 300 }; }`],
    'a class with a static private field': ['R5', `class K { static #n = 0; static next() { return ++K.#n; } }\nexport function score(row) { return { score: 300 + K.next() }; }`],
    'try/catch around recursion (the JIT stack-depth channel)': ['R6', `function depth(n) { try { return depth(n + 1); } catch (e) { return n; } }\nexport function score(row) { return { score: 300 + 10 * (depth(0) % 60) }; }`],
    'reassigning a function binding': ['R4', `function slot() { return 0; }\nexport function score(row) { const p = slot(); slot = () => p + 1; return { score: 300 + p }; }`],
    'a unicode-escaped global': ['R7', `export function score(row) { globalThi\\u0073.x = 1; return { score: 300 }; }`],
    'a computed constructor name': ['R8', `export function score(row) { const F = (() => 0)['constr' + 'uctor']; return { score: 300 }; }`],
    'a template-literal constructor name': ['R8', 'export function score(row) { const F = [][`con${"struc"}tor`]; return { score: 300 }; }'],
    'a regular expression at the top level': ['R3', `const R = /x/g;\nexport function score(row) { return { score: R.test('x') ? 300 : 310 }; }`],
    // attack A7: a property name held in a constant
    'a constructor name held in a const': ['R8', `export function score(row) { const C = 'constr' + 'uctor'; const F = (() => 0)[C]; return { score: 300 }; }`],
    // attack A6: a member chain 30,000 deep overflowed the checker (a 500 on submission)
    'a member chain 30,000 deep': ['parse', `export function score(row) { const x = row; return { score: 300, r: x${'.a'.repeat(30000)} }; }`],
    'a call chain 30,000 deep': ['parse', `export function score(row) { const x = row; return { score: 300, r: x${'()'.repeat(30000)} }; }`],
  };
  it.each(Object.entries(cases))('%s', (_, [rule, source]) => {
    expect(fails(source)).toContain(rule);
  });

  it('says "cannot tell" for a property name it cannot fold, and passes the reference model', async () => {
    const unsure = checkPurity(`export function score(row) { return { score: []['con' + String(row.x)] ? 300 : 310 }; }`);
    expect(unsure.map((f) => f.severity)).toContain('cannot-tell');
    const fs = await import('node:fs');
    expect(fails(fs.readFileSync('models/examples/merchant-scorecard/model.js', 'utf8'))).toEqual([]);
  });
});

describe('both layers, through the real executor: two secrets, one question', () => {
  let executor: Executor;
  beforeAll(async () => {
    executor = await Executor.start();
  });
  afterAll(() => executor.close());

  it('a stateful cohort model cannot move another merchant’s score: refused, whatever the secret', async () => {
    const source = `let seen = 0;\nexport function score(row) { const s = seen; seen = row.business_age_months; return { score: 300 + 10 * Math.min(60, Math.floor(s / 100)) }; }`;
    const a = await runSource(executor, source, 'cohort', 2, rows([1000, 60]));
    const b = await runSource(executor, source, 'cohort', 2, rows([5000, 60]));
    expect(a).toMatchObject({ ok: false, code: 'SANDBOX_MODULE_INVALID' });
    expect(b).toMatchObject({ ok: false, code: 'SANDBOX_MODULE_INVALID' });
  });

  it('a model that writes state fails the whole cohort for either secret (no merchant’s score moves)', async () => {
    const source = RUNTIME_ATTACKS['an object field (const st = {n: 0}; st.n++)'] as string;
    const a = await runSource(executor, source, 'cohort', 3, rows([1000, 60, 60]));
    const b = await runSource(executor, source, 'cohort', 3, rows([5000, 60, 60]));
    expect(a.ok ? 'released' : a.code).toBe(b.ok ? 'released' : b.code);
  });

  it('a merchant in subjects mode scores the same after another merchant, in one run, in concurrent runs, and across organisations', async () => {
    const source = `export function score(row) {
  const keep = [];
  for (let i = 0; i < (row.business_age_months > 100 ? 70 : 1); i++) keep.push(new Array(131072).fill(i + 0.5));
  return { score: 300 + 10 * Math.min(60, keep.length) };
}`;
    const alone = await runSource(executor, source, 'subjects', 1, rows([5]));
    const behind = await runSource(executor, source, 'subjects', 3, rows([500, 900, 5]));
    const concurrent = await Promise.all([
      executor.execute({ mode: 'subjects', source, fields: FIELDS, reasons: [], data: rows([700]), partition: 'bank_a' }),
      executor.execute({ mode: 'subjects', source, fields: FIELDS, reasons: [], data: rows([5]), partition: 'bank_a' }),
      executor.execute({ mode: 'subjects', source, fields: FIELDS, reasons: [], data: rows([5]), partition: 'bank_b' }),
    ]);
    expect(alone.ok && behind.ok).toBe(true);
    if (!alone.ok || !behind.ok) return;
    expect(behind.subjects[2]).toEqual(alone.subjects[0]);
    expect(concurrent[1]!.scores[0]).toBe(alone.subjects[0]!.score);
    expect(concurrent[2]!.scores[0]).toBe(alone.subjects[0]!.score);
  });

  it('a forged timeout message is a model error like any other; only a real timeout is a timeout', async () => {
    const forged = await runSource(executor, `export function score(row) { throw 'Script execution timed out.'; }`, 'cohort', 3);
    const thrown = await runSource(executor, `export function score(row) { throw 'anything'; }`, 'cohort', 3);
    const oom = await runSource(executor, `export function score(row) { throw 'Array buffer allocation failed'; }`, 'cohort', 3);
    expect([forged, thrown, oom].map((r) => (r.ok ? 'released' : r.code))).toEqual(['SANDBOX_MODEL_ERROR', 'SANDBOX_MODEL_ERROR', 'SANDBOX_MODEL_ERROR']);
    const loop = await executor.execute({ mode: 'cohort', source: `export function score(row) { for (;;) {} }`, fields: FIELDS, reasons: [], data: rows([1]), timeoutMs: 200 }).then(
      () => 'released',
      (e: { code: string }) => e.code,
    );
    expect(loop).toBe('SANDBOX_TIMEOUT');
  });

  it('supports models with 300 inputs (one limit shared by the manifest and the protocol)', async () => {
    const { manifestSchema } = await import('../../models/manifest.schema.js');
    const fields = Array.from({ length: 300 }, (_, i) => `field_${i}`);
    const manifest = { name: 'wide', version: '1.0.0', description: 'x', purpose: 'credit-assessment', inputs: fields, output: { score: { min: 300, max: 310, step: 10 }, reasons: [] } };
    expect(manifestSchema.safeParse(manifest).success).toBe(true);
    const source = `export function score(row) { return { score: row.${fields[299]} === null ? 300 : 310 }; }`;
    const r = await executor.execute({ mode: 'cohort', source, fields, reasons: [], data: new Float64Array(300 * 4).fill(1) });
    expect(Array.from(r.scores)).toEqual([310, 310, 310, 310]);
  });
});
