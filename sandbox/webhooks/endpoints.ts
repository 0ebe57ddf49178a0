// An organisation's webhook endpoints: registered with a URL and the events it wants (the
// signing secret is returned once, at registration), listed, deleted; and the record of
// every delivery and attempt to them.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stmt } from '../../core/sqlite.js';
import type { Ctx } from '../context.js';
import { platformError } from '../errors.js';
import { newId, type Org } from '../state.js';
import { checkUrl } from './destination.js';
import { WEBHOOK_EVENTS } from './events.js';
import { newSecret } from './signature.js';

/** Endpoints an organisation may hold at once. */
export const MAX_ENDPOINTS = 10;

export const endpointSchema = z
  .object({
    url: z.string().min(1).max(2048),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .max(WEBHOOK_EVENTS.length)
      .refine((e) => new Set(e).size === e.length, 'each event once'),
  })
  .strict();

const endpoint = z.object({ id: z.string(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)), createdAt: z.string() });
export const endpointAnswer = endpoint.extend({ secret: z.string().describe('whsec_...: signs every delivery to this endpoint; shown once') });
export const endpointList = z.object({ items: z.array(endpoint) });
export const deletedAnswer = z.object({ id: z.string(), deleted: z.literal(true), cancelled: z.number().describe('pending deliveries not sent') });
export const deliveryQuery = z.object({ endpoint: z.string().min(1).max(64).optional() }).strict();
export const deliveryList = z.object({
  items: z.array(
    z.object({
      id: z.string().describe('the webhook-id header: the same on every attempt'),
      endpoint: z.string(),
      event: z.enum(WEBHOOK_EVENTS),
      status: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
      attempts: z.array(z.object({ n: z.number(), at: z.string(), status: z.number().nullable().describe('HTTP status; null when none came'), error: z.string().nullable(), durationMs: z.number() })),
      nextAttemptAt: z.string().nullable(),
      createdAt: z.string(),
      finishedAt: z.string().nullable(),
    }),
  ),
});

export interface WebhookSettings {
  /** http:// to loopback addresses (tests, local development); never in production. */
  allowLoopback: boolean;
}

type EndpointRow = { id: string; url: string; events: string; created_at: string };
const shown = (r: EndpointRow) => ({ id: r.id, url: r.url, events: JSON.parse(r.events) as (typeof WEBHOOK_EVENTS)[number][], createdAt: r.created_at });

export function registerEndpoint(ctx: Ctx, org: Org, body: z.infer<typeof endpointSchema>, settings: WebhookSettings): z.infer<typeof endpointAnswer> {
  const url = checkUrl(body.url, settings.allowLoopback).toString();
  const id = newId('whk');
  const secret = newSecret();
  const createdAt = ctx.now().toISOString();
  ctx.db.transaction(() => {
    const held = stmt(ctx.db, 'SELECT count(*) FROM webhooks WHERE org = ? AND deleted_at IS NULL').pluck().get(org.id) as number;
    if (held >= MAX_ENDPOINTS) throw platformError('WEBHOOK_LIMIT');
    stmt(ctx.db, 'INSERT INTO webhooks (id, org, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, org.id, url, JSON.stringify(body.events), secret, createdAt);
    // the URL is the organisation's own business: the ledger keeps its digest
    ctx.ledger.append('webhook.registered', org.id, { endpoint: id, org: org.id, events: [...body.events], url: `sha256:${createHash('sha256').update(url).digest('hex')}` });
  })();
  return { id, url, events: body.events, createdAt, secret };
}

export function listEndpoints(ctx: Ctx, org: Org): z.infer<typeof endpointList> {
  const rows = stmt(ctx.db, 'SELECT id, url, events, created_at FROM webhooks WHERE org = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC').all(org.id) as EndpointRow[];
  return { items: rows.map(shown) };
}

/** Deletes an endpoint; its pending deliveries are cancelled (recorded, never sent). */
export function deleteEndpoint(ctx: Ctx, org: Org, id: string): z.infer<typeof deletedAnswer> {
  return ctx.db.transaction(() => {
    const owner = stmt(ctx.db, 'SELECT org FROM webhooks WHERE id = ? AND deleted_at IS NULL').pluck().get(id);
    if (owner !== org.id) throw platformError('WEBHOOK_UNKNOWN');
    const now = ctx.now().toISOString();
    stmt(ctx.db, 'UPDATE webhooks SET deleted_at = ? WHERE id = ?').run(now, id);
    const cancelled = stmt(ctx.db, "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = ? WHERE endpoint = ? AND status = 'pending'").run(now, id).changes;
    ctx.ledger.append('webhook.deleted', org.id, { endpoint: id, org: org.id, cause: 'deleted' });
    return { id, deleted: true as const, cancelled };
  })();
}

/** The organisation's deliveries, newest first (at most 100), each with its attempts. */
export function listDeliveries(ctx: Ctx, org: Org, q: z.infer<typeof deliveryQuery>): z.infer<typeof deliveryList> {
  const rows = stmt(
    ctx.db,
    `SELECT id, endpoint, event, status, due_at, created_at, finished_at FROM webhook_deliveries WHERE org = ? ${q.endpoint ? 'AND endpoint = ?' : ''} ORDER BY created_at DESC, id DESC LIMIT 100`,
  ).all(...(q.endpoint ? [org.id, q.endpoint] : [org.id])) as { id: string; endpoint: string; event: (typeof WEBHOOK_EVENTS)[number]; status: 'pending' | 'delivered' | 'failed' | 'cancelled'; due_at: string; created_at: string; finished_at: string | null }[];
  const attempts = stmt(ctx.db, 'SELECT n, at, status, error, duration_ms FROM webhook_attempts WHERE delivery = ? ORDER BY n');
  return {
    items: rows.map((r) => ({
      id: r.id,
      endpoint: r.endpoint,
      event: r.event,
      status: r.status,
      attempts: (attempts.all(r.id) as { n: number; at: string; status: number | null; error: string | null; duration_ms: number }[]).map((a) => ({ n: a.n, at: a.at, status: a.status, error: a.error, durationMs: a.duration_ms })),
      nextAttemptAt: r.status === 'pending' ? r.due_at : null,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
    })),
  };
}

/**
 * Deletes every endpoint of an organisation whose keys were reissued: an endpoint registered
 * with a leaked key must not keep receiving the organisation's events. Each is a ledger entry
 * (cause "reissued"); the organisation registers again with its new key.
 */
export function endAllEndpoints(ctx: Ctx, orgId: string, actor: string): string[] {
  const now = ctx.now().toISOString();
  const ids = stmt(ctx.db, 'SELECT id FROM webhooks WHERE org = ? AND deleted_at IS NULL ORDER BY id').pluck().all(orgId) as string[];
  for (const id of ids) {
    stmt(ctx.db, 'UPDATE webhooks SET deleted_at = ? WHERE id = ?').run(now, id);
    stmt(ctx.db, "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = ? WHERE endpoint = ? AND status = 'pending'").run(now, id);
    ctx.ledger.append('webhook.deleted', actor, { endpoint: id, org: orgId, cause: 'reissued' });
  }
  return ids;
}
