// Work on a model package that is too heavy for the server's event loop, on a worker thread:
// the static part of vetting (parsing a model file, compiling it, and parsing the module
// for the pure-module discipline), and compiling an approved model as data for its runs.
// For a large model either takes hundreds of ms to seconds of CPU and hundreds of MB, which
// must not block or crowd the server (test/attacks/compiled-size-limit.test.ts). The thread
// runs this same file from dist/.
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { isAppError } from '../core/errors.js';
import { projectRoot } from '../core/fs.js';
import { catalog } from '../datasets/catalog.js';
import type { Manifest } from '../models/manifest.schema.js';
import type { ModelPackage } from '../models/package.js';
import { runtimeModule, type RuntimeModule } from '../models/runtime.js';
import { staticVetting } from '../models/vetting.js';
import { sandboxError } from '../workers/errors.js';

type StaticVetting = ReturnType<typeof staticVetting>;

type Job = { dfixModelThread: 'static-vetting'; pkg: ModelPackage } | { dfixModelThread: 'runtime'; manifest: Manifest; source: string };

/** Threads at once (each up to THREAD_HEAP_MB): the rest wait their turn, first come first served. */
export const MODEL_THREADS = 2;
const THREAD_HEAP_MB = 512;
let running = 0;
const waiting: (() => void)[] = [];

async function inThread<T>(job: Job): Promise<T> {
  if (running >= MODEL_THREADS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    // settled when the thread has exited, so that a slot is a live thread
    return await new Promise<T>((resolve, reject) => {
      const w = new Worker(path.join(projectRoot(), 'dist', 'sandbox', 'model-thread.js'), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
      let answer: { ok: T } | { refused: boolean } | null = null;
      w.once('message', (m: { ok: T } | { refused: boolean }) => (answer = m));
      w.once('error', () => undefined); // the exit that follows answers
      w.once('exit', () => {
        if (answer && 'ok' in answer) resolve(answer.ok);
        // the package refused with a coded error is a property of the package (the same every
        // time); a thread that failed (out of memory, could not start) says nothing about it,
        // and its caller must not remember it as one: SANDBOX_UNAVAILABLE, to be asked again
        else if (answer?.refused) reject(new Error('the model file was refused'));
        else reject(sandboxError('SANDBOX_UNAVAILABLE'));
      });
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** staticVetting against the platform's catalog, computed off the calling thread. */
export function staticVettingInThread(pkg: ModelPackage): Promise<StaticVetting> {
  return inThread({ dfixModelThread: 'static-vetting', pkg: { manifestJson: pkg.manifestJson, source: pkg.source } });
}

/** What a run needs of runtimeModule. */
export type RunModules = Pick<RuntimeModule, 'source' | 'batchSource' | 'compiled'>;

/** runtimeModule against the platform's catalog, computed off the calling thread; rejects where it throws, or with SANDBOX_UNAVAILABLE where the thread failed. */
export function runtimeModuleInThread(manifest: Manifest, source: string): Promise<RunModules> {
  return inThread({ dfixModelThread: 'runtime', manifest, source });
}

if (!isMainThread && (workerData as Job | undefined)?.dfixModelThread) {
  const job = workerData as Job;
  try {
    if (job.dfixModelThread === 'runtime') {
      const r = runtimeModule(job.manifest, job.source, catalog());
      const modules: RunModules = { source: r.source, batchSource: r.batchSource, compiled: r.compiled };
      parentPort?.postMessage({ ok: modules });
    } else parentPort?.postMessage({ ok: staticVetting(job.pkg, catalog()) });
  } catch (e) {
    parentPort?.postMessage({ refused: isAppError(e) });
  }
}
