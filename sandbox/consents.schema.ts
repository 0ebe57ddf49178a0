// The answers of consent recording and revocation (consents.ts). zod only: browser-safe.
import { z } from 'zod';

export const consentRecordedAnswer = z.object({ id: z.string() }).meta({ examples: [{ id: 'cns_0a1b2c3d4e5f6a7b' }] });
export const consentRevokedAnswer = z.object({ id: z.string(), status: z.literal('revoked') }).meta({ examples: [{ id: 'cns_0a1b2c3d4e5f6a7b', status: 'revoked' }] });
