// What the executor runs for a package: the JavaScript module itself, or, for a model as
// data (PMML, XGBoost JSON), the module that formats/ compiles from the validated model
// file (its input is numbers and field names only). The compiled module is derived from
// the package deterministically, so the package digest covers it. Also the structure a
// reviewer reads instead of code.
import type { Field } from '../datasets/catalog.js';
import { compileModule, parseModelFile, type FormatIR } from '../formats/index.js';
import type { Manifest } from './manifest.schema.js';

export interface Structure {
  format: 'pmml' | 'xgboost-json';
  kind: string;
  /** What the raw output is (probability, margin, points, value). */
  output: string;
  inputs: { name: string; level: string }[];
  trees?: { count: number; maxDepth: number; nodes: number };
  characteristics?: { reason: string | null; attributes: number; baseline: number | null }[];
}

function depthOf(left: number[], right: number[], node = 0): number {
  if ((left[node] ?? -1) < 0) return 0;
  return 1 + Math.max(depthOf(left, right, left[node] as number), depthOf(left, right, right[node] as number));
}

export function structureOf(ir: FormatIR, format: 'pmml' | 'xgboost-json', catalog: readonly Field[]): Structure {
  const level = new Map(catalog.map((f) => [f.name, f.level]));
  const s: Structure = { format, kind: ir.model.kind, output: ir.output, inputs: ir.inputs.map((name) => ({ name, level: level.get(name) ?? '?' })) };
  const m = ir.model;
  if (m.kind === 'xgb') s.trees = { count: m.trees.length, maxDepth: Math.max(0, ...m.trees.map((t) => depthOf(t.left, t.right))), nodes: m.trees.reduce((n, t) => n + t.left.length, 0) };
  if (m.kind === 'scorecard') s.characteristics = m.chars.map((c) => ({ reason: c.reason === null ? null : (ir.reasonKeys[c.reason] ?? null), attributes: c.attrs.length, baseline: c.baseline }));
  return s;
}

export interface RuntimeModule {
  /** The module source the executor runs for banks (with reason codes). */
  source: string;
  /**
   * For aggregates, which release no reason codes: models as data compile without them
   * (TreeSHAP is the costly part), and with `scoreBatch`, which scores rows straight from the
   * buffer.
   */
  batchSource: string;
  /**
   * Whether batchSource is the platform's own compiled module (a model as data): only then
   * may the executor's runner call its `scoreBatch` (workers/prelude.ts). Never true for a
   * JavaScript package, whatever it exports.
   */
  compiled: boolean;
  /** Models as data: the parsed form, its structure for review, and a module returning the raw output. */
  ir?: FormatIR;
  structure?: Structure;
  rawSource?: string;
}

/** Throws a coded FORMAT_* error (naming the element or limit) for a model file that cannot be used. */
export function runtimeModule(manifest: Manifest, source: string, catalog: readonly Field[]): RuntimeModule {
  if (manifest.format === 'javascript') return { source, batchSource: source, compiled: false };
  const ir = parseModelFile(source, manifest.format, catalog);
  const scaling = manifest.scaling ?? { method: 'identity' as const };
  const map = manifest.reasonMap ?? {};
  const k = manifest.reasonsPerMerchant;
  return {
    source: compileModule(ir, scaling, manifest.output.score, map, k),
    batchSource: compileModule(ir, scaling, manifest.output.score, map, 0, { batch: true }),
    compiled: true,
    rawSource: compileModule(ir, scaling, manifest.output.score, map, k, { raw: true }),
    ir,
    structure: structureOf(ir, manifest.format, catalog),
  };
}
