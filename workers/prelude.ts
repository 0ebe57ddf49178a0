// The trusted preludes: the first code run in a context, before any model code. Each
// leaves the model the same small global surface (GLOBALS), removes what gives a clock,
// randomness, code from strings, shared memory, weak references or the symbol registry,
// and returns its runner as the script's completion value: the host holds it by
// Reference, no global names it, and model code cannot reach or replace it. The runner
// builds a fresh, frozen plain object per row (never a view of the input buffer) and hands
// back plain data: typed arrays of scores and reason indexes.
//
// HARDENED runs after SES (the `ses` package, lockdown with the shared, tamed Error, Date,
// Math and RegExp) and hardens the global object; together with the static rules of
// models/purity.ts (no writable top-level binding, no try/catch, only GLOBALS as free
// names) a context can then score many rows with nothing written by one row readable by
// the next. FRESH is for one row per context and freezes nothing. `runCompiled` is the
// columnar path of modules the platform compiled itself (formats/), chosen by the host.

import { MODEL_GLOBALS as GLOBALS } from '../core/limits.js';

/** The runner, shared by both preludes (it runs inside the isolate). */
const RUNNER = String.raw`
  let score = null;
  let batch = null;
  // Which names a module namespace exports, and whether score is a function; when it is,
  // the runner keeps it (the host never hands the function itself back into the isolate).
  function init(ns, bindings) {
    const names = [];
    const keys = ownKeys(ns);
    for (let i = 0; i < keys.length; i++) if (typeof keys[i] === 'string' && keys[i] !== '__dfix_bindings__') names[names.length] = keys[i];
    if (bindings !== undefined && HARDEN !== null) HARDEN(bindings);
    score = typeof ns.score === 'function' ? ns.score : null;
    batch = typeof ns.scoreBatch === 'function' ? ns.scoreBatch : null;
    return { exports: names, scoreIsFunction: score !== null };
  }
  // Platform-compiled modules only (a model as data, compiled by formats/; the host says so,
  // never the module): their scoreBatch reads rows [0, n) straight from the buffer and
  // writes one output per row. Its rows are independent by construction (the compiler's
  // tests check it), so no per-row object is built. Reasons are not given in this mode.
  function runCompiled(buffer, k, n, names) {
    if (batch === null) return null;
    const x = new F64(buffer);
    const scores = new F64(n);
    batch(x, names, n, scores);
    return { scores: scores, reasons: new U8(n * SLOTS) };
  }
  // Scores rows [0, n) of a row-major float64 buffer of k fields. A result that is not
  // { score: number, reasons?: up to SLOTS declared codes } is marked for the host to
  // replace: NaN score, or reason index 255.
  function run(buffer, k, n, names, codes) {
    const x = new F64(buffer);
    const scores = new F64(n);
    const reasons = new U8(n * SLOTS);
    const nc = codes.length;
    // Every row is a fresh copy of one template holding all the fields, written through the
    // engine's own key strings: rows then share one shape, and the stores below and the
    // model's reads are cache hits (adding 40 fields to {} one by one, with the copied
    // names, cost about 10 us a row in a hardened context). Same keys, order and values.
    const keys = [];
    for (let j = 0; j < k; j++) {
      const one = {};
      one[names[j]] = 0;
      const own = ownKeys(one);
      keys[j] = own.length === 1 ? own[0] : names[j];
    }
    const template = {};
    for (let j = 0; j < k; j++) template[keys[j]] = null;
    for (let i = 0; i < n; i++) {
      const row = { ...template };
      const o = i * k;
      for (let j = 0; j < k; j++) {
        const v = x[o + j];
        row[keys[j]] = v === v ? v : null;
      }
      freeze(row);
      const r = score(row);
      if (r === null || typeof r !== 'object') { scores[i] = NaN; continue; }
      const s = r.score;
      scores[i] = typeof s === 'number' ? s : NaN;
      const list = r.reasons;
      if (list === undefined) continue;
      if (!isArray(list)) { reasons[i * SLOTS] = 255; continue; }
      const len = list.length;
      if (typeof len !== 'number' || len > SLOTS) { reasons[i * SLOTS] = 255; continue; }
      for (let t = 0; t < len; t++) {
        const c = list[t];
        let idx = 255;
        for (let q = 0; q < nc; q++) if (codes[q] === c) { idx = q + 1; break; }
        reasons[i * SLOTS + t] = idx;
      }
    }
    return { scores: scores, reasons: reasons };
  }
  // For developers on dummy data only (the vetting lane, \`dfix model try\`): the first row
  // whose evaluation throws, with the model's own message and stack. Never run on real data.
  function probe(buffer, k, n, names) {
    const x = new F64(buffer);
    for (let i = 0; i < n; i++) {
      const row = {};
      for (let j = 0; j < k; j++) {
        const v = x[i * k + j];
        row[names[j]] = v === v ? v : null;
      }
      freeze(row);
      try {
        score(row);
      } catch (e) {
        let message = '';
        let stack = '';
        try {
          message = String(e !== null && typeof e === 'object' && 'message' in e ? e.message : e).slice(0, 500);
          stack = String(e !== null && typeof e === 'object' && 'stack' in e ? e.stack : '').slice(0, 2000);
        } catch (_) {
          message = '(unprintable)';
        }
        return { row: i, message: message, stack: stack };
      }
    }
    return null;
  }
`;

function trim(slots: number): string {
  return `
  const G = globalThis;
  // what the runner needs, captured before the global object is trimmed
  const ownKeys = Reflect.ownKeys;
  const freeze = Object.freeze;
  const isArray = Array.isArray;
  const F64 = Float64Array;
  const U8 = Uint8Array;
  const ALLOW = ${JSON.stringify(GLOBALS)};
  const SLOTS = ${slots};
  const keys = ownKeys(G);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (ALLOW.indexOf(k) < 0) delete G[k];
  }
  // reachable through syntax (a symbol's constructor) even without the global
  const Sym = Object.getPrototypeOf(Object.getOwnPropertySymbols(Array.prototype)[0]).constructor;
  // (after lockdown Symbol is frozen: its registry is then no writable place, only memory)
  if (!Object.isFrozen(Sym)) { delete Sym.for; delete Sym.keyFor; }`;
}

/** After SES: lockdown, the tamed shared intrinsics, the trimmed and hardened global object. */
export function hardenedPrelude(slots: number): string {
  return String.raw`(function () {
  'use strict';
  lockdown({ errorTaming: 'safe', overrideTaming: 'min', consoleTaming: 'unsafe', stackFiltering: 'concise' });
  const shared = new Compartment().globalThis;
  for (const k of ['Error', 'Date', 'Math', 'RegExp']) Object.defineProperty(globalThis, k, { value: shared[k], writable: false, configurable: true });
  const HARDEN = globalThis.harden;
  ${trim(slots)}
  ${RUNNER}
  HARDEN(G);
  return freeze({ run: run, runCompiled: runCompiled, init: init, probe: probe });
})()`;
}

/** One row per context: no clock, no randomness, no code from strings; nothing frozen. */
export function freshPrelude(slots: number): string {
  return String.raw`(function () {
  'use strict';
  const HARDEN = null;
  delete Math.random;
  const protos = [Object.getPrototypeOf(function () {}), Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function* () {})];
  for (let i = 0; i < protos.length; i++) {
    Object.defineProperty(protos[i], 'constructor', { value: undefined, writable: false, enumerable: false, configurable: false });
  }
  ${trim(slots)}
  ${RUNNER}
  return freeze({ run: run, runCompiled: runCompiled, init: init, probe: probe });
})()`;
}
