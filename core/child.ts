// One channel to a child process, used by the model executor and the crypto process:
// spawn, handshake, requests with ids and deadlines, heartbeats, and exit. Messages travel
// on Node's IPC channel with the 'advanced' serialisation (typed arrays cross as bytes).
//
// What the child sends is parsed at the door. A message that cannot be parsed is answered,
// never dropped: the child gets { type: 'error', code: 'CHANNEL_MESSAGE_INVALID' } and the
// request it belonged to, if any, fails with that code. Every request has a deadline, so a
// caller never waits forever.
//
// Liveness is judged by the child's own heartbeats. The watchdog counts only time in which
// the parent itself was awake to listen: when the parent's event loop stalls (seeding a
// large vault blocks it for seconds), the heartbeats queued behind the stall are not
// mistaken for the child's silence.
import { spawn, type ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { CHANNEL_ERRORS, errorFactory } from './errors.js';

export const channelError = errorFactory(CHANNEL_ERRORS);

/** Every message between parent and child carries a type; requests and replies an id. */
const envelope = z.object({ type: z.string().max(32), id: z.number().int().min(0).optional() }).passthrough();

export interface ChildCommand {
  cmd: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ChannelOptions<Ready> {
  /** For events and messages: "executor", "crypto". */
  name: string;
  /** The child's first message; anything else first is a failed start. */
  parseReady: (m: unknown) => Ready | null;
  startMs: number;
  /** The child sends { type: 'heartbeat' } at least this often. */
  heartbeatMs: number;
  /** Silence (of parent-awake time) after which the child is killed. */
  deadMs: number;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}

/** How a child ended: by its own exit code, or by a signal (ours or the kernel's). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the parent killed it, and why. */
  killedFor: string | null;
}

interface Pending {
  resolve(m: Record<string, unknown>): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class ChildChannel<Ready> {
  readonly ready: Promise<Ready>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private lastHeard = Date.now();
  private lastTick = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private killedFor: string | null = null;
  /** Liveness is judged only after the handshake; until then the start deadline applies. */
  private started = false;
  private exitInfo: ChildExit | null = null;
  private readonly exitListeners: ((e: ChildExit) => void)[] = [];
  /** Messages the child sent that are not replies (progress, results of streams). */
  onMessage: (m: Record<string, unknown>) => void = () => undefined;

  constructor(
    command: ChildCommand,
    private readonly opts: ChannelOptions<Ready>,
  ) {
    this.child = spawn(command.cmd, [...command.args], {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.ready = new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill('start-timeout');
        reject(channelError('CHANNEL_DEADLINE', { detail: `${opts.name} start` }));
      }, opts.startMs);
      let started = false;
      this.child.on('message', (raw: unknown) => {
        this.lastHeard = Date.now();
        if (!started) {
          const ready = opts.parseReady(raw);
          started = true;
          this.started = true;
          clearTimeout(timer);
          if (ready === null) {
            this.kill('bad-handshake');
            reject(channelError('CHANNEL_MESSAGE_INVALID', { detail: `${opts.name} handshake` }));
          } else resolve(ready);
          return;
        }
        this.receive(raw);
      });
      this.child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.exitInfo = { code, signal, killedFor: this.killedFor };
        clearInterval(this.watchdog);
        if (!started) reject(channelError('CHANNEL_CLOSED', { detail: `${opts.name} exited during start (${code ?? signal})` }));
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          clearTimeout(p.timer);
          p.reject(channelError('CHANNEL_CLOSED', { detail: opts.name }));
        }
        for (const l of this.exitListeners) l(this.exitInfo);
      });
      this.child.on('error', () => undefined);
    });
    this.ready.catch(() => undefined);
    this.watchdog = setInterval(() => this.tick(), opts.heartbeatMs);
    this.watchdog.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): ChildExit | null {
    return this.exitInfo;
  }

  onExit(listener: (e: ChildExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  private tick(): void {
    const now = Date.now();
    // The parent was itself asleep (a blocked event loop): what the child sent meanwhile is
    // still queued, so its silence is not measured across the stall.
    if (now - this.lastTick > 2 * this.opts.heartbeatMs || !this.started) this.lastHeard = now;
    this.lastTick = now;
    if (this.exitInfo === null && now - this.lastHeard > this.opts.deadMs) {
      this.opts.onEvent?.(`${this.opts.name}.unresponsive`, { pid: this.child.pid });
      this.kill('unresponsive');
    }
  }

  private receive(raw: unknown): void {
    const parsed = envelope.safeParse(raw);
    if (!parsed.success) {
      this.send({ type: 'error', code: 'CHANNEL_MESSAGE_INVALID' });
      return;
    }
    const m = parsed.data as Record<string, unknown> & { type: string; id?: number };
    if (m.type === 'heartbeat') return;
    const p = m.id === undefined ? undefined : this.pending.get(m.id);
    if (p && m.id !== undefined && m.type !== 'progress') {
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.type === 'error') p.reject(channelError('CHANNEL_MESSAGE_INVALID', { detail: this.opts.name }));
      else p.resolve(m);
      return;
    }
    this.onMessage(m);
  }

  /** Sends without waiting for an answer (false when the child is gone). */
  send(m: Record<string, unknown>): boolean {
    if (!this.child.connected) return false;
    try {
      this.child.send(m);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a request and waits for the reply with the same id, at most `deadlineMs`. */
  request(m: Record<string, unknown>, deadlineMs: number): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(channelError('CHANNEL_DEADLINE', { detail: this.opts.name }));
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.send({ ...m, id })) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(channelError('CHANNEL_CLOSED', { detail: this.opts.name }));
      }
    });
  }

  /** Kills the child (SIGKILL), recording why. Resolves when it has exited. */
  kill(reason: string): Promise<ChildExit> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    this.killedFor ??= reason;
    return new Promise((resolve) => {
      this.onExit(resolve);
      this.child.kill('SIGKILL');
    });
  }
}

/**
 * The child's side: parses what the parent sends (answering what it cannot parse with a
 * coded error), sends heartbeats from this (the main) thread, and exits with the parent.
 */
export function serveParent(handle: (m: Record<string, unknown> & { type: string; id?: number }) => void, heartbeatMs: number): { send(m: Record<string, unknown>): void } {
  const send = (m: Record<string, unknown>) => {
    try {
      process.send?.(m);
    } catch {
      // the parent is gone: 'disconnect' ends this process
    }
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const parsed = envelope.safeParse(raw);
    if (!parsed.success) {
      send({ type: 'error', code: 'CHANNEL_MESSAGE_INVALID' });
      return;
    }
    handle(parsed.data as Record<string, unknown> & { type: string; id?: number });
  });
  const beat = setInterval(() => send({ type: 'heartbeat', at: Date.now() }), heartbeatMs);
  beat.unref();
  return { send };
}
