import { defineErrors, errorFactory } from '../core/errors.js';

export const CLI_ERRORS = defineErrors({
  CLI_UNKNOWN_COMMAND: { kind: 'invalid', message: 'Unknown command.' },
  CLI_UNKNOWN_FLAG: { kind: 'invalid', message: 'Unknown flag.' },
  CLI_BAD_FLAG: { kind: 'invalid', message: 'A flag is missing its value or has a bad one.' },
  CLI_BAD_ARGUMENT: { kind: 'invalid', message: 'Missing or unexpected argument.' },
  CLI_OUTPUT_UNWRITABLE: { kind: 'invalid', message: 'The output file cannot be written.' },
  CLI_TLS_UNREADABLE: { kind: 'invalid', message: 'A TLS certificate or key file cannot be read.' },
  CLI_TLS_INVALID: { kind: 'invalid', message: 'The TLS certificate and key are malformed or do not match.' },
  CLI_API_KEY_MISSING: { kind: 'invalid', message: 'An API key is required: set DFIX_API_KEY or pass --key-file.' },
  CLI_SERVER_UNREACHABLE: { kind: 'unavailable', message: 'The server cannot be reached or did not answer as expected.' },
  BANK_KEYS_EXIST: { kind: 'conflict', message: 'The key directory already holds a secret key.' },
  BANK_KEYS_UNREADABLE: { kind: 'invalid', message: 'The key directory has no readable key pair and parameters of this scheme.' },
  BANK_FEATURES_INVALID: { kind: 'invalid', message: 'The features CSV is malformed: one number per bank feature, one row per merchant.' },
  BANK_ANSWER_INVALID: { kind: 'invalid', message: 'The file is not a run answer, a ledger bundle or a ciphertext of these keys.' },
  BANK_LEDGER_KEY_MISSING: { kind: 'invalid', message: 'No ledger key to verify under: pass --checkpoint-key, or --url to trust the server key on first use.' },
  BACKUP_TARGET_NOT_EMPTY: { kind: 'conflict', message: 'The target directory exists and is not empty.' },
  BACKUP_SOURCE_MISSING: { kind: 'invalid', message: 'The data directory has no vault or platform state to back up.' },
  BACKUP_MANIFEST_INVALID: { kind: 'invalid', message: 'The backup has no readable manifest.' },
  BACKUP_DIGEST_MISMATCH: { kind: 'refused', message: 'A backup file does not match its size or SHA-256 in the manifest.' },
  BACKUP_LEDGER_MISMATCH: { kind: 'refused', message: 'The restored ledger does not verify or differs from the manifest.' },
  BACKUP_FAILED: { kind: 'unavailable', message: 'The backup could not be written.' },
});
export const cliError = errorFactory(CLI_ERRORS);
