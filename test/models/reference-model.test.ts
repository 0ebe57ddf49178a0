// The reference scorecard, run in the sandbox over the vault, separates defaulters from the
// rest: AUC of at least 0.70 against the hidden label.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { manifestSchema } from '../../models/manifest.schema.js';
import { seedVault, Vault } from '../../datasets/store.js';
import { auc } from '../../policies/backtest.js';
import { checkedScores, contractOf, subjectScores } from '../../sandbox/scoring.js';
import { Executor } from '../../workers/client.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('reference model', () => {
  let dir: string;
  let vault: Vault;
  let executor: Executor;
  beforeAll(async () => {
    dir = tmpDir();
    seedVault(path.join(dir, 'vault.sqlite'), { subjects: 20_000, seed: 99 });
    vault = Vault.open(path.join(dir, 'vault.sqlite'));
    executor = await Executor.start();
  });
  afterAll(async () => {
    vault.close();
    await executor.close();
    rmDir(dir);
  });

  it('reaches an AUC of at least 0.70 on the vault, every score on its lattice', async () => {
    const pkg = readPackage(path.resolve('models/examples/merchant-scorecard'));
    const m = manifestSchema.parse(pkg.manifestJson);
    const p = vault.project(m.inputs, null);
    const r = await executor.execute({ mode: 'cohort', source: pkg.source, fields: m.inputs, reasons: m.output.reasons, data: p.data });
    const contract = contractOf(m);
    const c = checkedScores(r, vault.info.subjects, contract);
    expect(c.substituted).toEqual({ failed: 0, offLattice: 0, undeclared: 0 });
    const subjects = subjectScores(c.scores, c.reasons, vault.info.subjects, contract);
    const a = auc(r.scores, vault.labels(null));
    console.log(`reference scorecard AUC on the vault: ${a.toFixed(4)}`);
    expect(a).toBeGreaterThanOrEqual(0.7);
    expect(new Set(subjects.map((s) => s.grade))).toEqual(new Set(['A', 'B', 'C', 'D', 'E']));
  });
});
