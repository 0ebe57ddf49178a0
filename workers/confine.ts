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

/**
 * Subjects mode: one isolate per task (a task is one run's rows, or the rows of several
 * runs of the same model for the same requester, batched by the executor), and every
 * subject in a fresh context, so no object of one subject's evaluation is reachable from
 * another's. What contexts of one isolate share is its heap (and the symbol registry, which
 * holds its keys strongly), so residue can change only whether a later evaluation runs out
 * of memory: the isolate is replaced after SUBJECTS_PER_ISOLATE contexts, after any
 * failure, and whenever its heap after a subject holds more than a quarter of its limit.
 */
export class SubjectsSession {
  private host: Host | null = null;
  private contexts = 0;

  constructor(
    private readonly source: string,
    private readonly fields: readonly string[],
    private readonly reasons: readonly string[],
    private readonly limits: Limits,
  ) {}

  /** Scores rows of one run; throws SandboxFailure (and drops the isolate) on failure. */
  score(buffer: ArrayBuffer, rows: number): ScoreOutput {
    const k = this.fields.length;
    const all = new Float64Array(buffer);
    const scores = new Float64Array(rows);
    const out = new Uint8Array(rows * REASON_SLOTS);
    try {
      for (let i = 0; i < rows; i++) {
        this.host ??= new Host(this.limits);
        this.contexts++;
        const loaded = this.host.load(this.source);
        const r = callRun(loaded, all.slice(i * k, i * k + k).buffer, k, 1, this.fields, this.reasons, this.limits.callMs);
        scores[i] = r.scores[0] as number;
        out.set(r.reasons, i * REASON_SLOTS);
        loaded.release();
        if (this.contexts >= SUBJECTS_PER_ISOLATE || this.host.isolate.getHeapStatisticsSync().used_heap_size > (this.limits.memoryMb * 1024 * 1024) / 4) this.dispose();
      }
    } catch (e) {
      const code = this.host ? classify(e, this.host.isolate) : 'SANDBOX_MODEL_ERROR';
      this.dispose();
      throw new SandboxFailure(code);
    }
    return { scores, reasons: out };
  }

  dispose(): void {
    this.host?.dispose();
    this.host = null;
    this.contexts = 0;
  }
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
