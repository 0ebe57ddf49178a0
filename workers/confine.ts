// The one place isolated-vm is imported: model code runs here, inside an isolate with its
// own heap limit, one context per cohort or per subject, with a timeout on every call.
// No host function, Reference or Callback is ever handed to model code: the only things
// that cross are copies (an ArrayBuffer in, typed arrays out) and the model's own values.
import ivm from 'isolated-vm';
import { REASON_SLOTS, type Limits, type ModuleReport } from './protocol.js';
import { PRELUDE } from './prelude.js';
import type { SandboxCode } from './errors.js';

/** A failure of model code, reduced to its fixed code. Carries nothing of the model. */
export class SandboxFailure extends Error {
  constructor(readonly code: SandboxCode) {
    super(code);
  }
}

/** Subjects scored in one isolate (each in a fresh context) before it is replaced. */
const SUBJECTS_PER_ISOLATE = 64;
const TIMEOUT_MESSAGE = 'Script execution timed out.';

// `e` may come from model code: read nothing but its identity and two fixed strings.
function classify(e: unknown, isolate: ivm.Isolate): SandboxCode {
  if (e instanceof SandboxFailure) return e.code;
  if (isolate.isDisposed) return 'SANDBOX_MEMORY';
  let message = '';
  try {
    message = e instanceof Error && typeof e.message === 'string' ? e.message : '';
  } catch {
    message = '';
  }
  if (message === TIMEOUT_MESSAGE) return 'SANDBOX_TIMEOUT';
  if (message === 'Array buffer allocation failed') return 'SANDBOX_MEMORY';
  return 'SANDBOX_MODEL_ERROR';
}

export interface ScoreOutput {
  scores: Float64Array;
  reasons: Uint8Array;
}

/** What the prelude returns (held by Reference, never named by a global). */
interface Tools {
  run: unknown;
  inspect: unknown;
}

interface Loaded {
  context: ivm.Context;
  run: ivm.Reference<unknown>;
  score: ivm.Reference<unknown>;
  release(): void;
}

/** An isolate that holds the compiled prelude. */
class Host {
  readonly isolate: ivm.Isolate;
  readonly prelude: ivm.Script;

  constructor(readonly limits: Limits) {
    this.isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
    this.prelude = this.isolate.compileScriptSync(PRELUDE, { filename: 'prelude.js' });
  }

  /** A fresh context: prelude first, then the model module, evaluated with a timeout. */
  load(source: string): Loaded {
    const context = this.isolate.createContextSync();
    const tools = this.prelude.runSync(context, { reference: true, timeout: this.limits.callMs }) as ivm.Reference<Tools>;
    const run = tools.getSync('run', { reference: true }) as ivm.Reference<unknown>;
    const module = this.isolate.compileModuleSync(source, { filename: 'model.js' });
    if (module.dependencySpecifiers.length > 0) throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    module.instantiateSync(context, () => {
      throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    });
    module.evaluateSync({ timeout: this.limits.callMs });
    const score = module.namespace.getSync('score', { reference: true }) as ivm.Reference<unknown>;
    if (score.typeof !== 'function') throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    return {
      context,
      run,
      score,
      release: () => {
        score.release();
        run.release();
        tools.release();
        module.release();
        context.release();
      },
    };
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

function callRun(loaded: Loaded, buffer: ArrayBuffer, k: number, rows: number, fields: readonly string[], reasons: readonly string[], timeout: number): ScoreOutput {
  const input = new ivm.ExternalCopy(buffer, { transferOut: true }).copyInto({ release: true, transferIn: true });
  const names = new ivm.ExternalCopy([...fields]).copyInto({ release: true });
  const codes = new ivm.ExternalCopy([...reasons]).copyInto({ release: true });
  const result = loaded.run.applySync(undefined, [loaded.score.derefInto(), input, k, rows, names, codes], {
    result: { copy: true },
    timeout,
  }) as unknown;
  // the result was built in the isolate: check its shape before trusting it
  const out = result as { scores?: unknown; reasons?: unknown } | null;
  if (
    typeof out !== 'object' ||
    out === null ||
    !(out.scores instanceof Float64Array) ||
    !(out.reasons instanceof Uint8Array) ||
    out.scores.length !== rows ||
    out.reasons.length !== rows * REASON_SLOTS
  ) {
    throw new SandboxFailure('SANDBOX_OUTPUT_INVALID');
  }
  return { scores: out.scores, reasons: out.reasons };
}

/** Cohort mode: one isolate and one context for the whole cohort, fed chunk by chunk. */
export class CohortSession {
  private readonly host: Host;
  private loaded: Loaded | null = null;

  constructor(
    private readonly source: string,
    private readonly fields: readonly string[],
    private readonly reasons: readonly string[],
    private readonly limits: Limits,
  ) {
    this.host = new Host(limits);
  }

  runChunk(buffer: ArrayBuffer, rows: number): ScoreOutput {
    try {
      this.loaded ??= this.host.load(this.source);
      const timeout = Math.ceil(this.limits.callMs + this.limits.perRowMs * rows);
      return callRun(this.loaded, buffer, this.fields.length, rows, this.fields, this.reasons, timeout);
    } catch (e) {
      throw new SandboxFailure(classify(e, this.host.isolate));
    }
  }

  dispose(): void {
    this.host.dispose();
  }
}

// A worker keeps one warm isolate for subjects mode, so a run of one merchant does not pay
// for a new isolate (~1.3 ms, against ~0.5 ms for a context). Every subject still gets a
// fresh context: no object of one subject's evaluation is reachable from another's. What an
// isolate shares between its contexts is its heap (and the symbol registry, which holds
// strongly), so residue can change only whether a later evaluation runs out of memory. To
// keep that within what one run already shares, the isolate is reused only for the same
// model source, limits and partition (the requesting organisation), for at most
// SUBJECTS_PER_ISOLATE contexts, never after a failure, and not when its heap after a
// subject holds more than a quarter of the limit.
interface Warm {
  host: Host;
  key: string;
  contexts: number;
}
let warm: Warm | null = null;

function warmHost(key: string, limits: Limits): Warm {
  if (warm && (warm.key !== key || warm.contexts >= SUBJECTS_PER_ISOLATE || warm.host.isolate.isDisposed)) {
    warm.host.dispose();
    warm = null;
  }
  warm ??= { host: new Host(limits), key, contexts: 0 };
  return warm;
}

function retire(w: Warm, limits: Limits): void {
  const heap = w.host.isolate.getHeapStatisticsSync();
  if (w.contexts >= SUBJECTS_PER_ISOLATE || heap.used_heap_size > (limits.memoryMb * 1024 * 1024) / 4) {
    w.host.dispose();
    if (warm === w) warm = null;
  }
}

/** Subjects mode: every subject in a fresh context, so no score can carry another's data. */
export function scoreSubjects(
  source: string,
  fields: readonly string[],
  reasons: readonly string[],
  limits: Limits,
  buffer: ArrayBuffer,
  rows: number,
  partition: string,
): ScoreOutput {
  const k = fields.length;
  const all = new Float64Array(buffer);
  const scores = new Float64Array(rows);
  const out = new Uint8Array(rows * REASON_SLOTS);
  const key = `${partition}\n${limits.memoryMb}\n${limits.callMs}\n${source}`;
  let w: Warm | null = null;
  try {
    for (let i = 0; i < rows; i++) {
      w = warmHost(key, limits);
      w.contexts++;
      const loaded = w.host.load(source);
      const one = all.slice(i * k, i * k + k).buffer;
      const r = callRun(loaded, one, k, 1, fields, reasons, limits.callMs);
      scores[i] = r.scores[0] as number;
      out.set(r.reasons, i * REASON_SLOTS);
      loaded.release();
      retire(w, limits);
    }
  } catch (e) {
    const code = w ? classify(e, w.host.isolate) : 'SANDBOX_MODEL_ERROR';
    w?.host.dispose();
    if (warm === w) warm = null;
    throw new SandboxFailure(code);
  }
  return { scores, reasons: out };
}

/** Compiles and evaluates a module in a fresh isolate and reports what it imports and exports. */
export function inspectModule(source: string, limits: Limits): ModuleReport {
  const report: ModuleReport = { parses: false, imports: [], exports: [], scoreIsFunction: false, evaluates: false };
  const host = new Host(limits);
  try {
    const module = host.isolate.compileModuleSync(source, { filename: 'model.js' });
    report.parses = true;
    report.imports = module.dependencySpecifiers.slice(0, 64).map((s) => s.slice(0, 256));
    if (report.imports.length > 0) return report;
    const context = host.isolate.createContextSync();
    const tools = host.prelude.runSync(context, { reference: true, timeout: limits.callMs }) as ivm.Reference<Tools>;
    module.instantiateSync(context, () => {
      throw new SandboxFailure('SANDBOX_MODULE_INVALID');
    });
    module.evaluateSync({ timeout: limits.callMs });
    report.evaluates = true;
    const inspect = tools.getSync('inspect', { reference: true }) as ivm.Reference<unknown>;
    const found = inspect.applySync(undefined, [module.namespace.derefInto()], { result: { copy: true }, timeout: limits.callMs }) as {
      exports?: unknown;
      scoreIsFunction?: unknown;
    };
    const names = Array.isArray(found?.exports) ? found.exports.filter((x): x is string => typeof x === 'string') : [];
    report.exports = names.slice(0, 64).map((s) => s.slice(0, 256));
    report.scoreIsFunction = found?.scoreIsFunction === true;
    return report;
  } catch {
    return report;
  } finally {
    host.dispose();
  }
}
