import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BankKeys } from '../../encryption/bank.js';
import { evaluateJoint, type JointInput } from '../../encryption/evaluate.js';
import { loadPolicy } from '../../policies/policy.schema.js';

const params = loadPolicy().policy.encryption;
let bank: BankKeys;
beforeAll(async () => {
  bank = await BankKeys.generate(params);
});
afterAll(() => bank.dispose());

function batch(n: number, k: number) {
  const features = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => randomInt(0, 200_000) / 100 - 500));
  const weights = Array.from({ length: k }, () => randomInt(-5000, 5000) / 1000);
  const partial = Float64Array.from({ length: n }, () => randomInt(300, 900));
  const consented = Array.from({ length: n }, () => randomInt(0, 4) !== 0);
  return { features, weights, partial, consented };
}

const input = (b: ReturnType<typeof batch>, ciphertexts: Uint8Array[], publicKey = bank.publicKey()): JointInput => ({
  params,
  publicKey,
  ciphertexts,
  weights: b.weights,
  partial: b.partial,
  consented: b.consented,
  floodingSigma: 0.001,
});

describe('encrypted joint scoring', () => {
  it.each([
    [1, 1],
    [37, 3],
    [4096, 11],
  ])('round trip of %i merchants x %i features: within 0.01 of the plaintext score; other slots decrypt to noise around zero', async (n, k) => {
    const b = batch(n, k);
    const out = await evaluateJoint(input(b, bank.encryptFeatures(b.features)));
    const got = bank.decrypt(out, n);
    for (let i = 0; i < n; i++) {
      if (b.consented[i]) {
        const truth = b.weights.reduce((a, w, j) => a + w * (b.features[j]![i] as number), 0) + (b.partial[i] as number);
        expect(Math.abs((got[i] as number) - truth)).toBeLessThan(0.01);
      } else {
        expect(Math.abs(got[i] as number)).toBeLessThan(1e-3);
      }
    }
  });

  it('answers a batch with nobody consented, or a zero weight, without failing', async () => {
    const b = batch(3, 2);
    b.weights[0] = 0;
    const cts = bank.encryptFeatures(b.features);
    const none = await evaluateJoint({ ...input(b, cts), consented: [false, false, false] });
    expect(Array.from(bank.decrypt(none, 3)).every((v) => Math.abs(v) < 1e-3)).toBe(true);
    const some = bank.decrypt(await evaluateJoint({ ...input(b, cts), consented: [true, true, true] }), 3);
    for (let i = 0; i < 3; i++) expect(Math.abs(some[i]! - (b.weights[1]! * b.features[1]![i]! + b.partial[i]!))).toBeLessThan(0.01);
  });

  it('refuses tampered bytes, a wrong count, a batch larger than the slots, and a malformed key', async () => {
    const b = batch(10, 2);
    const cts = bank.encryptFeatures(b.features);
    const tampered = Uint8Array.from(cts[0]!);
    tampered[20] = (tampered[20] as number) ^ 0xff;
    await expect(evaluateJoint(input(b, [tampered, cts[1]!]))).rejects.toMatchObject({ code: 'ENCRYPTION_CIPHERTEXT_INVALID' });
    await expect(evaluateJoint(input(b, [cts[0]!.subarray(0, 1000), cts[1]!]))).rejects.toMatchObject({ code: 'ENCRYPTION_CIPHERTEXT_INVALID' });
    await expect(evaluateJoint(input(b, [cts[0]!]))).rejects.toMatchObject({ code: 'ENCRYPTION_COUNT_MISMATCH' });
    await expect(evaluateJoint({ ...input(b, cts), consented: new Array(5000).fill(true) })).rejects.toMatchObject({ code: 'ENCRYPTION_BATCH_TOO_LARGE' });
    expect(() => bank.encryptFeatures([new Float64Array(5000)])).toThrow(expect.objectContaining({ code: 'ENCRYPTION_BATCH_TOO_LARGE' }));
    const badKey = Uint8Array.from(bank.publicKey());
    badKey[30] = (badKey[30] as number) ^ 0xff;
    await expect(evaluateJoint(input(b, cts, badKey))).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_INVALID' });
  });

  it('refuses ciphertexts and keys made under other parameters', async () => {
    const other = await BankKeys.generate({ polyModulusDegree: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 });
    const b = batch(10, 1);
    const foreign = other.encryptFeatures(b.features);
    await expect(evaluateJoint(input(b, foreign))).rejects.toMatchObject({ code: 'ENCRYPTION_CIPHERTEXT_INVALID' });
    await expect(evaluateJoint(input(b, bank.encryptFeatures(b.features), other.publicKey()))).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_INVALID' });
    other.dispose();
  });

  it('a result decrypted with another bank’s key is noise, not the score', async () => {
    const other = await BankKeys.generate(params);
    const b = batch(8, 2);
    const out = await evaluateJoint(input(b, bank.encryptFeatures(b.features)));
    const wrong = other.decrypt(out, 8);
    const right = bank.decrypt(out, 8);
    expect(Array.from(wrong).some((v, i) => Math.abs(v - (right[i] as number)) > 1000)).toBe(true);
    other.dispose();
  });

  it('keeps memory flat over repeated batches (every SEAL object deleted)', async () => {
    const b = batch(64, 11);
    const cts = bank.encryptFeatures(b.features);
    const pk = bank.publicKey();
    for (let i = 0; i < 10; i++) await evaluateJoint(input(b, cts, pk));
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 60; i++) await evaluateJoint(input(b, cts, pk));
    const grown = process.memoryUsage().rss - before;
    // without delete() each batch leaks several MiB of WebAssembly memory (NOTES.md)
    expect(grown).toBeLessThan(40 * 1024 * 1024);
  });
});
