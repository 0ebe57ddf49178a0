// THREATS.md, "Escaping the confinement" and "Smuggling data out through legitimate
// outputs": every hostile model against the real executor. Each yields its fixed code (or,
// when it tries to detect the host, finds nothing), and afterwards the same executor
// process still serves a normal run correctly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Executor } from '../../workers/client.js';
import { expectServesNormalRun, fixture, runSource, type Outcome } from '../helpers/sandbox.js';

let executor: Executor;
let pid: number | undefined;
beforeAll(async () => {
  executor = await Executor.start();
  pid = executor.pid;
});
afterAll(() => executor.close());

async function afterwardsStillServes(): Promise<void> {
  expect(await expectServesNormalRun(executor)).toBe(true);
  expect(executor.pid).toBe(pid); // the same process: nothing was restarted
  expect(executor.restarts).toBe(0);
}

function expectCode(r: Outcome, code: string): void {
  expect(r.ok ? 'released' : r.code).toBe(code);
}

function expectFoundNothing(r: Outcome): void {
  expect(r.ok).toBe(true);
  if (r.ok) expect(new Set(r.subjects.map((s) => s.score))).toEqual(new Set([300]));
}

describe('escaping the confinement', () => {
  it.each(['cohort', 'subjects'] as const)('constructor chains find no host Function (%s)', async (mode) => {
    expectFoundNothing(await runSource(executor, fixture('constructor-chain'), mode));
    expectCode(await runSource(executor, fixture('constructor-chain-uncaught'), mode), 'SANDBOX_MODEL_ERROR');
    await afterwardsStillServes();
  });

  it('stack-trace hooks and call sites reveal no host object or path', async () => {
    expectFoundNothing(await runSource(executor, fixture('stack-trace')));
    await afterwardsStillServes();
  });

  it('proxy traps receive nothing created by the host', async () => {
    expectFoundNothing(await runSource(executor, fixture('proxy-traps')));
    await afterwardsStillServes();
  });

  it('Symbol.species captures nothing', async () => {
    expectFoundNothing(await runSource(executor, fixture('species')));
    await afterwardsStillServes();
  });

  it('a thenable is not adopted: it is output outside the contract', async () => {
    expectCode(await runSource(executor, fixture('thenable')), 'SANDBOX_OUTPUT_INVALID');
    await afterwardsStillServes();
  });

  it('errors from what the host handed in lead nowhere', async () => {
    expectFoundNothing(await runSource(executor, fixture('host-error')));
    await afterwardsStillServes();
  });

  it('unhandled rejections fail the run with a fixed code, and neither crash nor stall the executor', async () => {
    expectCode(await runSource(executor, fixture('unhandled-rejection')), 'SANDBOX_MODEL_ERROR');
    expectCode(await runSource(executor, fixture('unhandled-rejection'), 'subjects'), 'SANDBOX_MODEL_ERROR');
    expectCode(await runSource(executor, fixture('throw-at-load')), 'SANDBOX_MODEL_ERROR');
    await afterwardsStillServes();
  });

  it.each(['cohort', 'subjects'] as const)('require, process, fetch, WebAssembly, shared memory, clock, randomness and eval are absent (%s)', async (mode) => {
    expectFoundNothing(await runSource(executor, fixture('probes'), mode));
    await afterwardsStillServes();
  });

  it('import() and import declarations reach no host module', async () => {
    const tla = await runSource(executor, fixture('dynamic-import'));
    expect(tla.ok).toBe(false);
    expectFoundNothing(await runSource(executor, fixture('dynamic-import-in-score')));
    expectCode(await runSource(executor, fixture('static-import')), 'SANDBOX_MODULE_INVALID');
    await afterwardsStillServes();
  });

  it('infinite loops and Atomics.wait time out or fail with a fixed code', async () => {
    expectCode(await runSource(executor, fixture('infinite-loop')), 'SANDBOX_TIMEOUT');
    expectCode(await runSource(executor, fixture('infinite-loop'), 'subjects'), 'SANDBOX_TIMEOUT');
    expectCode(await runSource(executor, fixture('atomics-wait')), 'SANDBOX_MODEL_ERROR');
    await afterwardsStillServes();
  });

  it('deep recursion fails with a fixed code', async () => {
    expectCode(await runSource(executor, fixture('deep-recursion')), 'SANDBOX_MODEL_ERROR');
    await afterwardsStillServes();
  });

  it('a heap bomb and a 3 GiB ArrayBuffer fail with SANDBOX_MEMORY', async () => {
    expectCode(await runSource(executor, fixture('heap-bomb')), 'SANDBOX_MEMORY');
    expectCode(await runSource(executor, fixture('heap-bomb'), 'subjects'), 'SANDBOX_MEMORY');
    expectCode(await runSource(executor, fixture('huge-arraybuffer')), 'SANDBOX_MEMORY');
    await afterwardsStillServes();
  });

  it('huge outputs are refused', async () => {
    expectCode(await runSource(executor, fixture('huge-output')), 'SANDBOX_OUTPUT_INVALID');
    expectCode(await runSource(executor, fixture('string-score')), 'SANDBOX_OUTPUT_INVALID');
    await afterwardsStillServes();
  });
});

describe('smuggling data out through legitimate outputs', () => {
  it('a tax figure or an identifier as the score rejects the whole run', async () => {
    expectCode(await runSource(executor, fixture('tax-as-score')), 'SANDBOX_OUTPUT_INVALID');
    await afterwardsStillServes();
  });

  it('a value hidden in the decimals is not rounded into compliance', async () => {
    expectCode(await runSource(executor, fixture('decimals')), 'SANDBOX_OUTPUT_INVALID');
    await afterwardsStillServes();
  });

  it('the order or repetition of reason codes carries nothing: the platform sorts and dedupes', async () => {
    for (const name of ['reason-order-a', 'reason-repeat']) {
      const r = await runSource(executor, fixture(name));
      expect(r.ok).toBe(true);
      if (r.ok) expect(new Set(r.subjects.map((s) => JSON.stringify(s.reasons)))).toEqual(new Set([JSON.stringify(['R01_A', 'R02_B'])]));
    }
    await afterwardsStillServes();
  });

  it('undeclared codes or more than three reasons reject the run', async () => {
    expectCode(await runSource(executor, fixture('undeclared-reason')), 'SANDBOX_OUTPUT_INVALID');
    expectCode(await runSource(executor, fixture('four-reasons')), 'SANDBOX_OUTPUT_INVALID');
    await afterwardsStillServes();
  });

  it("one merchant's data never reaches another's score in subjects mode", async () => {
    const cohort = await runSource(executor, fixture('carry-over'), 'cohort');
    expect(cohort.ok && cohort.subjects.slice(1).every((s) => s.score === 900)).toBe(true); // the fixture works
    expectFoundNothing(await runSource(executor, fixture('carry-over'), 'subjects'));
    await afterwardsStillServes();
  });

  it('nothing carries through the global object, intrinsics or symbol registry, within a run or across runs', async () => {
    const cohort = await runSource(executor, fixture('carry-over-shared'), 'cohort');
    expect(cohort.ok && cohort.subjects.slice(1).every((s) => s.score === 900)).toBe(true); // the fixture works
    expectFoundNothing(await runSource(executor, fixture('carry-over-shared'), 'subjects'));
    // concurrent one-merchant runs for one requester are batched into tasks that share an isolate
    for (const r of await Promise.all(Array.from({ length: 24 }, () => runSource(executor, fixture('carry-over-shared'), 'subjects', 1)))) expectFoundNothing(r);
    await afterwardsStillServes();
  });

  it("memory one merchant's evaluation leaves behind does not make another's fail", async () => {
    expectCode(await runSource(executor, fixture('heap-residue'), 'cohort', 3), 'SANDBOX_MEMORY'); // the fixture works
    expectFoundNothing(await runSource(executor, fixture('heap-residue'), 'subjects', 3));
    for (const r of await Promise.all(Array.from({ length: 6 }, () => runSource(executor, fixture('heap-residue'), 'subjects', 1)))) expectFoundNothing(r);
    await afterwardsStillServes();
  });

  it('a failure that depends on a secret is one fixed code with nothing of the model in it', async () => {
    for (const [name, code] of [['secret-exception', 'SANDBOX_MODEL_ERROR'], ['secret-timeout', 'SANDBOX_TIMEOUT']] as const) {
      const r = await runSource(executor, fixture(name));
      expectCode(r, code);
      if (!r.ok) {
        const e = r.error as Error & { detail?: string; cause?: unknown };
        const everything = JSON.stringify({ message: e.message, detail: e.detail, cause: String(e.cause), stack: e.stack, own: { ...e } });
        expect(everything).not.toMatch(/secret value/);
        expect(e.message).toMatch(/^The model /);
      }
    }
    await afterwardsStillServes();
  });

  it('more rows than asked cannot come back: results are checked for cardinality', async () => {
    // The runner allocates exactly one result per row; a wrong count is refused by the host.
    const { checkOutputs } = await import('../../policies/output-contract.js');
    const d = checkOutputs(new Float64Array(3).fill(300), new Uint8Array(9), 2, { score: { min: 300, max: 900, step: 10 }, reasons: [] });
    expect(d.find((x) => x.rule === 'output:cardinality')?.status).toBe('FAIL');
  });
});
