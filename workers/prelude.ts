// The trusted prelude: the first code run in every fresh context, before any model code.
// It removes what a model must not have (clock, randomness, code generation from strings,
// shared memory, WebAssembly, host-looking globals), captures the intrinsics its runner
// needs while they are still pristine, and returns the runner as the script's completion
// value: the host holds it by Reference, so no global ever names it and model code cannot
// reach or replace it. Everything the runner hands back is plain data (typed arrays).
export const PRELUDE = String.raw`(function () {
  'use strict';
  const G = globalThis;
  const freeze = Object.freeze;
  const isArray = Array.isArray;
  const ownKeys = Reflect.ownKeys;
  const getPrototypeOf = Object.getPrototypeOf;
  const defineProperty = Object.defineProperty;
  const F64 = Float64Array;
  const U8 = Uint8Array;

  // No clock, no randomness, no shared memory, no WebAssembly, no host-looking objects.
  const remove = ['Date', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'eval', 'console', 'Intl',
    'FinalizationRegistry', 'WeakRef', 'performance', 'process', 'require', 'fetch', 'Function'];
  for (let i = 0; i < remove.length; i++) delete G[remove[i]];
  delete Math.random;
  // No code generation from strings through any function constructor.
  const protos = [getPrototypeOf(function () {}), getPrototypeOf(async function () {}),
    getPrototypeOf(function* () {}), getPrototypeOf(async function* () {})];
  for (let i = 0; i < protos.length; i++) {
    defineProperty(protos[i], 'constructor', { value: undefined, writable: false, enumerable: false, configurable: false });
  }

  // Which names a module namespace exports, and whether score is a function.
  function inspect(ns) {
    const keys = ownKeys(ns);
    const names = [];
    for (let i = 0; i < keys.length; i++) if (typeof keys[i] === 'string') names[names.length] = keys[i];
    return { exports: names, scoreIsFunction: typeof ns.score === 'function' };
  }

  // Scores rows [0, n) of a row-major float64 buffer of k fields. Each row is a fresh,
  // frozen object of the declared fields (null where missing). A result that is not
  // { score: number, reasons?: declared codes (at most 3) } is marked for the host to
  // reject: NaN score, or reason index 255.
  function run(score, buffer, k, n, names, codes) {
    const x = new F64(buffer);
    const scores = new F64(n);
    const reasons = new U8(n * 3);
    const nc = codes.length;
    for (let i = 0; i < n; i++) {
      const row = {};
      const o = i * k;
      for (let j = 0; j < k; j++) {
        const v = x[o + j];
        row[names[j]] = v === v ? v : null;
      }
      freeze(row);
      const r = score(row);
      if (r === null || typeof r !== 'object') { scores[i] = NaN; continue; }
      const s = r.score;
      scores[i] = typeof s === 'number' ? s : NaN;
      const list = r.reasons;
      if (list === undefined) continue;
      if (!isArray(list)) { reasons[i * 3] = 255; continue; }
      const len = list.length;
      if (typeof len !== 'number' || len > 3) { reasons[i * 3] = 255; continue; }
      for (let t = 0; t < len; t++) {
        const c = list[t];
        let idx = 255;
        for (let q = 0; q < nc; q++) if (codes[q] === c) { idx = q + 1; break; }
        reasons[i * 3 + t] = idx;
      }
    }
    return { scores: scores, reasons: reasons };
  }

  return freeze({ run: run, inspect: inspect });
})()`;
