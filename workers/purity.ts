// The pure-module discipline, checked on the parsed source (acorn, ESTree) with scope
// analysis (eslint-scope). It is half of the row-purity argument of docs/design.md: the
// executor hardens every intrinsic and every top-level binding at run time, and these
// rules leave model code no writable place that outlives a call, and no way to observe an
// exception without failing (the engine's own state, such as the stack depth at which
// recursion overflows, changes as code gets hot; it must never decide a row's output).
//
//   R1 no import or export but the exported function score; no import(), import.meta,
//      async/await or debugger
//   R2 the top level holds only function declarations and `const` declarations
//   R3 top-level initialisers are literals (no RegExp), arrays and objects of literals,
//      or function expressions: no code runs at the top level
//   R4 no assignment to a top-level binding, from anywhere
//   R5 no classes, private names or static blocks (private fields ignore freezing)
//   R6 no try/catch/finally
//   R7 the only free names are MODEL_GLOBALS (acorn has already decoded unicode escapes)
//   R8 no property named constructor, __proto__, caller, callee or __define/lookup*__,
//      written plainly or computed from literals; a computed name built from strings the
//      checker cannot fold is reported as "cannot tell"
// The source is attacker-controlled: every failure is a finding with a line and column,
// never an exception.
import { parse, type Node } from 'acorn';
import * as eslintScope from 'eslint-scope';
import type * as ESTree from 'estree';
import { MODEL_GLOBALS } from '../core/limits.js';

export type PurityRule = 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8' | 'parse';

export interface Finding {
  rule: PurityRule;
  line: number;
  column: number;
  message: string;
  /** 'fail' refuses the model; 'cannot-tell' is for the reviewer. */
  severity: 'fail' | 'cannot-tell';
}

const RULE_TEXT: Record<PurityRule, string> = {
  parse: 'the source must parse as an ES2022 module',
  R1: 'no imports, import(), import.meta, async/await, debugger, or exports but function score',
  R2: 'the top level holds only function declarations and const declarations',
  R3: 'top-level const initialisers are literals, arrays/objects of literals, or functions',
  R4: 'no assignment to a top-level binding',
  R5: 'no classes, private names or static blocks',
  R6: 'no try/catch/finally: any exception fails the run',
  R7: `the only global names are ${MODEL_GLOBALS.join(', ')}`,
  R8: 'no access to constructor, __proto__, caller, callee or __define/lookup*__',
};
export const describeRule = (r: PurityRule): string => RULE_TEXT[r];

const FORBIDDEN_PROPERTIES = new Set(['constructor', '__proto__', 'caller', 'callee', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);
const ALLOWED = new Set<string>(MODEL_GLOBALS);

type AnyNode = Node & Record<string, unknown>;

function at(n: { loc?: { start: { line: number; column: number } } | null } | null | undefined): { line: number; column: number } {
  return { line: n?.loc?.start.line ?? 0, column: (n?.loc?.start.column ?? 0) + 1 };
}

/** Folds a computed key made of string/number literals, template literals, `+` and names bound to literals; undefined when it cannot. */
function fold(n: AnyNode, constants?: ReadonlyMap<string, string | null>): string | undefined {
  if (n.type === 'Literal') return typeof n.value === 'string' || typeof n.value === 'number' ? String(n.value) : undefined;
  if (n.type === 'Identifier') return constants?.get(n.name as string) ?? undefined;
  if (n.type === 'TemplateLiteral') {
    const quasis = n.quasis as { value: { cooked: string } }[];
    const exprs = n.expressions as AnyNode[];
    let s = quasis[0]?.value.cooked ?? '';
    for (let i = 0; i < exprs.length; i++) {
      const v = fold(exprs[i] as AnyNode, constants);
      if (v === undefined) return undefined;
      s += v + (quasis[i + 1]?.value.cooked ?? '');
    }
    return s;
  }
  if (n.type === 'BinaryExpression' && n.operator === '+') {
    const l = fold(n.left as AnyNode, constants);
    const r = fold(n.right as AnyNode, constants);
    return l === undefined || r === undefined ? undefined : l + r;
  }
  return undefined;
}

/** Whether a computed key is built from strings (so it could name any property). */
function stringy(n: AnyNode): boolean {
  if (n.type === 'Literal') return typeof n.value === 'string';
  if (n.type === 'TemplateLiteral') return true;
  if (n.type === 'BinaryExpression' && n.operator === '+') return stringy(n.left as AnyNode) || stringy(n.right as AnyNode);
  if (n.type === 'CallExpression') return true;
  return false;
}

function literalInit(n: AnyNode | null): boolean {
  if (!n) return false;
  switch (n.type) {
    case 'Literal':
      return !('regex' in n && n.regex);
    case 'TemplateLiteral':
      return (n.expressions as unknown[]).length === 0;
    case 'UnaryExpression':
      return (n.operator === '-' || n.operator === '+' || n.operator === '!') && (n.argument as AnyNode).type === 'Literal';
    case 'ArrayExpression':
      return (n.elements as (AnyNode | null)[]).every((e) => e === null || literalInit(e));
    case 'ObjectExpression':
      return (n.properties as AnyNode[]).every((p) => p.type === 'Property' && p.kind === 'init' && !p.computed && literalInit(p.value as AnyNode));
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return !n.async;
    default:
      return false;
  }
}

/** Walks every node (a tiny generic walker: ESTree nodes are plain objects). */
function walk(node: AnyNode, visit: (n: AnyNode, parent: AnyNode | null) => void, parent: AnyNode | null = null): void {
  visit(node, parent);
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'range') continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') walk(c as AnyNode, visit, node);
    } else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') walk(v as AnyNode, visit, node);
  }
}

/** Deeper than this, a syntax tree is refused (a 30,000-deep member chain overflowed the walk: attack A6). */
export const MAX_AST_DEPTH = 400;
/**
 * More syntax nodes than this, and a module is refused: the executor parses every module it
 * runs, in a thread of 256 MB, and ran out of it on a compiled model of 950,000 nodes
 * (790,000 parsed; test/attacks/compiled-size-limit.test.ts). A hand-written model within
 * MAX_SOURCE_BYTES stays far below.
 */
export const MAX_AST_NODES = 600_000;
export const TOO_MANY_NODES = `the module has more than ${MAX_AST_NODES} syntax nodes`;

/**
 * Every finding of the discipline in `source`, in source order; never throws. `compiled`:
 * the platform's own module compiled from a model as data (formats/), which may also
 * export the function scoreBatch; never set for a package's JavaScript.
 */
export function checkPurity(source: string, compiled = false): Finding[] {
  try {
    return check(source, compiled ? COMPILED_EXPORTS : EXPORTS);
  } catch {
    return [{ rule: 'parse', line: 0, column: 0, message: `the module is nested deeper than the checker reads (${MAX_AST_DEPTH} levels)`, severity: 'fail' }];
  }
}

/** The depth of the deepest node and the number of nodes, without recursion (stops past either limit). */
function sizeOf(root: AnyNode): { depth: number; nodes: number } {
  let max = 0;
  let nodes = 0;
  const stack: [AnyNode, number][] = [[root, 1]];
  while (stack.length) {
    const [n, d] = stack.pop() as [AnyNode, number];
    if (d > max) max = d;
    if (max > MAX_AST_DEPTH || ++nodes > MAX_AST_NODES) return { depth: max, nodes };
    for (const key of Object.keys(n)) {
      if (key === 'loc' || key === 'start' || key === 'end' || key === 'range') continue;
      const v = n[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') stack.push([c as AnyNode, d + 1]);
      } else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') stack.push([v as AnyNode, d + 1]);
    }
  }
  return { depth: max, nodes };
}

const EXPORTS: ReadonlySet<string> = new Set(['score']);
const COMPILED_EXPORTS: ReadonlySet<string> = new Set(['score', 'scoreBatch']);

function check(source: string, exportable: ReadonlySet<string>): Finding[] {
  let program: AnyNode;
  try {
    program = parse(source, { ecmaVersion: 2022, sourceType: 'module', locations: true, ranges: true }) as unknown as AnyNode;
  } catch (e) {
    const loc = (e as { loc?: { line: number; column: number } }).loc;
    return [{ rule: 'parse', line: loc?.line ?? 0, column: (loc?.column ?? 0) + 1, message: `does not parse: ${String((e as Error).message).replace(/\s*\(\d+:\d+\)$/, '').slice(0, 120)}`, severity: 'fail' }];
  }
  const out: Finding[] = [];
  const add = (rule: PurityRule, n: AnyNode | null, message: string, severity: Finding['severity'] = 'fail') => out.push({ rule, ...at(n as never), message, severity });
  const size = sizeOf(program);
  if (size.depth > MAX_AST_DEPTH) {
    add('parse', program, `the module is nested deeper than ${MAX_AST_DEPTH} levels`);
    return out;
  }
  if (size.nodes > MAX_AST_NODES) {
    add('parse', program, TOO_MANY_NODES);
    return out;
  }
  // R8 (attack A7): names bound to a string literal anywhere (const C = 'constructor') are
  // folded like literals when they index a property
  const constants = new Map<string, string | null>();
  walk(program, (n) => {
    if (n.type !== 'VariableDeclarator' || (n.id as AnyNode).type !== 'Identifier') return;
    const name = (n.id as AnyNode).name as string;
    const init = n.init as AnyNode | null;
    const v = init ? fold(init, constants) : undefined;
    constants.set(name, constants.has(name) && constants.get(name) !== v ? null : (v ?? null));
  });

  // R1, R2, R3: the shape of the top level
  for (const stmt of program.body as AnyNode[]) {
    let s = stmt;
    if (s.type === 'ExportNamedDeclaration') {
      if (s.source) add('R1', s, 'exports from another module');
      if (!s.declaration) {
        if ((s.specifiers as AnyNode[]).some((sp) => !exportable.has(((sp.exported as AnyNode).name ?? (sp.exported as AnyNode).value) as string))) add('R1', s, 'exports a name other than score');
        continue;
      }
      s = s.declaration as AnyNode;
      if (s.type !== 'FunctionDeclaration' || !exportable.has((s.id as AnyNode | null)?.name as string)) add('R1', s, 'exports something other than the function score');
    }
    if (s.type === 'ImportDeclaration') add('R1', s, 'imports a module');
    else if (s.type === 'ExportDefaultDeclaration' || s.type === 'ExportAllDeclaration') add('R1', s, 'a default or re-export');
    else if (s.type === 'FunctionDeclaration') {
      if (s.async) add('R1', s, 'an async function');
    } else if (s.type === 'VariableDeclaration') {
      if (s.kind !== 'const') add('R2', s, `a top-level ${String(s.kind)} declaration (use const, or declare it inside a function)`);
      for (const d of s.declarations as AnyNode[]) if (!literalInit(d.init as AnyNode | null)) add('R3', d, 'a top-level initialiser that runs code (a call, new, an identifier, a RegExp or a spread)');
    } else if (s.type === 'ClassDeclaration') add('R5', s, 'a class');
    else add('R2', s, `a top-level ${s.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`);
  }

  // R1, R5, R6, R8 anywhere
  walk(program, (n) => {
    switch (n.type) {
      case 'ImportExpression':
        return add('R1', n, 'import()');
      case 'MetaProperty':
        if ((n.meta as AnyNode).name === 'import') add('R1', n, 'import.meta');
        return;
      case 'AwaitExpression':
        return add('R1', n, 'await');
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (n.async) add('R1', n, 'an async function');
        return;
      case 'DebuggerStatement':
        return add('R1', n, 'debugger');
      case 'ClassExpression':
      case 'ClassDeclaration':
        if (n.type === 'ClassExpression') add('R5', n, 'a class');
        return;
      case 'PrivateIdentifier':
        return add('R5', n, 'a private name');
      case 'StaticBlock':
        return add('R5', n, 'a static block');
      case 'TryStatement':
        return add('R6', n, 'try/catch/finally');
      case 'MemberExpression': {
        const p = n.property as AnyNode;
        const name = !n.computed ? (p.name as string) : fold(p, constants);
        if (name !== undefined && FORBIDDEN_PROPERTIES.has(name)) add('R8', n, `access to .${name}`);
        else if (n.computed && name === undefined && stringy(p)) add('R8', n, 'a property name computed from strings: cannot tell which', 'cannot-tell');
        return;
      }
      case 'Property':
        if (!n.computed && FORBIDDEN_PROPERTIES.has(((n.key as AnyNode).name ?? (n.key as AnyNode).value) as string)) add('R8', n, `a property named ${String((n.key as AnyNode).name ?? (n.key as AnyNode).value)}`);
        return;
      default:
        return;
    }
  });

  // R4, R7: scopes
  let manager: eslintScope.ScopeManager;
  try {
    manager = eslintScope.analyze(program as unknown as ESTree.Program, { ecmaVersion: 2022, sourceType: 'module' });
  } catch {
    add('parse', program, 'scope analysis failed');
    return out;
  }
  const moduleScope = manager.scopes.find((s) => s.type === 'module');
  for (const v of moduleScope?.variables ?? []) {
    for (const ref of v.references) if (ref.isWrite() && !ref.init) add('R4', ref.identifier as unknown as AnyNode, `assigns to the top-level binding ${v.name}`);
  }
  const globalScope = manager.globalScope;
  for (const ref of globalScope?.through ?? []) {
    const name = ref.identifier.name;
    if (!ALLOWED.has(name)) add('R7', ref.identifier as unknown as AnyNode, `the global name ${name}`);
    else if (ref.isWrite()) add('R7', ref.identifier as unknown as AnyNode, `assigns to the global ${name}`);
  }
  const exportsScore = (program.body as AnyNode[]).some(
    (s) =>
      s.type === 'ExportNamedDeclaration' &&
      (((s.declaration as AnyNode | null)?.type === 'FunctionDeclaration' && ((s.declaration as AnyNode).id as AnyNode).name === 'score') ||
        (s.specifiers as AnyNode[]).some((sp) => ((sp.exported as AnyNode).name ?? (sp.exported as AnyNode).value) === 'score')),
  );
  if (!exportsScore) add('R1', program, 'does not export function score');
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}
