// The body of every error reply (server/app.ts's error handler): a code from docs/errors.md,
// its fixed message, a detail naming a platform-owned thing for a few codes, and the id of
// the request for the logs. Browser-safe (zod only): the typed client imports it.
import { z } from 'zod';

export const errorBody = z
  .object({
    code: z.string().regex(/^[A-Z][A-Z0-9_]+$/).describe('One code of docs/errors.md; act on it, not on the message'),
    message: z.string().describe("The code's fixed message"),
    detail: z.string().optional().describe('For a few codes, the platform-owned thing that was wrong: a schema path and rule, a flag, a field name'),
    requestId: z.string().describe('The id of this request in the server logs'),
  })
  .strict();
export type ErrorBody = z.infer<typeof errorBody>;
