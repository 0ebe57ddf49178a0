// The public availability time of an aggregate run: fixed at the request from public
// quantities (cohort size, the model's vetted cost, the aggregate lanes), never from data.
import { describe, expect, it } from 'vitest';
import { aggregateTiming } from '../../sandbox/run/deadline.js';

const t = { subjectsBaseMs: 50, subjectsPerSubjectMs: 4, subjectCallMs: 20, aggregateBaseMs: 1000, aggregatePerThousandMs: 1, aggregateCostFactor: 3, failuresBeforeReview: 3 };

describe('aggregate timing', () => {
  it('counts the aggregate lanes a large cohort is split across, and only for one of 50,000 or more', () => {
    const one = aggregateTiming(1_000_000, 4, 1, t);
    const two = aggregateTiming(1_000_000, 4, 2, t);
    expect(one.computeMs).toBe(1000 + 12_000);
    expect(two.computeMs).toBe(1000 + 6000);
    expect(two.availableAfterMs).toBe(1000 + 1000 + 7000);
    expect(aggregateTiming(49_999, 4, 2, t)).toEqual(aggregateTiming(49_999, 4, 1, t));
  });
});
