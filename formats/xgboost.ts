// XGBoost JSON models (`Booster.save_model("model.json")`, the JSON schema of XGBoost 1.7
// and 2.x: doc/model.schema in the XGBoost tree) to the IR. gbtree only; objectives
// binary:logistic, binary:logitraw and reg:squarederror; numerical splits only.
// The file is attacker-controlled: shape via zod, then every index, number and limit.
import { z } from 'zod';
import type { Field } from '../datasets/catalog.js';
import { formatError } from './errors.js';
import { checkInputs, finite, jsonDepth, readText, safeName } from './input.js';
import type { FormatIR, XgbIR, XgbTree } from './ir.js';
import { LIMITS } from './limits.js';

const ints = z.array(z.number().int());
// any number, infinities included: they are refused below with FORMAT_NUMBER_INVALID naming where
const nums = z.array(z.custom<number>((v) => typeof v === 'number'));

const treeSchema = z.object({
  left_children: ints,
  right_children: ints,
  split_indices: ints,
  split_conditions: nums,
  default_left: z.array(z.union([z.number().int(), z.boolean()])),
  sum_hessian: nums,
  base_weights: nums,
  split_type: ints.optional(),
  tree_param: z.object({ size_leaf_vector: z.string().optional() }).passthrough().optional(),
});

const modelSchema = z.object({
  learner: z.object({
    feature_names: z.array(z.string()).optional(),
    gradient_booster: z.object({
      name: z.string(),
      model: z.object({ trees: z.array(z.unknown()), tree_info: ints.optional() }).passthrough().optional(),
    }).passthrough(),
    learner_model_param: z.object({ base_score: z.string(), num_class: z.string().optional(), num_target: z.string().optional() }).passthrough(),
    objective: z.object({ name: z.string() }).passthrough(),
  }).passthrough(),
  version: z.array(z.number()).optional(),
}).passthrough();

const OBJECTIVES = ['binary:logistic', 'binary:logitraw', 'reg:squarederror'] as const;

/** base_score as written: "5E-1" (1.7, 2.x) or "[5E-1]" (3.x). */
function baseScore(s: string): number {
  const m = /^\[?\s*([-+0-9.eE]+)\s*\]?$/.exec(s);
  const v = m ? Number(m[1]) : NaN;
  return finite(v, 'base_score');
}

const f32 = Math.fround;

/** Parses an XGBoost JSON model; `catalog` is what its feature names are checked against. */
export function parseXgboostJson(source: string | Uint8Array, catalog: readonly Field[]): FormatIR {
  const text = readText(source);
  if (jsonDepth(text) > LIMITS.nesting) throw formatError('FORMAT_TOO_LARGE', { detail: `nesting>${LIMITS.nesting}` });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw formatError('FORMAT_MALFORMED', { cause, detail: 'json' });
  }
  const parsed = modelSchema.safeParse(raw);
  if (!parsed.success) throw formatError('FORMAT_MALFORMED', { cause: parsed.error, detail: String(parsed.error.issues[0]?.path.join('.') ?? 'learner') });
  const learner = parsed.data.learner;
  if (learner.gradient_booster.name !== 'gbtree') throw formatError('FORMAT_UNSUPPORTED', { detail: safeName(learner.gradient_booster.name) });
  const objective = learner.objective.name;
  if (!(OBJECTIVES as readonly string[]).includes(objective)) throw formatError('FORMAT_UNSUPPORTED', { detail: safeName(objective) });
  if (Number(learner.learner_model_param.num_class ?? '0') > 1 || Number(learner.learner_model_param.num_target ?? '1') > 1) {
    throw formatError('FORMAT_UNSUPPORTED', { detail: 'num_class' });
  }
  const names = learner.feature_names;
  if (!names || names.length === 0) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: 'feature_names' });
  checkInputs(names, catalog);
  const rawTrees = learner.gradient_booster.model?.trees ?? [];
  if (rawTrees.length > LIMITS.trees) throw formatError('FORMAT_LIMIT', { detail: `trees>${LIMITS.trees}` });
  if ((learner.gradient_booster.model?.tree_info ?? []).some((g) => g !== 0)) throw formatError('FORMAT_UNSUPPORTED', { detail: 'tree_info' });
  let total = 0;
  const trees: XgbTree[] = rawTrees.map((t, k) => {
    const tree = readTree(t, k, names.length);
    total += tree.left.length;
    if (total > LIMITS.nodes) throw formatError('FORMAT_LIMIT', { detail: `nodes>${LIMITS.nodes}` });
    return tree;
  });
  const p = baseScore(learner.learner_model_param.base_score);
  let base: number;
  if (objective === 'binary:logistic') {
    // learner: ProbToMargin for logistic, in float: -logf(1/p - 1)
    if (!(p > 0 && p < 1)) throw formatError('FORMAT_NUMBER_INVALID', { detail: 'base_score' });
    base = f32(-Math.log(f32(f32(1 / f32(p)) - 1)));
  } else base = f32(p);
  finite(base, 'base_score');
  const model: XgbIR = { kind: 'xgb', objective: objective as XgbIR['objective'], base, trees };
  return {
    format: 'xgboost',
    inputs: [...names],
    output: objective === 'binary:logistic' ? 'probability' : objective === 'binary:logitraw' ? 'margin' : 'value',
    slots: 0,
    prelude: [],
    model,
    reasonKeys: [],
  };
}

function readTree(raw: unknown, k: number, nFeatures: number): XgbTree {
  const where = `trees[${k}]`;
  const r = treeSchema.safeParse(raw);
  if (!r.success) throw formatError('FORMAT_MALFORMED', { cause: r.error, detail: where });
  const t = r.data;
  const n = t.left_children.length;
  const arrays = [t.right_children, t.split_indices, t.split_conditions, t.default_left, t.sum_hessian];
  if (n < 1 || arrays.some((a) => a.length !== n)) throw formatError('FORMAT_MALFORMED', { detail: `${where}.arrays` });
  if (Number(t.tree_param?.size_leaf_vector ?? '0') > 1) throw formatError('FORMAT_UNSUPPORTED', { detail: 'size_leaf_vector' });
  if (t.split_type?.some((s) => s !== 0)) throw formatError('FORMAT_UNSUPPORTED', { detail: 'categorical split' });
  const tree: XgbTree = { left: [], right: [], feature: [], value: [], defaultLeft: [], cover: [] };
  const parents = new Int32Array(n).fill(-1);
  const depth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = t.left_children[i] as number;
    const rr = t.right_children[i] as number;
    const leaf = l === -1;
    if (i > 0 && parents[i] === -1) throw formatError('FORMAT_MALFORMED', { detail: `${where}.children` });
    if (leaf !== (rr === -1)) throw formatError('FORMAT_MALFORMED', { detail: `${where}.children` });
    if (!leaf) {
      // children come after their parent and have one parent each: a tree, no cycles
      for (const c of [l, rr]) {
        if (!(c > i && c < n) || parents[c] !== -1) throw formatError('FORMAT_MALFORMED', { detail: `${where}.children` });
        parents[c] = i;
        depth[c] = (depth[i] as number) + 1;
        if ((depth[c] as number) > LIMITS.depth) throw formatError('FORMAT_LIMIT', { detail: `depth>${LIMITS.depth}` });
      }
    }
    const f = leaf ? 0 : (t.split_indices[i] as number);
    if (!leaf && !(f >= 0 && f < nFeatures)) throw formatError('FORMAT_MALFORMED', { detail: `${where}.split_indices` });
    const v = f32(finite(t.split_conditions[i] as number, `${where}.split_conditions`));
    finite(v, `${where}.split_conditions`);
    const cover = finite(t.sum_hessian[i] as number, `${where}.sum_hessian`);
    if (!(cover >= 0)) throw formatError('FORMAT_NUMBER_INVALID', { detail: `${where}.sum_hessian` });
    tree.left.push(l);
    tree.right.push(rr);
    tree.feature.push(f);
    tree.value.push(v);
    tree.defaultLeft.push(t.default_left[i] ? 1 : 0);
    tree.cover.push(cover);
  }
  for (const w of t.base_weights) finite(w, `${where}.base_weights`);
  return tree;
}
