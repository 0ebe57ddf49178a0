// The answers of the organisation workflows (orgs.ts, review.ts), for the server's
// serializer, the OpenAPI description and the typed client. zod only: browser-safe.
import { z } from 'zod';

export const orgKind = z.enum(['fintech', 'bank', 'channel', 'regulator']);

export const applicationAnswer = z.object({ id: z.string(), status: z.literal('pending') }).meta({ examples: [{ id: 'org_3f9a0c1d2e4b5a67', status: 'pending' }] });

export const admissionAnswer = z
  .object({ id: z.string(), status: z.literal('admitted'), apiKey: z.string().describe('Shown once; the platform keeps only its SHA-256') })
  .meta({ examples: [{ id: 'org_3f9a0c1d2e4b5a67', status: 'admitted', apiKey: 'dfx_5cQ…' }] });

export const orgDecisionAnswer = z.object({ id: z.string(), status: z.enum(['suspended', 'rejected', 'admitted']) }).meta({ examples: [{ id: 'org_3f9a0c1d2e4b5a67', status: 'suspended' }] });
