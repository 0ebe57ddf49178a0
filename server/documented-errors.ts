// The error responses of each operation in /openapi.json, from the error catalogue itself:
// a route names the codes it can answer, and each status gets the error body schema, a
// description listing those codes with their fixed messages, and one example per code.
// A code that is not declared anywhere fails at start, so the description cannot drift
// from core/errors.ts and the areas' errors.ts.
import type { z } from 'zod';
import { registeredErrors } from '../core/errors.js';
import { errorBody } from './error-body.schema.js';
import { STATUS } from './errors.js';

const TITLE: Record<number, string> = {
  400: 'The input is malformed',
  401: 'No or bad credentials',
  403: 'Wrong role, or no right to this',
  404: 'Unknown, or not the caller’s to see',
  409: 'The thing is in the wrong state',
  422: 'Refused by policy',
  429: 'Quota or rate exceeded',
  500: 'A bug',
  503: 'A component is down or not ready',
};

/** Every route: the rate limiter and a closing server. */
const ALWAYS = ['RATE_LIMITED', 'SERVER_SHUTTING_DOWN'];
/** Every route behind an API key. */
const AUTH = ['AUTH_MISSING', 'AUTH_INVALID', 'ORG_NOT_ADMITTED'];
/** Routes with parameters or a query string. */
const INPUT = ['REQUEST_INVALID'];
/** Routes with a JSON body. */
const BODY = ['REQUEST_INVALID', 'REQUEST_MALFORMED_JSON', 'REQUEST_TOO_DEEP', 'REQUEST_TOO_LARGE', 'REQUEST_UNSUPPORTED_MEDIA'];

export interface Errors {
  /** No API key needed. */
  open?: boolean;
  /** Only some kinds of organisation (ROLE_FORBIDDEN). */
  role?: boolean;
  input?: 'params' | 'body';
  /** The codes of the workflow itself. */
  codes?: readonly string[];
}

/** The error responses of one operation, by status. */
export function errorResponses(e: Errors): Record<number, z.ZodType> {
  const codes = new Set([...ALWAYS, ...(e.open ? [] : AUTH), ...(e.role ? ['ROLE_FORBIDDEN'] : []), ...(e.input === 'body' ? BODY : e.input === 'params' ? INPUT : []), ...(e.codes ?? [])]);
  const byStatus = new Map<number, { code: string; message: string }[]>();
  for (const code of codes) {
    const spec = registeredErrors().get(code);
    if (!spec) throw new Error(`documented error code ${code} is not declared`);
    const status = STATUS[spec.kind];
    byStatus.set(status, [...(byStatus.get(status) ?? []), { code, message: spec.message }]);
  }
  const out: Record<number, z.ZodType> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const description = `${TITLE[status] ?? 'Error'}. Codes:\n${list.map((c) => `- \`${c.code}\`: ${c.message}`).join('\n')}`;
    out[status] = errorBody.meta({ description, examples: list.map((c) => ({ code: c.code, message: c.message, requestId: '5f0c2a9e1b3d4c7a' })) });
  }
  return out;
}
