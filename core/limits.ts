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
/** A model file that is data (PMML, XGBoost JSON). */
export const MAX_MODEL_FILE_BYTES = 4 * 1024 * 1024;
/**
 * The module the platform compiles from a model file (a source an executor task may carry).
 * Trees as code and as data take up to about twice the model file (6.4 MB for a 3.7 MB
 * XGBoost file of 900 full depth-6 trees), and the executor parses every module it runs
 * for the pure-module discipline, about 70 bytes of heap per byte of source, in a thread
 * of 256 MB (a 3.9 MB module ran out of it, 2.7 MB did not): a model whose module would
 * be larger is refused at vetting (FORMAT_LIMIT, `compiled>`).
 */
export const MAX_COMPILED_BYTES = 3 * 1024 * 1024;

/**
 * The only global names model code sees. The executor's preludes remove every other
 * global; models/purity.ts refuses any other free name at vetting.
 */
export const MODEL_GLOBALS = ['Math', 'Number', 'String', 'Array', 'Object', 'JSON', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean'] as const;
