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
  destroy(): Promise<void>;
}

export function createPool(threads = Math.max(1, Math.min(4, os.availableParallelism()))): Pool {
  const piscina = new Piscina({
    filename: path.join(path.dirname(fileURLToPath(import.meta.url)), 'sandbox-worker.js'),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  return {
    threads,
    run: (task, transfer, signal) => piscina.run(task, { transferList: transfer, signal }) as Promise<WorkerResult>,
    destroy: () => piscina.destroy(),
  };
}
