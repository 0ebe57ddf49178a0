// What a PMML parse keeps while it walks the document: the data dictionary, the inputs
// found so far (checked against the catalog), slots, counters for the limits, and the
// scope of names (data fields, derived fields, segment outputs) a model may refer to.
import type { Field } from '../datasets/catalog.js';
import { formatError } from './errors.js';
import { checkInputs, FIELD_NAME, safeName } from './input.js';
import type { Expr } from './ir.js';
import { LIMITS } from './limits.js';
import type { XNode } from './xml.js';

export type Ref = { kind: 'data'; name: string; rep: number | null } | { kind: 'slot'; i: number };
export type Scope = Map<string, Ref>;

export class PmmlContext {
  readonly inputs: string[] = [];
  readonly reasonKeys: string[] = [];
  slots = 0;
  trees = 0;
  nodes = 0;
  private readonly inputIndex = new Map<string, number>();
  private readonly catalog: Map<string, Field>;
  private readonly fields: readonly Field[];
  /** DataDictionary: name -> dataType */
  readonly dataFields = new Map<string, string>();

  constructor(catalog: readonly Field[]) {
    this.catalog = new Map(catalog.map((f) => [f.name, f]));
    this.fields = catalog;
  }

  newSlot(): number {
    return this.slots++;
  }

  countNodes(n: number): void {
    this.nodes += n;
    if (this.nodes > LIMITS.nodes) throw formatError('FORMAT_LIMIT', { detail: `nodes>${LIMITS.nodes}` });
  }

  countTree(): void {
    if (++this.trees > LIMITS.trees) throw formatError('FORMAT_LIMIT', { detail: `trees>${LIMITS.trees}` });
  }

  reasonIndex(code: string): number {
    let i = this.reasonKeys.indexOf(code);
    if (i < 0) i = this.reasonKeys.push(code) - 1;
    return i;
  }

  /** An input of the model: a catalog field a model may read (FORMAT_FIELD_UNKNOWN otherwise). */
  input(name: string): number {
    let i = this.inputIndex.get(name);
    if (i === undefined) {
      if (!FIELD_NAME.test(name)) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: safeName(name) });
      checkInputs([name], this.fields);
      i = this.inputs.push(name) - 1;
      this.inputIndex.set(name, i);
    }
    return i;
  }

  catalogField(name: string): Field | undefined {
    return this.catalog.get(name);
  }

  /** The expression that reads a name in scope. */
  read(scope: Scope, name: string | undefined, where: string): Expr {
    const ref = name === undefined ? undefined : scope.get(name);
    if (!ref) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: `${safeName(name)}@${where}` });
    if (ref.kind === 'slot') return { op: 'slot', i: ref.i };
    return { op: 'in', i: this.input(ref.name), rep: ref.rep, f32: this.dataFields.get(ref.name) === 'float' };
  }
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A number written in the model file (FORMAT_NUMBER_INVALID naming where). */
export function num(s: string | undefined, where: string): number {
  const v = s !== undefined && NUMBER.test(s.trim()) ? Number(s.trim()) : NaN;
  if (!Number.isFinite(v)) throw formatError('FORMAT_NUMBER_INVALID', { detail: where });
  return v;
}

export function optNum(s: string | undefined, where: string): number | null {
  return s === undefined ? null : num(s, where);
}

/**
 * A value compared with or mapped from a field: for a category field of the catalog the
 * code's index in `categories`, for a boolean true/false/1/0, else a number; float fields
 * are rounded to float32 as the field's values are.
 */
export function valueOf(ctx: PmmlContext, scope: Scope, field: string | undefined, s: string | undefined, where: string): number {
  const ref = field === undefined ? undefined : scope.get(field);
  if (ref?.kind === 'data' && s !== undefined) {
    const f = ctx.catalogField(ref.name);
    if (f?.type === 'category' && f.categories) {
      const k = f.categories.findIndex((c) => c.code === s);
      if (k >= 0) return k;
    }
    if (f?.type === 'boolean') {
      if (s === 'true') return 1;
      if (s === 'false') return 0;
    }
    const v = num(s, where);
    return ctx.dataFields.get(ref.name) === 'float' ? Math.fround(v) : v;
  }
  return num(s, where);
}

/** Children of an element other than Extension. */
export function elements(n: XNode): XNode[] {
  return n.kids.filter((k) => k.name !== 'Extension');
}

export function unsupported(name: string): never {
  throw formatError('FORMAT_UNSUPPORTED', { detail: safeName(name) });
}

export function malformed(where: string): never {
  throw formatError('FORMAT_MALFORMED', { detail: where });
}

/** The attribute, one of `allowed` (first = default). */
export function oneOf<const T extends readonly string[]>(n: XNode, attr: string, allowed: T): T[number] {
  const v = n.attrs[attr];
  if (v === undefined) return allowed[0] as T[number];
  if (!(allowed as readonly string[]).includes(v)) throw formatError('FORMAT_UNSUPPORTED', { detail: `${safeName(n.name)}@${attr}:${safeName(v)}` });
  return v as T[number];
}
