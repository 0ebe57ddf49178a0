// The platform's side: sum_j w_j * Enc(x_j) + partial, over the merchants of a batch.
// Weights are folded into a per-slot plaintext that is zero outside the consented
// merchants, so every unused slot is zeroed by the same multiplication (partial sums would
// otherwise reveal weights). Then small flooding noise from node:crypto is added and the
// result is re-randomised with a fresh encryption of zero under the bank's public key.
// The platform never holds a secret key and never sees a feature or a score.
import { randomInt } from 'node:crypto';
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import { encryptionError } from './errors.js';
import { ckks, type CkksContext, type CkksParameters } from './seal.js';

export interface JointInput {
  params: CkksParameters;
  /** The bank's public key bytes. */
  publicKey: Uint8Array;
  /** One ciphertext per bank feature, in the manifest's order (attacker-controlled bytes). */
  ciphertexts: readonly Uint8Array[];
  /** The provider's weights of the bank features (secret: never in a reply or a card). */
  weights: readonly number[];
  /** The government partial score of each merchant slot of the batch. */
  partial: Float64Array;
  /** Which slots are consented merchants of this batch. */
  consented: readonly boolean[];
  /** Standard deviation of the flooding noise, in score points. */
  floodingSigma: number;
}

/** A centred integer-derived noise value with standard deviation ~sigma (node:crypto). */
function noise(sigma: number): number {
  // sum of 12 uniforms on [0, 1) minus 6 has variance 1 (Irwin-Hall); from crypto integers
  let s = 0;
  for (let i = 0; i < 12; i++) s += randomInt(0, 2 ** 32) / 2 ** 32;
  return (s - 6) * sigma;
}

// Ciphertext bytes come from the bank: attacker-controlled. Only fresh ciphertexts are
// accepted: loadable under these parameters, two components, at the first level, at the
// agreed scale.
function loadFresh(c: CkksContext, bytes: Uint8Array, into: CipherText): CipherText {
  try {
    into.loadArray(c.context, bytes);
  } catch {
    throw encryptionError('ENCRYPTION_CIPHERTEXT_INVALID');
  }
  const first = c.context.firstParmsId.values.join();
  if (into.size !== 2 || into.parmsId.values.join() !== first || Math.abs(Math.log2(into.scale) - Math.log2(c.scale)) > 1e-9) {
    throw encryptionError('ENCRYPTION_CIPHERTEXT_INVALID');
  }
  return into;
}

export async function evaluateJoint(input: JointInput): Promise<Uint8Array> {
  const c = await ckks(input.params);
  const { seal, context, scale, slots } = c;
  if (input.partial.length > slots || input.consented.length > slots) throw encryptionError('ENCRYPTION_BATCH_TOO_LARGE');
  if (input.ciphertexts.length !== input.weights.length || input.ciphertexts.length === 0) throw encryptionError('ENCRYPTION_COUNT_MISMATCH');
  const owned: { delete(): void }[] = [];
  const keep = <T extends { delete(): void }>(x: T): T => {
    owned.push(x);
    return x;
  };
  try {
    const publicKey = keep(seal.PublicKey());
    try {
      publicKey.loadArray(context, input.publicKey);
    } catch {
      throw encryptionError('ENCRYPTION_KEY_INVALID');
    }
    const encoder = keep(seal.CKKSEncoder(context));
    const evaluator = keep(seal.Evaluator(context));
    const encryptor = keep(seal.Encryptor(context, publicKey));
    const cts: CipherText[] = input.ciphertexts.map((bytes) => loadFresh(c, bytes, keep(seal.CipherText())));

    // A term whose weight plaintext is all zero is zero (and SEAL refuses the "transparent"
    // product), so it is skipped; with no term at all the answer is an encryption of zeros.
    let acc: CipherText | null = null;
    cts.forEach((ct, j) => {
      const w = new Float64Array(slots);
      let any = false;
      input.consented.forEach((on, i) => {
        w[i] = on ? (input.weights[j] as number) : 0;
        if (w[i] !== 0) any = true;
      });
      if (!any) return;
      const plain = keep(encoder.encode(w, scale) as ReturnType<typeof seal.PlainText>);
      const term = keep(evaluator.multiplyPlain(ct, plain) as CipherText);
      if (acc) evaluator.add(acc, term, acc);
      else acc = term;
    });
    if (!acc) {
      const zeros = keep(encoder.encode(new Float64Array(slots), scale) as ReturnType<typeof seal.PlainText>);
      return keep(encryptor.encrypt(zeros) as CipherText).saveArray();
    }
    const sum = acc as unknown as CipherText;
    evaluator.rescaleToNext(sum, sum);
    const partial = new Float64Array(slots);
    input.consented.forEach((on, i) => (partial[i] = on ? (input.partial[i] as number) + noise(input.floodingSigma) : 0));
    const pPlain = keep(seal.PlainText());
    encoder.encode(partial, sum.scale, pPlain);
    evaluator.plainModSwitchTo(pPlain, sum.parmsId, pPlain);
    evaluator.addPlain(sum, pPlain, sum);
    // re-randomise: add a fresh encryption of zero under the bank's key, at the same level
    const zero = keep(seal.PlainText());
    encoder.encode(new Float64Array(slots), sum.scale, zero);
    evaluator.plainModSwitchTo(zero, sum.parmsId, zero);
    const fresh = keep(encryptor.encrypt(zero) as CipherText);
    evaluator.add(sum, fresh, sum);
    return sum.saveArray();
  } finally {
    for (const o of owned.reverse()) o.delete();
  }
}

/** Checks that bytes are a public key of these parameters. */
export async function validatePublicKey(params: CkksParameters, publicKey: Uint8Array): Promise<void> {
  const { seal, context } = await ckks(params);
  const pk = seal.PublicKey();
  try {
    pk.loadArray(context, publicKey);
  } catch {
    throw encryptionError('ENCRYPTION_KEY_INVALID');
  } finally {
    pk.delete();
  }
}

/** Loads and checks the bank's key and ciphertexts without computing anything (bad input first). */
export async function validateJointInput(params: CkksParameters, publicKey: Uint8Array, ciphertexts: readonly Uint8Array[], features: number): Promise<void> {
  if (ciphertexts.length !== features || features === 0) throw encryptionError('ENCRYPTION_COUNT_MISMATCH');
  await validatePublicKey(params, publicKey);
  const c = await ckks(params);
  for (const bytes of ciphertexts) {
    const ct = c.seal.CipherText();
    try {
      loadFresh(c, bytes, ct);
    } finally {
      ct.delete();
    }
  }
}
