// The door of formats/: bytes of a model file are attacker-controlled (a fintech uploads
// them). Size is checked before decoding, nesting before parsing, and field names against
// the caller's catalog before anything is built from them.
import type { Field } from '../datasets/catalog.js';
import { formatError } from './errors.js';
import { LIMITS } from './limits.js';

/** A name safe to quote in an error detail; anything else is replaced. */
export function safeName(s: unknown): string {
  return typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_:.@-]{0,63}$/.test(s) ? s : '(unprintable)';
}

/** Decodes the model file as UTF-8 after checking its size. */
export function readText(source: string | Uint8Array): string {
  const bytes = typeof source === 'string' ? Buffer.byteLength(source, 'utf8') : source.byteLength;
  if (bytes > LIMITS.bytes) throw formatError('FORMAT_TOO_LARGE', { detail: `bytes>${LIMITS.bytes}` });
  if (typeof source === 'string') return source;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(source);
  } catch (cause) {
    throw formatError('FORMAT_MALFORMED', { cause, detail: 'utf-8' });
  }
}

/** The deepest JSON nesting of `text` (strings skipped), so JSON.parse never recurses too far. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

/** Checks that every input is a catalog field a model may read (FORMAT_FIELD_UNKNOWN naming it). */
export function checkInputs(names: readonly string[], catalog: readonly Field[]): void {
  const byName = new Map(catalog.map((f) => [f.name, f]));
  const seen = new Set<string>();
  for (const name of names) {
    const f = byName.get(name);
    if (!FIELD_NAME.test(name) || !f || !f.modelReadable) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: safeName(name) });
    if (seen.has(name)) throw formatError('FORMAT_MALFORMED', { detail: `duplicate field ${name}` });
    seen.add(name);
  }
}

/** A finite number, or FORMAT_NUMBER_INVALID naming where it sits. */
export function finite(x: number, where: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw formatError('FORMAT_NUMBER_INVALID', { detail: where });
  return x;
}
