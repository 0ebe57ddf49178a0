import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/sqlite.js';
import { catalog } from '../../datasets/catalog.js';
import { CHUNK } from '../../datasets/generator.js';
import { seedVault, Vault, type SeedSummary } from '../../datasets/store.js';
import { isValidUscc } from '../../datasets/uscc.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('the vault', () => {
  let dir: string;
  let file: string;
  let summary: SeedSummary;
  let vault: Vault;
  const N = 1600;

  beforeAll(() => {
    dir = tmpDir();
    file = path.join(dir, 'vault.sqlite');
    summary = seedVault(file, { subjects: N, seed: 42 });
    vault = Vault.open(file);
  });
  afterAll(() => {
    vault.close();
    rmDir(dir);
  });

  it('summarises what it built', () => {
    expect(summary).toMatchObject({ subjects: N, fields: catalog().length, sources: 6 });
    expect(summary.datasetVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(vault.info).toMatchObject({ subjects: N, version: summary.datasetVersion });
  });

  it('has a default rate between 3% and 10%', () => {
    expect(summary.defaultRate).toBeGreaterThanOrEqual(0.03);
    expect(summary.defaultRate).toBeLessThanOrEqual(0.1);
    const labels = vault.labels(null);
    expect(labels.reduce((a, b) => a + b, 0) / N).toBeCloseTo(summary.defaultRate, 3);
  });

  it('identifies every subject by a valid, unique USCC', () => {
    const codes = vault.usccOf(Int32Array.from({ length: N }, (_, i) => i));
    expect(new Set(codes).size).toBe(N);
    for (const c of codes) expect(isValidUscc(c), c).toBe(true);
  });

  it('is deterministic from its seed, and the version is a content digest', () => {
    const again = seedVault(path.join(dir, 'again.sqlite'), { subjects: N, seed: 42 });
    expect(again.datasetVersion).toBe(summary.datasetVersion);
    const other = seedVault(path.join(dir, 'other.sqlite'), { subjects: N, seed: 43 });
    expect(other.datasetVersion).not.toBe(summary.datasetVersion);
    expect(vault.verify()).toBe(true);
  });

  it('detects a changed value against its recorded version', () => {
    const copy = path.join(dir, 'tampered.sqlite');
    fs.copyFileSync(file, copy);
    const db = openDatabase(copy);
    const row = db.prepare('SELECT id, data FROM columns LIMIT 1 OFFSET 7').get() as { id: number; data: Buffer };
    row.data[3] = (row.data[3] as number) ^ 1;
    db.prepare('UPDATE columns SET data = ? WHERE id = ?').run(row.data, row.id);
    db.close();
    const t = Vault.open(copy);
    expect(t.verify()).toBe(false);
    t.close();
  });

  it('projects declared fields into one row-major Float64Array in the order asked', () => {
    const fields = ['business_age_months', 'tax_credit_rating', 'paid_in_capital'];
    const all = vault.project(fields, null);
    expect(all.data).toBeInstanceOf(Float64Array);
    expect(all.data.length).toBe(N * 3);
    const pick = Int32Array.from([1599, 3, 3, 800]);
    const some = vault.project(fields, pick);
    expect(Array.from(some.subjects)).toEqual([1599, 3, 3, 800]);
    for (let r = 0; r < pick.length; r++) {
      for (let j = 0; j < 3; j++) {
        expect(Object.is(some.data[r * 3 + j], all.data[(pick[r] as number) * 3 + j])).toBe(true);
      }
    }
    // paid-in capital is often undisclosed: NaN marks it
    expect(Array.from(all.data).filter((_, i) => i % 3 === 2).some(Number.isNaN)).toBe(true);
  });

  it('projects across chunk boundaries', () => {
    const big = seedVault(path.join(dir, 'big.sqlite'), { subjects: CHUNK + 10, seed: 1 });
    const v = Vault.open(path.join(dir, 'big.sqlite'));
    const all = v.project(['reg_year'], null);
    const pick = Int32Array.from([CHUNK + 9, 0, CHUNK, CHUNK - 1]);
    const some = v.project(['reg_year'], pick);
    expect(Array.from(some.data)).toEqual(Array.from(pick, (i) => all.data[i]));
    expect(big.subjects).toBe(CHUNK + 10);
    v.close();
  });

  it('refuses unknown, identifying and label fields', () => {
    expect(() => vault.project(['no_such_field'], null)).toThrow(expect.objectContaining({ code: 'DATASET_UNKNOWN_FIELD' }));
    expect(() => vault.project(['uscc'], null)).toThrow(expect.objectContaining({ code: 'DATASET_FIELD_NOT_READABLE' }));
    expect(() => vault.project(['default_12m'], null)).toThrow(expect.objectContaining({ code: 'DATASET_FIELD_NOT_READABLE' }));
  });

  it('chooses cohorts by public predicates only', () => {
    const retail = vault.cohort({ industry: 'F' });
    const seg = vault.project(['industry_section', 'district'], null);
    const expected = Array.from({ length: N }, (_, i) => i).filter((i) => seg.data[i * 2] === 5);
    expect(Array.from(retail)).toEqual(expected);
    const both = vault.cohort({ industry: 'F', district: 'loufeng' });
    expect(Array.from(both)).toEqual(expected.filter((i) => seg.data[i * 2 + 1] === 0));
    expect(vault.cohort({}).length).toBe(N);
    expect(() => vault.cohort({ industry: 'ZZ' })).toThrow(expect.objectContaining({ code: 'DATASET_BAD_PREDICATE' }));
    expect(() => vault.cohort({ uscc: 'x' } as never)).toThrow(expect.objectContaining({ code: 'DATASET_BAD_PREDICATE' }));
  });

  it('resolves codes to subjects, -1 for a code not in the vault', () => {
    const codes = vault.usccOf(Int32Array.from([5, 9]));
    expect(Array.from(vault.resolve([codes[1] as string, '91350100M000100Y43', codes[0] as string]))).toEqual([9, -1, 5]);
  });

  it('is opened read-only', () => {
    const db = (vault as unknown as { db: { exec(s: string): void } }).db;
    expect(() => db.exec('DELETE FROM subjects')).toThrow();
  });

  it('refuses bad counts, an existing vault and an unwritable directory, leaving nothing behind', () => {
    expect(() => seedVault(path.join(dir, 'x.sqlite'), { subjects: 0, seed: 1 })).toThrow(expect.objectContaining({ code: 'DATASET_BAD_COUNT' }));
    expect(() => seedVault(path.join(dir, 'x.sqlite'), { subjects: 1.5, seed: 1 })).toThrow(expect.objectContaining({ code: 'DATASET_BAD_COUNT' }));
    expect(() => seedVault(path.join(dir, 'x.sqlite'), { subjects: 10, seed: -1 })).toThrow(expect.objectContaining({ code: 'DATASET_BAD_SEED' }));
    expect(() => seedVault(file, { subjects: 10, seed: 1 })).toThrow(expect.objectContaining({ code: 'DATASET_VAULT_EXISTS' }));
    expect(Vault.open(file).info.version).toBe(summary.datasetVersion);
    expect(() => seedVault('/proc/dfix-nope/vault.sqlite', { subjects: 10, seed: 1 })).toThrow(expect.objectContaining({ code: 'DATASET_DIR_UNWRITABLE' }));
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'x.sqlite'))).toBe(false);
  });
});
