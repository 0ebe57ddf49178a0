// Sandbox benchmarks: what confinement costs against the same work in plain Node.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Vault } from '../datasets/store.js';
import { manifestSchema, type Manifest } from '../models/manifest.schema.js';
import { readPackage } from '../models/package.js';
import { checkOutputs } from '../policies/output-contract.js';
import { Executor } from '../workers/client.js';
import type { BenchContext } from './context.js';
import { figure, type Figure } from './report.js';

const REFERENCE = path.resolve('models/examples/merchant-scorecard');
type ScoreFn = (row: Record<string, number | null>) => { score: number; reasons?: string[] };

/** The same loop as the isolate's runner, in plain Node: frozen row objects, same checks. */
function plainScore(score: ScoreFn, data: Float64Array, fields: readonly string[], codes: readonly string[]) {
  const k = fields.length;
  const n = data.length / k;
  const scores = new Float64Array(n);
  const reasons = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const row: Record<string, number | null> = {};
    for (let j = 0; j < k; j++) {
      const v = data[i * k + j] as number;
      row[fields[j] as string] = v === v ? v : null;
    }
    Object.freeze(row);
    const r = score(row);
    scores[i] = typeof r.score === 'number' ? r.score : NaN;
    const list = r.reasons ?? [];
    for (let t = 0; t < list.length && t < 3; t++) reasons[i * 3 + t] = codes.indexOf(list[t] as string) + 1;
  }
  return { scores, reasons };
}

async function timeAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)] as number;
}

async function reference(): Promise<{ source: string; manifest: Manifest; score: ScoreFn }> {
  const pkg = readPackage(REFERENCE);
  const mod = (await import(pathToFileURL(path.join(REFERENCE, 'model.js')).href)) as { score: ScoreFn };
  return { source: pkg.source, manifest: manifestSchema.parse(pkg.manifestJson), score: mod.score };
}

function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function benchCohort(ctx: BenchContext): Promise<Figure[]> {
  await ctx.ensureVault();
  const { source, manifest, score } = await reference();
  const vault = Vault.open(path.join(ctx.dir, 'vault.sqlite'));
  const executor = await Executor.start();
  const figures: Figure[] = [];
  try {
    const sizes = [...new Set([Math.min(100_000, vault.info.subjects), vault.info.subjects])];
    for (const n of sizes) {
      const subjects = n === vault.info.subjects ? null : Int32Array.from({ length: n }, (_, i) => i);
      const data = vault.project(manifest.inputs, subjects).data;
      const req = { mode: 'cohort' as const, source, fields: manifest.inputs, reasons: manifest.output.reasons, data };
      await executor.execute({ ...req, data: data.slice(0, 1000 * manifest.inputs.length) }); // warm
      const a = await timeAsync(3, async () => plainScore(score, data, manifest.inputs, manifest.output.reasons));
      const b = await timeAsync(3, () => executor.execute({ ...req, data: data.slice() }));
      const wholeSandboxed = await timeAsync(3, async () => {
        const p = vault.project(manifest.inputs, subjects);
        const r = await executor.execute({ ...req, data: p.data });
        checkOutputs(r.scores, r.reasons, n, manifest.output);
      });
      const wholePlain = await timeAsync(3, async () => {
        const p = vault.project(manifest.inputs, subjects);
        const r = plainScore(score, p.data, manifest.inputs, manifest.output.reasons);
        checkOutputs(r.scores, r.reasons, n, manifest.output);
      });
      figures.push(
        figure(`sandbox.cohort.${n}.plain`, a, 'ms', null, '(a) the score function in plain Node, in the parent'),
        figure(`sandbox.cohort.${n}.sandboxed`, b, 'ms', a, '(b) transfer + isolate + copies + transfer back, over (a); target at most 4 at 1,000,000'),
        figure(`sandbox.cohort.${n}.run`, wholeSandboxed, 'ms', wholePlain, '(c) projection + scoring + contract, sandboxed over not; target at most 1.5 at 1,000,000'),
      );
    }

    // Per-subject mode: a fresh context per merchant.
    const m = 2000;
    const data = vault.project(manifest.inputs, Int32Array.from({ length: m }, (_, i) => i)).data;
    const perSubject = await timeAsync(3, () => executor.execute({ mode: 'subjects', source, fields: manifest.inputs, reasons: manifest.output.reasons, data }));
    const plain = await timeAsync(3, async () => plainScore(score, data, manifest.inputs, manifest.output.reasons));
    figures.push(figure('sandbox.subjects.throughput', (m / perSubject) * 1000, 'merchants/s', (m / plain) * 1000, `fresh context per merchant, ${executor.pids().length} processes; target 1,000 or more; baseline: plain Node`));

    // One merchant on a warm executor.
    const one = data.slice(0, manifest.inputs.length);
    const warm = await timeAsync(21, () => executor.execute({ mode: 'subjects', source, fields: manifest.inputs, reasons: manifest.output.reasons, data: one }));
    const plainOne = await timeAsync(21, async () => plainScore(score, one, manifest.inputs, manifest.output.reasons));
    figures.push(figure('sandbox.subjects.one-merchant', warm, 'ms', plainOne, 'warm executor, median of 21; target under 20 ms'));
  } finally {
    await executor.close();
    vault.close();
  }
  return figures;
}

export async function benchExecutor(): Promise<Figure[]> {
  const bare = (() => {
    const t: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      t.push(performance.now() - s);
    }
    return t.sort((a, b) => a - b)[2] as number;
  })();
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const e = await Executor.start();
    starts.push(performance.now() - s);
    await e.close();
  }
  const cold = starts.sort((a, b) => a - b)[2] as number;

  const executor = await Executor.start();
  const figures = [figure('sandbox.executor.cold-start', cold, 'ms', bare, 'median of 5; baseline: a bare `node -e 0`; target under 1000 ms')];
  try {
    const fields = ['business_age_months'];
    const data = new Float64Array(64).fill(12);
    await executor.execute({ mode: 'cohort', source: 'export function score(){ return { score: 300 } }', fields, reasons: [], data });
    const normal = peakRssMb(executor.pid);
    const codes: string[] = [];
    for (const source of [
      'export function score(){ const k = []; for (;;) k.push(new Array(1 << 20).fill(k.length + 0.5)); }',
      'export function score(){ return { score: new ArrayBuffer(3 * 1024 ** 3).byteLength } }',
    ]) {
      await executor.execute({ mode: 'cohort', source, fields, reasons: [], data }).then(
        () => codes.push('released'),
        (e: { code?: string }) => codes.push(e.code ?? 'unknown'),
      );
    }
    const after = peakRssMb(executor.pid);
    figures.push(figure('sandbox.executor.peak-rss-under-attack', after, 'MiB', normal, `heap bomb -> ${codes[0]}, 3 GiB ArrayBuffer -> ${codes[1]}; target under 1024 MiB; baseline: after a normal run`));
  } finally {
    await executor.close();
  }
  return figures;
}
