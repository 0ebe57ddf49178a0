// The static part of vetting (parsing a model file, compiling it, and parsing the module for
// the pure-module discipline) on a worker thread: for a large model it takes seconds of
// CPU and hundreds of MB, which must not block or crowd the server that vets
// (test/attacks/compiled-size-limit.test.ts). The thread runs this same file from dist/.
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { projectRoot } from '../core/fs.js';
import { catalog } from '../datasets/catalog.js';
import type { ModelPackage } from '../models/package.js';
import { staticVetting } from '../models/vetting.js';

type StaticVetting = ReturnType<typeof staticVetting>;

interface Job {
  dfixStaticVetting: true;
  pkg: ModelPackage;
}

/** staticVetting against the platform's catalog, computed off the calling thread. */
export function staticVettingInThread(pkg: ModelPackage): Promise<StaticVetting> {
  const job: Job = { dfixStaticVetting: true, pkg: { manifestJson: pkg.manifestJson, source: pkg.source } };
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(projectRoot(), 'dist', 'sandbox', 'static-vetting-thread.js'), { workerData: job });
    w.once('message', (m: StaticVetting | { error: unknown }) => ('error' in m ? reject(Object.assign(new Error('static vetting failed'), { cause: m.error })) : resolve(m)));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`static vetting thread exited ${code}`)));
  });
}

if (!isMainThread && (workerData as Job | undefined)?.dfixStaticVetting) {
  const job = workerData as Job;
  try {
    parentPort?.postMessage(staticVetting(job.pkg, catalog()));
  } catch (e) {
    parentPort?.postMessage({ error: String(e) });
  }
}
