import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { DEFAULTS } from '../../core/config.js';
import { dummyLabels } from '../../datasets/dummy.js';
import { bandKs, smoothedBandAuc } from '../../policies/backtest.js';
import { bandsOf } from '../../policies/bands.js';
import { significant } from '../../policies/disclosure.js';
import { loadPolicy } from '../../policies/policy.schema.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const REFERENCE = 'models/examples/merchant-scorecard';
const N = 800;

describe('dfix model backtest (local, dummy data)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => rmDir(dir));

  it('prints the platform backtest of the reference model on dummy merchants, exact: the same figures as counting the scores model try gives, band by band', async () => {
    const io = capture();
    expect(await run(['model', 'backtest', REFERENCE, '--subjects', String(N), '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout.join(''));
    expect(r.ok).toBe(true);
    expect(r.note).toBe('dummy data, exact, no noise');
    expect(r).toMatchObject({ subjects: N, seed: DEFAULTS.seed, substituted: { failed: 0, offLattice: 0, undeclared: 0 } });
    expect(r.backtest.margins).toEqual({ auc: null, ks: null, gini: null });
    const noise = r.decisions.filter((d: { rule: string }) => d.rule === 'dp:noise');
    expect(noise).toEqual([expect.objectContaining({ action: 'zero-noise', params: expect.objectContaining({ statistic: 'backtest', note: 'dummy data, exact, no noise' }) })]);
    expect(r.decisions.map((d: { rule: string }) => d.rule)).not.toContain('release:margins');

    // independently: each merchant's score as `model try` gives it (fresh context per merchant), the labels of the same dummy merchants
    const t = capture();
    expect(await run(['model', 'try', REFERENCE, '--subjects', String(N), '--json'], t)).toBe(0);
    const scores: number[] = JSON.parse(t.stdout.join('')).outputs.map((o: { score: number }) => o.score);
    const labels = dummyLabels(N, DEFAULTS.seed);
    const defaults = labels.reduce((a, b) => a + b, 0);
    expect(r.defaults).toBe(defaults);
    const manifest = JSON.parse(fs.readFileSync(path.join(REFERENCE, 'manifest.json'), 'utf8'));
    const policy = loadPolicy().policy;
    const bands = bandsOf(manifest.output, policy);
    const good = bands.map((b) => scores.filter((s, i) => s >= b.from && s <= b.to && labels[i] !== 1).length);
    const bad = bands.map((b) => scores.filter((s, i) => s >= b.from && s <= b.to && labels[i] === 1).length);
    expect(r.backtest.bands.map((b: { label: string; count: number }) => [b.label, b.count])).toEqual(bands.map((b, j) => [b.label, (good[j] as number) + (bad[j] as number)]));
    r.backtest.bands.forEach((b: { badRate: number }, j: number) => expect(b.badRate).toBe(significant((bad[j] as number) / ((good[j] as number) + (bad[j] as number)), policy.disclosure.significantFigures)));
    expect(r.backtest.auc).toBe(significant(smoothedBandAuc(good, bad), policy.disclosure.significantFigures));
    expect(r.backtest.ks).toBe(significant(bandKs(good, bad), policy.disclosure.significantFigures));
    expect(r.backtest.auc).toBeGreaterThan(0.7);

    const text = capture();
    expect(await run(['model', 'backtest', REFERENCE, '--subjects', String(N)], text)).toBe(0);
    const out = text.stdout.join('\n');
    expect(out).toMatch(/^dummy data, exact, no noise: 800 dummy merchants/);
    expect(out).toContain(`AUC ${r.backtest.auc}  KS ${r.backtest.ks}`);
    expect(out).toMatch(/band\s+scores\s+count\s+bad rate/);
  });

  it('a model that tells no one apart has AUC 0.5 and KS 0; one that throws fails the batch as a run would, with the code', async () => {
    const flat = path.join(dir, 'flat');
    fs.mkdirSync(flat);
    fs.copyFileSync(path.join(REFERENCE, 'manifest.json'), path.join(flat, 'manifest.json'));
    fs.writeFileSync(path.join(flat, 'model.js'), 'export function score(row) {\n  return { score: 650, reasons: [] };\n}\n');
    const io = capture();
    expect(await run(['model', 'backtest', flat, '--subjects', '800', '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout.join(''));
    expect(r.backtest.auc).toBe(0.5);
    expect(r.backtest.ks).toBe(0);
    expect(r.backtest.bands.filter((b: { count: number | null }) => b.count !== null && b.count > 0)).toHaveLength(1);

    const bad = path.join(dir, 'throws');
    fs.mkdirSync(bad);
    fs.copyFileSync(path.join(REFERENCE, 'manifest.json'), path.join(bad, 'manifest.json'));
    fs.writeFileSync(path.join(bad, 'model.js'), 'export function score(row) {\n  return { score: row.x.y };\n}\n');
    const failed = capture();
    expect(await run(['model', 'backtest', bad, '--subjects', '50', '--json'], failed)).toBe(1);
    expect(JSON.parse(failed.stdout.join(''))).toEqual({ ok: false, error: { code: 'SANDBOX_MODEL_ERROR' } });
  });

  it('refuses bad arguments with a code', async () => {
    for (const [args, code] of [
      [[REFERENCE, '--subjects', '0'], 'CLI_BAD_FLAG'],
      [[REFERENCE, '--subjects', '100001'], 'CLI_BAD_FLAG'],
      [[], 'CLI_BAD_ARGUMENT'],
      [[path.join(dir, 'none')], 'MODEL_'],
    ] as const) {
      const io = capture();
      expect(await run(['model', 'backtest', ...args], io)).toBe(2);
      expect(io.stderr[0]).toContain(`error ${code}`);
    }
  });
});
