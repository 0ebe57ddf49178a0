// The public schedule of the aggregate lane. Aggregate runs of approved models share one
// executor process, one at a time; each run reserves, when it begins, a slot as long as
// its compute budget (from the public cohort size and the model's vetted cost), starting
// when the previous slot ends. The lane is held for the whole slot even when the model
// finishes early, so what one run's model does with its data never moves another run's
// start, end or availability time (attack A1: a model that spun on one merchant's row
// delayed other tenants' runs by seconds, and a colluding bank read the delay; A2: it made
// another fintech's run miss its deadline). A legal entity holds at most a few slots.
import type { RunCtx } from './pipeline.js';

export interface Slot {
  start: Date;
  end: Date;
}

interface Lane {
  freeAt: number;
  /** Slots not yet ended, by legal entity. */
  held: Map<string, number>;
}

const lanes = new WeakMap<RunCtx, Lane>();
export const SLOTS_PER_ENTITY = 4;

/** Reserves the next slot of `computeMs` (null when the entity holds its maximum). */
export function reserveSlot(ctx: RunCtx, entity: string, computeMs: number, earliest: Date): Slot | null {
  let lane = lanes.get(ctx);
  if (!lane) lanes.set(ctx, (lane = { freeAt: 0, held: new Map() }));
  const held = lane.held.get(entity) ?? 0;
  if (held >= SLOTS_PER_ENTITY) return null;
  const start = Math.max(earliest.getTime(), lane.freeAt);
  const end = start + computeMs;
  lane.freeAt = end;
  lane.held.set(entity, held + 1);
  const l = lane;
  setTimeout(() => l.held.set(entity, Math.max(0, (l.held.get(entity) ?? 1) - 1)), Math.max(0, end - ctx.now().getTime())).unref();
  return { start: new Date(start), end: new Date(end) };
}
