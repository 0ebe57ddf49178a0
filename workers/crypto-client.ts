// The platform's handle on its crypto process: started on first use, restarted if it dies.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../core/fs.js';
import { AppError } from '../core/errors.js';
import { canConfineOs, permissionArgs, spawnConfined } from './confinement.js';
import { sandboxError } from './errors.js';

/**
 * Node flags of the crypto process: its own code to read and worker threads, without the
 * executor's --disallow-code-generation-from-strings (node-seal's embind glue needs it).
 */
export const cryptoNodeArgs = (root = projectRoot()) => permissionArgs(root, { addons: false });

export class CryptoProcess {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: Uint8Array): void; reject(e: Error): void }>();

  private start(): Promise<void> {
    const root = projectRoot();
    // as root, like the executor: user nobody, no network (it parses bytes banks send)
    const node = [...cryptoNodeArgs(root), path.join(root, 'dist', 'workers', 'crypto.js')];
    const child = spawnConfined(node, canConfineOs(), { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', () => {
        reject(sandboxError('SANDBOX_UNAVAILABLE'));
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(sandboxError('SANDBOX_UNAVAILABLE'));
        }
      });
      child.on('message', (m: { ready?: boolean; id?: number; result?: Uint8Array; code?: string }) => {
        if (m.ready) return resolve();
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (!p || m.id === undefined) return;
        this.pending.delete(m.id);
        if (m.result instanceof Uint8Array) p.resolve(m.result);
        else p.reject(new AppError(String(m.code), { kind: 'invalid', message: 'A ciphertext is malformed, tampered with, or of other parameters.' }));
      });
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  async run<T>(input: T, decode: (code: string) => Error): Promise<Uint8Array> {
    if (!this.ready) void this.start();
    await this.ready;
    const id = this.next++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject: (e) => reject(e instanceof AppError && e.code.startsWith('ENCRYPTION_') ? decode(e.code) : e) });
      this.child?.send({ id, input });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (child && child.exitCode === null) {
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGKILL');
      });
    }
  }
}
