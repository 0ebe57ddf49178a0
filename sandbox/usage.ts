// Who used a merchant's data, and when: for the channel that records the merchant's
// consents (the merchant's own app), each fresh evaluation of the merchant by a bank: a
// subjects score (one a bank, model and day at most: subject_results) or an encrypted
// evaluation (encrypted_quota, with its run and that run's closing ledger entry). Cached
// answers read no data and are not listed. A merchant this channel does not hold gets an
// empty list, as one nobody used: the answer tells a channel nothing about other channels.
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { isValidUscc } from '../datasets/uscc.js';
import type { Ctx } from './context.js';
import { requireKind } from './orgs.js';
import type { Org } from './state.js';

export const usageQuery = z
  .object({
    subject: z.string().min(1).max(32).refine(isValidUscc, 'not a valid unified social credit code'),
    /** At most this many, newest first: 1-200, default 50. */
    limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(200)).optional(),
  })
  .strict();

export const usageAnswer = z.object({
  subject: z.string(),
  items: z.array(
    z.object({
      mode: z.enum(['subjects', 'encrypted']),
      bank: z.string(),
      bankName: z.string().nullable(),
      model: z.string().nullable(),
      modelName: z.string().nullable(),
      day: z.string().describe('UTC day of the evaluation'),
      at: z.string().nullable().describe('time of the run (encrypted evaluations)'),
      run: z.string().nullable(),
      ledgerSeq: z.number().nullable().describe("the run's closing ledger entry"),
    }),
  ),
});

/** The fresh evaluations of one merchant this channel holds, newest first, with bank and model names. */
export function merchantUsage(ctx: Ctx, channel: Org, q: z.infer<typeof usageQuery>): z.infer<typeof usageAnswer> {
  requireKind(channel, 'channel');
  const holder = stmt(ctx.db, 'SELECT channel FROM merchant_channels WHERE subject = ?').pluck().get(q.subject) as string | undefined;
  if (holder !== channel.id) return { subject: q.subject, items: [] };
  // the model approved with this digest (a digest is the approved code: any model row with it names it)
  const model = (digest: string) => `(SELECT id FROM models WHERE approved_digest = ${digest} ORDER BY created_at LIMIT 1)`;
  const rows = stmt(
    ctx.db,
    `SELECT u.mode, u.bank, b.name AS bankName, u.model, json_extract(m.manifest, '$.name') AS modelName, u.day, u.at, u.run, u.ledgerSeq FROM (
       SELECT 'subjects' AS mode, s.bank, ${model('s.model')} AS model, s.day, NULL AS at, NULL AS run, NULL AS ledgerSeq FROM subject_results s WHERE s.subject = ?
       UNION ALL
       SELECT 'encrypted', e.bank, coalesce(r.model, ${model("substr(e.model, 5)")}), e.day, r.created_at, e.run, r.ledger_seq FROM encrypted_quota e LEFT JOIN runs r ON r.id = e.run WHERE e.subject = ?
     ) u LEFT JOIN orgs b ON b.id = u.bank LEFT JOIN models m ON m.id = u.model
     ORDER BY u.day DESC, u.at DESC, u.bank LIMIT ?`,
  ).all(q.subject, q.subject, q.limit ?? 50) as z.infer<typeof usageAnswer>['items'];
  return { subject: q.subject, items: rows };
}

// The use of a fintech's models: how many runs each of its models was asked for, by mode
// (its own backtests and banks' runs alike). Counts and names only: no requester, no
// merchant, no result, no time.
export const modelUsageAnswer = z.object({
  items: z.array(
    z.object({
      model: z.string(),
      name: z.string().nullable(),
      version: z.string().nullable(),
      status: z.string(),
      runs: z.object({ aggregate: z.number(), subjects: z.number(), encrypted: z.number() }).describe('runs requested on the model, by mode, whatever their outcome'),
    }),
  ),
});

/** Each of this fintech's models, newest first, with its runs counted by mode. */
export function modelUsage(ctx: Ctx, fintech: Org): z.infer<typeof modelUsageAnswer> {
  requireKind(fintech, 'fintech');
  type Row = { id: string; name: string | null; version: string | null; status: string; aggregate: number; subjects: number; encrypted: number };
  const rows = stmt(
    ctx.db,
    `SELECT m.id, json_extract(m.manifest, '$.name') AS name, json_extract(m.manifest, '$.version') AS version, m.status,
       (SELECT count(*) FROM runs r WHERE r.model = m.id AND r.mode = 'aggregate') AS aggregate,
       (SELECT count(*) FROM runs r WHERE r.model = m.id AND r.mode = 'subjects') AS subjects,
       (SELECT count(*) FROM runs r WHERE r.model = m.id AND r.mode = 'encrypted') AS encrypted
     FROM models m WHERE m.provider = ? ORDER BY m.created_at DESC, m.id DESC`,
  ).all(fintech.id) as Row[];
  return {
    items: rows.map((r) => ({
      model: r.id,
      name: typeof r.name === 'string' ? r.name : null,
      version: typeof r.version === 'string' ? r.version : null,
      status: r.status,
      runs: { aggregate: r.aggregate, subjects: r.subjects, encrypted: r.encrypted },
    })),
  };
}
