// Work on a model package that is too heavy for the server's event loop, on a worker thread:
// the static part of vetting (parsing a model file, compiling it, and parsing the module
// for the pure-module discipline), and compiling an approved model as data for its runs.
// For a large model either takes hundreds of ms to seconds of CPU and hundreds of MB, which
// must not block or crowd the server (test/attacks/compiled-size-limit.test.ts). The thread
// runs this same file from dist/.
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { projectRoot } from '../core/fs.js';
import { catalog } from '../datasets/catalog.js';
import type { Manifest } from '../models/manifest.schema.js';
import type { ModelPackage } from '../models/package.js';
import { runtimeModule, type RuntimeModule } from '../models/runtime.js';
import { staticVetting } from '../models/vetting.js';

type StaticVetting = ReturnType<typeof staticVetting>;

type Job = { dfixModelThread: 'static-vetting'; pkg: ModelPackage } | { dfixModelThread: 'runtime'; manifest: Manifest; source: string };

function inThread<T>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(projectRoot(), 'dist', 'sandbox', 'model-thread.js'), { workerData: job });
    w.once('message', (m: { ok: T } | { error: string }) => ('error' in m ? reject(Object.assign(new Error('model thread failed'), { cause: m.error })) : resolve(m.ok)));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`model thread exited ${code}`)));
  });
}

/** staticVetting against the platform's catalog, computed off the calling thread. */
export function staticVettingInThread(pkg: ModelPackage): Promise<StaticVetting> {
  return inThread({ dfixModelThread: 'static-vetting', pkg: { manifestJson: pkg.manifestJson, source: pkg.source } });
}

/** What a run needs of runtimeModule. */
export type RunModules = Pick<RuntimeModule, 'source' | 'batchSource' | 'compiled'>;

/** runtimeModule against the platform's catalog, computed off the calling thread; rejects where it throws. */
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
    parentPort?.postMessage({ error: String(e) });
  }
}
