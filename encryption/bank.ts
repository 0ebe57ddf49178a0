// The bank's side of encrypted joint scoring, shipped for banks to run on their own
// machines. The secret key never leaves this object: the platform receives the public key
// (to re-randomise results) and seeded, symmetrically encrypted feature vectors, one
// ciphertext per feature with one slot per merchant (feature-major, up to 4,096 merchants
// a batch). Never send decrypted values back to the platform: CKKS decryptions leak key
// material (Li and Micciancio, 2021).
import type { KeyGenerator } from 'node-seal/implementation/key-generator.js';
import type { PublicKey } from 'node-seal/implementation/public-key.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import { encryptionError } from './errors.js';
import { ckks, type CkksContext, type CkksParameters } from './seal.js';

export class BankKeys {
  private constructor(
    private readonly c: CkksContext,
    private readonly keygen: KeyGenerator,
    private readonly secret: SecretKey,
    private readonly pub: PublicKey,
  ) {}

  static async generate(params: CkksParameters): Promise<BankKeys> {
    const c = await ckks(params);
    const keygen = c.seal.KeyGenerator(c.context);
    return new BankKeys(c, keygen, keygen.secretKey(), keygen.createPublicKey());
  }

  /** The public key, as bytes for the platform. */
  publicKey(): Uint8Array {
    return this.pub.saveArray();
  }

  /** One seeded ciphertext per feature; features[j][i] is feature j of merchant i. */
  encryptFeatures(features: readonly Float64Array[]): Uint8Array[] {
    const { seal, context, scale, slots } = this.c;
    const encoder = seal.CKKSEncoder(context);
    const encryptor = seal.Encryptor(context, this.pub, this.secret);
    try {
      return features.map((f) => {
        if (f.length > slots) throw encryptionError('ENCRYPTION_BATCH_TOO_LARGE');
        const padded = new Float64Array(slots);
        padded.set(f);
        const plain = encoder.encode(padded, scale) as ReturnType<typeof seal.PlainText>;
        const ser = encryptor.encryptSymmetricSerializable(plain);
        try {
          return ser.saveArray();
        } finally {
          ser.delete();
          plain.delete();
        }
      });
    } finally {
      encryptor.delete();
      encoder.delete();
    }
  }

  /** Decrypts a result: the joint score of each of the first `n` merchants of the batch. */
  decrypt(result: Uint8Array, n: number): Float64Array {
    const { seal, context } = this.c;
    const ct = seal.CipherText();
    const decryptor = seal.Decryptor(context, this.secret);
    const encoder = seal.CKKSEncoder(context);
    try {
      ct.loadArray(context, result);
      const plain = decryptor.decrypt(ct) as ReturnType<typeof seal.PlainText>;
      const values = encoder.decode(plain) as Float64Array;
      plain.delete();
      return Float64Array.from(values.subarray(0, n));
    } finally {
      ct.delete();
      decryptor.delete();
      encoder.delete();
    }
  }

  dispose(): void {
    this.pub.delete();
    this.secret.delete();
    this.keygen.delete();
  }
}
