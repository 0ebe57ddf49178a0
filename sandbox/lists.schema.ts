// The answers of the list routes, for the OpenAPI description and as an allowlist: the
// server serialises each answer through its schema, so a field not named here never
// leaves, whatever a row holds.
import { z } from 'zod';

const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page') });

export const meAnswer = z.object({ id: z.string(), name: z.string(), kind: z.enum(['fintech', 'bank', 'channel', 'regulator']), uscc: z.string(), status: z.string() });

export const orgPage = pageOf(
  z.object({ id: z.string(), name: z.string(), uscc: z.string(), kind: z.string(), status: z.string(), reason: z.string().nullable().describe("the reason of the regulator's last decision (reject, suspend, reinstate)"), createdAt: z.string() }),
);

const approval = z.object({ stage: z.enum(['evaluation', 'production']).nullable(), policy: z.string().nullable(), expiresAt: z.string() }).nullable();
export const modelPage = pageOf(
  z.object({
    id: z.string(),
    provider: z.string(),
    providerName: z.string(),
    digest: z.string(),
    status: z.string(),
    createdAt: z.string(),
    approval,
    // the regulator's and the provider's summary
    name: z.string().nullable().optional(),
    version: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    tags: z.array(z.string()).optional(),
    note: z.string().nullable().optional(),
    // everyone else's public card: the manifest without bank-side weights
    manifest: z.record(z.string(), z.unknown()).optional(),
  }),
);

export const accessPage = pageOf(
  z.object({
    id: z.string(),
    model: z.string(),
    modelName: z.string().nullable(),
    provider: z.string(),
    providerName: z.string(),
    bank: z.string(),
    bankName: z.string(),
    purpose: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    createdAt: z.string(),
  }),
);

export const runPage = pageOf(
  z.object({
    runId: z.string(),
    mode: z.string(),
    model: z.string(),
    modelName: z.string().nullable(),
    requester: z.string(),
    requesterName: z.string().nullable(),
    requestedAt: z.string(),
    availableAt: z.string(),
    status: z.string().describe('running until availableAt, whatever happened'),
    decisions: z.array(z.object({ rule: z.string(), status: z.string() })).optional(),
    result: z.unknown().optional().describe('aggregate runs, once available'),
    scored: z.number().optional().describe('subjects and encrypted runs: how many merchants were scored'),
    notScored: z.number().optional(),
    error: z.object({ code: z.string() }).optional(),
    cached: z.boolean().optional(),
  }),
);

export const consentPage = pageOf(
  z.object({
    id: z.string(),
    subject: z.string(),
    bank: z.string(),
    bankName: z.string(),
    channel: z.string(),
    channelName: z.string(),
    purpose: z.string(),
    model: z.string().nullable(),
    modelName: z.string().nullable(),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    status: z.enum(['active', 'revoked', 'expired']),
    createdAt: z.string(),
  }),
);

export const keyPage = pageOf(z.object({ id: z.string(), digest: z.string(), createdAt: z.string() }));

export const inboxAnswer = z.object({
  kind: z.string(),
  since: z.string().optional(),
  sections: z.array(
    z.object({
      type: z.enum(['org.pending', 'model.vetted', 'model.evaluation', 'access.requested', 'run.available', 'consent.expiring']),
      count: z.number(),
      items: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
});

export const sourceAnswer = z.object({
  id: z.string(),
  digest: z.string(),
  status: z.string(),
  provider: z.string(),
  providerName: z.string().nullable(),
  manifest: z.unknown(),
  source: z.string(),
  report: z.unknown(),
  findings: z
    .array(z.object({ rule: z.string(), line: z.number(), column: z.number(), message: z.string(), severity: z.enum(['fail', 'cannot-tell']) }))
    .describe("the static review's findings with their lines (JavaScript models; formats are reviewed by their structure in the report)"),
  previous: z
    .object({ id: z.string(), version: z.string().nullable(), digest: z.string() })
    .nullable()
    .describe("the same provider's most recent earlier submission with the same manifest name; null for a first version"),
  diff: z
    .discriminatedUnion('status', [
      z.object({
        status: z.literal('ok'),
        added: z.number(),
        removed: z.number(),
        hunks: z.array(
          z.object({
            oldStart: z.number(),
            oldLines: z.number(),
            newStart: z.number(),
            newLines: z.number(),
            lines: z.array(z.object({ op: z.enum([' ', '+', '-']), text: z.string(), old: z.number().optional(), new: z.number().optional() })),
          }),
        ),
      }),
      z.object({ status: z.literal('too_large'), reason: z.string() }),
    ])
    .nullable()
    .describe('the line diff from the previous version to this one (unified hunks, 3 lines of context); too_large when it would cost more than its bound; null without a previous version'),
  createdAt: z.string(),
});
