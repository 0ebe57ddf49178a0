import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { dummyCsv, dummyJson, dummyTable } from '../../datasets/dummy.js';
import { seedVault, Vault } from '../../datasets/store.js';
import { isValidUscc } from '../../datasets/uscc.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('dummy data', () => {
  let dir: string;
  let vault: Vault;
  const N = 5000;
  beforeAll(() => {
    dir = tmpDir();
    seedVault(path.join(dir, 'vault.sqlite'), { subjects: N, seed: 9 });
    vault = Vault.open(path.join(dir, 'vault.sqlite'));
  });
  afterAll(() => {
    vault.close();
    rmDir(dir);
  });

  it('shares no merchant with the vault, even drawn from the same seed', () => {
    const dummy = dummyTable(N, 9);
    const codes = dummy.rows.map((r) => r[0] as string);
    codes.forEach((c) => expect(isValidUscc(c)).toBe(true));
    expect(Array.from(vault.resolve(codes)).every((i) => i === -1)).toBe(true);
  });

  it('has the vault schema and close marginals', () => {
    const dummy = dummyTable(N, 9);
    expect(dummy.columns).toEqual(catalog().map((f) => f.name));
    const col = (name: string) => dummy.rows.map((r) => r[dummy.columns.indexOf(name)]);
    const rate = (xs: unknown[]) => xs.filter((x) => x === 1).length / xs.length;
    expect(Math.abs(rate(col('default_12m')) - vault.labels(null).reduce((a, b) => a + b, 0) / N)).toBeLessThan(0.02);
    const retailDummy = col('industry_section').filter((x) => x === 5).length / N;
    const retailVault = vault.cohort({ industry: 'F' }).length / N;
    expect(Math.abs(retailDummy - retailVault)).toBeLessThan(0.03);
    const missing = col('paid_in_capital').filter((x) => x === null).length / N;
    expect(missing).toBeGreaterThan(0.4);
  });

  it('exports JSON and CSV with the same rows', () => {
    const t = dummyTable(3, 1);
    const json = dummyJson(t);
    expect(json).toHaveLength(3);
    expect(Object.keys(json[0] as object)).toEqual(t.columns);
    const lines = dummyCsv(t).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(t.columns.join(','));
    expect(lines[1]?.split(',')[0]).toBe(json[0]?.uscc);
  });

  it('refuses a bad count', () => {
    expect(() => dummyTable(0, 1)).toThrow(expect.objectContaining({ code: 'DATASET_BAD_COUNT' }));
    expect(() => dummyTable(1_000_000, 1)).toThrow(expect.objectContaining({ code: 'DATASET_BAD_COUNT' }));
  });
});
