// The JSON body parser: a byte limit (fastify's bodyLimit) and a nesting limit checked
// before JSON.parse, so a hostile body costs a linear scan and nothing else.
import { serverError } from './errors.js';

export const MAX_DEPTH = 32;

export function parseJsonBody(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_DEPTH) throw serverError('REQUEST_TOO_DEEP');
    } else if (c === 125 || c === 93) depth--;
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw serverError('REQUEST_MALFORMED_JSON');
  }
}
