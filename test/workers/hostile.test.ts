// THREATS.md, "Escaping the confinement" and "Smuggling data out through the shape of the
// answer": every hostile model against the real executor, and against the runtime layer
// alone (the static rules switched off) so that each layer is shown to hold by itself.
// Afterwards the same executor processes still serve a normal run correctly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FreshScorer, HardenedBatch, SandboxFailure } from '../../workers/isolates.js';
import { Executor } from '../../workers/client.js';
import { dummyMatrix } from '../../datasets/dummy.js';
import { expectServesNormalRun, FIELDS, fixture, runSource } from '../helpers/sandbox.js';

let executor: Executor;
let pids: number[];
beforeAll(async () => {
  executor = await Executor.start();
  pids = executor.pids();
});
afterAll(() => executor.close());

async function afterwardsStillServes(): Promise<void> {
  expect(await expectServesNormalRun(executor)).toBe(true);
  expect(executor.pids()).toEqual(pids); // the same processes: nothing was restarted
}

const ESCAPES = ['constructor-chain', 'constructor-chain-uncaught', 'stack-trace', 'proxy-traps', 'species', 'host-error', 'probes', 'carry-over', 'carry-over-shared', 'heap-residue', 'unhandled-rejection', 'dynamic-import', 'dynamic-import-in-score', 'static-import', 'atomics-wait', 'huge-arraybuffer', 'throw-at-load', 'extra-export', 'secret-exception'];

describe('escaping the confinement', () => {
  it.each(ESCAPES)('%s is refused by the static rules in the executor itself (both modes)', async (name) => {
    for (const mode of ['cohort', 'subjects'] as const) {
      const r = await runSource(executor, fixture(name), mode, 6);
      expect(r.ok ? 'released' : r.code, mode).toBe('SANDBOX_MODULE_INVALID');
    }
  });

  // (carry-over keeps a top-level `let`: no runtime measure can freeze a module binding,
  // which is why the static rules refuse it; row-purity.test.ts shows both sides)
  it.each(ESCAPES.filter((n) => !['static-import', 'dynamic-import', 'extra-export', 'carry-over'].includes(n)))('%s finds nothing in the runtime layer alone: it fails or scores the floor', (name) => {
    const { data } = dummyMatrix(FIELDS, 6, 11);
    const limits = { memoryMb: 64, callMs: 500 };
    // hardened batch
    let batch: number[] | string;
    try {
      const b = new HardenedBatch(fixture(name), FIELDS, [], limits, false);
      try {
        batch = Array.from(b.score(data, 6, 2000).scores);
      } finally {
        b.dispose();
      }
    } catch (e) {
      batch = e instanceof SandboxFailure ? e.code : 'unexpected';
    }
    if (typeof batch !== 'string') expect(new Set(batch.filter((s) => !Number.isNaN(s)))).toEqual(new Set(batch.some((s) => !Number.isNaN(s)) ? [300] : []));
    else expect(batch).toMatch(/^SANDBOX_/);
    // fresh contexts
    const f = new FreshScorer(fixture(name), FIELDS, [], limits, false);
    try {
      for (let i = 0; i < 3; i++) {
        const r = f.score(data.slice(i * FIELDS.length, (i + 1) * FIELDS.length));
        if (r !== null && !Number.isNaN(r.scores[0] as number)) expect(r.scores[0]).toBe(300);
      }
    } finally {
      f.dispose();
    }
  });

  it('infinite loops time out, deep recursion fails, a heap bomb runs out of memory: each a fixed code for the whole batch', async () => {
    expect(await executor.execute({ mode: 'cohort', source: fixture('infinite-loop'), fields: FIELDS, reasons: [], data: new Float64Array(3 * FIELDS.length), timeoutMs: 300 }).catch((e: { code: string }) => e.code)).toBe('SANDBOX_TIMEOUT');
    expect((await runSource(executor, fixture('deep-recursion'), 'cohort', 3)) as { code?: string }).toMatchObject({ code: 'SANDBOX_MODEL_ERROR' });
    expect((await runSource(executor, fixture('heap-bomb'), 'cohort', 3)) as { code?: string }).toMatchObject({ code: 'SANDBOX_MEMORY' });
    await afterwardsStillServes();
  });

  it('in subjects mode the same failures only give the failing merchants the default output', async () => {
    for (const name of ['infinite-loop', 'deep-recursion', 'heap-bomb']) {
      const r = await executor.execute({ mode: 'subjects', source: fixture(name), fields: FIELDS, reasons: [], data: new Float64Array(2 * FIELDS.length), limits: { memoryMb: 64, callMs: 100 } });
      expect(Array.from(r.failed), name).toEqual([1, 1]);
    }
    await afterwardsStillServes();
  });
});

describe('smuggling data out through the shape of the answer', () => {
  it.each(['tax-as-score', 'decimals', 'string-score', 'huge-output', 'thenable', 'undeclared-reason', 'five-reasons'])(
    '%s: every row breaking the contract gets the default output; the run is not rejected',
    async (name) => {
      const r = await runSource(executor, fixture(name), 'cohort', 40);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const replaced = r.substituted.offLattice + r.substituted.undeclared;
      expect(replaced).toBeGreaterThan(0);
      // the default output: the lowest score, no reasons
      expect(r.subjects.filter((s) => s.score === 300 && s.reasons.length === 0).length).toBeGreaterThanOrEqual(replaced);
    },
  );

  it('reason codes come back deduplicated in declared order, whatever order or repetition the model chose', async () => {
    const a = await runSource(executor, fixture('reason-order-a'), 'cohort', 5);
    const b = await runSource(executor, fixture('reason-repeat'), 'cohort', 5);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok) for (const s of a.subjects) expect(s.reasons).toEqual([...s.reasons].sort());
    if (b.ok) for (const s of b.subjects) expect(new Set(s.reasons).size).toBe(s.reasons.length);
    await afterwardsStillServes();
  });
});
