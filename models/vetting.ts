// Static vetting of a model package: pure checks over the manifest and the source text, and
// the reading of what an isolate found when it compiled the module. Each check has a stable
// id, a status and a reason the reviewer can act on. Running the model (the dry run) is the
// sandbox's job; its checks join this report there.
import type { Field } from '../datasets/catalog.js';
import { MAX_LATTICE_VALUES, MAX_MODEL_FILE_BYTES, MAX_REASON_CODES, REASON_SLOTS } from '../core/limits.js';
import { isAppError } from '../core/errors.js';
import { runtimeModule, type RuntimeModule, type Structure } from './runtime.js';
import type { ModuleReport } from '../workers/protocol.js';
import type { Manifest } from './manifest.schema.js';
import { MAX_MANIFEST_BYTES, MAX_SOURCE_BYTES, modelDigest, parseManifest, type ModelPackage } from './package.js';
import { manifestSchema } from './manifest.schema.js';
import { checkPurity, describeRule, MAX_AST_NODES, TOO_MANY_NODES, type Finding } from '../workers/purity.js';

export type CheckStatus = 'pass' | 'fail' | 'warn';
export interface Check {
  id: string;
  status: CheckStatus;
  reason: string;
}

export interface VettingReport {
  digest: string;
  /** Models as data: what the reviewer reads instead of code. */
  structure?: Structure;
  /** True when no check failed (warnings are for the reviewer). */
  passed: boolean;
  checks: Check[];
}

const pass = (id: string, reason: string): Check => ({ id, status: 'pass', reason });
const fail = (id: string, reason: string): Check => ({ id, status: 'fail', reason });

/**
 * The static review: the pure-module discipline on the parsed source (workers/purity.ts).
 * For a model as data, a compiled module past the executor's size limit is the model's
 * size, refused as such.
 */
function purityChecks(source: string, format: boolean): Check[] {
  const findings = checkPurity(source);
  if (format && findings.some((f) => f.message === TOO_MANY_NODES)) {
    return [fail('format.size', `FORMAT_LIMIT (compiled>${MAX_AST_NODES} syntax nodes): the module compiled from this model is larger than the executor runs; use fewer or shallower trees`)];
  }
  const where = (f: Finding) => `${f.rule} line ${f.line}:${f.column} ${f.message}`;
  const fails = findings.filter((f) => f.severity === 'fail');
  const unsure = findings.filter((f) => f.severity === 'cannot-tell');
  const checks: Check[] = [];
  if (fails.length === 0) checks.push(pass('source.purity', 'the module keeps the pure-module discipline (R1-R8)'));
  else {
    const rules = [...new Set(fails.map((f) => f.rule))];
    checks.push(fail('source.purity', `${fails.slice(0, 12).map(where).join('; ')}${fails.length > 12 ? `; and ${fails.length - 12} more` : ''}. Rules: ${rules.map((r) => `${r}: ${describeRule(r)}`).join('; ')}`));
  }
  checks.push(unsure.length === 0 ? pass('source.review', 'nothing the static review could not tell') : { id: 'source.review', status: 'warn', reason: `cannot tell, for the reviewer: ${unsure.slice(0, 12).map(where).join('; ')}` });
  return checks;
}

function contractChecks(m: Manifest): Check[] {
  const { min, max, step } = m.output.score;
  const checks: Check[] = [];
  checks.push(min < max ? pass('output.range', `scores from ${min} to ${max}`) : fail('output.range', `min ${min} is not below max ${max}`));
  const values = (max - min) / step + 1;
  checks.push(
    !(min < max && (max - min) % step === 0)
      ? fail('output.lattice', `step ${step} does not divide the range ${min}..${max}`)
      : values > MAX_LATTICE_VALUES
        ? fail('output.lattice', `${values} score values; at most ${MAX_LATTICE_VALUES} (a wider lattice would carry raw figures to a bank)`)
        : pass('output.lattice', `${values} values in steps of ${step}`),
  );
  const d = m.output.default ?? { score: min, reasons: [] };
  const dOk = Number.isInteger(d.score) && d.score >= min && d.score <= max && (d.score - min) % step === 0 && d.reasons.every((r) => m.output.reasons.includes(r)) && d.reasons.length <= REASON_SLOTS;
  checks.push(dOk ? pass('output.default', `default output ${d.score}${d.reasons.length ? ` ${d.reasons.join(' ')}` : ''}`) : fail('output.default', 'output.default must be on the lattice, with declared reasons (at most 4)'));
  const codes = m.output.reasons;
  if (codes.length > MAX_REASON_CODES) checks.push(fail('output.reasons', `${codes.length} reason codes declared; at most ${MAX_REASON_CODES}`));
  else if (new Set(codes).size !== codes.length) checks.push(fail('output.reasons', 'reason codes are repeated'));
  else checks.push(pass('output.reasons', `${codes.length} reason codes`));
  const grades = m.output.grades;
  if (grades) {
    const descending = grades.every((g, i) => i === 0 || g.min < (grades[i - 1] as { min: number }).min);
    const inRange = grades.every((g) => g.min >= min && g.min <= max);
    const covers = (grades[grades.length - 1] as { min: number }).min === min;
    const unique = new Set(grades.map((g) => g.grade)).size === grades.length;
    checks.push(
      descending && inRange && covers && unique
        ? pass('output.grades', grades.map((g) => `${g.grade}>=${g.min}`).join(' '))
        : fail('output.grades', 'grade bands must be unique, strictly descending, within the range, and the last must start at min'),
    );
  }
  return checks;
}

function inputChecks(m: Manifest, catalog: readonly Field[]): Check[] {
  const byName = new Map(catalog.map((f) => [f.name, f]));
  const unknown = m.inputs.filter((n) => !byName.has(n));
  const hidden = m.inputs.filter((n) => byName.has(n) && !byName.get(n)?.modelReadable);
  const dupes = m.inputs.filter((n, i) => m.inputs.indexOf(n) !== i);
  return [
    unknown.length === 0 ? pass('inputs.catalog', `${m.inputs.length} inputs, all in the catalog`) : fail('inputs.catalog', `not in the catalog: ${unknown.slice(0, 10).join(', ')}`),
    hidden.length === 0
      ? pass('inputs.readable', 'every input is model-readable')
      : fail('inputs.readable', `not readable by a model: ${hidden.map((n) => `${n} (${byName.get(n)?.level}${byName.get(n)?.role === 'label' ? ', label' : ''})`).join(', ')}`),
    dupes.length === 0 ? pass('inputs.unique', 'no input repeated') : fail('inputs.unique', `repeated: ${dupes.join(', ')}`),
  ];
}

/** Checks that need no execution. `manifest` is null when the schema refused it; `runtime` when the model cannot run. */
export function staticVetting(pkg: ModelPackage, catalog: readonly Field[]): { manifest: Manifest | null; checks: Check[]; runtime: RuntimeModule | null } {
  const checks: Check[] = [];
  const sourceBytes = Buffer.byteLength(pkg.source, 'utf8');
  const manifestBytes = Buffer.byteLength(JSON.stringify(pkg.manifestJson) ?? '', 'utf8');
  const format = typeof pkg.manifestJson === 'object' && pkg.manifestJson !== null ? (pkg.manifestJson as { format?: unknown }).format : undefined;
  const maxBytes = format === 'pmml' || format === 'xgboost-json' ? MAX_MODEL_FILE_BYTES : MAX_SOURCE_BYTES;
  checks.push(sourceBytes <= maxBytes ? pass('size.source', `${sourceBytes} bytes`) : fail('size.source', `${sourceBytes} bytes; at most ${maxBytes}`));
  checks.push(manifestBytes <= MAX_MANIFEST_BYTES ? pass('size.manifest', `${manifestBytes} bytes`) : fail('size.manifest', `${manifestBytes} bytes; at most ${MAX_MANIFEST_BYTES}`));
  const manifest = parseManifest(pkg.manifestJson);
  if (!manifest) {
    const issues = manifestSchema.safeParse(pkg.manifestJson).error?.issues ?? [];
    const named = issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    checks.push(fail('manifest.schema', `the manifest does not match the schema (docs/models.md): ${named.join('; ')}`));
    return { manifest: null, checks, runtime: null };
  }
  checks.push(pass('manifest.schema', `${manifest.name}@${manifest.version}`));
  checks.push(...inputChecks(manifest, catalog), ...contractChecks(manifest));
  if (sourceBytes > maxBytes) return { manifest, checks, runtime: null };
  let runtime: RuntimeModule | null = null;
  if (manifest.format !== 'javascript') {
    try {
      runtime = runtimeModule(manifest, pkg.source, catalog);
      const st = runtime.structure;
      checks.push(pass('format.parse', `${manifest.format}: ${st?.kind}${st?.trees ? `, ${st.trees.count} trees, depth ${st.trees.maxDepth}` : ''}${st?.characteristics ? `, ${st.characteristics.length} characteristics` : ''}, output ${st?.output}`));
      const declared = [...manifest.inputs].sort().join(',');
      const read = [...(runtime.ir?.inputs ?? [])].sort().join(',');
      checks.push(declared === read ? pass('format.inputs', 'the manifest declares exactly the fields the model file reads') : fail('format.inputs', `the model file reads ${runtime.ir?.inputs.join(', ')}; the manifest must declare exactly those`));
    } catch (e) {
      if (!isAppError(e)) throw e;
      checks.push(fail('format.parse', `${e.code}${e.detail ? ` (${e.detail})` : ''}: ${e.message}`));
      return { manifest, checks, runtime: null };
    }
  } else runtime = { source: pkg.source, batchSource: pkg.source, compiled: false };
  checks.push(...purityChecks(runtime.source, runtime.compiled));
  return { manifest, checks, runtime };
}

/** What evaluating the module in a hardened context of the executor showed. */
export function moduleChecks(r: ModuleReport): Check[] {
  if (!r.evaluates) return [fail('module.evaluates', 'evaluating the module in a hardened context failed or ran out of time')];
  const onlyScore = r.exports.length === 1 && r.exports[0] === 'score' && r.scoreIsFunction;
  return [
    pass('module.evaluates', 'evaluates in a hardened context'),
    onlyScore ? pass('module.exports', 'exports only the function score') : fail('module.exports', `must export only a function named score; exports ${r.exports.length} name(s)`),
  ];
}

export function report(pkg: ModelPackage, checks: Check[], structure?: Structure): VettingReport {
  return { digest: modelDigest(pkg), passed: checks.every((c) => c.status !== 'fail'), checks, ...(structure ? { structure } : {}) };
}
