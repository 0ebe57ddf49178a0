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
    output: z
      .object({
        /** Reason slots per merchant (the executor's frame carries 4). */
        maxReasonsPerSubject: int.min(0).max(4),
        maxReasonCodes: int.min(0).max(32),
        /** (max - min) / step + 1 of a score contract: bounds every sensitivity and band. */
        maxLatticeValues: int.min(2).max(128),
      })
      .strict(),
    disclosure: z
      .object({
        /** Applied to noised values (and public sizes) only: post-processing, never to true cells. */
        kMin: int.min(1),
        zerosDisclosive: z.boolean(),
        significantFigures: int.min(1).max(15),
      })
      .strict(),
    privacy: z
      .object({
        // Pure epsilon-DP with integer noise (policies/dp.ts). The discrete Gaussian with zCDP
        // accounting is not implemented, so it is not offered (docs/privacy.md).
        mechanism: z.literal('discrete-laplace'),
        /** The neighbouring relation every sensitivity is derived from (policies/sensitivity.ts). */
        relation: z.literal('bounded-replace-one'),
        /** Epsilon (micros) per statistic; a cohort count is public and costs nothing. */
        epsilonMicros: z
          .object({ count: z.literal(0), meanScore: int.min(1), histogram: int.min(1), segments: int.min(1), backtest: int.min(1) })
          .strict(),
        /** Bands of a score distribution when the contract declares no grades (equal bands of the lattice). */
        maxBands: int.min(1).max(16),
        marginLevelPercent: z.literal(95),
        /** Parametric bootstrap replicates for the margins of derived metrics (post-processing). */
        bootstrapReplicates: int.min(20).max(2000),
      })
      .strict(),
    budget: z
      .object({
        /** Per organisation per dataset lineage; never refreshed automatically. */
        perOrganisationMicros: int.min(0),
        /** Global cap per merchant, over all organisations' releases that include the merchant. */
        perMerchantCapMicros: int.min(0),
      })
      .strict(),
    overlap: z.object({ minDifference: int.min(0) }).strict(),
    /**
     * When an answer becomes available, from public quantities only (docs/design.md,
     * "Release time"): never earlier, whatever the data made the model do.
     */
    timing: z
      .object({
        /** Subjects runs: answered at base + perSubject x subjects asked. */
        subjectsBaseMs: int.min(1),
        subjectsPerSubjectMs: int.min(0),
        /** Subjects runs: a merchant's model time; a merchant over it gets the default output. */
        subjectCallMs: int.min(1),
        /** Aggregate runs: available at base + cohort/1000 x perThousandMs + the compute budget. */
        aggregateBaseMs: int.min(0),
        aggregatePerThousandMs: int.min(0),
        /** The compute budget is this multiple of the model's cost measured at vetting. */
        aggregateCostFactor: int.min(1),
        /** An approved model whose runs fail this often on real data is suspended for review. */
        failuresBeforeReview: int.min(1),
      })
      .strict(),
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
