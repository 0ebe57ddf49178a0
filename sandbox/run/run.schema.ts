// The answer of a run (pipeline.ts RunAnswer), for every mode, and of a key registration.
// The server serialises runs through it; the typed client and `dfix model backtest ID`
// read the aggregate result through it. zod only: browser-safe.
import { z } from 'zod';

export const decision = z.object({
  rule: z.string().describe('A stable rule id, e.g. "policy:k-min"'),
  status: z.enum(['PASS', 'FAIL', 'REVIEW']),
  action: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

const band = { label: z.string(), from: z.number(), to: z.number() };
const margin = z.number().nullable().describe('95% half-width (see marginLevel); null when withheld');

export const backtestResult = z.object({
  auc: z.number().nullable(),
  ks: z.number().nullable(),
  gini: z.number().nullable(),
  margins: z.object({ auc: margin, ks: margin, gini: margin }),
  bands: z.array(z.object({ ...band, count: z.number().nullable(), countMargin: margin, badRate: z.number().nullable(), badRateMargin: margin })),
});

/** The released aggregate (policies/aggregates.ts AggregateResult). */
export const aggregateResult = z.object({
  count: z.number().optional().describe('Exact: the cohort size is public'),
  meanScore: z.number().nullable().optional(),
  meanScoreMargin: margin.optional(),
  histogram: z.array(z.object({ ...band, count: z.number().nullable(), margin })).optional(),
  segments: z.object({ key: z.string(), rows: z.array(z.object({ value: z.string(), count: z.number(), meanScore: z.number().nullable(), margin })) }).optional(),
  backtest: backtestResult.nullable().optional(),
  marginLevel: z.number().describe('Confidence level of every margin'),
});
export type AggregateResult = z.infer<typeof aggregateResult>;

export const subjectResult = z.object({ subject: z.string(), score: z.number(), grade: z.string().nullable(), reasons: z.array(z.string()) });

export const proofBundle = z
  .object({ index: z.number(), size: z.number(), leafHash: z.string(), inclusionProof: z.array(z.string()), checkpoint: z.string().describe('The signed checkpoint note (C2SP)') })
  .describe("The run's closing ledger entry, its inclusion proof and the checkpoint it is proved under");

export const runAnswer = z
  .object({
    runId: z.string(),
    status: z.enum(['running', 'released', 'denied', 'failed', 'interrupted']),
    mode: z.enum(['aggregate', 'subjects', 'encrypted']),
    decisions: z.array(decision),
    requestedAt: z.string(),
    availableAt: z.string().describe('When the answer is (or was) available; 202 and status running until then'),
    result: aggregateResult.nullable().optional().describe('Aggregate runs'),
    results: z.array(subjectResult).optional().describe('Subjects runs: the consented merchants scored'),
    notScored: z.number().optional(),
    error: z.object({ code: z.string() }).optional(),
    cached: z.boolean().optional(),
    ledger: proofBundle.optional(),
    slots: z.number().optional().describe('Encrypted runs: the slots asked'),
    scoredSlots: z.array(z.boolean()).optional(),
    ciphertext: z.string().optional().describe('Encrypted runs: the result ciphertext, base64'),
  })
  .meta({
    examples: [{ runId: 'run_1a2b3c4d5e6f7a8b', status: 'running', mode: 'aggregate', decisions: [], requestedAt: '2026-11-30T10:00:00.000Z', availableAt: '2026-11-30T10:00:04.500Z' }],
  });
export type RunAnswer = z.infer<typeof runAnswer>;

export const keyRegisteredAnswer = z.object({ id: z.string(), digest: z.string() }).meta({ examples: [{ id: 'key_7e8f9a0b1c2d3e4f', digest: 'sha256:5d41…' }] });
