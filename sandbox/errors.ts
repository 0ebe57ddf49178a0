import { defineErrors, errorFactory } from '../core/errors.js';

export const PLATFORM_ERRORS = defineErrors({
  AUTH_MISSING: { kind: 'unauthenticated', message: 'An API key is required.' },
  AUTH_INVALID: { kind: 'unauthenticated', message: 'The API key is not valid.' },
  ROLE_FORBIDDEN: { kind: 'forbidden', message: 'This kind of organisation may not do this.' },
  ORG_NOT_ADMITTED: { kind: 'forbidden', message: 'The organisation is not admitted.' },
  ORG_UNKNOWN: { kind: 'not_found', message: 'No such organisation.' },
  ORG_DUPLICATE: { kind: 'conflict', message: 'An organisation of this kind with this unified social credit code has already applied.' },
  ORG_STATE: { kind: 'conflict', message: 'The organisation is not in a state that allows this.' },
  MODEL_UNKNOWN: { kind: 'not_found', message: 'No such model.' },
  MODEL_STATE: { kind: 'conflict', message: 'The model is not in a state that allows this.' },
  MODEL_VETTING_BUSY: { kind: 'limited', message: 'Another submission of this organisation is being vetted; submit again when it is answered.' },
  MODEL_NOT_RUNNABLE: { kind: 'refused', message: 'The model is not approved, has expired, or was changed since approval.' },
  ACCESS_UNKNOWN: { kind: 'not_found', message: 'No such access request.' },
  ACCESS_STATE: { kind: 'conflict', message: 'The access request is not in a state that allows this.' },
  ACCESS_TERMS_REQUIRED: { kind: 'conflict', message: 'Granting access to a model with bank-held features requires accepting that a bank can solve for their weights.' },
  ACCESS_NOT_GRANTED: { kind: 'forbidden', message: 'No granted access to this model for this purpose.' },
  CONSENT_UNKNOWN: { kind: 'not_found', message: 'No such consent.' },
  CONSENT_CHANNEL_MISMATCH: { kind: 'forbidden', message: 'Consents for this merchant are recorded by another channel.' },
  CONSENT_STATE: { kind: 'conflict', message: 'The consent is already revoked.' },
  SUBJECT_INVALID: { kind: 'invalid', message: 'A subject is not a valid unified social credit code.' },
  RUN_UNKNOWN: { kind: 'not_found', message: 'No such run.' },
  RUN_BAD_REQUEST: { kind: 'invalid', message: 'The run request is malformed.' },
  RUN_FAILED: { kind: 'refused', message: 'The run failed in the sandbox.' },
  RUN_BUSY: { kind: 'limited', message: 'This legal entity already has the most aggregate runs waiting for the aggregate lane; ask again when one is answered.' },
  RUN_INTERRUPTED: { kind: 'unavailable', message: 'The run was interrupted by a restart of the platform; nothing was released.' },
  RUN_DEADLINE_MISSED: { kind: 'refused', message: 'The run did not finish within its public deadline.' },
  LIST_CURSOR_INVALID: { kind: 'invalid', message: 'The cursor is not one this list gave.' },
  BUDGET_REFRESH_INVALID: { kind: 'invalid', message: 'The budget refresh names no known legal entity or dataset lineage.' },
});

export const platformError = errorFactory(PLATFORM_ERRORS);
