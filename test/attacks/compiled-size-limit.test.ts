// ATTACK: a model as data at the size limits. 600 full depth-6 XGBoost trees with short
// literals (a 1.9 MB JSON file, under the 4 MB file limit) compile to a 2.1 MB module with
// reasons, under MAX_COMPILED_BYTES (3 MB), so vetting does not refuse it with FORMAT_LIMIT;
// the executor then parses it for the discipline in its 256 MB worker thread and that
// thread runs out of heap (ERR_WORKER_OUT_OF_MEMORY): the package is "refused" by a crash
// (SANDBOX_MEMORY), not by the coded size refusal, and the lane's worker dies under it. Also
// the server's own part of vetting (parse, three compiles, acorn + eslint-scope over the
// module) runs synchronously on the API's event loop for seconds, per submission, a size
// the model chooses.
// Secure behaviour: a model the platform accepts by size runs in the executor (or is
// refused at vetting with FORMAT_LIMIT naming `compiled>`), and no submission blocks the
// server's event loop for more than a second. FIXED: the discipline refuses a module of
// more than 600,000 syntax nodes (a model as data: check format.size, FORMAT_LIMIT), and the
// static part of vetting runs on a worker thread (sandbox/model-thread.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';

const names = catalog().filter((f) => f.modelReadable && f.type !== 'text').slice(0, 40).map((f) => f.name);
function model(trees: number, depth: number): string {
  const T = [];
  for (let k = 0; k < trees; k++) {
    const n = (1 << (depth + 1)) - 1;
    const t = { left_children: [] as number[], right_children: [] as number[], split_indices: [] as number[], split_conditions: [] as number[], default_left: [] as number[], sum_hessian: [] as number[], base_weights: [] as number[] };
    for (let i = 0; i < n; i++) {
      const leaf = i >= (1 << depth) - 1;
      t.left_children.push(leaf ? -1 : 2 * i + 1);
      t.right_children.push(leaf ? -1 : 2 * i + 2);
      t.split_indices.push(leaf ? 0 : (i * 7 + k) % names.length);
      t.split_conditions.push(leaf ? ((i * 13 + k) % 9) - 4 : (i * 31 + k) % 100);
      t.default_left.push((i + k) % 2);
      t.sum_hessian.push(9);
      t.base_weights.push(0);
    }
    T.push(t);
  }
  return JSON.stringify({ learner: { feature_names: names, gradient_booster: { name: 'gbtree', model: { trees: T, tree_info: T.map(() => 0) } }, learner_model_param: { base_score: '5E-1' }, objective: { name: 'binary:logistic' } } });
}
const manifest = {
  name: 'big-trees',
  version: '1.0.0',
  description: 'full depth-6 trees at the size limits',
  purpose: 'credit-assessment',
  format: 'xgboost-json',
  inputs: [...names],
  output: { score: { min: 300, max: 900, step: 10 }, reasons: ['R01_LOW', 'R02_HIGH'] },
  scaling: { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' },
  reasonMap: Object.fromEntries(names.map((n, i) => [n, i % 2 ? 'R01_LOW' : 'R02_HIGH'])),
  reasonsPerMerchant: 3,
};

let w: HttpWorld;
beforeAll(async () => {
  w = await httpWorld('dfix-atk-size-', 7700);
}, 120_000);
afterAll(async () => {
  await settleBackground(w.platform.ctx);
  await w.close();
});

describe('a model as data at the size limits', () => {
  let answer: { status: number; json: Record<string, any> };
  let blockedMs = 0;
  beforeAll(async () => {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    answer = await w.call('POST', '/v1/models', 'fintech', { manifest, source: model(600, 6) });
    h.disable();
    blockedMs = h.max / 1e6;
  }, 300_000);

  it('is refused at vetting with FORMAT_LIMIT naming the compiled size, never by the executor running out of memory', () => {
    expect(answer.status).toBe(201);
    const failed = (answer.json.report.checks as { id: string; status: string; reason: string }[]).filter((c) => c.status === 'fail');
    expect(failed[0]).toMatchObject({ id: 'format.size', reason: expect.stringMatching(/^FORMAT_LIMIT \(compiled>600000 syntax nodes\)/) });
    expect(failed.map((c) => c.id)).toEqual(['format.size', 'dryrun.runs']);
    expect(failed[1]?.reason).toMatch(/^not run/);
  });

  it('does not block the server event loop for more than a second', () => {
    expect(blockedMs).toBeLessThan(1000);
  });
});
