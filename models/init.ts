// `dfix model init`: a new package, either a JavaScript skeleton or, from a trained model
// file (PMML, XGBoost JSON), a manifest whose inputs are read from the file and checked
// against the catalog, with a scaling, grades and reason codes a modelling team then edits.
import type { Field } from '../datasets/catalog.js';
import { parseModelFile, type FormatIR } from '../formats/index.js';
import { MAX_REASON_CODES } from '../core/limits.js';
import { modelFileOf } from './package.js';

export interface NewPackage {
  manifest: Record<string, unknown>;
  /** File name in the package directory, and its content. */
  file: string;
  source: string;
}

const GRADES = [
  { grade: 'A', min: 760 },
  { grade: 'B', min: 700 },
  { grade: 'C', min: 640 },
  { grade: 'D', min: 580 },
  { grade: 'E', min: 300 },
];

const codeOf = (key: string, i: number) => `R${String(i + 1).padStart(2, '0')}_${key.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`.slice(0, 48).replace(/_+$/, '');

export function formatOfFile(file: string): 'pmml' | 'xgboost-json' | null {
  if (/\.(pmml|xml)$/i.test(file)) return 'pmml';
  if (/\.json$/i.test(file)) return 'xgboost-json';
  return null;
}

/** A package around a model file; throws a coded FORMAT_* error for a file the platform cannot use. */
export function packageFromModelFile(name: string, source: string, format: 'pmml' | 'xgboost-json', catalog: readonly Field[]): NewPackage {
  const ir: FormatIR = parseModelFile(source, format, catalog);
  // reason codes: a scorecard's own, otherwise one per input field (the first 32)
  const keys = ir.model.kind === 'scorecard' ? ir.reasonKeys : ir.model.kind === 'xgb' || ir.model.kind === 'regression' ? ir.inputs : [];
  const mapped = keys.slice(0, MAX_REASON_CODES);
  const reasonMap = Object.fromEntries(mapped.map((k, i) => [k, codeOf(k, i)]));
  const scaling = ir.output === 'probability' || ir.output === 'margin' ? { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' } : { method: 'identity' };
  return {
    file: modelFileOf(format),
    source,
    manifest: {
      name,
      version: '0.1.0',
      description: `${name}: a ${ir.model.kind} model from ${format === 'pmml' ? 'PMML' : 'XGBoost JSON'}. Describe what it predicts, on which population, and how it was validated.`,
      purpose: 'credit-assessment',
      tags: [],
      format,
      inputs: ir.inputs,
      scaling,
      reasonMap,
      reasonsPerMerchant: Math.min(3, mapped.length),
      output: { score: { min: 300, max: 900, step: 10 }, reasons: [...new Set(Object.values(reasonMap))], grades: GRADES, default: { score: 300, reasons: [] } },
    },
  };
}

/** A JavaScript skeleton that passes vetting: edit the points and the reasons. */
export function javascriptPackage(name: string): NewPackage {
  return {
    file: 'model.js',
    source: `// ${name}: an ES module exporting only score(row). row holds one number (or null when
// missing) per input of manifest.json. Rules (docs/models.md): no imports, no try/catch, the
// top level holds only functions and constant literals, and the only globals are Math,
// Number, String, Array, Object, JSON, isFinite, isNaN, parseFloat, parseInt and Boolean.
const POINTS = [
  ['business_age_months', 2, 'R01_SHORT_HISTORY'],
  ['late_filing_count_24m', -15, 'R02_LATE_TAX_FILING'],
];

export function score(row) {
  let points = 600;
  const reasons = [];
  for (let i = 0; i < POINTS.length; i++) {
    const [field, weight, reason] = POINTS[i];
    const v = row[field];
    if (v === null) continue;
    const p = weight * Math.min(v, 60);
    points += p;
    if (p < 0) reasons.push(reason);
  }
  return { score: Math.max(300, Math.min(900, Math.round(points / 10) * 10)), reasons: reasons.slice(0, 3) };
}
`,
    manifest: {
      name,
      version: '0.1.0',
      description: `${name}: describe what it predicts, on which population, and how it was validated.`,
      purpose: 'credit-assessment',
      tags: [],
      inputs: ['business_age_months', 'late_filing_count_24m'],
      output: { score: { min: 300, max: 900, step: 10 }, reasons: ['R01_SHORT_HISTORY', 'R02_LATE_TAX_FILING'], grades: GRADES, default: { score: 300, reasons: [] } },
    },
  };
}
