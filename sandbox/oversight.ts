// The regulator's oversight views: the ledger's entries newest first with names beside the
// identifiers they carry (the ledger stores identifiers only), and the counts of encrypted
// evaluations per bank and per merchant (each is one linear equation in a model's weights:
// a bank running many of them, on one merchant or overall, is the weight-extraction signal).
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { quotaDay } from '../policies/consent.js';
import type { Ctx } from './context.js';
import { requireKind } from './orgs.js';
import { LIST_LIMIT, pageQuery } from './lists.js';
import type { Org } from './state.js';

// --- the ledger, named ------------------------------------------------------------------

export const ledgerPageQuery = z
  .object({
    limit: pageQuery.limit,
    /** The nextCursor of the previous page: entries before this sequence number. */
    cursor: z.string().regex(/^\d{1,12}$/).transform(Number).optional(),
  })
  .strict();

const entryValue: z.ZodType<unknown> = z.unknown();
export const ledgerPage = z.object({
  size: z.number().describe('entries in the log now'),
  items: z.array(
    z.object({
      seq: z.number(),
      type: z.string(),
      at: z.string(),
      actor: z.string(),
      entry: z.record(z.string(), entryValue).describe('the entry as stored (its canonical JSON is the leaf)'),
      names: z.record(z.string(), z.string()).describe('identifier -> name, for the organisations, models, runs and access requests the entry names'),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** Fields of an entry that hold an identifier, and what of. */
const ID_FIELDS = ['actor', 'org', 'provider', 'bank', 'model', 'run', 'access'] as const;

/** Names of the identifiers an entry carries, found with one query per table. */
function nameIds(ctx: Ctx, ids: Set<string>): Map<string, string> {
  const names = new Map<string, string>();
  const list = [...ids];
  if (list.length === 0) return names;
  const marks = list.map(() => '?').join(', ');
  for (const r of stmt(ctx.db, `SELECT id, name FROM orgs WHERE id IN (${marks})`).all(...list) as { id: string; name: string }[]) names.set(r.id, r.name);
  const modelName = (m: { name: string | null; version: string | null; id: string }) => `${m.name ?? m.id}${m.version ? ` ${m.version}` : ''}`;
  const models = stmt(ctx.db, `SELECT id, json_extract(manifest, '$.name') AS name, json_extract(manifest, '$.version') AS version FROM models WHERE id IN (${marks})`).all(...list) as {
    id: string;
    name: string | null;
    version: string | null;
  }[];
  for (const m of models) names.set(m.id, modelName(m));
  const runs = stmt(
    ctx.db,
    `SELECT r.id, r.mode, o.name AS requester, json_extract(m.manifest, '$.name') AS model FROM runs r LEFT JOIN orgs o ON o.id = r.requester LEFT JOIN models m ON m.id = r.model WHERE r.id IN (${marks})`,
  ).all(...list) as { id: string; mode: string; requester: string | null; model: string | null }[];
  for (const r of runs) names.set(r.id, `${r.requester ?? '?'} · ${r.model ?? '?'} · ${r.mode}`);
  const access = stmt(
    ctx.db,
    `SELECT a.id, b.name AS bank, json_extract(m.manifest, '$.name') AS model FROM access a LEFT JOIN orgs b ON b.id = a.bank LEFT JOIN models m ON m.id = a.model WHERE a.id IN (${marks})`,
  ).all(...list) as { id: string; bank: string | null; model: string | null }[];
  for (const a of access) names.set(a.id, `${a.bank ?? '?'} → ${a.model ?? '?'}`);
  return names;
}

/** Ledger entries, newest first, a page at a time, with names beside identifiers (the regulator). */
export function ledgerEntriesNamed(ctx: Ctx, regulator: Org, q: z.infer<typeof ledgerPageQuery>): z.infer<typeof ledgerPage> {
  requireKind(regulator, 'regulator');
  const size = ctx.ledger.size();
  const limit = q.limit ?? LIST_LIMIT.default;
  const end = Math.min(q.cursor ?? size, size);
  const start = Math.max(0, end - limit);
  const rows = ctx.ledger.entries(start, end).reverse();
  const ids = new Set<string>();
  for (const { entry } of rows) for (const f of ID_FIELDS) if (typeof entry[f] === 'string') ids.add(entry[f] as string);
  const names = nameIds(ctx, ids);
  return {
    size,
    items: rows.map(({ seq, entry }) => ({
      seq,
      type: entry.type,
      at: entry.at,
      actor: entry.actor,
      entry,
      names: Object.fromEntries(ID_FIELDS.map((f) => entry[f]).filter((v): v is string => typeof v === 'string' && names.has(v)).map((v) => [v, names.get(v) as string])),
    })),
    nextCursor: start > 0 ? String(start) : null,
  };
}

// --- encrypted evaluations ---------------------------------------------------------------

export const encryptedUseQuery = z
  .object({
    /** Days back from today (UTC), today included: 1-366, default 30. */
    days: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(366)).optional(),
    /** How many merchants and bank-merchant pairs to list, most evaluated first: 1-200, default 20. */
    top: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(200)).optional(),
  })
  .strict();

export const encryptedUseAnswer = z.object({
  since: z.string().describe('first day counted (UTC, YYYY-MM-DD)'),
  byBank: z.array(
    z.object({
      bank: z.string(),
      bankName: z.string().nullable(),
      runs: z.number().describe('encrypted runs requested'),
      evaluations: z.number().describe('merchant evaluations (one per merchant, bank, model and day at most)'),
      merchants: z.number().describe('distinct merchants evaluated'),
      mostOnOneMerchant: z.number().describe('the most evaluations of one merchant'),
    }),
  ),
  byMerchant: z.array(z.object({ subject: z.string(), evaluations: z.number(), banks: z.number() })),
  pairs: z.array(z.object({ bank: z.string(), bankName: z.string().nullable(), subject: z.string(), evaluations: z.number(), days: z.number() })),
});

/** Encrypted evaluations per bank and per merchant since some days ago (the regulator). */
export function encryptedUse(ctx: Ctx, regulator: Org, q: z.infer<typeof encryptedUseQuery>): z.infer<typeof encryptedUseAnswer> {
  requireKind(regulator, 'regulator');
  const days = q.days ?? 30;
  const top = q.top ?? 20;
  const since = quotaDay(new Date(ctx.now().getTime() - (days - 1) * 86_400_000));
  const sinceTime = `${since}T00:00:00.000Z`;
  const byBank = stmt(
    ctx.db,
    `SELECT b.bank, o.name AS bankName, coalesce(r.runs, 0) AS runs, coalesce(e.evaluations, 0) AS evaluations, coalesce(e.merchants, 0) AS merchants, coalesce(e.most, 0) AS mostOnOneMerchant
     FROM (SELECT requester AS bank FROM runs WHERE mode = 'encrypted' AND created_at >= ? UNION SELECT bank FROM encrypted_quota WHERE day >= ?) b
     LEFT JOIN (SELECT requester, count(*) AS runs FROM runs WHERE mode = 'encrypted' AND created_at >= ? GROUP BY requester) r ON r.requester = b.bank
     LEFT JOIN (SELECT bank, sum(n) AS evaluations, count(*) AS merchants, max(n) AS most FROM (SELECT bank, subject, count(*) AS n FROM encrypted_quota WHERE day >= ? GROUP BY bank, subject) GROUP BY bank) e ON e.bank = b.bank
     LEFT JOIN orgs o ON o.id = b.bank
     ORDER BY evaluations DESC, runs DESC, b.bank`,
  ).all(sinceTime, since, sinceTime, since) as z.infer<typeof encryptedUseAnswer>['byBank'];
  const byMerchant = stmt(
    ctx.db,
    'SELECT subject, count(*) AS evaluations, count(DISTINCT bank) AS banks FROM encrypted_quota WHERE day >= ? GROUP BY subject ORDER BY evaluations DESC, subject LIMIT ?',
  ).all(since, top) as z.infer<typeof encryptedUseAnswer>['byMerchant'];
  const pairs = stmt(
    ctx.db,
    `SELECT q.bank, o.name AS bankName, q.subject, count(*) AS evaluations, count(DISTINCT q.day) AS days FROM encrypted_quota q LEFT JOIN orgs o ON o.id = q.bank
     WHERE q.day >= ? GROUP BY q.bank, q.subject ORDER BY evaluations DESC, q.bank, q.subject LIMIT ?`,
  ).all(since, top) as z.infer<typeof encryptedUseAnswer>['pairs'];
  return { since, byBank, byMerchant, pairs };
}
