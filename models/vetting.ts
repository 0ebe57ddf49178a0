// Static vetting of a model package: pure checks over the manifest and the source text, and
// the reading of what an isolate found when it compiled the module. Each check has a stable
// id, a status and a reason the reviewer can act on. Running the model (the dry run) is the
// sandbox's job; its checks join this report there.
import type { Field } from '../datasets/catalog.js';
import type { ModuleReport } from '../workers/protocol.js';
import type { Manifest } from './manifest.schema.js';
import { MAX_MANIFEST_BYTES, MAX_SOURCE_BYTES, modelDigest, parseManifest, type ModelPackage } from './package.js';

export type CheckStatus = 'pass' | 'fail' | 'warn';
export interface Check {
  id: string;
  status: CheckStatus;
  reason: string;
}

export interface VettingReport {
  digest: string;
  /** True when no check failed (warnings are for the reviewer). */
  passed: boolean;
  checks: Check[];
}

const pass = (id: string, reason: string): Check => ({ id, status: 'pass', reason });
const fail = (id: string, reason: string): Check => ({ id, status: 'fail', reason });

export const MAX_REASON_CODES = 20;
export const MAX_REASONS_PER_SUBJECT = 3;

/** Constructs a reviewer should look at; reported, not refused (the isolate confines them). */
const REVIEW_PATTERNS: [string, RegExp][] = [
  ['eval', /\beval\s*\(/],
  ['Function constructor', /\bFunction\s*\(|\.constructor\b/],
  ['dynamic import()', /\bimport\s*\(/],
  ['require', /\brequire\s*\(/],
  ['Proxy', /\bProxy\b/],
  ['Reflect', /\bReflect\b/],
  ['globalThis', /\bglobalThis\b/],
  ['stack-trace hooks', /prepareStackTrace|captureStackTrace|stackTraceLimit/],
  ['__proto__', /__proto__/],
  ['Symbol.species', /Symbol\.species/],
  ['WebAssembly', /\bWebAssembly\b/],
  ['shared memory', /\bSharedArrayBuffer\b|\bAtomics\b/],
  ['clock or randomness', /\bDate\b|Math\.random|\bperformance\b/],
  ['host globals', /\bprocess\b|\bfetch\b|\bXMLHttpRequest\b/],
  ['thenable', /\bthen\s*[:(]/],
  ['async code', /\basync\b|\bawait\b|\bPromise\b/],
];

function reviewFlags(source: string): Check {
  const found: string[] = [];
  const lines = source.split('\n');
  for (const [name, re] of REVIEW_PATTERNS) {
    const at = lines.findIndex((l) => re.test(l));
    if (at >= 0) found.push(`${name} (line ${at + 1})`);
  }
  return found.length === 0
    ? pass('source.review', 'no construct needs a reviewer’s attention')
    : { id: 'source.review', status: 'warn', reason: `for the reviewer: ${found.join(', ')}` };
}

function contractChecks(m: Manifest): Check[] {
  const { min, max, step } = m.output.score;
  const checks: Check[] = [];
  checks.push(min < max ? pass('output.range', `scores from ${min} to ${max}`) : fail('output.range', `min ${min} is not below max ${max}`));
  checks.push(
    min < max && (max - min) % step === 0
      ? pass('output.lattice', `${(max - min) / step + 1} values in steps of ${step}`)
      : fail('output.lattice', `step ${step} does not divide the range ${min}..${max}`),
  );
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

/** Checks that need no execution. `manifest` is null when the schema refused it. */
export function staticVetting(pkg: ModelPackage, catalog: readonly Field[]): { manifest: Manifest | null; checks: Check[] } {
  const checks: Check[] = [];
  const sourceBytes = Buffer.byteLength(pkg.source, 'utf8');
  const manifestBytes = Buffer.byteLength(JSON.stringify(pkg.manifestJson) ?? '', 'utf8');
  checks.push(sourceBytes <= MAX_SOURCE_BYTES ? pass('size.source', `${sourceBytes} bytes`) : fail('size.source', `${sourceBytes} bytes; at most ${MAX_SOURCE_BYTES}`));
  checks.push(manifestBytes <= MAX_MANIFEST_BYTES ? pass('size.manifest', `${manifestBytes} bytes`) : fail('size.manifest', `${manifestBytes} bytes; at most ${MAX_MANIFEST_BYTES}`));
  const manifest = parseManifest(pkg.manifestJson);
  if (!manifest) {
    checks.push(fail('manifest.schema', 'the manifest does not match the schema (see API.md, Model package)'));
    return { manifest: null, checks };
  }
  checks.push(pass('manifest.schema', `${manifest.name}@${manifest.version}`));
  checks.push(...inputChecks(manifest, catalog), ...contractChecks(manifest), reviewFlags(pkg.source));
  return { manifest, checks };
}

/** What compiling the module in an isolate showed. */
export function moduleChecks(r: ModuleReport): Check[] {
  if (!r.parses) return [fail('module.parses', 'the source does not parse as an ES module')];
  const checks = [pass('module.parses', 'parses as an ES module')];
  checks.push(r.imports.length === 0 ? pass('module.imports', 'imports nothing') : fail('module.imports', `imports ${r.imports.length} module(s); a model may import nothing`));
  if (r.imports.length > 0) return checks;
  if (!r.evaluates) return [...checks, fail('module.evaluates', 'evaluating the module failed or ran out of time')];
  const onlyScore = r.exports.length === 1 && r.exports[0] === 'score' && r.scoreIsFunction;
  checks.push(onlyScore ? pass('module.exports', 'exports only the function score') : fail('module.exports', `must export only a function named score; exports ${r.exports.length} name(s)`));
  return checks;
}

export function report(pkg: ModelPackage, checks: Check[]): VettingReport {
  return { digest: modelDigest(pkg), passed: checks.every((c) => c.status !== 'fail'), checks };
}
