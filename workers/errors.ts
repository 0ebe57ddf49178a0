import { defineErrors, errorFactory } from '../core/errors.js';

// A failure of model code is one of these fixed codes. No message, stack or value written
// by a model ever travels with them.
export const SANDBOX_ERRORS = defineErrors({
  SANDBOX_TIMEOUT: { kind: 'refused', message: 'The model ran out of time.' },
  SANDBOX_MEMORY: { kind: 'refused', message: 'The model ran out of memory.' },
  SANDBOX_MODEL_ERROR: { kind: 'refused', message: 'The model failed.' },
  SANDBOX_OUTPUT_INVALID: { kind: 'refused', message: 'The model produced output outside its contract.' },
  SANDBOX_MODULE_INVALID: { kind: 'refused', message: 'The model source is not a module exporting only score.' },
  SANDBOX_UNAVAILABLE: { kind: 'unavailable', message: 'The executor is not available.' },
  SANDBOX_INPUT_INVALID: { kind: 'internal', message: 'The executor received malformed input.' },
});

export type SandboxCode = keyof typeof SANDBOX_ERRORS;
export const sandboxError = errorFactory(SANDBOX_ERRORS);

export const SANDBOX_CODES = Object.keys(SANDBOX_ERRORS) as SandboxCode[];
export function isSandboxCode(c: unknown): c is SandboxCode {
  return typeof c === 'string' && (SANDBOX_CODES as string[]).includes(c);
}
