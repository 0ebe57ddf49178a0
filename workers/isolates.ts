// The one place isolated-vm is imported: model code runs here, in an isolate with its own
// heap limit and a timeout on every call. No host function, Reference or Callback is ever
// handed to model code: what crosses are copies (an ArrayBuffer in, typed arrays out).
//
// Two ways to score rows, both row-pure (docs/design.md, "Isolation"):
// - HardenedBatch: one fresh isolate per task, one context hardened by SES; the module's
//   every top-level binding is hardened too. Any exception or the timeout fails the task.
// - FreshScorer: a fresh context per row. A row that fails in a shared isolate is scored
//   again in a brand-new isolate, so a row's outcome never depends on an earlier row.
// - WarmModules: platform-compiled modules only (models as data), for banks' runs: one
//   hardened context per module and requester, kept loaded between tasks.
//
// Failures are classified from what the host observed, never from what the model threw:
// the isolate was disposed (memory), the call ran its full time (timeout), or else it is a
// model error. A model that throws "Script execution timed out." gets SANDBOX_MODEL_ERROR.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import ivm from 'isolated-vm';
import { projectRoot } from '../core/fs.js';
import type { SandboxCode } from './errors.js';
import { freshPrelude, hardenedPrelude } from './prelude.js';
import { checkPurity } from './purity.js';
import { REASON_SLOTS, type Limits, type ModuleReport } from './protocol.js';

/** A failure of model code, reduced to its fixed code. Carries nothing of the model. */
export class SandboxFailure extends Error {
  constructor(readonly code: SandboxCode) {
    super(code);
  }
}

/**
 * Input bytes handed into a hardened context per call: a large task is scored in several
 * calls on the same context (row purity does not depend on how rows are grouped), so that
 * its rows never count against the isolate's memory limit all at once.
 */
const CHUNK_BYTES = 16 * 1024 * 1024;

/** Contexts one shared isolate serves (fresh mode) before it is replaced. */
const CONTEXTS_PER_ISOLATE = 64;

let sesSource: string | null = null;
function ses(): string {
  sesSource ??= fs.readFileSync(path.join(projectRoot(), 'node_modules', 'ses', 'dist', 'ses.umd.min.js'), 'utf8');
  return sesSource;
}

/**
 * The names a module declares at its top level, so that every one of them can be hardened
 * (not only its exports). The source is attacker-controlled; a module that does not parse
 * is refused.
 */
export function topLevelBindings(source: string): string[] {
  let program;
  try {
    program = parse(source, { ecmaVersion: 2022, sourceType: 'module' });
  } catch {
    throw new SandboxFailure('SANDBOX_MODULE_INVALID');
  }
  const names: string[] = [];
  const collect = (p: { type: string } | null): void => {
    if (!p) return;
    const n = p as unknown as Record<string, unknown> & { type: string };
    if (n.type === 'Identifier') names.push(n.name as string);
    else if (n.type === 'ObjectPattern') for (const q of n.properties as { type: string; value?: unknown; argument?: unknown }[]) collect((q.type === 'RestElement' ? q.argument : q.value) as { type: string });
    else if (n.type === 'ArrayPattern') for (const q of n.elements as ({ type: string } | null)[]) collect(q);
    else if (n.type === 'RestElement') collect(n.argument as { type: string });
    else if (n.type === 'AssignmentPattern') collect(n.left as { type: string });
  };
  for (const raw of program.body) {
    let node = raw as unknown as Record<string, unknown> & { type: string };
    if (node.type === 'ImportDeclaration' || node.type === 'ExportAllDeclaration' || node.type === 'ExportDefaultDeclaration') throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    if (node.type === 'ExportNamedDeclaration') {
      if (node.source) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
      if (!node.declaration) continue;
      node = node.declaration as Record<string, unknown> & { type: string };
    }
    if ((node.type === 'FunctionDeclaration' || node.type === 'ClassDeclaration') && node.id) names.push((node.id as { name: string }).name);
    if (node.type === 'VariableDeclaration') for (const d of node.declarations as { id: { type: string } }[]) collect(d.id);
  }
  if (names.some((n) => n.startsWith('__dfix'))) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
  return names;
}

/** Top-level names of the modules this process loaded hardened, by the source's SHA-256 (bounded). */
const bindingsBySource = new Map<string, string[]>();

/** topLevelBindings, parsed once per module (a 2 MB compiled model takes about 0.3 s to parse). */
function bindingsOf(source: string): string[] {
  const key = createHash('sha256').update(source).digest('hex');
  let names = bindingsBySource.get(key);
  if (!names) {
    names = topLevelBindings(source);
    if (bindingsBySource.size >= 64) bindingsBySource.delete(bindingsBySource.keys().next().value as string);
    bindingsBySource.set(key, names);
  }
  return names;
}

/** Sources checked against the pure-module discipline in this process (bounded). */
const disciplined = new Map<string, boolean>();

/**
 * The executor enforces the discipline itself (vetting has already refused a module that
 * breaks it): the row-purity argument must not depend on a check made somewhere else.
 */
function requireDiscipline(source: string, compiled: boolean): void {
  const key = `${compiled ? 'c' : 'm'}${source}`;
  let ok = disciplined.get(key);
  if (ok === undefined) {
    ok = checkPurity(source, compiled).every((f) => f.severity !== 'fail');
    if (disciplined.size >= 64) disciplined.delete(disciplined.keys().next().value as string);
    disciplined.set(key, ok);
  }
  if (!ok) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
}

/** Bytes of an isolate's heap in use, external (ArrayBuffer) memory included. */
function heapInUse(isolate: ivm.Isolate): number {
  const h = isolate.getHeapStatisticsSync();
  return h.used_heap_size + h.externally_allocated_size;
}

/** Reads nothing of `e` (model-controlled): only what the host can see of the isolate and the clock. */
function classify(isolate: ivm.Isolate, startedAt: number, timeoutMs: number): SandboxCode {
  if (isolate.isDisposed) return 'SANDBOX_MEMORY';
  if (performance.now() - startedAt >= timeoutMs - 1) return 'SANDBOX_TIMEOUT';
  return 'SANDBOX_MODEL_ERROR';
}

interface Loaded {
  run: ivm.Reference<unknown>;
  runCompiled: ivm.Reference<unknown>;
  tools: ivm.Reference<Record<string, unknown>>;
  report: ModuleReport;
  release(): void;
}

/** A context with a prelude and the model module, evaluated with a timeout. */
function load(isolate: ivm.Isolate, prelude: ivm.Script, source: string, hardened: boolean, limits: Limits, before?: ivm.Script, discipline = true, compiled = false): Loaded {
  if (discipline) requireDiscipline(source, compiled);
  const context = isolate.createContextSync();
  const refs: { release(): void }[] = [];
  const release = () => {
    for (const r of refs.reverse()) {
      try {
        r.release();
      } catch {
        // already released with a disposed isolate
      }
    }
    refs.length = 0;
  };
  try {
    refs.push(context);
    if (before) before.runSync(context, { timeout: 5000 });
    const tools = prelude.runSync(context, { reference: true, timeout: 5000 }) as ivm.Reference<Record<string, unknown>>;
    refs.push(tools);
    const run = tools.getSync('run', { reference: true }) as ivm.Reference<unknown>;
    const runCompiled = tools.getSync('runCompiled', { reference: true }) as ivm.Reference<unknown>;
    const init = tools.getSync('init', { reference: true }) as ivm.Reference<unknown>;
    refs.push(run, runCompiled, init);
    const names = hardened ? bindingsOf(source) : [];
    const text = hardened ? `${source}\n;export const __dfix_bindings__ = [${names.join(', ')}];\n` : source;
    let module: ivm.Module;
    try {
      module = isolate.compileModuleSync(text, { filename: 'model.js' });
    } catch {
      throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    }
    refs.push(module);
    if (module.dependencySpecifiers.length > 0) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    module.instantiateSync(context, () => {
      throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    });
    const started = performance.now();
    try {
      module.evaluateSync({ timeout: limits.callMs });
    } catch {
      throw new SandboxFailure(classify(isolate, started, limits.callMs));
    }
    const ns = module.namespace;
    const bindings = hardened ? (ns.getSync('__dfix_bindings__', { reference: true }) as ivm.Reference<unknown>) : undefined;
    if (bindings) refs.push(bindings);
    const at = performance.now();
    let found: unknown;
    try {
      found = init.applySync(undefined, [ns.derefInto(), bindings?.derefInto()], { result: { copy: true }, timeout: limits.callMs });
    } catch {
      throw new SandboxFailure(classify(isolate, at, limits.callMs));
    }
    const f = found as { exports?: unknown; scoreIsFunction?: unknown } | null;
    const exports = Array.isArray(f?.exports) ? f.exports.filter((x): x is string => typeof x === 'string').slice(0, 64).map((s) => s.slice(0, 256)) : [];
    return { run, runCompiled, tools, report: { exports, scoreIsFunction: f?.scoreIsFunction === true, evaluates: true }, release };
  } catch (e) {
    release();
    throw e;
  }
}

export interface Scored {
  scores: Float64Array<ArrayBuffer>;
  reasons: Uint8Array<ArrayBuffer>;
}

function call(isolate: ivm.Isolate, loaded: Loaded, data: Float64Array, k: number, rows: number, fields: readonly string[], reasons: readonly string[], timeoutMs: number, compiled = false): Scored {
  // a copy of exactly these rows (never a subarray: ExternalCopy would copy the whole buffer)
  const bytes = data.buffer.byteLength === data.byteLength && data.byteOffset === 0 ? data.buffer : data.slice().buffer;
  const input = new ivm.ExternalCopy(bytes as ArrayBuffer).copyInto({ release: true, transferIn: true });
  const names = new ivm.ExternalCopy([...fields]).copyInto({ release: true });
  const codes = new ivm.ExternalCopy([...reasons]).copyInto({ release: true });
  const started = performance.now();
  let result: unknown;
  try {
    result = compiled
      ? loaded.runCompiled.applySync(undefined, [input, k, rows, names], { result: { copy: true }, timeout: timeoutMs })
      : loaded.run.applySync(undefined, [input, k, rows, names, codes], { result: { copy: true }, timeout: timeoutMs });
  } catch {
    throw new SandboxFailure(classify(isolate, started, timeoutMs));
  }
  // built in the isolate by the trusted runner; checked all the same before it is trusted
  const out = result as { scores?: unknown; reasons?: unknown } | null;
  if (typeof out !== 'object' || out === null || !(out.scores instanceof Float64Array) || !(out.reasons instanceof Uint8Array) || out.scores.length !== rows || out.reasons.length !== rows * REASON_SLOTS) {
    throw new SandboxFailure('SANDBOX_OUTPUT_INVALID');
  }
  return { scores: out.scores as Float64Array<ArrayBuffer>, reasons: out.reasons as Uint8Array<ArrayBuffer> };
}

/** Batch mode: one isolate, one hardened context, many rows. */
export class HardenedBatch {
  private readonly isolate: ivm.Isolate;
  private readonly loaded: Loaded;

  /**
   * `compiled`: the source is a module the platform compiled from a model as data
   * (formats/), set by the host from the model's format, never from anything in the
   * package: its rows are scored through its scoreBatch, straight from the buffer.
   * `discipline: false` only for tests of the runtime layer on its own; the executor always
   * checks the static rules first.
   */
  constructor(
    source: string,
    private readonly fields: readonly string[],
    private readonly reasons: readonly string[],
    limits: Limits,
    discipline = true,
    private readonly compiled = false,
  ) {
    this.isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
    try {
      const sesScript = this.isolate.compileScriptSync(ses(), { filename: 'ses.js' });
      const prelude = this.isolate.compileScriptSync(hardenedPrelude(REASON_SLOTS), { filename: 'prelude.js' });
      this.loaded = load(this.isolate, prelude, source, true, limits, sesScript, discipline, compiled);
    } catch (e) {
      if (process.env.DFIX_DEBUG_ISOLATES) console.error(e);
      const code = e instanceof SandboxFailure ? e.code : this.isolate.isDisposed ? 'SANDBOX_MEMORY' : 'SANDBOX_MODEL_ERROR';
      this.dispose();
      throw new SandboxFailure(code);
    }
  }

  get report(): ModuleReport {
    return this.loaded.report;
  }

  /** CPU the isolate spent in the last score() call, ms (the model's own work, setup excluded). */
  lastCpuMs = 0;

  /** Scores all rows within `timeoutMs`, at most CHUNK_BYTES of them per call. */
  score(data: Float64Array, rows: number, timeoutMs: number): Scored {
    if (!this.loaded.report.scoreIsFunction) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    const k = this.fields.length;
    const per = Math.max(1, Math.floor(CHUNK_BYTES / (8 * k)));
    const before = this.isolate.cpuTime;
    const end = performance.now() + timeoutMs;
    const out: Scored = { scores: new Float64Array(rows), reasons: new Uint8Array(rows * REASON_SLOTS) };
    for (let from = 0; from < rows; from += per) {
      const to = Math.min(rows, from + per);
      const left = Math.floor(end - performance.now());
      if (left < 1) throw new SandboxFailure('SANDBOX_TIMEOUT');
      const part = call(this.isolate, this.loaded, data.subarray(from * k, to * k), k, to - from, this.fields, this.reasons, left, this.compiled);
      out.scores.set(part.scores, from);
      out.reasons.set(part.reasons, from * REASON_SLOTS);
    }
    this.lastCpuMs = Number(this.isolate.cpuTime - before) / 1e6;
    return out;
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

/**
 * Fresh mode: every row in a fresh context. Contexts of one isolate share its heap, so an
 * earlier row could change whether a later one runs out of memory, time or stack (model
 * code has no try/catch to observe it any other way). Hence every row that fails in the
 * shared isolate is scored again in a brand-new isolate, and only that outcome counts: a
 * row's outcome is what it would be alone. The shared isolate is replaced after
 * CONTEXTS_PER_ISOLATE contexts, after any failure, and when its heap, external memory
 * included, holds more than a quarter of its limit.
 */
export class FreshScorer {
  private isolate: ivm.Isolate | null = null;
  private prelude: ivm.Script | null = null;
  private contexts = 0;

  constructor(
    private readonly source: string,
    private readonly fields: readonly string[],
    private readonly reasons: readonly string[],
    private readonly limits: Limits,
    /** Tests of the runtime layer alone only (see HardenedBatch). */
    private readonly discipline = true,
  ) {
    // a module that breaks the rules is refused as a whole: that depends on no row
    if (discipline) requireDiscipline(source, false);
  }

  private shared(): { isolate: ivm.Isolate; prelude: ivm.Script } {
    if (!this.isolate || this.isolate.isDisposed || !this.prelude) {
      this.isolate = new ivm.Isolate({ memoryLimit: this.limits.memoryMb });
      this.prelude = this.isolate.compileScriptSync(freshPrelude(REASON_SLOTS), { filename: 'prelude.js' });
      this.contexts = 0;
    }
    return { isolate: this.isolate, prelude: this.prelude };
  }

  private once(isolate: ivm.Isolate, prelude: ivm.Script, row: Float64Array): Scored {
    const loaded = load(isolate, prelude, this.source, false, this.limits, undefined, this.discipline);
    try {
      if (!loaded.report.scoreIsFunction) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
      return call(isolate, loaded, row, this.fields.length, 1, this.fields, this.reasons, this.limits.callMs);
    } finally {
      loaded.release();
    }
  }

  /** Scores one row; null when it fails alone, in a fresh isolate, too. */
  score(row: Float64Array): Scored | null {
    const { isolate, prelude } = this.shared();
    this.contexts++;
    try {
      const out = this.once(isolate, prelude, row);
      if (this.contexts >= CONTEXTS_PER_ISOLATE || heapInUse(isolate) > (this.limits.memoryMb * 1024 * 1024) / 4) this.dispose();
      return out;
    } catch (e) {
      this.dispose();
      // a module that does not compile or export score fails the same on every row
      if (e instanceof SandboxFailure && e.code === 'SANDBOX_MODULE_INVALID') throw e;
    }
    // alone: a brand-new isolate that nothing ran in before
    const alone = new ivm.Isolate({ memoryLimit: this.limits.memoryMb });
    try {
      return this.once(alone, alone.compileScriptSync(freshPrelude(REASON_SLOTS), { filename: 'prelude.js' }), row);
    } catch {
      return null;
    } finally {
      if (!alone.isDisposed) alone.dispose();
    }
  }

  dispose(): void {
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = null;
    this.prelude = null;
    this.contexts = 0;
  }
}

/** Contexts of compiled modules one executor process keeps loaded (about 7 MB of heap each for 300 trees with TreeSHAP). */
const WARM_CONTEXTS = 4;
/** Synthetic rows a newly loaded module scores before its first merchant: its code then runs optimised. */
const WARM_UP_ROWS = 8;
/** Time for loading a module and for its warm-up, each (the per-row limit is for merchants' rows). */
const WARM_UP_MS = 2000;
/** A merchant's call in a kept context may take this many times its CPU limit of wall time. */
const WALL_PER_CPU = 10;

/** Values of the warm-up rows: missing, zero, negative, small and large, so that most branches run. */
const WARM_UP_VALUES = [NaN, 0, -1, 1, 37, 1e3, 1e5, 1e9];

/** Synthetic rows for warming a module up, never a merchant's: each field takes each of WARM_UP_VALUES. */
function warmUpRows(k: number): Float64Array {
  const x = new Float64Array(WARM_UP_ROWS * k);
  for (let r = 0; r < WARM_UP_ROWS; r++) for (let j = 0; j < k; j++) x[r * k + j] = WARM_UP_VALUES[(r + j) % WARM_UP_VALUES.length] as number;
  return x;
}

/**
 * Platform-compiled modules only (formats/: generated code that keeps nothing between rows,
 * whose time and memory per row its structure fixes), in subjects mode. A process keeps
 * each module it was given loaded in a hardened context of its own (SES, every top-level
 * binding hardened: as an aggregate batch), one per module and requester, warmed up on
 * synthetic rows before its first merchant. The contexts share one isolate: each isolate
 * reserves about 550 MB of address space, and the process is capped at 4 GiB. A bank's task
 * then costs its rows' calls, not a new isolate, a module compile and cold code: for the
 * 300-tree model with TreeSHAP, about 1 ms for one merchant against 35 ms, where a cold
 * call alone took 15-25 ms of a 20 ms limit. A row whose call fails is scored again alone
 * in a brand-new isolate by the caller, as in fresh mode. Null when loading fails or the
 * isolate reached its memory limit (then every context goes): the caller scores every row
 * alone. A context dropped, by eviction or with the isolate, is loaded again on its next
 * task (about 55 ms for the 300-tree model, whose parse the process keeps): that answer
 * can come late, which the requester can see.
 */
export class WarmModules {
  private isolate: ivm.Isolate | null = null;
  private memoryMb = 0;
  private scripts: { ses: ivm.Script; prelude: ivm.Script } | null = null;
  /** In order of use, the least recent first. */
  private readonly contexts = new Map<string, { loaded: Loaded; requester: string }>();

  /**
   * `key` names the module, its fields, reasons and limits, and the requester. Each row is
   * its own call with its own `limits.callMs` of CPU time, so a merchant's outcome does
   * not depend on the merchants sharing its task nor on the machine's load; `failed`
   * marks the rows whose call failed (the caller scores them alone). The context stays:
   * the code is the platform's, and a row's failure must not change what the requester's
   * next task costs.
   */
  score(key: string, requester: string, source: string, fields: readonly string[], reasons: readonly string[], limits: Limits, data: Float64Array): (Scored & { failed: Uint8Array<ArrayBuffer> }) | null {
    const k = fields.length;
    const rows = data.length / k;
    let loaded: Loaded | undefined;
    try {
      if (this.isolate && (this.isolate.isDisposed || this.memoryMb !== limits.memoryMb)) this.clear();
      if (!this.isolate || !this.scripts) {
        // room for every kept context at a task's memory limit
        this.isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb * WARM_CONTEXTS });
        this.memoryMb = limits.memoryMb;
        this.scripts = {
          ses: this.isolate.compileScriptSync(ses(), { filename: 'ses.js' }),
          prelude: this.isolate.compileScriptSync(hardenedPrelude(REASON_SLOTS), { filename: 'prelude.js' }),
        };
      }
      const isolate = this.isolate;
      loaded = this.contexts.get(key)?.loaded;
      this.contexts.delete(key);
      if (!loaded) {
        // loading and warming up run no merchant's row: they get time of their own
        loaded = load(isolate, this.scripts.prelude, source, true, { memoryMb: limits.memoryMb, callMs: WARM_UP_MS }, this.scripts.ses, true, true);
        if (!loaded.report.scoreIsFunction) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
        call(isolate, loaded, warmUpRows(k), k, WARM_UP_ROWS, fields, reasons, WARM_UP_MS);
      }
      const out = { scores: new Float64Array(rows), reasons: new Uint8Array(rows * REASON_SLOTS), failed: new Uint8Array(rows) };
      for (let i = 0; i < rows; i++) {
        out.scores[i] = NaN;
        out.failed[i] = 1;
        // twice at most: a collection of the shared heap can land in any merchant's call
        for (let attempt = 0; attempt < 2 && out.failed[i] === 1; attempt++) {
          const cpu = isolate.cpuTime;
          try {
            // a merchant's model time is CPU time: a call preempted by other load is not
            // over its limit, so the wall clock only backstops it
            const one = call(isolate, loaded, data.slice(i * k, (i + 1) * k), k, 1, fields, reasons, limits.callMs * WALL_PER_CPU);
            if (Number(isolate.cpuTime - cpu) / 1e6 > limits.callMs) continue;
            out.scores[i] = one.scores[0] as number;
            out.reasons.set(one.reasons, i * REASON_SLOTS);
            out.failed[i] = 0;
          } catch (e) {
            if (isolate.isDisposed) throw e;
          }
        }
      }
      this.contexts.set(key, { loaded, requester });
      if (this.contexts.size > WARM_CONTEXTS) this.evictOne();
      // heap past half its limit: one of this requester's other contexts goes first (the
      // heap holds this task's garbage too), another's only if it has none
      if (heapInUse(isolate) > (limits.memoryMb * WARM_CONTEXTS * 1024 * 1024) / 2 && !this.evictOwn(requester, key) && this.contexts.size > 1) this.evictOne();
      return out;
    } catch {
      // only this context goes, unless the isolate itself went (its memory limit)
      if (!this.isolate || this.isolate.isDisposed) this.clear();
      else loaded?.release();
      return null;
    }
  }

  /** Drops the least recently used context of `requester` other than `key`; false if it has none. */
  private evictOwn(requester: string, key: string): boolean {
    for (const [other, c] of this.contexts) {
      if (c.requester !== requester || other === key) continue;
      c.loaded.release();
      this.contexts.delete(other);
      return true;
    }
    return false;
  }

  /**
   * The least recently used context of the requester holding the most: a requester's
   * activity evicts its own contexts before another's, as long as the requesters in use
   * are no more than WARM_CONTEXTS.
   */
  private evictOne(): void {
    const held = new Map<string, number>();
    for (const c of this.contexts.values()) held.set(c.requester, (held.get(c.requester) ?? 0) + 1);
    const most = Math.max(...held.values());
    for (const [key, c] of this.contexts) {
      if (held.get(c.requester) !== most) continue;
      c.loaded.release();
      this.contexts.delete(key);
      return;
    }
  }

  get size(): number {
    return this.contexts.size;
  }

  /** Whether the context `key` names is kept (for tests). */
  holds(key: string): boolean {
    return this.contexts.has(key);
  }

  clear(): void {
    for (const c of this.contexts.values()) c.loaded.release();
    this.contexts.clear();
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = null;
    this.scripts = null;
  }
}

/** What a model threw, for its developer, on dummy rows (model-controlled text: dummy data only). */
export interface DebugError {
  row: number;
  message: string;
  line: number | null;
  column: number | null;
  stack: string;
}

/**
 * For `dfix model try` on dummy data, in the vetting lane only: the first row whose
 * evaluation throws, with the model's own message, line, column and stack. The static
 * rules are not applied here (the vetting report already lists their findings).
 */
export function debugFirstError(source: string, fields: readonly string[], limits: Limits, data: Float64Array): DebugError | null {
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
  try {
    const prelude = isolate.compileScriptSync(freshPrelude(REASON_SLOTS), { filename: 'prelude.js' });
    let loaded: Loaded;
    try {
      loaded = load(isolate, prelude, source, false, limits, undefined, false);
    } catch {
      return { row: -1, message: 'the module failed to load (see the vetting report)', line: null, column: null, stack: '' };
    }
    const probe = loaded.tools.getSync('probe', { reference: true }) as ivm.Reference<unknown>;
    const input = new ivm.ExternalCopy(data.slice().buffer).copyInto({ release: true, transferIn: true });
    const names = new ivm.ExternalCopy([...fields]).copyInto({ release: true });
    let found: unknown = null;
    try {
      found = probe.applySync(undefined, [input, fields.length, data.length / fields.length, names], { result: { copy: true }, timeout: limits.callMs * 10 });
    } catch {
      return { row: -1, message: 'the model ran out of time or memory', line: null, column: null, stack: '' };
    }
    const f = found as { row?: unknown; message?: unknown; stack?: unknown } | null;
    if (!f || typeof f.row !== 'number') return null;
    const stack = typeof f.stack === 'string' ? f.stack : '';
    const at = /model\.js:(\d+):(\d+)/.exec(stack);
    return { row: f.row, message: typeof f.message === 'string' ? f.message : '', line: at ? Number(at[1]) : null, column: at ? Number(at[2]) : null, stack };
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
}
