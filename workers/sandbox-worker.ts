// A piscina worker thread of the executor. Each task gets its own isolate (see confine.ts);
// in subjects mode every subject is scored in a fresh context of it.
// Cohort tasks stream: chunks arrive on a MessagePort and results go back on it, so the
// whole cohort runs in one context while transfer overlaps with scoring.
import type { MessagePort } from 'node:worker_threads';
import { CohortSession, SandboxFailure, SubjectsSession, inspectModule } from './confine.js';
import type { SandboxCode } from './errors.js';
import type { Limits, ModuleReport } from './protocol.js';

export type WorkerTask =
  | { kind: 'check'; source: string; limits: Limits }
  | { kind: 'subjects'; source: string; fields: string[]; reasons: string[]; limits: Limits; segments: Segment[] }
  | { kind: 'cohort'; source: string; fields: string[]; reasons: string[]; limits: Limits; port: MessagePort };

/**
 * Rows of one run in a subjects task. The executor batches the rows of runs queued for the
 * same model and partition into one task; each segment succeeds or fails on its own.
 */
export interface Segment {
  buffer: ArrayBuffer;
  rows: number;
}
export type SegmentResult = { scores: Float64Array; reasons: Uint8Array } | { code: SandboxCode };

/** Messages on a cohort task's port. */
export type CohortIn = { seq: number; rows: number; buffer: ArrayBuffer } | { end: true };
export type CohortOut = { seq: number; scores: Float64Array; reasons: Uint8Array } | { code: SandboxCode };

export type WorkerResult = { report: ModuleReport } | { segments: SegmentResult[] } | { code: SandboxCode } | { done: true };

function codeOf(e: unknown): SandboxCode {
  return e instanceof SandboxFailure ? e.code : 'SANDBOX_MODEL_ERROR';
}

function cohort(task: Extract<WorkerTask, { kind: 'cohort' }>): Promise<WorkerResult> {
  const session = new CohortSession(task.source, task.fields, task.reasons, task.limits);
  const port = task.port;
  return new Promise((resolve) => {
    const finish = (r: WorkerResult) => {
      port.off('message', onMessage);
      port.close();
      session.dispose();
      resolve(r);
    };
    const onMessage = (m: CohortIn) => {
      if ('end' in m) return finish({ done: true });
      try {
        const out = session.runChunk(m.buffer, m.rows);
        port.postMessage({ seq: m.seq, scores: out.scores, reasons: out.reasons } satisfies CohortOut, [out.scores.buffer as ArrayBuffer, out.reasons.buffer as ArrayBuffer]);
      } catch (e) {
        port.postMessage({ code: codeOf(e) } satisfies CohortOut);
        finish({ code: codeOf(e) });
      }
    };
    port.on('message', onMessage);
  });
}

export default async function task(t: WorkerTask): Promise<WorkerResult> {
  switch (t.kind) {
    case 'check':
      return { report: inspectModule(t.source, t.limits) };
    case 'subjects': {
      const session = new SubjectsSession(t.source, t.fields, t.reasons, t.limits);
      try {
        return {
          segments: t.segments.map((s): SegmentResult => {
            try {
              return session.score(s.buffer, s.rows);
            } catch (e) {
              return { code: codeOf(e) };
            }
          }),
        };
      } finally {
        session.dispose();
      }
    }
    case 'cohort':
      return cohort(t);
  }
}
