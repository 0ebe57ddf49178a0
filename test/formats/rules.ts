// A small checker of the platform's rules for model code (R1-R7 of issue 13), used to
// prove that compiled modules obey them. The platform's own checker is the authority;
// this one is deliberately strict.
import * as acorn from 'acorn';

const GLOBALS = new Set(['Math', 'Number', 'String', 'Array', 'Object', 'JSON', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean']);

type N = acorn.Node & Record<string, unknown>;

function isLiteralInit(n: N): boolean {
  switch (n.type) {
    case 'Literal':
      return !(n as unknown as { regex?: unknown }).regex;
    case 'UnaryExpression':
      return n.operator === '-' && (n.argument as N).type === 'Literal' && typeof (n.argument as N).value === 'number';
    case 'ArrayExpression':
      return (n.elements as (N | null)[]).every((e) => e !== null && e.type !== 'SpreadElement' && isLiteralInit(e));
    case 'ObjectExpression':
      return (n.properties as N[]).every((p) => p.type === 'Property' && p.kind === 'init' && !p.computed && !p.method && isLiteralInit(p.value as N));
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return !n.async && !n.generator;
    default:
      return false;
  }
}

function children(n: N): N[] {
  const out: N[] = [];
  for (const [k, v] of Object.entries(n)) {
    if (k === 'type' || k === 'start' || k === 'end' || k === 'loc') continue;
    if (Array.isArray(v)) for (const x of v) if (x && typeof x === 'object' && typeof (x as N).type === 'string') out.push(x as N);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as N).type === 'string') out.push(v as N);
  }
  return out;
}

/** The rules the source breaks (empty when it obeys them all). */
export function ruleViolations(source: string): string[] {
  const ast = acorn.parse(source, { ecmaVersion: 2022, sourceType: 'module' }) as unknown as N;
  const problems: string[] = [];
  const topLevel = new Set<string>();
  const declared = new Set<string>();
  for (const st of ast.body as N[]) {
    let s = st;
    if (s.type === 'ExportNamedDeclaration') {
      if (!s.declaration || (s.declaration as N).type !== 'FunctionDeclaration') problems.push('R1 export other than a function declaration');
      s = s.declaration as N;
      if (!s) continue;
    }
    if (s.type === 'FunctionDeclaration') topLevel.add((s.id as N).name as string);
    else if (s.type === 'VariableDeclaration' && s.kind === 'const') {
      for (const d of s.declarations as N[]) {
        topLevel.add((d.id as N).name as string);
        if (!d.init || !isLiteralInit(d.init as N)) problems.push(`R3 initialiser of ${(d.id as N).name as string}`);
      }
    } else problems.push(`R2 top-level ${s.type}${s.type === 'VariableDeclaration' ? ` ${s.kind as string}` : ''}`);
  }
  // declarations anywhere (params, locals) for the free-identifier check
  const collect = (n: N): void => {
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') {
      if (n.id) declared.add((n.id as N).name as string);
      for (const p of n.params as N[]) if (p.type === 'Identifier') declared.add(p.name as string);
      if (n.async || n.generator) problems.push('R1 async or generator function');
    }
    if (n.type === 'VariableDeclarator' && (n.id as N).type === 'Identifier') declared.add((n.id as N).name as string);
    for (const c of children(n)) collect(c);
  };
  collect(ast);
  const visit = (n: N, parent: N | null, key: string): void => {
    switch (n.type) {
      case 'ImportDeclaration':
      case 'ImportExpression':
      case 'MetaProperty':
      case 'AwaitExpression':
      case 'DebuggerStatement':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        problems.push(`R1 ${n.type}`);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
      case 'PrivateIdentifier':
        problems.push(`R5 ${n.type}`);
        break;
      case 'TryStatement':
        problems.push('R6 try');
        break;
      case 'AssignmentExpression':
      case 'UpdateExpression': {
        const target = (n.left ?? n.argument) as N;
        if (target.type === 'Identifier' && topLevel.has(target.name as string)) problems.push(`R4 assignment to ${target.name as string}`);
        break;
      }
      case 'Identifier': {
        const name = n.name as string;
        const isKey = parent && ((parent.type === 'MemberExpression' && key === 'property' && !parent.computed) || (parent.type === 'Property' && key === 'key' && !parent.computed));
        if (!isKey && !declared.has(name) && !GLOBALS.has(name)) problems.push(`R7 free identifier ${name}`);
        break;
      }
    }
    for (const [k, v] of Object.entries(n)) {
      if (Array.isArray(v)) for (const x of v) if (x && typeof x === 'object' && typeof (x as N).type === 'string') visit(x as N, n, k);
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as N).type === 'string') visit(v as N, n, k);
    }
  };
  visit(ast, null, '');
  return problems;
}
