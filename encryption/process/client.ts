// The platform's handle on its crypto process: started on first use, inside the platform's
// confinement, on the shared child channel (core/child.ts); restarted if it dies. Every
// request has a deadline.
import { ChildChannel } from '../../core/child.js';
import type { Confinement } from '../../core/confinement.js';
import { encryptionError } from '../errors.js';
import type { JointInput } from '../evaluate.js';

/** An evaluation of up to 4,096 merchants takes ~50 ms; anything near this is a fault. */
const DEADLINE_MS = 30_000;

export class CryptoProcess {
  private channel: ChildChannel<{ pid: number }> | null = null;

  constructor(private readonly confinement: Confinement) {}

  private start(): ChildChannel<{ pid: number }> {
    // no model code runs here; node-seal's WebAssembly needs virtual reservations beyond the executors' cap
    const command = this.confinement.command('dist/encryption/process/main.js', [], { addons: false, addressSpace: false });
    const channel = new ChildChannel<{ pid: number }>(command, {
      name: 'crypto',
      parseReady: (m) => (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready' ? { pid: Number((m as { pid?: unknown }).pid) } : null),
      startMs: 15_000,
      heartbeatMs: 500,
      deadMs: 10_000,
    });
    channel.onExit(() => {
      if (this.channel === channel) this.channel = null;
    });
    return channel;
  }

  /** Evaluates a joint score; coded ENCRYPTION_* errors for bad ciphertexts. */
  async run(input: JointInput): Promise<Uint8Array> {
    this.channel ??= this.start();
    const channel = this.channel;
    await channel.ready;
    const reply = await channel.request({ type: 'joint', input }, DEADLINE_MS);
    if (reply.result instanceof Uint8Array) return reply.result;
    const code = typeof reply.code === 'string' && reply.code.startsWith('ENCRYPTION_') ? reply.code : 'ENCRYPTION_CIPHERTEXT_INVALID';
    throw encryptionError(code as Parameters<typeof encryptionError>[0]);
  }

  get pid(): number | undefined {
    return this.channel?.pid;
  }

  async close(): Promise<void> {
    const c = this.channel;
    this.channel = null;
    await c?.kill('close');
  }
}
