// The one place piscina is imported: the executor's worker threads, with heap limits, and
// an abort signal per task that terminates (and replaces) a runaway worker.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { WorkerResult, WorkerTask } from './sandbox-worker.js';

export interface Pool {
  readonly threads: number;
  run(task: WorkerTask, transfer: TransferListItem[], signal: AbortSignal): Promise<WorkerResult>;
  /** For pools of another worker file (the crypto process). */
  runAny(task: unknown, transfer: TransferListItem[]): Promise<unknown>;
  destroy(): Promise<void>;
}

export function createPool(threads = Math.max(1, Math.min(4, os.availableParallelism())), worker = 'sandbox-worker.js'): Pool {
  const piscina = new Piscina({
    filename: path.join(path.dirname(fileURLToPath(import.meta.url)), worker),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  return {
    threads,
    run: (task, transfer, signal) => piscina.run(task, { transferList: transfer, signal }) as Promise<WorkerResult>,
    runAny: (task, transfer) => piscina.run(task, { transferList: transfer }) as Promise<unknown>,
    destroy: () => piscina.destroy(),
  };
}
