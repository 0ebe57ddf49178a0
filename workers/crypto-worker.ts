// A worker thread of the crypto process: homomorphic evaluation with node-seal, one CKKS
// context per thread (cached in encryption/seal.ts). Failures come back as fixed codes.
import { isAppError } from '../core/errors.js';
import { evaluateJoint, type JointInput } from '../encryption/evaluate.js';

export default async function task(input: JointInput): Promise<{ result: Uint8Array } | { code: string }> {
  try {
    return { result: await evaluateJoint(input) };
  } catch (e) {
    return { code: isAppError(e) ? e.code : 'ENCRYPTION_CIPHERTEXT_INVALID' };
  }
}
