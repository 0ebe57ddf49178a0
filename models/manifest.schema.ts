// The manifest of a model package (API.md, "Model package"). The schema checks shapes and
// bounds; whether the contract is sound (a lattice, known fields) is a vetting check, so
// the reviewer gets a reason for each failure rather than one parse error.
import { z } from 'zod';
import { MAX_MODEL_INPUTS, MAX_REASON_CODES, REASON_SLOTS } from '../core/limits.js';
import { scalingSchema } from '../formats/scaling.schema.js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]{1,32})?$/;

export const gradeBandSchema = z.object({ grade: z.string().regex(/^[A-Z][+-]?$/), min: z.number().int() }).strict();

export const outputContractSchema = z
  .object({
    score: z
      .object({
        min: z.number().int().min(-1_000_000).max(1_000_000),
        max: z.number().int().min(-1_000_000).max(1_000_000),
        step: z.number().int().min(1).max(1_000_000),
      })
      .strict(),
    reasons: z.array(z.string().regex(/^[A-Z][A-Z0-9_]{1,47}$/)).max(MAX_REASON_CODES),
    /** Grade bands, highest first: a score gets the first band whose min it reaches. */
    grades: z.array(gradeBandSchema).min(1).max(16).optional(),
    /**
     * What a merchant gets when the model's output for it breaks the contract (off the
     * lattice, an undeclared reason) or the model failed on its row alone. Default: the
     * lowest score and no reasons.
     */
    default: z.object({ score: z.number().int(), reasons: z.array(z.string()).max(REASON_SLOTS) }).strict().optional(),
  })
  .strict();
export type OutputContract = z.infer<typeof outputContractSchema>;

/** Bank-held features for encrypted joint scoring; the weights are the provider's secret. */
export const bankFeatureSchema = z.object({ name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/), weight: z.number().finite() }).strict();

export const manifestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
    version: z.string().regex(SEMVER),
    description: z.string().min(1).max(2000),
    purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
    tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/)).max(10).default([]),
    inputs: z.array(z.string().min(1).max(64)).min(1).max(MAX_MODEL_INPUTS),
    output: outputContractSchema,
    bankFeatures: z.array(bankFeatureSchema).max(32).optional(),
    /**
     * What the package's model file is: a JavaScript module (model.js), or a model as data
     * (model.pmml, model.json) that the platform's own evaluator compiles (formats/).
     */
    format: z.enum(['javascript', 'pmml', 'xgboost-json']).default('javascript'),
    /** Models as data: how the raw output (probability, margin, points) becomes the score lattice. */
    scaling: scalingSchema.optional(),
    /** Models as data: input field (or a PMML scorecard's reason code) -> a declared reason code. */
    reasonMap: z.record(z.string().max(64), z.string().max(48)).optional(),
    /** Models as data: reason codes per merchant, the most adverse first. */
    reasonsPerMerchant: z.number().int().min(0).max(REASON_SLOTS).default(3),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;
