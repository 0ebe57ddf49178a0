// The answers of budget.ts. zod only: browser-safe.
import { z } from 'zod';

export const budgetLine = z.object({ lineage: z.string(), spentMicros: z.number(), limitMicros: z.number(), remainingMicros: z.number() });
export const budgetAnswer = z
  .array(budgetLine)
  .meta({
    description: "This legal entity's spend on the dataset's lineage, in micro-epsilon",
    examples: [[{ lineage: 'dfix-merchants', spentMicros: 250000, limitMicros: 10000000, remainingMicros: 9750000 }]] });
export const refreshAnswer = z.object({ uscc: z.string(), lineage: z.string(), spentMicros: z.literal(0) });
