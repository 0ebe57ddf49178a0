// The manifest section that says how a format model's raw output becomes a score on the
// output contract's lattice {min, max, step}. Parsed at the door with zod.
import { z } from 'zod';

export const scalingSchema = z.discriminatedUnion('method', [
  /**
   * Points to double the odds: score = offset + factor * ln(odds), factor = pdo / ln 2,
   * where odds are good:bad (the usual: a higher score is better) or bad:good, and
   * `predicts` says which class the model's probability or margin is of.
   */
  z
    .object({
      method: z.literal('pdo'),
      offset: z.number().finite().min(-1_000_000).max(1_000_000),
      pdo: z.number().finite().positive().max(1_000_000),
      odds: z.enum(['good:bad', 'bad:good']).default('good:bad'),
      predicts: z.enum(['bad', 'good']),
    })
    .strict(),
  /** The model already produces points (a PMML Scorecard) or a score-like value. */
  z.object({ method: z.literal('identity') }).strict(),
]);
export type Scaling = z.infer<typeof scalingSchema>;

/** The score lattice of the output contract (models/manifest.schema.ts: output.score). */
export interface Lattice {
  min: number;
  max: number;
  step: number;
}
