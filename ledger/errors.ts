import { defineErrors, errorFactory } from '../core/errors.js';

export const LEDGER_ERRORS = defineErrors({
  LEDGER_ENTRY_INVALID: { kind: 'internal', message: 'A ledger entry does not match its schema.' },
  LEDGER_APPEND_ONLY: { kind: 'internal', message: 'The ledger refuses to change or delete an entry.' },
  LEDGER_BAD_RANGE: { kind: 'invalid', message: 'The index, size or range is outside the log.' },
  LEDGER_PROOF_INVALID: { kind: 'refused', message: 'A ledger proof or checkpoint does not verify.' },
  LEDGER_KEY_INVALID: { kind: 'internal', message: 'The ledger signing key cannot be loaded.' },
  LEDGER_EXPORT_INVALID: { kind: 'invalid', message: 'The ledger export cannot be read.' },
});

export const ledgerError = errorFactory(LEDGER_ERRORS);
