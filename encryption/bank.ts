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

  /**
   * Keys saved earlier (`saveSecretKey`, `publicKey`): SEAL's own serialisation. Bytes that
   * do not load under these parameters are ENCRYPTION_KEY_INVALID.
   */
  static async load(params: CkksParameters, secretKey: Uint8Array, publicKey?: Uint8Array): Promise<BankKeys> {
    const c = await ckks(params);
    const secret = c.seal.SecretKey();
    try {
      secret.loadArray(c.context, secretKey);
    } catch {
      secret.delete();
      throw encryptionError('ENCRYPTION_KEY_INVALID');
    }
    const keygen = c.seal.KeyGenerator(c.context, secret);
    let pub: PublicKey;
    if (publicKey) {
      pub = c.seal.PublicKey();
      try {
        pub.loadArray(c.context, publicKey);
      } catch {
        pub.delete();
        keygen.delete();
        secret.delete();
        throw encryptionError('ENCRYPTION_KEY_INVALID');
      }
    } else pub = keygen.createPublicKey();
    return new BankKeys(c, keygen, secret, pub);
  }

  /** The public key, as bytes for the platform. */
  publicKey(): Uint8Array {
    return this.pub.saveArray();
  }

  /**
   * A fresh public key in SEAL's seeded form (half the bytes: the uniform half of the key
   * is replaced by its PRNG seed); SEAL expands it when loading.
   */
  seededPublicKey(): Uint8Array {
    const ser = this.keygen.createPublicKeySerializable();
    try {
      return ser.saveArray();
    } finally {
      ser.delete();
    }
  }

  /** The secret key in SEAL's serialisation: for the bank's own storage, never for the platform. */
  saveSecretKey(): Uint8Array {
    return this.secret.saveArray();
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
      try {
        ct.loadArray(context, result);
      } catch {
        throw encryptionError('ENCRYPTION_CIPHERTEXT_INVALID');
      }
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
