// ATTACK: compiling approved models as data for their runs on a worker thread
// (sandbox/model-thread.ts runtimeModuleInThread, sandbox/models.ts checkedModel and
// runnableModel). Counting the compilations (the spy below wraps the real one, which runs
// on its own thread from dist/), not their time:
//  1. who can make the server compile: a bank naming an unknown id, a model in evaluation,
//     or a production model it has no access to; a rival fintech naming a model in
//     evaluation;
//  2. how many compilation threads run at once when first runs of several models arrive
//     together (each thread: hundreds of ms of CPU and up to hundreds of MB for a large model;
//     found with no resourceLimits and no cap, now at most MODEL_THREADS);
//  3. a compilation that fails for a reason of the moment (the thread ran out of memory or
//     could not start under load) was cached as "not runnable": the provider's approved model
//     then answered MODEL_NOT_RUNNABLE to every bank until the process restarted;
//  4. the model expiring, or being revoked, while its compilation is in flight.
// Secure behaviour: a request answered as for an unknown id, or refused for want of access,
// compiles nothing (no thread, no timing difference to an unknown id); at most
// MODEL_THREADS compilation threads at once; a failure of the thread answers
// SANDBOX_UNAVAILABLE and is not remembered as a property of the model (the next run
// compiles again); a model that expired or was revoked during the compilation does not run.
// Found by an attacker helper: 1, 2 and 3 broke, and were fixed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readPackage } from '../../models/package.js';
import { grantAccess, requestAccess } from '../../sandbox/access.js';
import { MODEL_THREADS } from '../../sandbox/model-thread.js';
import { approveModel, revokeModel, runnableModel, submitModel } from '../../sandbox/models.js';
import { runAggregate } from '../../sandbox/run/aggregate.js';
import { runSubjects } from '../../sandbox/run/subjects.js';
import { admitOrg, applyOrg, authenticate } from '../../sandbox/orgs.js';
import { Executor } from '../../workers/client.js';
import { strangerUscc, world, type World } from '../helpers/platform.js';
import { rmDir } from '../helpers/tmp.js';

const spy = vi.hoisted(() => ({ calls: [] as string[], gate: null as Promise<void> | null }));
// the real threads: how many are alive at once, and a thread that fails to start on demand
const threads = vi.hoisted(() => ({ alive: 0, max: 0, failNext: 0 }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class Counted extends real.Worker {
    constructor(file: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      const fail = threads.failNext > 0;
      if (fail) threads.failNext--;
      // what a thread that cannot start does (as one out of memory does): an error, then exit 1
      super(fail ? '/nonexistent/model-thread.js' : file, options);
      threads.alive++;
      threads.max = Math.max(threads.max, threads.alive);
      this.once('exit', () => threads.alive--);
    }
  }
  return { ...real, Worker: Counted };
});
vi.mock('../../sandbox/model-thread.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../sandbox/model-thread.js')>();
  return {
    ...real,
    runtimeModuleInThread: async (manifest: Parameters<typeof real.runtimeModuleInThread>[0], source: string) => {
      spy.calls.push(manifest.name);
      if (spy.gate) await spy.gate;
      return real.runtimeModuleInThread(manifest, source);
    },
  };
});

let executor: Executor;
let w: World;
let clock = Date.now();
beforeAll(async () => {
  executor = await Executor.start();
  w = await world(executor, { subjects: 400, now: () => new Date(clock) });
}, 120_000);
afterAll(async () => {
  await w.platform.close();
  await executor.close();
  rmDir(w.dir);
});

const xgb = readPackage('models/examples/xgboost-credit');
const submitXgb = async (name: string) => (await submitModel(w.platform.ctx, w.fintech, { manifest: { ...(xgb.manifestJson as Record<string, unknown>), name }, source: xgb.source })).id;
const subjects = (modelId: string) => runSubjects(w.platform.ctx, w.bank, { mode: 'subjects', modelId, subjects: [strangerUscc(1)], purpose: 'credit-assessment' });
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? 'THREW');
const reset = () => {
  spy.calls.length = 0;
  threads.max = 0;
};

describe('who makes the server compile a model', () => {
  it('a bank naming an unknown id or a model in evaluation, a rival fintech naming a model in evaluation: nothing compiled (held)', async () => {
    const evalId = await submitXgb('in-evaluation');
    approveModel(w.platform.ctx, w.regulator, evalId, { stage: 'evaluation' });
    const a = applyOrg(w.platform.ctx, { name: 'rival', kind: 'fintech', uscc: strangerUscc(9001) });
    const rival = authenticate(w.platform.ctx, admitOrg(w.platform.ctx, w.regulator, a.id).apiKey);
    reset();
    expect(await codeOf(subjects('mdl_00000000000000000000000000'))).toBe('MODEL_UNKNOWN');
    expect(await codeOf(subjects(evalId))).toBe('MODEL_UNKNOWN');
    expect(await codeOf(runAggregate(w.platform.ctx, rival, { mode: 'aggregate', modelId: evalId, cohort: {}, statistics: ['meanScore'] }))).toBe('MODEL_UNKNOWN');
    expect(spy.calls).toEqual([]);
  });

  it('a bank without access to a production model: refused, and nothing compiled', async () => {
    const id = await submitXgb('no-access');
    approveModel(w.platform.ctx, w.regulator, id, {});
    reset();
    expect(await codeOf(subjects(id))).toBe('ACCESS_NOT_GRANTED');
    // runnableModel (and so the compilation on a thread) came before the access check in runSubjects and runEncrypted
    expect(spy.calls, 'compilations caused by a bank without access').toEqual([]);
  });
});

describe('compilation threads at once', () => {
  it('first runs of several models arriving together start at most MODEL_THREADS threads', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await submitXgb(`burst-${i}`);
      approveModel(w.platform.ctx, w.regulator, id, {});
      grantAccess(w.platform.ctx, w.fintech, requestAccess(w.platform.ctx, w.bank, id, 'credit-assessment').id);
      ids.push(id);
    }
    reset();
    const codes = await Promise.all(ids.map((id) => codeOf(subjects(id))));
    expect(codes).toEqual(ids.map(() => 'ok'));
    expect(spy.calls.length).toBe(6);
    expect(threads.max, 'compilation threads alive at once').toBeLessThanOrEqual(MODEL_THREADS);
    expect(threads.max).toBeGreaterThan(0);
  }, 120_000);
});

describe('a failure of the compilation thread', () => {
  it('answers SANDBOX_UNAVAILABLE and is not remembered as the model being unrunnable: the next run compiles again and runs', async () => {
    const id = await submitXgb('transient');
    approveModel(w.platform.ctx, w.regulator, id, {});
    threads.failNext = 1;
    const first = await codeOf(runnableModel(w.platform.ctx, id, 'aggregate'));
    expect(threads.failNext).toBe(0);
    expect(first, 'a thread failure answered as a property of the model').toBe('SANDBOX_UNAVAILABLE');
    // nothing about the model changed: it is approved, unexpired, intact
    const second = await codeOf(runnableModel(w.platform.ctx, id, 'aggregate'));
    expect(second, 'the approved model after one thread failure').toBe('ok');
  });
});

describe('state changes while the compilation is in flight (held)', () => {
  it('a model that expires during its compilation does not run', async () => {
    const id = await submitXgb('expiring');
    const expiresAt = new Date(clock + 60_000).toISOString();
    approveModel(w.platform.ctx, w.regulator, id, { expiresAt });
    let open!: () => void;
    spy.gate = new Promise((r) => (open = r));
    const pending = codeOf(runnableModel(w.platform.ctx, id, 'aggregate'));
    await new Promise((r) => setTimeout(r, 20));
    clock += 120_000;
    spy.gate = null;
    open();
    expect(await pending).toBe('MODEL_NOT_RUNNABLE');
  });

  it('a model revoked during its compilation does not run, and concurrent runs agree', async () => {
    const id = await submitXgb('revoked');
    approveModel(w.platform.ctx, w.regulator, id, {});
    let open!: () => void;
    spy.gate = new Promise((r) => (open = r));
    const runs = [codeOf(runnableModel(w.platform.ctx, id, 'aggregate')), codeOf(runnableModel(w.platform.ctx, id, 'bank'))];
    await new Promise((r) => setTimeout(r, 20));
    revokeModel(w.platform.ctx, w.regulator, id, 'revoked mid-compile');
    spy.gate = null;
    open();
    expect(await Promise.all(runs)).toEqual(['MODEL_NOT_RUNNABLE', 'MODEL_NOT_RUNNABLE']);
  });
});
