// formats/: models as data. A PMML or XGBoost JSON file becomes a validated, size-limited
// IR (numbers and field names only), evaluated as the real libraries do, explained by
// reason codes, and compiled to a sandbox module. See README.md.
import type { Field } from '../datasets/catalog.js';
import type { FormatIR } from './ir.js';
import { parsePmml } from './pmml.js';
import { parseXgboostJson } from './xgboost.js';

export type ModelFormat = 'pmml' | 'xgboost-json';

/** Parses a model file of the given format against the catalog. */
export function parseModelFile(source: string | Uint8Array, format: ModelFormat, catalog: readonly Field[]): FormatIR {
  switch (format) {
    case 'pmml':
      return parsePmml(source, catalog);
    case 'xgboost-json':
      return parseXgboostJson(source, catalog);
  }
}

export { compileModule, type CompileOptions } from './compile.js';
export { FORMAT_ERRORS, formatError, type FormatErrorCode } from './errors.js';
export { evaluate, evaluateMargin, type Row } from './evaluate.js';
export type { FormatIR } from './ir.js';
export { LIMITS } from './limits.js';
export { parsePmml } from './pmml.js';
export { contributions, reasonCodes, reasonPlan, type ReasonMap, type ReasonPlan } from './reasons.js';
export { scaleScore, scalingPlan, scoreSign, type ScalingPlan } from './scaling.js';
export { scalingSchema, type Lattice, type Scaling } from './scaling.schema.js';
export { shapWork, treeShap, treeShapMany, type ShapWork } from './treeshap.js';
export { parseXgboostJson } from './xgboost.js';
