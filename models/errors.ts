import { defineErrors, errorFactory } from '../core/errors.js';

export const MODEL_ERRORS = defineErrors({
  MODEL_PACKAGE_UNREADABLE: { kind: 'invalid', message: 'The model package cannot be read (manifest.json and model.js are required).' },
  MODEL_PACKAGE_TOO_LARGE: { kind: 'invalid', message: 'The model package is too large.' },
  MODEL_ROWS_INVALID: { kind: 'invalid', message: 'The rows to score are not a CSV of the model’s input fields (numbers, empty for missing).' },
  MODEL_PACKAGE_EXISTS: { kind: 'conflict', message: 'The package directory exists and is not empty.' },
  MODEL_MANIFEST_INVALID: { kind: 'invalid', message: 'The manifest is not valid JSON of the manifest schema.' },
});

export const modelError = errorFactory(MODEL_ERRORS);
