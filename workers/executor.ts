// An executor process. The platform starts a few of them (workers/client.ts), confined:
// Node's permission model (it may read only its own code; no child processes, no
// writes), and where the platform is root, user `nobody` in a network namespace of its
// own, with an address-space and a CPU-time limit (confinement.ts). It never sees the
// vault, the platform database, keys or the server: rows arrive on the channel and scores
// leave the same way.
//
// It runs one task at a time, in one worker thread; this main thread keeps the channel and
// the heartbeats. A task that overruns its backstop has its thread terminated; a thread
// stuck in a builtin that cannot be interrupted ends the whole process (exit 75), which
// only this task was using.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { serveParent } from '../core/child.js';
import { EXIT_BACKSTOP, HEARTBEAT_MS, taskMessageSchema, taskResultSchema, type ReadyInfo, type Task, type TaskResult } from './protocol.js';

/** Beyond a task's own timeouts before its thread is terminated. */
const GRACE_MS = 2000;

process.on('uncaughtException', () => process.exit(70));
process.on('unhandledRejection', () => process.exit(70));

const SCORER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scorer.js');
let worker: Worker | null = null;
let current: { id: number; timer: NodeJS.Timeout } | null = null;
const queue: { id: number; task: Task }[] = [];

const channel = serveParent((m) => {
  if (m.type !== 'task') return;
  const parsed = taskMessageSchema.safeParse(m);
  if (!parsed.success) {
    channel.send({ type: 'error', id: m.id ?? 0, code: 'CHANNEL_MESSAGE_INVALID' });
    return;
  }
  queue.push({ id: parsed.data.id, task: parsed.data.task });
  pump();
}, HEARTBEAT_MS);

function spawnWorker(): Worker {
  const w = new Worker(SCORER, { resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 } });
  w.on('message', (m: { id: number; result: unknown }) => {
    if (!current || m.id !== current.id) return;
    const parsed = taskResultSchema.safeParse(m.result);
    finish(parsed.success ? parsed.data : { kind: 'failed', code: 'SANDBOX_OUTPUT_INVALID', cpuMs: 0 });
  });
  w.on('error', () => undefined);
  w.on('exit', () => {
    if (worker === w) worker = null;
    // a thread that died under a task (its heap limit) fails that task
    if (current) finish({ kind: 'failed', code: 'SANDBOX_MEMORY', cpuMs: 0 });
  });
  return w;
}

function backstopMs(task: Task): number {
  const setup = 2000;
  if (task.kind === 'batch') return setup + task.timeoutMs + GRACE_MS;
  if (task.kind === 'fresh') return setup + (task.data.length / task.fields.length) * (2 * task.limits.callMs + 50) + GRACE_MS;
  if (task.kind === 'debug') return setup + 10 * task.limits.callMs + GRACE_MS;
  return setup + task.limits.callMs + GRACE_MS;
}

function pump(): void {
  if (current || queue.length === 0) return;
  const next = queue.shift() as { id: number; task: Task };
  worker ??= spawnWorker();
  const w = worker;
  const timer = setTimeout(() => {
    finish({ kind: 'failed', code: 'SANDBOX_TIMEOUT', cpuMs: 0 });
    worker = null;
    const stuck = setTimeout(() => process.exit(EXIT_BACKSTOP), 1000);
    void w.terminate().then(() => clearTimeout(stuck));
  }, backstopMs(next.task));
  current = { id: next.id, timer };
  const transfer = next.task.kind === 'inspect' ? [] : [next.task.data.buffer as ArrayBuffer];
  w.postMessage(next, transfer);
}

function finish(result: TaskResult): void {
  if (!current) return;
  clearTimeout(current.timer);
  const id = current.id;
  current = null;
  channel.send({ type: 'result', id, result });
  setImmediate(pump);
}

/** RLIMIT_AS and RLIMIT_CPU as this process has them (Linux), null when unlimited or unknown. */
function limitOf(name: string): number | null {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
    const soft = line?.slice(26).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

/** Whether a native addon other than isolated-vm can be loaded (better-sqlite3 could open the vault). */
function foreignAddonDenied(): boolean {
  const addon = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, addon);
    return false;
  } catch {
    return true;
  }
}

// Report how this process is confined, so the platform can check it rather than assume it.
const perm = (process as unknown as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
const ready: ReadyInfo = {
  type: 'ready',
  pid: process.pid,
  uid: process.getuid?.() ?? -1,
  interfaces: Object.keys(os.networkInterfaces()),
  fsReadDenied: perm ? !perm.has('fs.read', '/etc/passwd') : false,
  childProcessDenied: perm ? !perm.has('child_process') : false,
  foreignAddonDenied: foreignAddonDenied(),
  addressSpaceBytes: limitOf('Max address space'),
  cpuSeconds: limitOf('Max cpu time'),
};
channel.send(ready);
worker = spawnWorker();
