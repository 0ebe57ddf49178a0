// Encrypted joint scoring benchmarks.
import { randomInt } from 'node:crypto';
import { BankKeys } from '../encryption/bank.js';
import { evaluateJoint } from '../encryption/evaluate.js';
import { ckks } from '../encryption/seal.js';
import { loadPolicy } from '../policies/policy.schema.js';
import { figure, type Figure } from './report.js';

/** Microsoft SEAL 4.1.2 native sealbench, n=8192, log q=218, Apple M1 Pro, in microseconds (node-seal BENCHMARK.md). */
const NATIVE_US = { mulPlain: 117, addCt: 51.9 };
const SOURCE = 'native: node-seal BENCHMARK.md (SEAL 4.1.2 sealbench, n=8192 log q=218, Apple M1 Pro); here n=8192 log q=200 on this machine: other hardware, indicative only';

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function benchEncryption(): Promise<Figure[]> {
  const params = loadPolicy().policy.encryption;
  const bank = await BankKeys.generate(params);
  const n = 4096;
  const k = 11;
  const features = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => randomInt(0, 100_000) / 100));
  const weights = Array.from({ length: k }, (_, j) => j - 5 + 0.25);
  const partial = Float64Array.from({ length: n }, () => randomInt(300, 900));
  const consented = new Array<boolean>(n).fill(true);
  const figures: Figure[] = [];

  const encT: number[] = [];
  let cts: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    cts = bank.encryptFeatures(features);
    encT.push(performance.now() - t);
  }
  const publicKey = bank.publicKey();
  const input = { params, publicKey, ciphertexts: cts, weights, partial, consented, floodingSigma: 0.001 };
  await evaluateJoint(input);
  const evalT: number[] = [];
  let out: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    out = await evaluateJoint(input);
    evalT.push(performance.now() - t);
  }
  const plainT: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const s = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      let acc = partial[m] as number;
      for (let j = 0; j < k; j++) acc += (weights[j] as number) * ((features[j] as Float64Array)[m] as number);
      s[m] = acc;
    }
    plainT.push(performance.now() - t);
  }
  const decT: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    bank.decrypt(out, n);
    decT.push(performance.now() - t);
  }
  const evalMs = median(evalT);
  figures.push(
    figure('he.platform-eval.4096x11', evalMs, 'ms', median(plainT), 'sum_j w_j Enc(x_j) + partial, masked, flooded, re-randomised; baseline: the same sum in plain JS; target under 100 ms'),
    figure('he.platform-eval.per-merchant', (evalMs * 1000) / n, 'us/merchant', null),
    figure('he.bank-encrypt.4096x11', median(encT), 'ms', null, `${cts.reduce((a, c) => a + c.length, 0)} bytes on the wire (seeded symmetric, ${k} ciphertexts)`),
    figure('he.bank-decrypt.4096', median(decT), 'ms', null, `${out.length} bytes of result on the wire; public key ${publicKey.length} bytes`),
  );

  // WASM against native for the two operations the evaluation uses most
  const c = await ckks(params);
  const encoder = c.seal.CKKSEncoder(c.context);
  const evaluator = c.seal.Evaluator(c.context);
  const ct = c.seal.CipherText();
  ct.loadArray(c.context, cts[0] as Uint8Array);
  const plain = encoder.encode(new Float64Array(c.slots).fill(1.5), c.scale) as ReturnType<typeof c.seal.PlainText>;
  const dest = c.seal.CipherText();
  const time = (fn: () => void) => {
    const t = performance.now();
    for (let i = 0; i < 200; i++) fn();
    return ((performance.now() - t) / 200) * 1000;
  };
  const mul = time(() => evaluator.multiplyPlain(ct, plain, dest));
  const add = time(() => evaluator.add(ct, ct, dest));
  for (const o of [dest, plain, ct, evaluator, encoder]) (o as { delete(): void }).delete();
  figures.push(
    figure('he.wasm.multiply-plain', mul, 'us', NATIVE_US.mulPlain, SOURCE),
    figure('he.wasm.add', add, 'us', NATIVE_US.addCt, SOURCE),
  );

  // memory over 1,000 batches
  const mib = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
  const marks = [mib()];
  for (let i = 1; i <= 1000; i++) {
    await evaluateJoint(input);
    if (i % 250 === 0) marks.push(mib());
  }
  const before = marks[0] as number;
  const last = marks[marks.length - 1] as number;
  figures.push(
    figure('he.memory-1000-batches.rss-growth', last - before, 'MiB', before, `RSS after 0/250/500/750/1000 evaluations: ${marks.join('/')} MiB; baseline: RSS before them`),
    figure('he.memory-second-500.rss-growth', last - (marks[2] as number), 'MiB', null, 'growth over the last 500 of the 1,000 batches (flat means no leak)'),
  );
  bank.dispose();
  return figures;
}
