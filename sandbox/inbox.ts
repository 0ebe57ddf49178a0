// What awaits an organisation's action, one short answer per kind of organisation:
//   regulator  applications to admit (orgs pending), vetted models awaiting approval, and
//              models in evaluation awaiting a decision on production
//   fintech    banks' access requests to its models awaiting its decision
//   bank       its runs whose answers became available since ?since= (default: 24 hours ago)
//   channel    active consents it recorded that expire within 30 days (to renew or let lapse)
// Each section holds its count and at most INBOX_ITEMS of its oldest items (oldest first:
// what has waited longest comes first); the full lists are the paged list routes.
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import type { Ctx } from './context.js';
import type { Org } from './state.js';

export const INBOX_ITEMS = 50;
const DAY = 86_400_000;

export const inboxQuery = z.object({ since: z.iso.datetime().optional() }).strict();

export interface InboxSection {
  type: 'org.pending' | 'model.vetted' | 'model.evaluation' | 'access.requested' | 'run.available' | 'consent.expiring';
  count: number;
  items: Record<string, unknown>[];
}

function section(ctx: Ctx, type: InboxSection['type'], from: string, where: string, columns: string, params: unknown[], at: string): InboxSection {
  const count = stmt(ctx.db, `SELECT count(*) FROM ${from} WHERE ${where}`).pluck().get(...params) as number;
  const items = stmt(ctx.db, `SELECT ${columns} FROM ${from} WHERE ${where} ORDER BY ${at} ASC LIMIT ${INBOX_ITEMS}`).all(...params) as Record<string, unknown>[];
  return { type, count, items };
}

export function inbox(ctx: Ctx, org: Org, q: z.infer<typeof inboxQuery>): { kind: Org['kind']; since?: string; sections: InboxSection[] } {
  const now = ctx.now();
  switch (org.kind) {
    case 'regulator':
      return {
        kind: org.kind,
        sections: [
          section(ctx, 'org.pending', 'orgs o', "o.status = 'pending'", 'o.id, o.name, o.kind, o.uscc, o.created_at AS createdAt', [], 'o.created_at'),
          section(
            ctx,
            'model.vetted',
            'models m JOIN orgs p ON p.id = m.provider',
            "m.status = 'vetted'",
            "m.id, json_extract(m.manifest, '$.name') AS name, json_extract(m.manifest, '$.version') AS version, m.digest, m.provider, p.name AS providerName, m.created_at AS createdAt",
            [],
            'm.created_at',
          ),
          section(
            ctx,
            'model.evaluation',
            'models m JOIN orgs p ON p.id = m.provider',
            "m.status = 'approved' AND m.stage = 'evaluation'",
            "m.id, json_extract(m.manifest, '$.name') AS name, json_extract(m.manifest, '$.version') AS version, m.digest, m.provider, p.name AS providerName, m.expires_at AS expiresAt, m.created_at AS createdAt",
            [],
            'm.created_at',
          ),
        ],
      };
    case 'fintech':
      return {
        kind: org.kind,
        sections: [
          section(
            ctx,
            'access.requested',
            'access a JOIN models m ON m.id = a.model JOIN orgs b ON b.id = a.bank',
            "a.status = 'requested' AND m.provider = ?",
            "a.id, a.model, json_extract(m.manifest, '$.name') AS modelName, a.bank, b.name AS bankName, a.purpose, a.created_at AS createdAt",
            [org.id],
            'a.created_at',
          ),
        ],
      };
    case 'bank': {
      const since = q.since ? new Date(q.since).toISOString() : new Date(now.getTime() - DAY).toISOString();
      // available: closed, with its availability time passed (as GET /v1/runs/:id shows it)
      const avail = 'coalesce(r.available_at, r.created_at)';
      return {
        kind: org.kind,
        since,
        sections: [
          section(
            ctx,
            'run.available',
            'runs r LEFT JOIN models m ON m.id = r.model',
            `r.requester = ? AND r.status <> 'running' AND r.ledger_seq IS NOT NULL AND ${avail} > ? AND ${avail} <= ?`,
            `r.id AS runId, r.mode, r.model, json_extract(m.manifest, '$.name') AS modelName, r.status, r.created_at AS requestedAt, ${avail} AS availableAt`,
            [org.id, since, now.toISOString()],
            avail,
          ),
        ],
      };
    }
    case 'channel':
      return {
        kind: org.kind,
        sections: [
          section(
            ctx,
            'consent.expiring',
            'consents c JOIN orgs b ON b.id = c.bank',
            'c.channel = ? AND c.revoked_at IS NULL AND c.expires_at > ? AND c.expires_at <= ?',
            'c.id, c.subject, c.bank, b.name AS bankName, c.purpose, c.expires_at AS expiresAt',
            [org.id, now.toISOString(), new Date(now.getTime() + 30 * DAY).toISOString()],
            'c.expires_at',
          ),
        ],
      };
  }
}
