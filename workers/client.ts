// The platform's handle on its executor process: starts it confined, moves rows to it and
// scores back as raw frames (chunked, so transfer overlaps with scoring), and watches it.
// A watchdog restarts an executor that stops answering; runs in flight then fail with
// SANDBOX_UNAVAILABLE and later runs go to the new process.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { projectRoot } from '../core/fs.js';
import { canConfineOs, permissionArgs, spawnConfined } from './confinement.js';
import { sandboxError } from './errors.js';
import {
  DEFAULT_LIMITS,
  encodeHeader,
  FrameReader,
  fromExecutorSchema,
  REASON_SLOTS,
  type Frame,
  type Limits,
  type Mode,
  type ModuleReport,
  type ReadyInfo,
  type ToExecutor,
} from './protocol.js';

export type Confinement = 'auto' | 'os' | 'none';

export interface ExecutorOptions {
  /** 'os' adds a network namespace and an unprivileged user (needs root); 'auto' uses it when it can. */
  confinement: Confinement;
  pingMs: number;
  /** An executor silent for this long is killed and replaced. */
  deadMs: number;
  startMs: number;
  cohortChunkRows: number;
  subjectChunkRows: number;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}

export const DEFAULT_EXECUTOR_OPTIONS: ExecutorOptions = Object.freeze({
  confinement: 'auto',
  pingMs: 1000,
  deadMs: 5000,
  startMs: 15_000,
  cohortChunkRows: 32_768,
  subjectChunkRows: 128,
});

export interface ExecuteRequest {
  mode: Mode;
  source: string;
  fields: readonly string[];
  /** rows x fields, row-major; NaN where missing. */
  data: Float64Array;
  reasons: readonly string[];
  limits?: Limits;
  /** Who the run is for (the requesting organisation): isolates are never shared across partitions. */
  partition?: string;
}

export interface ExecuteResult {
  scores: Float64Array;
  /** rows x 3 reason indexes: 0 none, i+1 the i-th declared code, 255 undeclared. */
  reasons: Uint8Array;
}

/** The Node flags of the executor: it may read its own code and nothing else. */
export function executorNodeArgs(root = projectRoot()): string[] {
  return [...permissionArgs(root, { addons: true }), '--no-node-snapshot', '--disallow-code-generation-from-strings', '--max-old-space-size=256'];
}

export function executorEntry(root = projectRoot()): string {
  return path.join(root, 'dist', 'workers', 'executor.js');
}

/** Resolves when the data pipe can take more, or the process is gone. */
function drained(proc: { dataIn: Writable; child: ChildProcess }): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      proc.dataIn.off('drain', done);
      proc.child.off('exit', done);
      resolve();
    };
    proc.dataIn.once('drain', done);
    proc.child.once('exit', done);
  });
}

interface Pending {
  rows: number;
  chunkRows: number;
  scores: Float64Array;
  reasons: Uint8Array;
  received: number;
  done: boolean;
  resolve(r: ExecuteResult): void;
  reject(e: Error): void;
}

interface Process {
  child: ChildProcess;
  dataIn: Writable;
  ready: Promise<ReadyInfo>;
  info?: ReadyInfo;
  lastPong: number;
  osConfined: boolean;
}

export class Executor {
  private readonly opts: ExecutorOptions;
  private proc: Process | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly checks = new Map<number, { resolve(r: ModuleReport): void; reject(e: Error): void }>();
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  private osWorks: boolean;
  restarts = 0;

  private constructor(opts: ExecutorOptions) {
    this.opts = opts;
    this.osWorks = opts.confinement !== 'none' && canConfineOs();
    if (opts.confinement === 'os' && !this.osWorks) throw sandboxError('SANDBOX_UNAVAILABLE', { detail: 'os confinement unavailable' });
  }

  static async start(options: Partial<ExecutorOptions> = {}): Promise<Executor> {
    const e = new Executor({ ...DEFAULT_EXECUTOR_OPTIONS, ...options });
    await e.ensure();
    e.watchdog = setInterval(() => e.tick(), e.opts.pingMs);
    e.watchdog.unref();
    return e;
  }

  /** How the current executor process is confined, as it reported itself. */
  get info(): (ReadyInfo & { osConfined: boolean }) | null {
    return this.proc?.info ? { ...this.proc.info, osConfined: this.proc.osConfined } : null;
  }

  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  private spawnProcess(): Process {
    const root = projectRoot();
    const node = [...executorNodeArgs(root), executorEntry(root)];
    const os = this.osWorks;
    const child = spawnConfined(node, os, { stdio: ['ignore', 'ignore', 'inherit', 'ipc', 'pipe', 'pipe'] });
    const stdio = child.stdio as unknown as (Readable | Writable | null)[];
    const dataIn = stdio[4] as Writable;
    const dataOut = stdio[5] as Readable;
    const reader = new FrameReader((f) => this.onResult(f), 512 * 1024 * 1024);
    dataOut.on('data', (c: Buffer) => reader.push(c));
    dataIn.on('error', () => undefined);
    const proc: Process = { child, dataIn, lastPong: Date.now(), osConfined: os, ready: Promise.resolve(null as never) };
    proc.ready = new Promise<ReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(sandboxError('SANDBOX_UNAVAILABLE')), this.opts.startMs);
      child.on('message', (raw) => {
        const parsed = fromExecutorSchema.safeParse(raw);
        if (!parsed.success) return;
        const m = parsed.data;
        proc.lastPong = Date.now();
        if (m.type === 'ready') {
          clearTimeout(timer);
          proc.info = m;
          resolve(m);
        } else this.onMessage(m);
      });
      child.on('exit', () => {
        clearTimeout(timer);
        reject(sandboxError('SANDBOX_UNAVAILABLE'));
        this.onExit(proc);
      });
      child.on('error', () => undefined);
    });
    proc.ready.catch(() => undefined);
    return proc;
  }

  private async ensure(): Promise<Process> {
    if (this.closed) throw sandboxError('SANDBOX_UNAVAILABLE');
    if (!this.proc) this.proc = this.spawnProcess();
    const proc = this.proc;
    try {
      await proc.ready;
      return proc;
    } catch (e) {
      if (proc.osConfined && this.opts.confinement === 'auto' && !proc.info) {
        // OS confinement did not come up here: fall back to the permission model alone.
        this.opts.onEvent?.('executor.os-confinement-unavailable', {});
        this.osWorks = false;
        if (this.proc === proc) this.proc = null;
        return this.ensure();
      }
      throw e;
    }
  }

  private onExit(proc: Process): void {
    if (this.proc === proc) this.proc = null;
    const err = sandboxError('SANDBOX_UNAVAILABLE');
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
    for (const [id, c] of this.checks) {
      this.checks.delete(id);
      c.reject(err);
    }
    if (!this.closed && proc.info) {
      this.restarts++;
      this.opts.onEvent?.('executor.restarted', { restarts: this.restarts });
      this.ensure().catch(() => undefined);
    }
  }

  private tick(): void {
    const proc = this.proc;
    if (!proc?.info) return;
    if (Date.now() - proc.lastPong > this.opts.deadMs) {
      this.opts.onEvent?.('executor.unresponsive', { pid: proc.child.pid });
      proc.child.kill('SIGKILL');
      return;
    }
    this.post(proc, { type: 'ping', id: 0 });
  }

  private post(proc: Process, m: ToExecutor): void {
    if (proc.child.connected) proc.child.send(m);
  }

  private onMessage(m: ReturnType<typeof fromExecutorSchema.parse>): void {
    switch (m.type) {
      case 'pong':
      case 'ready':
        return;
      case 'checked': {
        const c = this.checks.get(m.id);
        this.checks.delete(m.id);
        c?.resolve(m.report);
        return;
      }
      case 'done': {
        const p = this.pending.get(m.id);
        if (!p) return;
        p.done = true;
        this.settle(m.id, p);
        return;
      }
      case 'failed': {
        const p = this.pending.get(m.id);
        const c = this.checks.get(m.id);
        this.pending.delete(m.id);
        this.checks.delete(m.id);
        p?.reject(sandboxError(m.code));
        c?.reject(sandboxError(m.code));
        return;
      }
    }
  }

  // Result frames come from the executor: check their size before copying them into place.
  private onResult(f: Frame): void {
    const p = this.pending.get(f.id);
    if (!p) return;
    const start = f.seq * p.chunkRows;
    if (f.payload.byteLength !== f.rows * (8 + REASON_SLOTS) || start + f.rows > p.rows || f.rows > p.chunkRows) {
      this.pending.delete(f.id);
      p.reject(sandboxError('SANDBOX_OUTPUT_INVALID'));
      return;
    }
    p.scores.set(new Float64Array(f.payload, 0, f.rows), start);
    p.reasons.set(new Uint8Array(f.payload, f.rows * 8, f.rows * REASON_SLOTS), start * REASON_SLOTS);
    p.received += f.rows;
    this.settle(f.id, p);
  }

  private settle(id: number, p: Pending): void {
    if (!p.done || p.received < p.rows) return;
    this.pending.delete(id);
    p.resolve({ scores: p.scores, reasons: p.reasons });
  }

  /** Runs model code over rows in the executor. Throws a SANDBOX_* AppError on failure. */
  async execute(req: ExecuteRequest): Promise<ExecuteResult> {
    const k = req.fields.length;
    if (k === 0 || req.data.length % k !== 0) throw sandboxError('SANDBOX_INPUT_INVALID');
    const rows = req.data.length / k;
    const proc = await this.ensure();
    const id = this.nextId++;
    const chunkRows = req.mode === 'cohort' ? this.opts.cohortChunkRows : this.opts.subjectChunkRows;
    const result = new Promise<ExecuteResult>((resolve, reject) => {
      this.pending.set(id, {
        rows,
        chunkRows,
        scores: new Float64Array(rows),
        reasons: new Uint8Array(rows * REASON_SLOTS),
        received: 0,
        done: false,
        resolve,
        reject,
      });
    });
    this.post(proc, {
      type: 'run',
      id,
      mode: req.mode,
      source: req.source,
      fields: [...req.fields],
      reasons: [...req.reasons],
      rows,
      chunkRows,
      limits: req.limits ?? DEFAULT_LIMITS,
      partition: req.partition ?? '',
    });
    const bytes = new Uint8Array(req.data.buffer, req.data.byteOffset, req.data.byteLength);
    for (let seq = 0; seq * chunkRows < rows; seq++) {
      if (!this.pending.has(id)) break; // failed: stop sending
      const from = seq * chunkRows;
      const n = Math.min(chunkRows, rows - from);
      proc.dataIn.write(encodeHeader(id, seq, n, n * k * 8));
      const ok = proc.dataIn.write(bytes.subarray(from * k * 8, (from + n) * k * 8));
      if (!ok) await drained(proc);
    }
    return result;
  }

  /** Compiles a module in an isolate and reports its imports and exports. */
  async check(source: string, limits: Limits = DEFAULT_LIMITS): Promise<ModuleReport> {
    const proc = await this.ensure();
    const id = this.nextId++;
    const p = new Promise<ModuleReport>((resolve, reject) => this.checks.set(id, { resolve, reject }));
    this.post(proc, { type: 'check', id, source, limits });
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.child.exitCode === null) {
      await new Promise<void>((r) => {
        proc.child.once('exit', () => r());
        proc.child.kill('SIGKILL');
      });
    }
  }
}
