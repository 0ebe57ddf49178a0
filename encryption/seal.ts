// The one place node-seal (Microsoft SEAL in WebAssembly) is loaded. 6.0.3 is pinned: 7.x
// does not load on Node 20. The library and each context are built once and cached:
// building a CKKS context takes ~300 ms.
import { createRequire } from 'node:module';
import type { Context } from 'node-seal/implementation/context.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { encryptionError } from './errors.js';

export type { SEALLibrary, Context };

export interface CkksParameters {
  polyModulusDegree: number;
  coeffModulusBits: readonly number[];
  scaleBits: number;
}

const requireCjs = createRequire(import.meta.url);
let library: Promise<SEALLibrary> | null = null;

export function seal(): Promise<SEALLibrary> {
  library ??= (requireCjs('node-seal') as () => Promise<SEALLibrary>)();
  return library;
}

export interface CkksContext {
  seal: SEALLibrary;
  context: Context;
  params: CkksParameters;
  scale: number;
  slots: number;
}

const contexts = new Map<string, Promise<CkksContext>>();

/** A CKKS context at 128-bit security, checked with parametersSet(). */
export function ckks(params: CkksParameters): Promise<CkksContext> {
  const key = JSON.stringify(params);
  let c = contexts.get(key);
  if (!c) {
    c = (async () => {
      const s = await seal();
      const parms = s.EncryptionParameters(s.SchemeType.ckks);
      parms.setPolyModulusDegree(params.polyModulusDegree);
      const moduli = s.CoeffModulus.Create(params.polyModulusDegree, Int32Array.from(params.coeffModulusBits));
      parms.setCoeffModulus(moduli);
      const context = s.Context(parms, true, s.SecurityLevel.tc128);
      moduli.delete();
      parms.delete();
      if (!context.parametersSet()) throw encryptionError('ENCRYPTION_PARAMETERS_INVALID');
      return { seal: s, context, params, scale: 2 ** params.scaleBits, slots: params.polyModulusDegree / 2 };
    })();
    contexts.set(key, c);
  }
  return c;
}
