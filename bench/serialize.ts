// The cost of serialising answers through their response schemas (the server's zod
// serializer: parse, then JSON.stringify) against JSON.stringify alone, measured in the same
// run: a bank's run answer with one result and with 4,096 (the most a run may ask), and a
// page of 1,000 ledger entries. Usage: npm run build && node dist/bench/serialize.js
import { entriesAnswer } from '../ledger/api.schema.js';
import { runAnswer } from '../sandbox/run/run.schema.js';
import { figure, formatFigure, timeMedian } from './report.js';
import type { z } from 'zod';

const result = (i: number) => ({ subject: `91320594MA${String(i).padStart(8, '0')}`, score: 700 + (i % 60), grade: 'B', reasons: ['R04_RENT_PAID_LATE', 'R01_SHORT_HISTORY'] });
const run = (n: number) => ({
  runId: 'run_SksHYt6jjjQ2QlEo',
  status: 'released',
  mode: 'subjects',
  decisions: [{ rule: 'consent:valid', status: 'PASS', action: 'score-consented-only', params: { requested: n } }],
  requestedAt: '2026-11-30T10:56:20.381Z',
  availableAt: '2026-11-30T10:56:20.439Z',
  results: Array.from({ length: n }, (_, i) => result(i)),
  notScored: 0,
  ledger: { index: 41, size: 42, leafHash: 'ab'.repeat(32), inclusionProof: Array.from({ length: 6 }, () => 'cd'.repeat(32)), checkpoint: 'dfix.example/log\n42\nq83...=\n\n— dfix.example/log abc=\n' },
});
const entries = Array.from({ length: 1000 }, (_, seq) => ({ seq, entry: { v: 1, type: 'run.released', at: '2026-11-30T10:56:20.439Z', actor: 'platform', prev: 'ef'.repeat(32), nonce: 'x'.repeat(22), run: `run_${seq}`, output: `sha256:${'01'.repeat(32)}`, budget: 0 } }));

const cases: [string, z.ZodType, unknown, number][] = [
  ['serialize: run answer, 1 result', runAnswer, run(1), 20_000],
  ['serialize: run answer, 4,096 results', runAnswer, run(4096), 60],
  ['serialize: 1,000 ledger entries', entriesAnswer, entries, 60],
];
for (const [name, schema, value, n] of cases) {
  const per = (fn: () => void) => timeMedian(15, () => {
    for (let i = 0; i < n; i++) fn();
  }) / n;
  per(() => JSON.stringify(schema.parse(value))); // warm up
  const base = per(() => JSON.stringify(value));
  const zod = per(() => JSON.stringify(schema.parse(value)));
  console.log(formatFigure(figure(name, zod, 'ms', base, 'zod parse + stringify, against JSON.stringify alone')));
}
