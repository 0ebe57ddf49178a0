import { describe, expect, it } from 'vitest';
import { catalog, fieldByName, type Field } from '../../datasets/catalog.js';
import { dummyTable } from '../../datasets/dummy.js';
import { rangeOf, valueOf } from '../../datasets/import-rules.js';

const f = (name: string) => fieldByName(name) as Field;

describe('import rules', () => {
  it("accept every value the generator makes (5,000 dummy merchants, every field), as the file would hold it", () => {
    const t = dummyTable(5000, 11);
    const fields = t.columns.map((c) => f(c));
    let checked = 0;
    const refused: string[] = [];
    for (const row of t.rows) {
      fields.forEach((field, j) => {
        if (field.type === 'text') return;
        const v = row[j] as number | null;
        const cell = v === null ? '' : field.type === 'category' ? (field.categories?.[v]?.code as string) : String(v);
        const got = valueOf(field, cell);
        // -0 is written "0" and read back as 0
        if (v === null ? !Number.isNaN(got) : got !== v) refused.push(`${field.name} ${cell} -> ${got}`);
        checked++;
      });
    }
    expect(refused.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(5000 * 290);
  });

  it('refuse by type, range, category, required; a missing optional value is NaN', () => {
    expect(valueOf(f('tax_paid_m01'), '12.5')).toBe(12.5);
    expect(valueOf(f('tax_paid_m01'), '1e3')).toBe(1000);
    expect(valueOf(f('tax_paid_m01'), '12,5')).toBe('type');
    expect(valueOf(f('tax_paid_m01'), '-1')).toBe('range');
    expect(valueOf(f('tax_paid_m01'), '')).toEqual(NaN);
    expect(valueOf(f('tax_paid_m01'), null)).toEqual(NaN);
    expect(valueOf(f('invoice_count_m01'), '3.0')).toBe('type');
    expect(valueOf(f('invoice_count_m01'), 3.5)).toBe('type');
    expect(valueOf(f('si_headcount_change_12m'), '-4')).toBe(-4);
    expect(valueOf(f('tax_sales_growth_yoy'), '-1.5')).toBe('range');
    expect(valueOf(f('reg_year'), '1850')).toBe('range');
    expect(valueOf(f('reg_date'), '20240229')).toBe(20240229);
    expect(valueOf(f('reg_date'), '20230229')).toBe('range');
    expect(valueOf(f('reg_date'), '2023-02-01')).toBe('type');
    expect(valueOf(f('district'), 'loufeng')).toBe(0);
    expect(valueOf(f('district'), 'Loufeng')).toBe('category');
    expect(valueOf(f('district'), 0)).toBe('type');
    expect(valueOf(f('district'), '')).toBe('required');
    expect(valueOf(f('default_12m'), null)).toBe('required');
    expect(valueOf(f('tax_arrears_flag'), true)).toBe(1);
    expect(valueOf(f('tax_arrears_flag'), '2')).toBe('type');
    expect(valueOf(f('tax_arrears_flag'), NaN)).toBe('type');
  });

  it('every numeric field of the catalog has a range or is a category, boolean or date', () => {
    for (const field of catalog()) {
      if (field.type === 'integer' || field.type === 'decimal') expect(rangeOf(field), field.name).toBeDefined();
    }
  });
});
