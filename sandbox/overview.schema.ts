// The regulator's overview (overview.ts). zod only: browser-safe.
import { z } from 'zod';

const counts = z.record(z.string(), z.number());

export const overviewAnswer = z.object({
  organisations: counts.describe('By "kind:status"'),
  models: counts.describe('By status'),
  runs: counts.describe('By "mode:status"'),
  denialsByRule: counts.describe('Denied and failed runs by the rule or code that stopped them'),
  budget: z.object({
    spentMicros: z.number(),
    entities: z.number(),
    byEntityAndLineage: z.array(z.object({ entity: z.string(), lineage: z.string(), spentMicros: z.number() })),
    byLineage: z
      .array(z.object({ lineage: z.string(), spentMicros: z.number(), merchantMaxMicros: z.number() }))
      .describe('Per lineage: spent by all entities, and the most spent on any one merchant (its atom) against the cap'),
    perOrganisationMicros: z.number(),
    perMerchantCapMicros: z.number(),
  }),
  confinement: z
    .object({
      mode: z.string(),
      user: z.string(),
      network: z.string(),
      limits: z.object({ addressSpaceBytes: z.number().nullable(), cpuSeconds: z.number().nullable() }),
      runtime: z.string(),
      residual: z.array(z.string()),
      reported: z.record(z.string(), z.unknown()).nullable().describe('What an executor process reported of itself, once one started'),
    })
    .describe('How model code is confined (docs/design.md)'),
  ledger: z.object({ size: z.number(), checkpoint: z.number() }),
});
