import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Executor, executorNodeArgs } from '../../workers/client.js';
import { encodeHeader, FrameReader, type Frame } from '../../workers/protocol.js';
import { expectServesNormalRun, FIELDS, NORMAL, runSource } from '../helpers/sandbox.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('executor confinement', () => {
  let executor: Executor;
  beforeAll(async () => {
    executor = await Executor.start();
  });
  afterAll(() => executor.close());

  it('reports itself confined by the permission model', () => {
    expect(executor.info).toMatchObject({ fsReadDenied: true, childProcessDenied: true });
    expect(executor.info?.threads).toBeGreaterThanOrEqual(1);
  });

  it.runIf(process.getuid?.() === 0)('runs as an unprivileged user with no network, where the platform is root', () => {
    expect(executor.info).toMatchObject({ osConfined: true, uid: 65534 });
    expect(executor.info?.interfaces).toEqual([]);
  });

  it('the crypto process is held to the same permission model', async () => {
    const { cryptoNodeArgs } = await import('../../workers/crypto-client.js');
    const r = spawnSync(process.execPath, [...cryptoNodeArgs(), '-e', "require('fs').readFileSync('/etc/passwd')"], { encoding: 'utf8' });
    expect(r.stderr).toContain('ERR_ACCESS_DENIED');
  });

  it('its flags deny reading the vault, writing, and child processes', () => {
    const dir = tmpDir();
    const vault = path.join(dir, 'vault.sqlite');
    fs.writeFileSync(vault, 'secret');
    const probe = (code: string) => spawnSync(process.execPath, [...executorNodeArgs(), '-e', code], { encoding: 'utf8' });
    expect(probe(`require('fs').readFileSync(${JSON.stringify(vault)})`).stderr).toContain('ERR_ACCESS_DENIED');
    expect(probe(`require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'x'))}, 'x')`).stderr).toContain('ERR_ACCESS_DENIED');
    expect(probe(`require('child_process').execSync('id')`).stderr).toContain('ERR_ACCESS_DENIED');
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    rmDir(dir);
  });
});

describe('executor transfer', () => {
  it('keeps row order across many chunks in both modes, and handles no rows', async () => {
    const executor = await Executor.start({ cohortChunkRows: 700, subjectChunkRows: 33 });
    try {
      expect(await expectServesNormalRun(executor)).toBe(true);
      for (const mode of ['cohort', 'subjects'] as const) {
        const rows = mode === 'cohort' ? 5000 : 300;
        const data = new Float64Array(rows * FIELDS.length);
        for (let i = 0; i < rows; i++) data[i * FIELDS.length] = (i % 61) * 6;
        const r = await executor.execute({ mode, source: NORMAL, fields: FIELDS, reasons: ['R01_A'], data });
        expect(Array.from(r.scores)).toEqual(Array.from({ length: rows }, (_, i) => 300 + 10 * (i % 61)));
      }
      const empty = await executor.execute({ mode: 'cohort', source: NORMAL, fields: FIELDS, reasons: [], data: new Float64Array(0) });
      expect(empty.scores.length).toBe(0);
    } finally {
      await executor.close();
    }
  });

  it('serves many concurrent runs (rows may arrive before their run message)', async () => {
    const executor = await Executor.start();
    try {
      const rows = (i: number) => Float64Array.from({ length: FIELDS.length }, (_, j) => (j === 0 ? i * 6 : 0));
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, i) => executor.execute({ mode: i % 2 ? 'subjects' : 'cohort', source: NORMAL, fields: FIELDS, reasons: ['R01_A'], data: rows(i % 61) })),
      );
      expect(results.map((r) => r.scores[0])).toEqual(Array.from({ length: 64 }, (_, i) => 300 + 10 * (i % 61)));
    } finally {
      await executor.close();
    }
  });

  it('gives each of many queued runs its own outcome: one failing merchant fails only its own run', async () => {
    // Runs for the same model and partition queue up and are handed to workers in batches;
    // a model error or timeout in one run must not touch the others in its batch.
    const source = `export function score(row) {
  const age = row.business_age_months;
  if (age === 6000) throw new Error('bad merchant');
  if (age === 6006) for (;;) {}
  return { score: 300 + 10 * Math.min(60, Math.floor(age / 6)) };
}`;
    const executor = await Executor.start();
    try {
      const ages = Array.from({ length: 96 }, (_, i) => (i === 20 ? 6000 : i === 50 ? 6006 : (i % 61) * 6));
      const outcomes = await Promise.all(
        ages.map((age) =>
          executor
            .execute({ mode: 'subjects', source, fields: FIELDS, reasons: [], data: Float64Array.from(FIELDS, (_, j) => (j === 0 ? age : 0)), partition: 'bank_a' })
            .then((r) => r.scores[0] as number, (e: { code: string }) => e.code),
        ),
      );
      expect(outcomes[20]).toBe('SANDBOX_MODEL_ERROR');
      expect(outcomes[50]).toBe('SANDBOX_TIMEOUT');
      expect(outcomes.filter((_, i) => i !== 20 && i !== 50)).toEqual(ages.filter((_, i) => i !== 20 && i !== 50).map((a) => 300 + 10 * Math.min(60, a / 6)));
      expect(executor.restarts).toBe(0);
    } finally {
      await executor.close();
    }
  });

  it('reassembles frames split anywhere', () => {
    const frames: Frame[] = [];
    const reader = new FrameReader((f) => frames.push(f), 1 << 20);
    const payload = new Float64Array([1.5, NaN, -3]);
    const bytes = Buffer.concat([encodeHeader(7, 2, 3, 24), Buffer.from(payload.buffer), encodeHeader(8, 0, 0, 0)]);
    for (let i = 0; i < bytes.length; i += 5) reader.push(bytes.subarray(i, i + 5));
    expect(frames.map((f) => [f.id, f.seq, f.rows])).toEqual([[7, 2, 3], [8, 0, 0]]);
    expect(Array.from(new Float64Array(frames[0]!.payload))).toEqual([1.5, NaN, -3]);
    expect(() => new FrameReader(() => undefined, 8).push(encodeHeader(1, 0, 1, 16))).toThrow();
  });
});

describe('executor watchdog', () => {
  it('restarts an executor that stops answering: runs in flight fail with a code, later runs work', async () => {
    const executor = await Executor.start({ pingMs: 100, deadMs: 800 });
    try {
      const first = executor.pid as number;
      const rows = 200_000;
      const inflight = executor.execute({ mode: 'cohort', source: NORMAL, fields: FIELDS, reasons: ['R01_A'], data: new Float64Array(rows * FIELDS.length) });
      process.kill(first, 'SIGSTOP');
      await expect(inflight).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
      expect(await expectServesNormalRun(executor)).toBe(true);
      expect(executor.pid).not.toBe(first);
      expect(executor.restarts).toBe(1);
    } finally {
      await executor.close();
    }
  });

  it('replaces an executor that died, and the next run works', async () => {
    const executor = await Executor.start();
    try {
      const first = executor.pid as number;
      process.kill(first, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const r = await runSource(executor, NORMAL);
      expect(r.ok).toBe(true);
      expect(executor.pid).not.toBe(first);
    } finally {
      await executor.close();
    }
  });
});
