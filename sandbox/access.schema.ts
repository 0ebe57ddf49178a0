// The answers of access requests and decisions (access.ts). zod only: browser-safe.
import { z } from 'zod';

export const accessRequestedAnswer = z.object({ id: z.string(), status: z.literal('requested') }).meta({ examples: [{ id: 'acc_9d1e2f3a4b5c6d7e', status: 'requested' }] });
export const accessDecisionAnswer = z.object({ id: z.string(), status: z.enum(['granted', 'denied']) }).meta({ examples: [{ id: 'acc_9d1e2f3a4b5c6d7e', status: 'granted' }] });
