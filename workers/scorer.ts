// The executor's worker thread: it runs one task at a time in isolates (isolates.ts) and
// posts the result back. The executor's main thread stays free for the channel and the
// heartbeats, and terminates this thread when a task overruns its backstop.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { debugFirstError, FreshScorer, HardenedBatch, SandboxFailure, WarmModules } from './isolates.js';
import { REASON_SLOTS, type Task, type TaskResult } from './protocol.js';

function cpuMs(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

/** Compiled modules (models as data) this thread keeps loaded for banks' tasks. */
export const warmModules = new WarmModules();

export function runTask(task: Task): TaskResult {
  const cpu = process.cpuUsage();
  const code = (e: unknown) => (e instanceof SandboxFailure ? e.code : 'SANDBOX_MODEL_ERROR');
  switch (task.kind) {
    case 'inspect': {
      try {
        const b = new HardenedBatch(task.source, ['business_age_months'], [], task.limits);
        const report = b.report;
        b.dispose();
        return { kind: 'module', report };
      } catch (e) {
        if (code(e) === 'SANDBOX_MODULE_INVALID') return { kind: 'failed', code: 'SANDBOX_MODULE_INVALID', cpuMs: cpuMs(cpu) };
        return { kind: 'module', report: { exports: [], scoreIsFunction: false, evaluates: false } };
      }
    }
    case 'debug':
      return { kind: 'debug', error: debugFirstError(task.source, task.fields, task.limits, task.data) };
    case 'batch': {
      const k = task.fields.length;
      const rows = task.data.length / k;
      let b: HardenedBatch | null = null;
      try {
        b = new HardenedBatch(task.source, task.fields, task.reasons, task.limits, true, task.compiled === true);
        const out = b.score(task.data, rows, task.timeoutMs);
        // the model's own CPU in its isolate: what deadlines are computed from
        return { kind: 'scores', scores: out.scores, reasons: out.reasons, failed: new Uint8Array(rows), cpuMs: b.lastCpuMs };
      } catch (e) {
        return { kind: 'failed', code: code(e), cpuMs: cpuMs(cpu) };
      } finally {
        b?.dispose();
      }
    }
    case 'fresh': {
      const k = task.fields.length;
      const rows = task.data.length / k;
      if (task.compiled === true) {
        const key = `${createHash('sha256').update(task.source).digest('hex')}${JSON.stringify([task.fields, task.reasons, task.limits, task.partition ?? ''])}`;
        const warm = warmModules.score(key, task.partition ?? '', task.source, task.fields, task.reasons, task.limits, task.data);
        if (warm) {
          // a row whose call failed in the kept context is scored again alone, as below
          if (warm.failed.some((f) => f === 1)) {
            let alone: FreshScorer;
            try {
              alone = new FreshScorer(task.source, task.fields, task.reasons, task.limits);
            } catch (e) {
              return { kind: 'failed', code: code(e), cpuMs: cpuMs(cpu) };
            }
            try {
              for (let i = 0; i < rows; i++) {
                if (warm.failed[i] !== 1) continue;
                const r = alone.score(task.data.slice(i * k, i * k + k));
                if (r === null) continue;
                warm.failed[i] = 0;
                warm.scores[i] = r.scores[0] as number;
                warm.reasons.set(r.reasons, i * REASON_SLOTS);
              }
            } finally {
              alone.dispose();
            }
          }
          return { kind: 'scores', scores: warm.scores, reasons: warm.reasons, failed: warm.failed, cpuMs: cpuMs(cpu) };
        }
      }
      let scorer: FreshScorer;
      try {
        scorer = new FreshScorer(task.source, task.fields, task.reasons, task.limits);
      } catch (e) {
        return { kind: 'failed', code: code(e), cpuMs: cpuMs(cpu) };
      }
      const scores = new Float64Array(rows);
      const reasons = new Uint8Array(rows * REASON_SLOTS);
      const failed = new Uint8Array(rows);
      try {
        for (let i = 0; i < rows; i++) {
          let r;
          try {
            r = scorer.score(task.data.slice(i * k, i * k + k));
          } catch (e) {
            return { kind: 'failed', code: code(e), cpuMs: cpuMs(cpu) };
          }
          if (r === null) {
            failed[i] = 1;
            scores[i] = NaN;
            continue;
          }
          scores[i] = r.scores[0] as number;
          reasons.set(r.reasons, i * REASON_SLOTS);
        }
      } finally {
        scorer.dispose();
      }
      return { kind: 'scores', scores, reasons, failed, cpuMs: cpuMs(cpu) };
    }
  }
}

parentPort?.on('message', (m: { id: number; task: Task }) => {
  const result = runTask(m.task);
  const transfer = result.kind === 'scores' ? [result.scores.buffer, result.reasons.buffer, result.failed.buffer] : [];
  parentPort?.postMessage({ id: m.id, result }, transfer as ArrayBuffer[]);
});
