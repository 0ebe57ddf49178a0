// Limits that two areas must agree on, defined once. A model's declared inputs and the
// executor's protocol share MAX_MODEL_INPUTS: credit models with 100 to 300 of the vault's
// fields are normal, and a manifest the protocol could not carry must be refused at the
// door, not fail later as an out-of-memory.
export const MAX_MODEL_INPUTS = 320;
/** Reason codes a model may declare, and per merchant (policy caps may be lower). */
export const MAX_REASON_CODES = 32;
export const REASON_SLOTS = 4;
/** Index of an undeclared reason in a reason slot (0 is empty, i + 1 the i-th declared code). */
export const REASON_UNDECLARED = 255;
/** Values a score lattice may have. */
export const MAX_LATTICE_VALUES = 128;
/** A hand-written JavaScript model. */
export const MAX_SOURCE_BYTES = 256 * 1024;
/** A model file that is data (PMML, XGBoost JSON), and the module the platform compiles from it. */
export const MAX_MODEL_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The only global names model code sees. The executor's preludes remove every other
 * global; models/purity.ts refuses any other free name at vetting.
 */
export const MODEL_GLOBALS = ['Math', 'Number', 'String', 'Array', 'Object', 'JSON', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean'] as const;
