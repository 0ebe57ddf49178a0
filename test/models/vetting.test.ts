import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDigest, readPackage, type ModelPackage } from '../../models/package.js';
import { vetPackage } from '../../sandbox/vetting.js';
import { Executor } from '../../workers/client.js';
import { fixture } from '../helpers/sandbox.js';

const REFERENCE = path.resolve('models/examples/merchant-scorecard');
const reference = (): ModelPackage => readPackage(REFERENCE);

function variant(edit: (m: any) => void, source?: string): ModelPackage {
  const pkg = reference();
  const m = structuredClone(pkg.manifestJson) as any;
  edit(m);
  return { manifestJson: m, source: source ?? pkg.source };
}

const statusOf = (r: { checks: { id: string; status: string }[] }, id: string) => r.checks.find((c) => c.id === id)?.status;
const reasonOf = (r: { checks: { id: string; reason: string }[] }, id: string) => r.checks.find((c) => c.id === id)?.reason ?? '';

let executor: Executor;
beforeAll(async () => {
  executor = await Executor.start();
});
afterAll(() => executor.close());

describe('model digest', () => {
  it('ignores manifest formatting and key order, and changes with any change to the code', () => {
    const pkg = reference();
    const reordered = { manifestJson: JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(pkg.manifestJson as object).reverse()))), source: pkg.source };
    expect(modelDigest(reordered)).toBe(modelDigest(pkg));
    expect(modelDigest({ ...pkg, source: `${pkg.source} ` })).not.toBe(modelDigest(pkg));
    expect(modelDigest(pkg)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('vetting', () => {
  it('passes the reference scorecard, dry run included', async () => {
    const r = await vetPackage(reference(), executor);
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.passed).toBe(true);
    for (const id of ['module.exports', 'dryrun.deterministic', 'dryrun.contract', 'dryrun.missing', 'dryrun.stateless']) expect(statusOf(r, id), id).toBe('pass');
  });

  it('fails a package that reads an S4 field or the label, naming it', async () => {
    const r = await vetPackage(variant((m) => m.inputs.push('uscc', 'default_12m')), executor);
    expect(r.passed).toBe(false);
    expect(statusOf(r, 'inputs.readable')).toBe('fail');
    expect(reasonOf(r, 'inputs.readable')).toContain('uscc (S4)');
    expect(reasonOf(r, 'inputs.readable')).toContain('default_12m');
  });

  it('fails unknown inputs and broken output contracts, each with its reason', async () => {
    const unknown = await vetPackage(variant((m) => m.inputs.push('favourite_colour')), executor);
    expect(statusOf(unknown, 'inputs.catalog')).toBe('fail');
    const lattice = await vetPackage(variant((m) => (m.output.score = { min: 300, max: 900, step: 7 })), executor);
    expect(statusOf(lattice, 'output.lattice')).toBe('fail');
    expect(reasonOf(lattice, 'output.lattice')).toContain('step 7');
    const range = await vetPackage(variant((m) => (m.output.score = { min: 900, max: 300, step: 10 })), executor);
    expect(statusOf(range, 'output.range')).toBe('fail');
    const many = await vetPackage(variant((m) => (m.output.reasons = Array.from({ length: 33 }, (_, i) => `R${i}_X`))), executor);
    expect(statusOf(many, 'manifest.schema')).toBe('fail');
    expect(reasonOf(many, 'manifest.schema')).toContain('output.reasons');
    const wide = await vetPackage(variant((m) => ((m.output.score = { min: 0, max: 1000, step: 1 }), (m.output.grades = undefined))), executor);
    expect(reasonOf(wide, 'output.lattice')).toContain('at most 128');
    const schema = await vetPackage(variant((m) => (m.unexpected = true)), executor);
    expect(statusOf(schema, 'manifest.schema')).toBe('fail');
    expect(reasonOf(schema, 'manifest.schema')).toContain('unexpected');
    for (const r of [unknown, lattice, range, many, schema, wide]) expect(r.passed).toBe(false);
  });

  it('fails sources that import, export more than score, do not parse or are too large, naming rule, line and column', async () => {
    const imports = await vetPackage(variant(() => undefined, fixture('static-import')), executor);
    expect(statusOf(imports, 'source.purity')).toBe('fail');
    expect(reasonOf(imports, 'source.purity')).toMatch(/R1 line \d+:\d+ imports a module/);
    const extra = await vetPackage(variant(() => undefined, fixture('extra-export')), executor);
    expect(reasonOf(extra, 'source.purity')).toContain('R1');
    const broken = await vetPackage(variant(() => undefined, 'export function score( {'), executor);
    expect(reasonOf(broken, 'source.purity')).toMatch(/parse line 1:\d+ does not parse/);
    const big = await vetPackage(variant(() => undefined, `// ${'x'.repeat(300 * 1024)}\nexport function score(){return {score:300}}`), executor);
    expect(statusOf(big, 'size.source')).toBe('fail');
  });

  it('refuses escapes on the parsed source, and tells the reviewer what it cannot tell', async () => {
    const r = await vetPackage(variant(() => undefined, fixture('constructor-chain')), executor);
    expect(statusOf(r, 'source.purity')).toBe('fail');
    expect(reasonOf(r, 'source.purity')).toMatch(/R7 line \d+:\d+ the global name/);
    const unsure = await vetPackage(variant(() => undefined, `export function score(row) { return { score: []['x' + String(row.business_age_months)] ? 300 : 310 }; }`), executor);
    expect(statusOf(unsure, 'source.review')).toBe('warn');
    expect(reasonOf(unsure, 'source.review')).toContain('cannot tell');
  });

  it('fails in the dry run: off-lattice output, throwing on missing values, state carried between merchants', async () => {
    const m = (src: string) => variant(() => undefined, src);
    const off = await vetPackage(m('export function score(row){ return { score: 712.5 } }'), executor);
    expect(statusOf(off, 'dryrun.contract')).toBe('fail');
    const missing = await vetPackage(m('export function score(row){ if (row.business_age_months === null) throw "x"; return { score: 600 } }'), executor);
    expect(statusOf(missing, 'dryrun.missing')).toBe('fail');
    // a model that can tell a hardened batch from a fresh context scores differently alone
    const carry = await vetPackage(m('export function score(row){ return { score: Object.isFrozen(Array.prototype) ? 900 : 300 } }'), executor);
    expect(statusOf(carry, 'dryrun.stateless')).toBe('fail');
    const carried = await vetPackage(m('let n = 0; export function score(row){ n++; return { score: n > 1 ? 900 : 300 } }'), executor);
    expect(reasonOf(carried, 'source.purity')).toContain('R2');
    for (const r of [off, missing, carry, carried]) expect(r.passed).toBe(false);
  });

  it('reads packages defensively', () => {
    expect(() => readPackage('/nonexistent')).toThrow(expect.objectContaining({ code: 'MODEL_PACKAGE_UNREADABLE' }));
    const dir = fs.mkdtempSync('/tmp/dfix-pkg-');
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{ not json');
    fs.writeFileSync(path.join(dir, 'model.js'), 'export function score(){}');
    expect(() => readPackage(dir)).toThrow(expect.objectContaining({ code: 'MODEL_MANIFEST_INVALID' }));
    fs.rmSync(dir, { recursive: true });
  });
});
