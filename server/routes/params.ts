import { z } from 'zod';

export const idParams = z.object({ id: z.string().min(1).max(64) }).strict();
export const reasonBody = z.object({ reason: z.string().min(1).max(1000) }).strict();
/** A non-negative integer given in a query string. */
export const queryInt = z.string().regex(/^\d{1,12}$/).transform(Number);
