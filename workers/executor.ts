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
  /** Runs with the same key may share a subjects task (same model, limits and partition). */
  key: string;
  port?: MessagePort;
  timer?: NodeJS.Timeout;
}
const runs = new Map<number, Run>();

function writeResult(id: number, seq: number, scores: Float64Array, reasons: Uint8Array): void {
  // one write: results of a batch go out together
  out.write(Buffer.concat([encodeHeader(id, seq, scores.length, scores.byteLength + reasons.byteLength), new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength), reasons]));
}

/**
 * Fails a run. Its tasks are aborted (their workers terminated and replaced) when it is a
 * cohort run, whose task waits on its port, or when the backstop fired; a subjects task may
 * carry other runs' segments, so otherwise it finishes and this run's results are dropped.
 */
function fail(run: Run, code: SandboxCode, backstop = false): void {
  if (run.failed) return;
  run.failed = true;
  clearTimeout(run.timer);
  if (backstop || run.msg.mode === 'cohort') for (const c of run.controllers) c.abort();
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
  run.timer = setTimeout(() => fail(run, 'SANDBOX_TIMEOUT', true), ms + (run.msg.mode === 'subjects' ? rows * run.msg.limits.callMs * 2 : 0));
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
  arm(run, f.rows);
  queued.push({ run, frame: f });
  pump();
}

// Subjects mode: frames wait here, and a free worker takes the first together with the
// frames behind it of runs for the same model, limits and partition (up to BATCH_ROWS
// rows), so a burst of one-merchant runs costs one task hand-off per batch rather than one
// per run. Each run's rows remain a segment of their own with their own outcome, and every
// subject is still scored in a fresh context.
const BATCH_ROWS = 128;
const queued: { run: Run; frame: Frame }[] = [];
let busy = 0;

let sourceIds = new Map<string, number>();
let nextSourceId = 1;
/** A short key per model source, limits and partition; the source itself is looked up once per run. */
function batchKey(m: RunMessage): string {
  if (sourceIds.size > 1024) sourceIds = new Map();
  let id = sourceIds.get(m.source);
  if (id === undefined) sourceIds.set(m.source, (id = nextSourceId++));
  return JSON.stringify([id, m.fields, m.reasons, m.limits, m.partition]);
}

function pump(): void {
  while (busy < pool.threads && queued.length > 0) {
    const head = queued.shift() as { run: Run; frame: Frame };
    if (head.run.failed) continue;
    const key = head.run.key;
    const batch = [head];
    let rows = head.frame.rows;
    // a share of what waits, so that the other workers get theirs too
    const waiting = queued.reduce((n, q) => n + q.frame.rows, rows);
    const share = Math.min(BATCH_ROWS, Math.ceil(waiting / pool.threads));
    for (let i = 0; i < queued.length && rows < share; ) {
      const q = queued[i] as { run: Run; frame: Frame };
      if (!q.run.failed && rows + q.frame.rows <= BATCH_ROWS && q.run.key === key) {
        batch.push(q);
        rows += q.frame.rows;
        queued.splice(i, 1);
      } else i++;
    }
    dispatch(batch);
  }
}

function dispatch(batch: { run: Run; frame: Frame }[]): void {
  const { msg } = (batch[0] as { run: Run }).run;
  const controller = new AbortController();
  // every run's rows may wait for all the rows before them in the task: re-arm the backstop
  // for the whole task, so only a task that overruns its own isolate timeouts is aborted
  const rows = batch.reduce((n, b) => n + b.frame.rows, 0);
  for (const b of batch) {
    b.run.controllers.add(controller);
    arm(b.run, rows);
  }
  busy++;
  const done = () => {
    busy--;
    for (const b of batch) b.run.controllers.delete(controller);
    pump();
  };
  const segments = batch.map((b) => ({ buffer: b.frame.payload, rows: b.frame.rows }));
  pool
    .run({ kind: 'subjects', source: msg.source, fields: msg.fields, reasons: msg.reasons, limits: msg.limits, segments }, segments.map((s) => s.buffer), controller.signal)
    .then((r) => {
      done();
      const results = 'segments' in r && r.segments.length === batch.length ? r.segments : null;
      batch.forEach(({ run, frame }, i) => {
        if (run.failed) return;
        const s = results?.[i];
        if (!s) return fail(run, 'SANDBOX_OUTPUT_INVALID');
        if ('code' in s) return fail(run, s.code);
        writeResult(run.msg.id, frame.seq, s.scores, s.reasons);
        run.written += frame.rows;
        progress(run);
      });
    })
    .catch(() => {
      done();
      for (const { run } of batch) fail(run, controller.signal.aborted ? 'SANDBOX_TIMEOUT' : 'SANDBOX_MEMORY');
    });
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
      const run: Run = { msg: m, received: 0, written: 0, failed: false, controllers: new Set(), key: batchKey(m) };
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
