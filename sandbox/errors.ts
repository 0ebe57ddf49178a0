import { defineErrors, errorFactory } from '../core/errors.js';

export const PLATFORM_ERRORS = defineErrors({
  AUTH_MISSING: { kind: 'unauthenticated', message: 'An API key is required.' },
  AUTH_INVALID: { kind: 'unauthenticated', message: 'The API key is not valid.' },
  ROLE_FORBIDDEN: { kind: 'forbidden', message: 'This kind of organisation may not do this.' },
  ORG_NOT_ADMITTED: { kind: 'forbidden', message: 'The organisation is not admitted.' },
  ORG_UNKNOWN: { kind: 'not_found', message: 'No such organisation.' },
  ORG_STATE: { kind: 'conflict', message: 'The organisation is not in a state that allows this.' },
  MODEL_UNKNOWN: { kind: 'not_found', message: 'No such model.' },
  MODEL_STATE: { kind: 'conflict', message: 'The model is not in a state that allows this.' },
  MODEL_NOT_RUNNABLE: { kind: 'refused', message: 'The model is not approved, has expired, or was changed since approval.' },
  ACCESS_UNKNOWN: { kind: 'not_found', message: 'No such access request.' },
  ACCESS_STATE: { kind: 'conflict', message: 'The access request is not in a state that allows this.' },
  ACCESS_NOT_GRANTED: { kind: 'forbidden', message: 'No granted access to this model for this purpose.' },
  CONSENT_UNKNOWN: { kind: 'not_found', message: 'No such consent.' },
  CONSENT_STATE: { kind: 'conflict', message: 'The consent is already revoked.' },
  SUBJECT_INVALID: { kind: 'invalid', message: 'A subject is not a valid unified social credit code.' },
  RUN_UNKNOWN: { kind: 'not_found', message: 'No such run.' },
  RUN_BAD_REQUEST: { kind: 'invalid', message: 'The run request is malformed.' },
  RUN_FAILED: { kind: 'refused', message: 'The run failed in the sandbox.' },
});

export const platformError = errorFactory(PLATFORM_ERRORS);
