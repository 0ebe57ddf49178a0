import { defineErrors, errorFactory } from '../core/errors.js';

export const DATASET_ERRORS = defineErrors({
  DATASET_VAULT_MISSING: { kind: 'unavailable', message: 'The data vault has not been built.' },
  DATASET_VAULT_EXISTS: { kind: 'conflict', message: 'A data vault already exists here; pass --force to rebuild it.' },
  DATASET_VAULT_CORRUPT: { kind: 'internal', message: 'The data vault does not match its recorded version.' },
  DATASET_DIR_UNWRITABLE: { kind: 'invalid', message: 'The data directory cannot be written.' },
  DATASET_BAD_COUNT: { kind: 'invalid', message: 'The number of subjects is out of range.' },
  DATASET_BAD_SEED: { kind: 'invalid', message: 'The seed must be a non-negative integer.' },
  DATASET_UNKNOWN: { kind: 'not_found', message: 'No such dataset.' },
  DATASET_UNKNOWN_FIELD: { kind: 'invalid', message: 'A field is not in the catalog.' },
  DATASET_FIELD_NOT_READABLE: { kind: 'refused', message: 'A field may not be read by a model.' },
  DATASET_BAD_PREDICATE: { kind: 'invalid', message: 'A cohort predicate names an unknown key or value.' },
  DATASET_BAD_FORMAT: { kind: 'invalid', message: 'Unknown output format.' },
  DATASET_VAULT_IN_USE: { kind: 'conflict', message: 'A server or another import holds the data directory; stop it first.' },
  DATASET_IMPORT_BAD_SOURCE: { kind: 'invalid', message: 'An import source is unknown or given twice.' },
  DATASET_IMPORT_UNREADABLE: { kind: 'invalid', message: 'An import file cannot be read.' },
  DATASET_IMPORT_TOO_LARGE: { kind: 'invalid', message: 'An import file is larger than the size limit.' },
  DATASET_IMPORT_EMPTY: { kind: 'invalid', message: 'An import file holds no merchant.' },
  DATASET_IMPORT_MALFORMED: { kind: 'invalid', message: 'An import file is not well-formed UTF-8 CSV or JSON lines.' },
  DATASET_IMPORT_UNKNOWN_COLUMN: { kind: 'invalid', message: 'An import file has a column that is not a field of its source.' },
  DATASET_IMPORT_MISSING_COLUMN: { kind: 'invalid', message: 'An import file lacks uscc or a field of its source.' },
  DATASET_IMPORT_NOT_RECORDED: { kind: 'unavailable', message: 'The import could not be recorded in the ledger; the vault was left as it was.' },
  DATASET_IMPORT_INVALID: { kind: 'invalid', message: 'Values of an import file break the catalog rules; nothing was changed.' },
});

export const datasetError = errorFactory(DATASET_ERRORS);
