import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const REFERENCE = 'models/examples/merchant-scorecard';

describe('dfix model', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => rmDir(dir));

  it('try runs the reference model in the sandbox and prints scores on the lattice', async () => {
    const io = capture();
    expect(await run(['model', 'try', REFERENCE, '--subjects', '12', '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout.join(''));
    expect(r.ok).toBe(true);
    expect(r.outputs).toHaveLength(12);
    for (const o of r.outputs) {
      expect(o.score % 10).toBe(0);
      expect(o.score).toBeGreaterThanOrEqual(300);
      expect(o.score).toBeLessThanOrEqual(900);
      expect(['A', 'B', 'C', 'D', 'E']).toContain(o.grade);
      expect(o.reasons.length).toBeLessThanOrEqual(3);
      expect(o.subject).toMatch(/^9[12]320594MD/);
    }
  });

  it('try gives the code and, on dummy data only, the model’s own error with its line and stack', async () => {
    const pkg = path.join(dir, 'bad');
    fs.mkdirSync(pkg);
    fs.copyFileSync(path.join(REFERENCE, 'manifest.json'), path.join(pkg, 'manifest.json'));
    fs.writeFileSync(path.join(pkg, 'model.js'), 'export function score(row) {\n  const o = row.business_age_months > -1 ? null : row;\n  return { score: o.x };\n}\n');
    const io = capture();
    expect(await run(['model', 'try', pkg, '--json', '--mode', 'cohort'], io)).toBe(1);
    const out = JSON.parse(io.stdout.join('')) as { ok: boolean; error: { code: string; message: string; line: number; column: number; stack: string } };
    expect(out).toMatchObject({ ok: false, error: { code: 'SANDBOX_MODEL_ERROR', line: 3, column: 21, message: "Cannot read properties of null (reading 'x')" } });
    expect(out.error.stack).toContain('at score (model.js:3:21)');
  });

  it('check passes the reference model and fails one reading an S4 field, with the reason', async () => {
    const ok = capture();
    expect(await run(['model', 'check', REFERENCE], ok)).toBe(0);
    expect(ok.stdout[0]).toMatch(/^PASSED sha256:/);
    const pkg = path.join(dir, 's4');
    fs.mkdirSync(pkg);
    const m = JSON.parse(fs.readFileSync(path.join(REFERENCE, 'manifest.json'), 'utf8'));
    m.inputs.push('uscc');
    m.output.score.step = 7;
    fs.writeFileSync(path.join(pkg, 'manifest.json'), JSON.stringify(m));
    fs.copyFileSync(path.join(REFERENCE, 'model.js'), path.join(pkg, 'model.js'));
    const io = capture();
    expect(await run(['model', 'check', pkg, '--json'], io)).toBe(1);
    const report = JSON.parse(io.stdout.join(''));
    expect(report.passed).toBe(false);
    expect(report.checks.find((c: { id: string }) => c.id === 'inputs.readable').reason).toContain('uscc');
    expect(report.checks.find((c: { id: string }) => c.id === 'output.lattice').status).toBe('fail');
  });

  it('refuses a missing package or bad flags with a code and exit 2', async () => {
    for (const argv of [['model', 'check', '/nonexistent'], ['model', 'try'], ['model', 'try', REFERENCE, '--mode', 'x'], ['model', 'try', REFERENCE, '--subjects', '0']]) {
      const io = capture();
      expect(await run(argv, io)).toBe(2);
      expect(io.stderr[0]).toMatch(/^error [A-Z_]+: /);
    }
  });
});
