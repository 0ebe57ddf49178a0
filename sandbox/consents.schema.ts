// The answers of consent recording and revocation (consents.ts). zod only: browser-safe.
import { z } from 'zod';

export const consentRecordedAnswer = z.object({ id: z.string() }).meta({ examples: [{ id: 'cns_0a1b2c3d4e5f6a7b' }] });
export const consentRevokedAnswer = z.object({ id: z.string(), status: z.literal('revoked') }).meta({ examples: [{ id: 'cns_0a1b2c3d4e5f6a7b', status: 'revoked' }] });
export const consentsRevokedAnswer = z
  .object({ subject: z.string(), revoked: z.array(z.string()).describe('the consents revoked now, each with its ledger entry; empty when none was active') })
  .meta({ examples: [{ subject: '91310000MA1FL0000X', revoked: ['cns_0a1b2c3d4e5f6a7b', 'cns_1b2c3d4e5f6a7b8c'] }] });
