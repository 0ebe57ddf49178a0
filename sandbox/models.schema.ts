// The answers of the model registry (models.ts): a model's full record (its provider and
// the regulator), its public card (everyone else, once approved), submission and review
// answers. The server serialises each answer through these schemas; the typed client infers
// its types from them. zod only: browser-safe.
import { z } from 'zod';

export const modelStatus = z.enum(['vetted', 'vetting_failed', 'approved', 'rejected', 'revoked', 'suspended']);

/** The manifest as submitted (models/manifest.schema.ts); on a public card without bank-side weights. */
const manifest = z.record(z.string(), z.unknown()).describe('The manifest (models/manifest.schema.ts)');

/** The vetting report (models/vetting.ts), its fields in the order they are stored (the ledger's model.vetted holds a digest of it). */
export const vettingReport = z
  .object({
    digest: z.string(),
    passed: z.boolean().describe('True when no check failed (warnings are for the reviewer)'),
    checks: z.array(z.object({ id: z.string(), status: z.string(), reason: z.string() })),
    structure: z.unknown().optional().describe('Models as data: what the reviewer reads instead of code'),
    cost: z.unknown().optional().describe('The cost per row measured at vetting, or null'),
  })
  .describe('The vetting report: checks, and for models as data their structure');

/** An approval: its stage, the policy digest it is bound to, and its expiry. */
const approval = z.object({ stage: z.enum(['evaluation', 'production']).nullable(), policy: z.string().nullable(), expiresAt: z.string() });

/** What every view of a model holds. */
const modelBase = z.object({ id: z.string(), provider: z.string(), digest: z.string(), status: modelStatus, manifest });

export const modelRecord = modelBase
  .extend({
    report: vettingReport,
    approval: approval.extend({ note: z.string().nullable() }).nullable(),
  })
  .describe("A model's full record: its provider and the regulator");

export const disclosure = z.object({
  bitsPerMerchantPerBankPerDay: z.number(),
  explanation: z.string(),
  encryptedWeights: z.string().optional().describe('Models with bank-held features: what a bank can learn of their weights'),
});

export const publicCard = modelBase
  .extend({
    approval: approval.nullable(),
    disclosure: disclosure.describe('What a bank can learn about one merchant from this model'),
  })
  .describe("An approved model's public card: no source, no bank-side weights");

/** GET /v1/models/:id: the card first (it alone has `disclosure`), so neither shape loses a field. */
export const modelAnswer = z.union([publicCard, modelRecord]);
export const catalogAnswer = z.array(publicCard);

export const submissionAnswer = z
  .object({ id: z.string(), digest: z.string(), status: z.enum(['vetted', 'vetting_failed']), report: vettingReport })
  .meta({ examples: [{ id: 'mdl_4e5f6a7b8c9d0e1f', digest: 'sha256:9b1c…', status: 'vetted', report: { digest: 'sha256:9b1c…', passed: true, checks: [{ id: 'purity', status: 'pass', reason: 'pure module' }] } }] });

/** The answer of a decision on a model: an approval also names its stage and expiry. */
export const modelDecisionAnswer = z
  .object({
    id: z.string(),
    status: z.enum(['approved', 'rejected', 'revoked']),
    stage: z.enum(['evaluation', 'production']).optional(),
    expiresAt: z.string().optional(),
  })
  .meta({ examples: [{ id: 'mdl_4e5f6a7b8c9d0e1f', status: 'approved', stage: 'production', expiresAt: '2027-11-30T00:00:00.000Z' }] });
