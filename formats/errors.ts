// The codes of formats/: a model file (PMML or XGBoost JSON) is refused with exactly one of
// these, and `detail` names the element, field or limit at fault (never a value).
import { defineErrors, errorFactory } from '../core/errors.js';

export const FORMAT_ERRORS = defineErrors({
  FORMAT_MALFORMED: { kind: 'invalid', message: 'The model file is not well-formed XML or JSON of the expected shape.' },
  FORMAT_UNSUPPORTED: { kind: 'invalid', message: 'The model file uses an element or option that is not supported.' },
  FORMAT_TOO_LARGE: { kind: 'invalid', message: 'The model file is too large or nested too deeply.' },
  FORMAT_LIMIT: { kind: 'invalid', message: 'The model exceeds a size limit (trees, depth, nodes or attributes).' },
  FORMAT_FIELD_UNKNOWN: { kind: 'invalid', message: 'The model reads a field that is not in the catalog or may not be read by a model.' },
  FORMAT_NUMBER_INVALID: { kind: 'invalid', message: 'The model holds a number that is not finite or not a number.' },
  FORMAT_REASON_UNMAPPED: { kind: 'invalid', message: 'A reason code mapping is missing or malformed.' },
});

export type FormatErrorCode = keyof typeof FORMAT_ERRORS;
export const formatError = errorFactory(FORMAT_ERRORS);
