import { describe, expect, it } from 'vitest';
import { catalog, fieldByName, MONTHS, SEGMENT_KEYS } from '../../datasets/catalog.js';

describe('field catalog', () => {
  const fields = catalog();

  it('has at least 300 fields from the six government and carrier sources', () => {
    expect(fields.length).toBeGreaterThanOrEqual(300);
    const sources = new Set(fields.map((f) => f.source));
    for (const s of ['registration', 'tax', 'judicial', 'electricity', 'social_insurance', 'carrier']) expect(sources).toContain(s);
  });

  it('gives every field a snake_case name, a Chinese label, a level and a description', () => {
    const names = new Set<string>();
    for (const f of fields) {
      expect(f.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(f.label).toMatch(/[\u4e00-\u9fff]/);
      expect(['S1', 'S2', 'S3', 'S4', 'S5']).toContain(f.level);
      expect(f.description.length).toBeGreaterThan(5);
      names.add(f.name);
    }
    expect(names.size).toBe(fields.length);
  });

  it('never lets a model read identifiers, S4/S5 fields or the label', () => {
    expect(fieldByName('uscc')).toMatchObject({ level: 'S4', modelReadable: false, role: 'identifier' });
    expect(fieldByName('merchant_name')).toMatchObject({ level: 'S4', modelReadable: false });
    expect(fieldByName('default_12m')).toMatchObject({ role: 'label', modelReadable: false });
    for (const f of fields) if (f.level === 'S4' || f.level === 'S5' || f.role === 'label') expect(f.modelReadable).toBe(false);
  });

  it('has 24-month series, field by field', () => {
    for (const base of ['tax_sales', 'elec_kwh', 'si_headcount', 'carrier_sales', 'carrier_footfall', 'rent_days_late']) {
      for (let m = 1; m <= MONTHS; m++) expect(fieldByName(`${base}_m${String(m).padStart(2, '0')}`), `${base} ${m}`).toBeDefined();
    }
  });

  it('keys cohorts only by S1 category fields', () => {
    for (const name of Object.values(SEGMENT_KEYS)) {
      expect(fieldByName(name)).toMatchObject({ level: 'S1', type: 'category', role: 'segment' });
    }
  });
});
