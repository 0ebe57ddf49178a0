// Dummy rows drawn on a worker thread: generating a few thousand of them takes a CPU half
// second or more, which must not block a server's event loop (vetting runs inside the
// server). The thread runs this same file from dist/.
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { projectRoot } from '../core/fs.js';
import { dummyMatrix, type DummyMatrix } from './dummy.js';

interface Job {
  dfixDummy: true;
  fields: string[];
  subjects: number;
  seed: number;
}

/** dummyMatrix, computed off the calling thread's event loop. */
export function dummyMatrixInThread(fields: readonly string[], subjects: number, seed: number): Promise<DummyMatrix> {
  const job: Job = { dfixDummy: true, fields: [...fields], subjects, seed };
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(projectRoot(), 'dist', 'datasets', 'dummy-thread.js'), { workerData: job });
    w.once('message', (m: DummyMatrix | { error: unknown }) => ('error' in m ? reject(Object.assign(new Error('dummy rows failed'), { cause: m.error })) : resolve(m)));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`dummy thread exited ${code}`)));
  });
}

if (!isMainThread && (workerData as Job | undefined)?.dfixDummy) {
  const job = workerData as Job;
  try {
    const m = dummyMatrix(job.fields, job.subjects, job.seed);
    parentPort?.postMessage(m, [m.data.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ error: String(e) });
  }
}
