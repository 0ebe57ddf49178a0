// The release policy as a versioned, digested document. Every number the release rules use
// lives here; the rules cite it by rule id (e.g. "sdc:k-min") in every decision.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { canonicalize } from '../core/canonical-json.js';
import { projectRoot } from '../core/fs.js';

const int = z.number().int();
export const policySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    description: z.string().max(1000),
    output: z.object({ maxReasonsPerSubject: int.min(0).max(3), maxReasonCodes: int.min(0).max(20) }).strict(),
    disclosure: z
      .object({
        kMin: int.min(1),
        zerosDisclosive: z.boolean(),
        dominance: z.object({ n: int.min(1).max(5), kPercent: int.min(1).max(100) }).strict(),
        pRatioPercent: int.min(0).max(100),
        roundingBase: int.min(1),
        significantFigures: int.min(1).max(15),
      })
      .strict(),
    privacy: z
      .object({
        mechanism: z.enum(['discrete-laplace', 'discrete-gaussian']),
        epsilonMicrosPerStatistic: int.min(1),
        budgetMicrosPerOrganisation: int.min(0),
        globalCapMicros: int.min(0),
      })
      .strict(),
    overlap: z.object({ minDifference: int.min(0) }).strict(),
    subjects: z.object({ freshResultsPerMerchantPerBankPerDay: int.min(1), maxSubjectsPerRun: int.min(1).max(4096) }).strict(),
    segments: z.object({ keys: z.array(z.enum(['industry', 'district', 'sizeBand', 'regYearBand'])) }).strict(),
    encryption: z
      .object({
        scheme: z.literal('ckks'),
        polyModulusDegree: int,
        coeffModulusBits: z.array(int).min(2).max(8),
        scaleBits: int,
        securityLevel: z.literal(128),
      })
      .strict(),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;

export interface LoadedPolicy {
  policy: Policy;
  /** sha256 over the RFC 8785 canonical JSON of the document. */
  digest: string;
}

export function policyDigest(p: Policy): string {
  return `sha256:${createHash('sha256').update(canonicalize(p)).digest('hex')}`;
}

/** The policy shipped with the platform, from the package root (not copied into dist/). */
export const DEFAULT_POLICY_FILE = (): string => path.join(projectRoot(), 'policies', 'default.json');

export function loadPolicy(file: string = DEFAULT_POLICY_FILE()): LoadedPolicy {
  const policy = policySchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  return { policy, digest: policyDigest(policy) };
}
