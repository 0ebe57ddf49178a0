// The executor processes: confinement (fail-closed), transfer, batching with per-request
// outcomes, crash containment between lanes, OS limits, and liveness.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { establishConfinement, permissionArgs, readableByOthers } from '../../core/confinement.js';
import { projectRoot } from '../../core/fs.js';
import { Executor } from '../../workers/client.js';
import { expectServesNormalRun, FIELDS, NORMAL, runSource } from '../helpers/sandbox.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const root = it.runIf(process.getuid?.() === 0);

describe('executor confinement', () => {
  let executor: Executor;
  beforeAll(async () => {
    executor = await Executor.start();
  });
  afterAll(() => executor.close());

  it('reports itself confined by the permission model, with an address-space and CPU limit', () => {
    expect(executor.posture.reported).toMatchObject({ fsReadDenied: true, childProcessDenied: true });
    expect(executor.posture.reported?.addressSpaceBytes).toBe(executor.posture.limits.addressSpaceBytes);
    expect(executor.posture.reported?.cpuSeconds).toBeGreaterThan(0);
    expect(executor.posture.residual.join(' ')).toContain('dlopen');
  });

  root('runs as nobody with no network, where the platform is root', () => {
    expect(executor.posture).toMatchObject({ mode: 'os', user: 'nobody (65534)' });
    expect(executor.posture.reported).toMatchObject({ uid: 65534, interfaces: [] });
  });

  it('its flags deny reading the vault, writing, and child processes', () => {
    const dir = tmpDir();
    const vault = path.join(dir, 'vault.sqlite');
    fs.writeFileSync(vault, 'secret');
    const probe = (code: string) => spawnSync(process.execPath, [...permissionArgs(projectRoot(), { addons: true }), '-e', code], { encoding: 'utf8' });
    expect(probe(`require('fs').readFileSync(${JSON.stringify(vault)})`).stderr).toContain('ERR_ACCESS_DENIED');
    expect(probe(`require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'x'))}, 'x')`).stderr).toContain('ERR_ACCESS_DENIED');
    expect(probe(`require('child_process').execSync('id')`).stderr).toContain('ERR_ACCESS_DENIED');
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    rmDir(dir);
  });

  root('refuses to start, in one coded line, when the OS confinement cannot be established (setpriv missing)', async () => {
    const err = await Executor.start({ tools: { unshare: '/usr/bin/unshare', setpriv: '/nonexistent/setpriv', prlimit: '/usr/bin/prlimit' } }).then(
      () => null,
      (e: { code: string; detail: string }) => e,
    );
    expect(err?.code).toBe('CONFINEMENT_UNAVAILABLE');
    expect(err?.detail).toContain('setpriv');
  });

  it('running with the permission model alone is an explicit choice, shown in the posture', () => {
    const c = establishConfinement('permission-only');
    expect(c.posture.mode).toBe('permission-only');
    expect(c.posture.residual.join(' ')).toContain('permission model alone');
    c.dispose();
  });

  root('from an install directory nobody can read (a 0700 clone), runs from a readable copy and scores', () => {
    const dir = tmpDir();
    fs.chmodSync(dir, 0o700);
    const install = path.join(dir, 'dfix');
    fs.mkdirSync(install);
    for (const f of ['package.json', 'dist', 'node_modules']) fs.cpSync(path.join(projectRoot(), f), path.join(install, f), { recursive: true, verbatimSymlinks: true });
    expect(readableByOthers(path.join(install, 'dist', 'workers', 'executor.js'))).toBe(false);
    const script = `import { Executor } from './dist/workers/client.js';
const e = await Executor.start();
const r = await e.execute({ mode: 'cohort', source: ${JSON.stringify(NORMAL)}, fields: ${JSON.stringify(FIELDS)}, reasons: [], data: new Float64Array([60, 0, 0]) });
console.log(JSON.stringify({ runtime: e.posture.runtime, uid: e.posture.reported.uid, score: r.scores[0] }));
await e.close();`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: install, encoding: 'utf8', timeout: 60_000 });
    rmDir(dir);
    const line = JSON.parse(out.stdout.trim().split('\n').pop() as string) as { runtime: string; uid: number; score: number };
    expect(line.runtime).toContain('readable copy');
    expect(line.uid).toBe(65534);
    expect(line.score).toBe(400);
  }, 120_000);
});

describe('executor transfer and batching', () => {
  let executor: Executor;
  beforeAll(async () => {
    executor = await Executor.start();
  });
  afterAll(() => executor.close());

  it('keeps row order in both modes, across lanes, and handles no rows', async () => {
    expect(await expectServesNormalRun(executor)).toBe(true);
    for (const mode of ['cohort', 'subjects'] as const) {
      const rows = mode === 'cohort' ? 60_000 : 300;
      const data = new Float64Array(rows * FIELDS.length);
      for (let i = 0; i < rows; i++) data[i * FIELDS.length] = (i % 61) * 6;
      const r = await executor.execute({ mode, source: NORMAL, fields: FIELDS, reasons: ['R01_A'], data, timeoutMs: 20_000 });
      expect(Array.from(r.scores)).toEqual(Array.from({ length: rows }, (_, i) => 300 + 10 * (i % 61)));
    }
    const empty = await executor.execute({ mode: 'cohort', source: NORMAL, fields: FIELDS, reasons: [], data: new Float64Array(0) });
    expect(empty.scores.length).toBe(0);
  });

  it('serves many concurrent requests in both modes', async () => {
    const rows = (i: number) => Float64Array.from({ length: FIELDS.length }, (_, j) => (j === 0 ? i * 6 : 0));
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => executor.execute({ mode: i % 2 ? 'subjects' : 'cohort', source: NORMAL, fields: FIELDS, reasons: ['R01_A'], data: rows(i % 61) })),
    );
    expect(results.map((r) => r.scores[0])).toEqual(Array.from({ length: 64 }, (_, i) => 300 + 10 * (i % 61)));
  });

  it('in subjects mode, a merchant that fails (error or time) is marked alone; its batch neighbours are scored', async () => {
    const source = `export function score(row) {
  const age = row.business_age_months;
  if (age === 6000) return null.x;
  if (age === 6006) for (;;) {}
  return { score: 300 + 10 * Math.min(60, Math.floor(age / 6)) };
}`;
    const ages = Array.from({ length: 96 }, (_, i) => (i === 20 ? 6000 : i === 50 ? 6006 : (i % 61) * 6));
    const outcomes = await Promise.all(
      ages.map((age) =>
        executor
          .execute({ mode: 'subjects', source, fields: FIELDS, reasons: [], data: Float64Array.from(FIELDS, (_, j) => (j === 0 ? age : 0)), partition: 'bank_a', limits: { memoryMb: 64, callMs: 50 } })
          .then((r) => (r.failed[0] ? 'failed' : (r.scores[0] as number))),
      ),
    );
    expect(outcomes[20]).toBe('failed');
    expect(outcomes[50]).toBe('failed');
    expect(outcomes.filter((_, i) => i !== 20 && i !== 50)).toEqual(ages.filter((_, i) => i !== 20 && i !== 50).map((a) => 300 + 10 * Math.min(60, a / 6)));
    expect(executor.restarts).toBe(0);
  });
});

describe('crash containment and liveness', () => {
  it('a package that runs a builtin past every limit in the vetting lane leaves production runs untouched', async () => {
    const executor = await Executor.start();
    try {
      const production = executor.pids('production');
      const crash = `export function score() { const o = { length: 2 ** 32 - 2 }; Array.prototype.fill.call(o, 1); return { score: 300 }; }`;
      const attack = executor.execute({ mode: 'cohort', lane: 'vetting', source: crash, fields: FIELDS, reasons: [], data: new Float64Array(3 * FIELDS.length), timeoutMs: 300 }).then(
        () => 'released',
        (e: { code: string }) => e.code,
      );
      const bank = await Promise.all(Array.from({ length: 20 }, () => runSource(executor, NORMAL, 'subjects', 5)));
      expect(bank.every((r) => r.ok)).toBe(true);
      expect(['SANDBOX_TIMEOUT', 'SANDBOX_MEMORY']).toContain(await attack);
      expect(executor.pids('production')).toEqual(production);
      expect(await expectServesNormalRun(executor)).toBe(true);
    } finally {
      await executor.close();
    }
  });

  it('a parent whose event loop stalls for 6 s does not mistake it for the executor dying', async () => {
    const executor = await Executor.start({ deadMs: 2000 });
    try {
      const before = executor.pids();
      const until = Date.now() + 6000;
      while (Date.now() < until) {
        // the parent is busy (as when seeding a large vault synchronously)
      }
      expect((await runSource(executor, NORMAL)).ok).toBe(true);
      expect(executor.pids()).toEqual(before);
      expect(executor.restarts).toBe(0);
    } finally {
      await executor.close();
    }
  });

  it('replaces an executor that stopped answering or died; later runs work', async () => {
    const executor = await Executor.start({ deadMs: 800 });
    try {
      const [first] = executor.pids();
      process.kill(first as number, 'SIGSTOP');
      // replaced once it has been silent for deadMs (polled: no fixed wait to guess on a busy machine)
      await vi.waitFor(
        () => {
          expect(executor.pids()).not.toContain(first);
          expect(executor.restarts).toBeGreaterThanOrEqual(1);
        },
        { timeout: 30_000, interval: 50 },
      );
      const [second] = executor.pids();
      const before = executor.restarts;
      process.kill(second as number, 'SIGKILL');
      await vi.waitFor(() => expect(executor.restarts).toBeGreaterThan(before), { timeout: 30_000, interval: 20 });
      expect((await runSource(executor, NORMAL)).ok).toBe(true);
      expect(executor.pids()).not.toContain(second);
    } finally {
      await executor.close();
    }
  });
});
