import { defineErrors, errorFactory, type ErrorKind } from '../core/errors.js';

export const SERVER_ERRORS = defineErrors({
  REQUEST_INVALID: { kind: 'invalid', message: 'The request does not match the schema of this route.' },
  REQUEST_MALFORMED_JSON: { kind: 'invalid', message: 'The body is not valid JSON.' },
  REQUEST_TOO_DEEP: { kind: 'invalid', message: 'The body is nested too deeply.' },
  REQUEST_TOO_LARGE: { kind: 'invalid', message: 'The body is too large.' },
  REQUEST_UNSUPPORTED_MEDIA: { kind: 'invalid', message: 'Only application/json bodies are accepted.' },
  ROUTE_UNKNOWN: { kind: 'not_found', message: 'No such route.' },
  RATE_LIMITED: { kind: 'limited', message: 'Too many requests; slow down.' },
  SERVER_SHUTTING_DOWN: { kind: 'unavailable', message: 'The server is shutting down.' },
});

export const serverError = errorFactory(SERVER_ERRORS);

/** The one mapping from error kinds to HTTP statuses (docs/errors.md). */
export const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  refused: 422,
  limited: 429,
  unavailable: 503,
  internal: 500,
};
