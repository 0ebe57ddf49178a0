// The platform's handle on its executor processes. Lanes are processes: `production` lanes
// run approved models for banks, fintechs and the regulator; the `vetting` lane runs code
// nobody has approved yet (vetting, dry runs, `dfix model try`), so a package that crashes
// its process touches no production run. Each process runs one task at a time, so when one
// dies, the parent knows which task it was running: that task's runs fail with the limit
// that fired, or, when the task carried several runs, each is tried once more alone.
//
// Tasks: `cohort` rows are scored in hardened batches (a large cohort is split across the
// production lanes); `subjects` rows each in a fresh context, and queued subjects requests
// of the same model and requester share a task.
import { createHash } from 'node:crypto';
import type { DebugError } from './isolates.js';
import { ChildChannel, type ChildExit } from '../core/child.js';
import { AppError, isAppError } from '../core/errors.js';
import { CONFINEMENT_ERRORS, establishConfinement, type Confinement, type ConfinementMode, type ConfinementTools, type Posture } from '../core/confinement.js';
import { sandboxError, type SandboxCode } from './errors.js';
import { DEFAULT_LIMITS, EXIT_BACKSTOP, HEARTBEAT_MS, readySchema, REASON_SLOTS, taskResultSchema, type Limits, type ModuleReport, type ReadyInfo, type Task, type TaskResult } from './protocol.js';

export type Mode = 'cohort' | 'subjects';
/** production: banks' runs; aggregate: batches of approved models, one at a time; vetting: code nobody approved. */
export type Lane = 'production' | 'aggregate' | 'vetting';

export interface ExecutorOptions {
  confinement: ConfinementMode;
  tools?: ConfinementTools;
  /** An established confinement to use (the platform shares one with the crypto process). */
  shared?: Confinement;
  productionLanes: number;
  aggregateLanes: number;
  vettingLanes: number;
  startMs: number;
  /** Silence (of parent-awake time) after which a process is killed. */
  deadMs: number;
  /** Rows of queued subjects requests one task may carry. */
  batchRows: number;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}

export const DEFAULT_EXECUTOR_OPTIONS: ExecutorOptions = Object.freeze({
  confinement: 'os',
  productionLanes: 2,
  aggregateLanes: 1,
  vettingLanes: 1,
  startMs: 15_000,
  deadMs: 5000,
  batchRows: 128,
});

export interface ExecuteRequest {
  mode: Mode;
  source: string;
  fields: readonly string[];
  /** rows x fields, row-major; NaN where missing. */
  data: Float64Array;
  reasons: readonly string[];
  limits?: Limits;
  /** Cohort mode: time for scoring all rows (the run's compute budget), ms. */
  timeoutMs?: number;
  /** Who the run is for: subjects tasks never mix requesters. */
  partition?: string;
  /**
   * `source` is the platform's own module compiled from a model as data
   * (RuntimeModule.compiled); never set for a package's code. Cohort mode: scored through
   * its scoreBatch; subjects mode: a task's rows are scored in one fresh context (each row
   * alone only if that fails).
   */
  compiled?: boolean;
  lane?: Lane;
}

export interface ExecuteResult {
  scores: Float64Array;
  /** rows x REASON_SLOTS reason indexes: 0 none, i+1 the i-th declared code, 255 undeclared. */
  reasons: Uint8Array;
  /** Subjects mode: 1 where a row failed even alone in a fresh isolate (the host substitutes the default output). */
  failed: Uint8Array;
  /** CPU the executor spent on this request's task(s), ms. */
  cpuMs: number;
}

/** Which OS or executor limit ended a process, from how it ended. */
export function limitOf(e: ChildExit): 'memory' | 'cpu' | 'time' | 'unresponsive' | 'crash' {
  if (e.killedFor === 'backstop' || e.code === EXIT_BACKSTOP) return 'time';
  if (e.killedFor === 'unresponsive') return 'unresponsive';
  if (e.signal === 'SIGXCPU') return 'cpu';
  if (e.signal === 'SIGSEGV' || e.signal === 'SIGABRT' || e.signal === 'SIGBUS' || e.signal === 'SIGTRAP' || e.signal === 'SIGILL') return 'memory';
  return 'crash';
}

function codeOfLimit(limit: ReturnType<typeof limitOf>): SandboxCode {
  return limit === 'memory' ? 'SANDBOX_MEMORY' : limit === 'time' || limit === 'cpu' ? 'SANDBOX_TIMEOUT' : 'SANDBOX_UNAVAILABLE';
}

interface Job {
  task: Task;
  /** Rows of each request carried by this task (subjects batches), in order. */
  parts: { rows: number; settle(r: TaskResult | { crashed: ReturnType<typeof limitOf> }): void }[];
}

class Process {
  channel: ChildChannel<ReadyInfo>;
  busy = false;
  constructor(channel: ChildChannel<ReadyInfo>) {
    this.channel = channel;
  }
}

export class Executor {
  private readonly opts: ExecutorOptions;
  private readonly confinement: Confinement;
  private readonly lanes: Record<Lane, (Process | null)[]> = { production: [], aggregate: [], vetting: [] };
  private readonly queues: Record<Lane, Job[]> = { production: [], aggregate: [], vetting: [] };
  private readonly subjectsQueue: { key: string; req: ExecuteRequest; rows: number; resolve(r: ExecuteResult): void; reject(e: Error): void; alone: boolean }[] = [];
  private closed = false;
  restarts = 0;
  private readyInfo: ReadyInfo | null = null;

  private constructor(opts: ExecutorOptions) {
    this.opts = opts;
    this.confinement = opts.shared ?? establishConfinement(opts.confinement, opts.tools);
  }

  static async start(options: Partial<ExecutorOptions> = {}): Promise<Executor> {
    const e = new Executor({ ...DEFAULT_EXECUTOR_OPTIONS, ...options });
    try {
      const starts: Promise<unknown>[] = [];
      for (const lane of ['production', 'aggregate', 'vetting'] as Lane[]) {
        const n = lane === 'production' ? e.opts.productionLanes : lane === 'aggregate' ? e.opts.aggregateLanes : e.opts.vettingLanes;
        for (let i = 0; i < n; i++) starts.push(e.spawn(lane, i));
      }
      await Promise.all(starts);
    } catch (err) {
      await e.close();
      throw isAppError(err) && err.code === 'CONFINEMENT_UNAVAILABLE' ? err : new AppError('CONFINEMENT_UNAVAILABLE', CONFINEMENT_ERRORS.CONFINEMENT_UNAVAILABLE, { detail: 'the executor did not start inside its confinement', cause: err });
    }
    return e;
  }

  /** How the executors are confined: what was configured, and what a process reported of itself. */
  get posture(): Posture & { reported: ReadyInfo | null } {
    return { ...this.confinement.posture, reported: this.readyInfo };
  }

  /** Kept for callers that read the reported confinement. */
  get info(): (ReadyInfo & { osConfined: boolean }) | null {
    return this.readyInfo ? { ...this.readyInfo, osConfined: this.confinement.posture.mode === 'os' } : null;
  }

  /** Pids of the processes of a lane (for tests and benchmarks). */
  pids(lane: Lane = 'production'): number[] {
    return this.lanes[lane].map((p) => p?.channel.pid).filter((p): p is number => p !== undefined);
  }

  get pid(): number | undefined {
    return this.pids('production')[0];
  }

  private async spawn(lane: Lane, slot: number): Promise<void> {
    const command = this.confinement.command('dist/workers/executor.js', ['--no-node-snapshot', '--disallow-code-generation-from-strings', '--max-old-space-size=256'], { addons: true, ...(lane === 'vetting' ? { nice: 19 } : {}) });
    const channel = new ChildChannel<ReadyInfo>(command, {
      name: `executor.${lane}`,
      parseReady: (m) => {
        const r = readySchema.safeParse(m);
        return r.success ? r.data : null;
      },
      startMs: this.opts.startMs,
      heartbeatMs: HEARTBEAT_MS * 2,
      deadMs: this.opts.deadMs,
      ...(this.opts.onEvent ? { onEvent: this.opts.onEvent } : {}),
    });
    const proc = new Process(channel);
    this.lanes[lane][slot] = proc;
    channel.onExit((exit) => this.onExit(lane, slot, proc, exit));
    const info = await channel.ready;
    if (this.opts.confinement === 'os' && (info.uid !== 65534 || info.interfaces.some((i) => i !== 'lo'))) {
      void channel.kill('not-confined');
      throw new AppError('CONFINEMENT_UNAVAILABLE', CONFINEMENT_ERRORS.CONFINEMENT_UNAVAILABLE, { detail: `the executor reported uid ${info.uid}, interfaces ${info.interfaces.join(',')}` });
    }
    this.readyInfo ??= info;
    this.pump(lane);
  }

  private onExit(lane: Lane, slot: number, proc: Process, exit: ChildExit): void {
    if (this.lanes[lane][slot] === proc) this.lanes[lane][slot] = null;
    if (this.closed) return;
    const limit = limitOf(exit);
    if (exit.killedFor !== 'close') this.opts.onEvent?.('executor.exited', { lane, limit, code: exit.code, signal: exit.signal, killedFor: exit.killedFor });
    this.restarts++;
    setTimeout(() => {
      if (!this.closed) this.spawn(lane, slot).catch(() => this.opts.onEvent?.('executor.restart-failed', { lane }));
    }, 50).unref();
  }

  private pump(lane: Lane): void {
    for (const proc of this.lanes[lane]) {
      if (!proc || proc.busy || proc.channel.exited) continue;
      if (lane === 'production' && this.queues.production.length === 0) this.batchSubjects();
      const job = this.queues[lane].shift();
      if (!job) return;
      proc.busy = true;
      void this.runJob(lane, proc, job).finally(() => {
        proc.busy = false;
        this.pump(lane);
      });
    }
  }

  private async runJob(lane: Lane, proc: Process, job: Job): Promise<void> {
    const t = job.task;
    const rows = t.kind === 'inspect' ? 0 : t.data.length / t.fields.length;
    const backstop = 10_000 + (t.kind === 'batch' ? t.timeoutMs : t.kind === 'fresh' ? rows * (2 * t.limits.callMs + 50) : 10 * t.limits.callMs) + 5000;
    let result: TaskResult | { crashed: ReturnType<typeof limitOf> };
    try {
      const reply = await proc.channel.request({ type: 'task', task: t }, backstop);
      const parsed = taskResultSchema.safeParse(reply.result);
      result = parsed.success ? parsed.data : { kind: 'failed', code: 'SANDBOX_OUTPUT_INVALID', cpuMs: 0 };
    } catch {
      // the process died under this task, or overran the parent's backstop
      const exit = proc.channel.exited ?? (await proc.channel.kill('backstop'));
      result = { crashed: limitOf(exit) };
      this.opts.onEvent?.('executor.limit', { lane, limit: result.crashed, task: t.kind, rows });
    }
    for (const part of job.parts) part.settle(result);
  }

  private enqueue(lane: Lane, job: Job): void {
    this.queues[lane].push(job);
    this.pump(lane);
  }

  /** Subjects requests waiting: the first with the requests behind it of the same key, up to batchRows. */
  private batchSubjects(): void {
    const head = this.subjectsQueue.shift();
    if (!head) return;
    const group = [head];
    let rows = head.rows;
    if (!head.alone) {
      for (let i = 0; i < this.subjectsQueue.length && rows < this.opts.batchRows; ) {
        const q = this.subjectsQueue[i] as (typeof this.subjectsQueue)[number];
        if (!q.alone && q.key === head.key && rows + q.rows <= this.opts.batchRows) {
          group.push(q);
          rows += q.rows;
          this.subjectsQueue.splice(i, 1);
        } else i++;
      }
    }
    const k = head.req.fields.length;
    const data = new Float64Array(rows * k);
    let o = 0;
    for (const g of group) {
      data.set(g.req.data, o);
      o += g.req.data.length;
    }
    const task: Task = { kind: 'fresh', source: head.req.source, fields: [...head.req.fields], reasons: [...head.req.reasons], limits: head.req.limits ?? DEFAULT_LIMITS, data, ...(head.req.compiled ? { compiled: true, partition: head.req.partition ?? '' } : {}) };
    let from = 0;
    const parts = group.map((g) => {
      const start = from;
      from += g.rows;
      return {
        rows: g.rows,
        settle: (r: TaskResult | { crashed: ReturnType<typeof limitOf> }) => {
          if ('crashed' in r) {
            // several requests shared the task: each is tried once more, alone
            if (group.length > 1 && !g.alone) {
              this.subjectsQueue.unshift({ ...g, alone: true });
              this.pump('production');
              return;
            }
            return g.reject(sandboxError(codeOfLimit(r.crashed)));
          }
          if (r.kind !== 'scores') return g.reject(sandboxError(r.kind === 'failed' ? r.code : 'SANDBOX_OUTPUT_INVALID'));
          g.resolve({
            scores: r.scores.slice(start, start + g.rows),
            reasons: r.reasons.slice(start * REASON_SLOTS, (start + g.rows) * REASON_SLOTS),
            failed: r.failed.slice(start, start + g.rows),
            cpuMs: (r.cpuMs * g.rows) / rows,
          });
        },
      };
    });
    this.queues.production.push({ task, parts });
  }

  /** Runs model code over rows. Cohort failures throw a SANDBOX_* AppError; subjects rows that fail are marked in `failed`. */
  async execute(req: ExecuteRequest): Promise<ExecuteResult> {
    if (this.closed) throw sandboxError('SANDBOX_UNAVAILABLE');
    const k = req.fields.length;
    if (k === 0 || req.data.length % k !== 0) throw sandboxError('SANDBOX_INPUT_INVALID');
    const rows = req.data.length / k;
    const limits = req.limits ?? DEFAULT_LIMITS;
    const lane = req.lane ?? (req.mode === 'cohort' ? 'aggregate' : 'production');
    if (rows === 0) return { scores: new Float64Array(0), reasons: new Uint8Array(0), failed: new Uint8Array(0), cpuMs: 0 };
    if (req.mode === 'subjects') {
      if (lane === 'vetting') return this.fresh(lane, req, rows, limits);
      const key = createHash('sha256').update(JSON.stringify([req.source, req.fields, req.reasons, limits, req.partition ?? '', req.compiled === true])).digest('hex');
      // a large request is queued in pieces, so that every production lane takes a share
      const piece = this.opts.batchRows;
      const parts = await Promise.all(
        Array.from({ length: Math.ceil(rows / piece) }, (_, p) => {
          const part = { ...req, data: req.data.subarray(p * piece * k, Math.min(rows, (p + 1) * piece) * k) };
          const n = part.data.length / k;
          return new Promise<ExecuteResult>((resolve, reject) => {
            this.subjectsQueue.push({ key, req: part, rows: n, resolve, reject, alone: false });
            this.pump('production');
          });
        }),
      );
      if (parts.length === 1) return parts[0] as ExecuteResult;
      const out: ExecuteResult = { scores: new Float64Array(rows), reasons: new Uint8Array(rows * REASON_SLOTS), failed: new Uint8Array(rows), cpuMs: 0 };
      parts.forEach((r, p) => {
        out.scores.set(r.scores, p * piece);
        out.reasons.set(r.reasons, p * piece * REASON_SLOTS);
        out.failed.set(r.failed, p * piece);
        out.cpuMs += r.cpuMs;
      });
      return out;
    }
    // cohort: hardened batches, one per lane for large cohorts
    const timeoutMs = req.timeoutMs ?? limits.callMs + Math.ceil(rows / 100);
    const lanes = Math.max(1, this.lanes[lane].length);
    const parts = rows >= 50_000 ? lanes : 1;
    const per = Math.ceil(rows / parts);
    const results = await Promise.all(
      Array.from({ length: parts }, (_, p) => {
        const from = p * per;
        const to = Math.min(rows, from + per);
        const data = req.data.slice(from * k, to * k);
        const task: Task = { kind: 'batch', source: req.source, fields: [...req.fields], reasons: [...req.reasons], limits, timeoutMs, data, ...(req.compiled ? { compiled: true } : {}) };
        return new Promise<TaskResult | { crashed: ReturnType<typeof limitOf> }>((resolve) => this.enqueue(lane, { task, parts: [{ rows: to - from, settle: resolve }] }));
      }),
    );
    const out: ExecuteResult = { scores: new Float64Array(rows), reasons: new Uint8Array(rows * REASON_SLOTS), failed: new Uint8Array(rows), cpuMs: 0 };
    let from = 0;
    for (const r of results) {
      if ('crashed' in r) throw sandboxError(codeOfLimit(r.crashed));
      if (r.kind !== 'scores') throw sandboxError(r.kind === 'failed' ? r.code : 'SANDBOX_OUTPUT_INVALID');
      out.scores.set(r.scores, from);
      out.reasons.set(r.reasons, from * REASON_SLOTS);
      out.cpuMs += r.cpuMs;
      from += r.scores.length;
    }
    return out;
  }

  private fresh(lane: Lane, req: ExecuteRequest, rows: number, limits: Limits): Promise<ExecuteResult> {
    const task: Task = { kind: 'fresh', source: req.source, fields: [...req.fields], reasons: [...req.reasons], limits, data: req.data.slice() };
    return new Promise((resolve, reject) =>
      this.enqueue(lane, {
        task,
        parts: [
          {
            rows,
            settle: (r) => {
              if ('crashed' in r) return reject(sandboxError(codeOfLimit(r.crashed)));
              if (r.kind !== 'scores') return reject(sandboxError(r.kind === 'failed' ? r.code : 'SANDBOX_OUTPUT_INVALID'));
              resolve({ scores: r.scores, reasons: r.reasons, failed: r.failed, cpuMs: r.cpuMs });
            },
          },
        ],
      }),
    );
  }

  /**
   * For developers on DUMMY rows only (`dfix model try`): the model's own first error, with
   * message, line, column and stack, from the vetting lane. Never call it with vault rows.
   */
  async debugOnDummyRows(source: string, fields: readonly string[], dummyRows: Float64Array, limits: Limits = DEFAULT_LIMITS): Promise<DebugError | null> {
    const r = await new Promise<TaskResult | { crashed: ReturnType<typeof limitOf> }>((resolve) =>
      this.enqueue('vetting', { task: { kind: 'debug', source, fields: [...fields], limits, data: dummyRows.slice() }, parts: [{ rows: 0, settle: resolve }] }),
    );
    if ('crashed' in r) throw sandboxError(codeOfLimit(r.crashed));
    return r.kind === 'debug' ? r.error : null;
  }

  /** Compiles and evaluates a module in a hardened context of the vetting lane; reports its exports. */
  async check(source: string, limits: Limits = DEFAULT_LIMITS): Promise<ModuleReport> {
    const r = await new Promise<TaskResult | { crashed: ReturnType<typeof limitOf> }>((resolve) => this.enqueue('vetting', { task: { kind: 'inspect', source, limits }, parts: [{ rows: 0, settle: resolve }] }));
    if ('crashed' in r) throw sandboxError(codeOfLimit(r.crashed));
    if (r.kind === 'failed') throw sandboxError(r.code);
    if (r.kind !== 'module') throw sandboxError('SANDBOX_OUTPUT_INVALID');
    return r.report;
  }

  /** Processes of a lane (as configured; a process being restarted counts). */
  laneCount(lane: Lane): number {
    return this.lanes[lane].length;
  }

  /** The confinement the executors run in (shared with the crypto process). */
  get confinementHandle(): Confinement {
    return this.confinement;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.lanes.production, ...this.lanes.aggregate, ...this.lanes.vetting].filter((p): p is Process => p !== null);
    await Promise.all(all.map((p) => p.channel.kill('close')));
    for (const q of [...this.queues.production, ...this.queues.aggregate, ...this.queues.vetting]) for (const p of q.parts) p.settle({ crashed: 'crash' });
    for (const s of this.subjectsQueue.splice(0)) s.reject(sandboxError('SANDBOX_UNAVAILABLE'));
    if (!this.opts.shared) this.confinement.dispose();
  }
}
