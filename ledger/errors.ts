import { defineErrors, errorFactory } from '../core/errors.js';

export const LEDGER_ERRORS = defineErrors({
  LEDGER_ENTRY_INVALID: { kind: 'internal', message: 'A ledger entry does not match its schema.' },
  LEDGER_APPEND_ONLY: { kind: 'internal', message: 'The ledger refuses to change or delete an entry.' },
  LEDGER_BAD_RANGE: { kind: 'invalid', message: 'The index, size or range is outside the log.' },
  LEDGER_PROOF_INVALID: { kind: 'refused', message: 'A ledger proof or checkpoint does not verify.' },
  LEDGER_KEY_INVALID: { kind: 'internal', message: 'The ledger signing key cannot be loaded.' },
  LEDGER_EXPORT_INVALID: { kind: 'invalid', message: 'The ledger export cannot be read.' },
  LEDGER_FORK: { kind: 'refused', message: 'The log forked: a signed checkpoint does not extend the one held.' },
  LEDGER_ROLLBACK: { kind: 'refused', message: 'The log rolled back: a signed checkpoint is smaller than one held.' },
  LEDGER_CHECKPOINT_UNTRUSTED: { kind: 'refused', message: 'The checkpoint does not verify under the pinned key.' },
  LEDGER_WATCH_UNREACHABLE: { kind: 'unavailable', message: 'The server cannot be reached or did not answer as expected.' },
  LEDGER_WATCH_STORE_INVALID: { kind: 'invalid', message: 'The watch store holds a key or checkpoint that cannot be read or verified.' },
  LEDGER_WATCH_KEY_CONFLICT: { kind: 'conflict', message: 'The given key differs from the key pinned in the watch store.' },
});

export const ledgerError = errorFactory(LEDGER_ERRORS);
