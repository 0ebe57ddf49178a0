// The executor process. The platform forks it under Node's permission model (it may read
// only its own code, start worker threads and load addons; no child processes, no writes)
// and, where it has the privilege, as an unprivileged user with no network. It never sees
// the vault, the platform database, keys or the server: rows arrive as raw bytes on a pipe
// and scores leave the same way. Model failures are reported as fixed codes only.
import net from 'node:net';
import os from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { createPool } from './pool.js';
import {
  encodeHeader,
  FrameReader,
  toExecutorSchema,
  type Frame,
  type FromExecutor,
  type RunMessage,
} from './protocol.js';
import type { SandboxCode } from './errors.js';
import type { CohortIn, CohortOut } from './sandbox-worker.js';

const DATA_IN_FD = 4;
const DATA_OUT_FD = 5;
/** Grace beyond the isolate's own timeouts before a worker is aborted and replaced. */
const GRACE_MS = 2000;

const send = (m: FromExecutor): void => {
  process.send?.(m);
};

process.on('uncaughtException', () => process.exit(70));
process.on('unhandledRejection', () => process.exit(70));
process.on('disconnect', () => process.exit(0));

const pool = createPool();
const out = new net.Socket({ fd: DATA_OUT_FD, readable: false, writable: true });
const input = new net.Socket({ fd: DATA_IN_FD, readable: true, writable: false });

interface Run {
  msg: RunMessage;
  received: number; // rows received
  written: number; // rows of results written
  failed: boolean;
  controllers: Set<AbortController>;
  port?: MessagePort;
  timer?: NodeJS.Timeout;
}
const runs = new Map<number, Run>();

function writeResult(id: number, seq: number, scores: Float64Array, reasons: Uint8Array): void {
  out.write(encodeHeader(id, seq, scores.length, scores.byteLength + reasons.byteLength));
  out.write(new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength));
  out.write(reasons);
}

function fail(run: Run, code: SandboxCode): void {
  if (run.failed) return;
  run.failed = true;
  clearTimeout(run.timer);
  for (const c of run.controllers) c.abort();
  run.port?.close();
  runs.delete(run.msg.id);
  send({ type: 'failed', id: run.msg.id, code });
}

function progress(run: Run): void {
  if (run.failed || run.written < run.msg.rows) return;
  clearTimeout(run.timer);
  runs.delete(run.msg.id);
  if (run.port) run.port.postMessage({ end: true } satisfies CohortIn);
  send({ type: 'done', id: run.msg.id });
}

/** Restarts the backstop deadline of a run: isolate timeouts should always fire first. */
function arm(run: Run, rows: number): void {
  clearTimeout(run.timer);
  const ms = run.msg.limits.callMs * 3 + run.msg.limits.perRowMs * rows * (run.msg.mode === 'cohort' ? 1 : 0) + GRACE_MS;
  run.timer = setTimeout(() => fail(run, 'SANDBOX_TIMEOUT'), ms + (run.msg.mode === 'subjects' ? rows * run.msg.limits.callMs * 2 : 0));
}

function startCohort(run: Run): void {
  const { port1, port2 } = new MessageChannel();
  run.port = port1;
  const controller = new AbortController();
  run.controllers.add(controller);
  port1.on('message', (m: CohortOut) => {
    if (run.failed) return;
    if ('code' in m) return fail(run, m.code);
    writeResult(run.msg.id, m.seq, m.scores, m.reasons);
    run.written += m.scores.length;
    if (run.received > run.written) arm(run, run.received - run.written);
    else clearTimeout(run.timer);
    progress(run);
  });
  pool
    .run({ kind: 'cohort', source: run.msg.source, fields: run.msg.fields, reasons: run.msg.reasons, limits: run.msg.limits, port: port2 }, [port2], controller.signal)
    .then((r) => {
      if ('code' in r) fail(run, r.code);
    })
    .catch(() => fail(run, controller.signal.aborted ? 'SANDBOX_TIMEOUT' : 'SANDBOX_MEMORY'));
}

// The run message (IPC) and its rows (data pipe) travel on different channels, so rows can
// arrive first: hold them, within a bound, until the run is known.
const early = new Map<number, Frame[]>();
let earlyBytes = 0;
const MAX_EARLY_BYTES = 256 * 1024 * 1024;
/** Run ids only grow and IPC is ordered: a frame at or below the highest run seen, whose run is gone, is stale. */
let highestRun = 0;

function onFrame(f: Frame): void {
  const run = runs.get(f.id);
  if (!run) {
    if (f.id <= highestRun || earlyBytes + f.payload.byteLength > MAX_EARLY_BYTES) return;
    earlyBytes += f.payload.byteLength;
    early.set(f.id, [...(early.get(f.id) ?? []), f]);
    return;
  }
  if (run.failed) return; // a failed run: drop its data
  run.received += f.rows;
  if (f.payload.byteLength !== f.rows * run.msg.fields.length * 8 || run.received > run.msg.rows) return fail(run, 'SANDBOX_INPUT_INVALID');
  if (run.msg.mode === 'cohort') {
    arm(run, run.received - run.written);
    run.port?.postMessage({ seq: f.seq, rows: f.rows, buffer: f.payload } satisfies CohortIn, [f.payload]);
    return;
  }
  const controller = new AbortController();
  run.controllers.add(controller);
  arm(run, f.rows);
  pool
    .run({ kind: 'subjects', source: run.msg.source, fields: run.msg.fields, reasons: run.msg.reasons, limits: run.msg.limits, buffer: f.payload, rows: f.rows, partition: run.msg.partition }, [f.payload], controller.signal)
    .then((r) => {
      run.controllers.delete(controller);
      if (run.failed) return;
      if ('code' in r) return fail(run, r.code);
      if (!('scores' in r)) return fail(run, 'SANDBOX_OUTPUT_INVALID');
      writeResult(run.msg.id, f.seq, r.scores, r.reasons);
      run.written += f.rows;
      progress(run);
    })
    .catch(() => fail(run, controller.signal.aborted ? 'SANDBOX_TIMEOUT' : 'SANDBOX_MEMORY'));
}

const reader = new FrameReader(onFrame, 256 * 1024 * 1024);
input.on('data', (chunk: Buffer) => reader.push(chunk));

process.on('message', (raw: unknown) => {
  const parsed = toExecutorSchema.safeParse(raw);
  if (!parsed.success) return;
  const m = parsed.data;
  switch (m.type) {
    case 'ping':
      send({ type: 'pong', id: m.id });
      return;
    case 'check': {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), m.limits.callMs * 4 + GRACE_MS);
      pool
        .run({ kind: 'check', source: m.source, limits: m.limits }, [], controller.signal)
        .then((r) => ('report' in r ? send({ type: 'checked', id: m.id, report: r.report }) : send({ type: 'failed', id: m.id, code: 'SANDBOX_MODEL_ERROR' })))
        .catch(() => send({ type: 'failed', id: m.id, code: controller.signal.aborted ? 'SANDBOX_TIMEOUT' : 'SANDBOX_MEMORY' }))
        .finally(() => clearTimeout(timer));
      return;
    }
    case 'run': {
      const run: Run = { msg: m, received: 0, written: 0, failed: false, controllers: new Set() };
      runs.set(m.id, run);
      highestRun = Math.max(highestRun, m.id);
      if (m.mode === 'cohort') startCohort(run);
      const held = early.get(m.id) ?? [];
      early.delete(m.id);
      for (const f of held) {
        earlyBytes -= f.payload.byteLength;
        onFrame(f);
      }
      progress(run);
      return;
    }
  }
});

// Report how this process is confined, so the platform can check it rather than assume it.
const perm = (process as unknown as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
send({
  type: 'ready',
  pid: process.pid,
  uid: process.getuid?.() ?? -1,
  threads: pool.threads,
  interfaces: Object.keys(os.networkInterfaces()),
  fsReadDenied: perm ? !perm.has('fs.read', '/etc/passwd') : false,
  childProcessDenied: perm ? !perm.has('child_process') : false,
});
