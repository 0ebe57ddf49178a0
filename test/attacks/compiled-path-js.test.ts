// ATTACK: get the executor's `compiled` path (scoreBatch called straight on the row buffer,
// no per-row frozen object) for code the platform did not compile: a JavaScript package
// exporting scoreBatch; a manifest saying format xgboost-json / pmml with JavaScript as its
// source; a JavaScript module handed to the executor as compiled (the discipline's
// compiled rule set lets scoreBatch be exported) that keeps state across rows through the
// typed arrays the runner hands it.
// Secure behaviour: `compiled` is true only for the platform's own compiled module; a
// model-as-data manifest whose file is not a model is refused with a FORMAT_* code; a
// JavaScript package never reaches runCompiled.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { runtimeModule } from '../../models/runtime.js';
import { parseManifest } from '../../models/package.js';
import { staticVetting } from '../../models/vetting.js';

const JS = `export function score(row) { return { score: 500, reasons: [] }; }
export function scoreBatch(x, names, n, out) { for (let i = 0; i < n; i++) out[i] = x[0]; }`;
const base = { name: 'm', version: '1.0.0', description: 'x', purpose: 'credit-assessment', inputs: ['business_age_months'], output: { score: { min: 300, max: 900, step: 10 }, reasons: ['R01_X'] } };

describe('the compiled path for code the platform did not compile', () => {
  it('a JavaScript package exporting scoreBatch is not compiled, and is refused by the discipline', () => {
    const m = parseManifest(base);
    expect(m).not.toBeNull();
    expect(runtimeModule(m!, JS, catalog()).compiled).toBe(false);
    const v = staticVetting({ manifestJson: base, source: JS }, catalog());
    expect(v.checks.find((c) => c.id === 'source.purity')?.status).toBe('fail');
  });

  for (const format of ['xgboost-json', 'pmml'] as const) {
    it(`format ${format} with JavaScript as its file: a coded FORMAT_* refusal`, () => {
      const mj = { ...base, format };
      const v = staticVetting({ manifestJson: mj, source: JS }, catalog());
      const parse = v.checks.find((c) => c.id === 'format.parse');
      expect(parse?.status).toBe('fail');
      expect(parse?.reason).toMatch(/^FORMAT_/);
      expect(v.runtime).toBeNull();
    });
  }

  it('format spelled otherwise (case, array, object) is refused by the manifest schema, never defaulted to a compiled format', () => {
    for (const format of ['XGBOOST-JSON', ['xgboost-json'], { toString: 'xgboost-json' }, 'xgboost']) {
      expect(parseManifest({ ...base, format })).toBeNull();
    }
  });
});
