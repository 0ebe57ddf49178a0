// RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units, no
// whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does (§3.2).
// Used for digests and ledger entries, which must be byte-identical across machines.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export function canonicalize(value: unknown): string {
  return write(value, 0);
}

const MAX_DEPTH = 64;

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError('canonical JSON: nesting too deep');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // RFC 8785 §3.2.2.3: I-JSON numbers only; NaN and Infinity have no JSON form.
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number');
      return JSON.stringify(value);
    case 'string':
      // RFC 8785 §3.2.2.2; I-JSON (RFC 7493 §2.1) forbids lone surrogates.
      if (!value.isWellFormed()) throw new TypeError('canonical JSON: lone surrogate');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined ? 'null' : write(v, depth + 1))).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError('canonical JSON: only plain objects');
      }
      const obj = value as Record<string, unknown>;
      // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what the default sort does.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: unsupported ${typeof value}`);
  }
}
