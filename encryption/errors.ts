import { defineErrors, errorFactory } from '../core/errors.js';

export const ENCRYPTION_ERRORS = defineErrors({
  ENCRYPTION_PARAMETERS_INVALID: { kind: 'internal', message: 'The encryption parameters are not valid.' },
  ENCRYPTION_KEY_INVALID: { kind: 'invalid', message: 'The public key is malformed or of other parameters.' },
  ENCRYPTION_KEY_UNKNOWN: { kind: 'not_found', message: 'No such public key registered by this bank.' },
  ENCRYPTION_CIPHERTEXT_INVALID: { kind: 'invalid', message: 'A ciphertext is malformed, tampered with, or of other parameters.' },
  ENCRYPTION_COUNT_MISMATCH: { kind: 'invalid', message: 'The number of ciphertexts does not match the model’s bank features.' },
  ENCRYPTION_BATCH_TOO_LARGE: { kind: 'invalid', message: 'The batch has more merchants than a ciphertext has slots.' },
});

export const encryptionError = errorFactory(ENCRYPTION_ERRORS);
