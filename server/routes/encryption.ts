// GET /v1/encryption/parameters: everything a bank needs to produce keys and ciphertexts
// the platform accepts with its own SEAL build (Java, Python, C++), and to decode results.
// The numbers come from the policy and from the CKKS context built from it (the primes SEAL
// chose and the parms_id a ciphertext must carry), never typed in twice. See
// docs/integration.md.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ckks } from '../../encryption/seal.js';
import type { Policy } from '../../policies/policy.schema.js';
import type { Platform } from '../../sandbox/platform.js';
import { encryptedRequestSchema } from '../../sandbox/run/encrypted.js';
import { errorResponses } from '../documented-errors.js';

const u64hex = z.string().regex(/^[0-9a-f]{16}$/);

export const encryptionParametersSchema = z
  .object({
    scheme: z.literal('ckks'),
    polyModulusDegree: z.number().int(),
    coeffModulusBits: z.array(z.number().int()),
    /** The primes SEAL's CoeffModulus::Create chose for these bit sizes (decimal strings). */
    coeffModulus: z.array(z.string().regex(/^\d+$/)),
    scaleBits: z.number().int(),
    scale: z.number(),
    securityLevel: z.literal(128),
    slots: z.number().int(),
    maxMerchantsPerRun: z.number().int(),
    maxBankFeatures: z.number().int(),
    layout: z
      .object({
        order: z.literal('feature-major'),
        ciphertexts: z.string(),
        slots: z.string(),
      })
      .strict(),
    serialization: z
      .object({
        library: z.literal('Microsoft SEAL'),
        sealVersion: z.string(),
        binding: z.string(),
        method: z.string(),
        compression: z.literal('zstd'),
        acceptedCompression: z.array(z.enum(['none', 'zlib', 'zstd'])),
        encoding: z.literal('base64'),
        header: z.string(),
      })
      .strict(),
    input: z
      .object({
        scale: z.number(),
        size: z.literal(2),
        parmsId: z.array(u64hex).length(4),
        seeded: z.string(),
      })
      .strict(),
    result: z
      .object({
        scale: z.number(),
        scaleWhenNothingScored: z.number(),
        parmsId: z.array(u64hex).length(4),
        decode: z.string(),
      })
      .strict(),
  })
  .strict();

export type EncryptionParameters = z.infer<typeof encryptionParametersSchema>;

/** The largest array length up to `limit` the request schema accepts (read from the schema, not restated). */
function largestAccepted(schema: z.ZodType, item: string, limit: number): number {
  const ok = (n: number) => schema.safeParse(Array.from({ length: n }, () => item)).success;
  let lo = 0;
  let hi = limit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const hex64 = (v: bigint) => v.toString(16).padStart(16, '0');

/** The parameters as published, from the policy's `encryption` section. */
export async function encryptionParameters(p: Policy['encryption']): Promise<EncryptionParameters> {
  const c = await ckks(p);
  const first = c.context.firstContextData;
  const primes = Array.from(c.context.keyContextData.parms.coeffModulus as unknown as BigUint64Array);
  const data = Array.from(first.parms.coeffModulus as unknown as BigUint64Array);
  const next = first.nextContextData;
  const last = Number(data[data.length - 1]);
  const maxSubjects = largestAccepted(encryptedRequestSchema.shape.subjects, '91320594MA1MXXXX0X', c.slots);
  const maxFeatures = largestAccepted(encryptedRequestSchema.shape.ciphertexts, 'AAAA', 1024);
  return {
    scheme: p.scheme,
    polyModulusDegree: p.polyModulusDegree,
    coeffModulusBits: [...p.coeffModulusBits],
    coeffModulus: primes.map(String),
    scaleBits: p.scaleBits,
    scale: c.scale,
    securityLevel: p.securityLevel,
    slots: c.slots,
    maxMerchantsPerRun: Math.min(c.slots, maxSubjects),
    maxBankFeatures: maxFeatures,
    layout: {
      order: 'feature-major',
      ciphertexts: "one ciphertext per bank feature, in the order of the model's bankFeatures (GET /v1/models/:id)",
      slots: "slot i of every ciphertext is subjects[i] of the run; slots from subjects.length on are ignored (encode zeros)",
    },
    serialization: {
      library: 'Microsoft SEAL',
      sealVersion: '4.1',
      binding: 'node-seal 6.0.3',
      method: "SEAL's own save(): PublicKey::save, Ciphertext::save, Serializable<T>::save",
      compression: 'zstd',
      acceptedCompression: ['none', 'zlib', 'zstd'],
      encoding: 'base64',
      header: 'SEALHeader, 16 bytes: magic 0xA15E as uint16 little-endian (bytes 5E A1), header size (0x10), SEAL version major (4) and minor (1), compression mode (0 none, 1 zlib, 2 zstd), 2 reserved zero bytes, then the total size in bytes (header included) as uint64 little-endian',
    },
    input: {
      scale: c.scale,
      size: 2,
      parmsId: Array.from(c.context.firstParmsId.values as unknown as BigUint64Array, hex64),
      seeded: 'seeded (symmetric, Encryptor::encrypt_symmetric) or full public-key ciphertexts are both accepted',
    },
    result: {
      scale: 2 ** (2 * p.scaleBits) / last,
      scaleWhenNothingScored: c.scale,
      parmsId: Array.from((next ? next.parmsId : c.context.firstParmsId).values as unknown as BigUint64Array, hex64),
      decode: "decrypt with the secret key and CKKSEncoder::decode; the scale is carried in the ciphertext (2^(2*scaleBits) / the last data prime after one rescale); slot i is the joint score of subjects[i]",
    },
  };
}

export function encryptionRoutes(platform: Platform) {
  // built once per policy section (a context build costs ~300 ms; the policy may change)
  let cached: { key: string; value: Promise<EncryptionParameters> } | null = null;
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/encryption/parameters',
      { schema: { tags: ['encryption'], summary: 'CKKS parameters, slot layout, serialisation and scales for encrypted runs (docs/integration.md)', response: { 200: encryptionParametersSchema, ...errorResponses({}) } } },
      async () => {
        const section = platform.ctx.policy.policy.encryption;
        const key = JSON.stringify(section);
        if (cached?.key !== key) {
          const value = encryptionParameters(section);
          cached = { key, value };
          value.catch(() => {
            if (cached?.value === value) cached = null;
          });
        }
        return cached.value;
      },
    );
  };
}
