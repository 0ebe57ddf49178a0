// The events an organisation may receive by webhook, and their recording: emit() writes one
// pending delivery per matching endpoint, inside the caller's transaction (the event and its
// deliveries are written together or not at all); the dispatcher sends them later, off the
// request path. A payload carries identifiers and public facts only (never a score, a
// result, a reason given by another organisation, a merchant's code or a key).
import { stmt } from '../../core/sqlite.js';
import type { Ctx } from '../context.js';
import { newId } from '../state.js';

export const WEBHOOK_EVENTS = [
  'application.decided',
  'model.vetted',
  'model.approved',
  'model.rejected',
  'access.requested',
  'access.decided',
  'run.available',
  'consent.revoked',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What each event's data holds (all identifiers or public facts). */
export interface EventData {
  'application.decided': { org: string; status: 'admitted' | 'rejected' };
  'model.vetted': { model: string; passed: boolean };
  'model.approved': { model: string; stage: 'evaluation' | 'production'; expiresAt: string };
  'model.rejected': { model: string };
  'access.requested': { access: string; model: string; bank: string; purpose: string };
  'access.decided': { access: string; model: string; status: 'granted' | 'denied' };
  'run.available': { run: string; mode: string; model: string; availableAt: string };
  'consent.revoked': { consent: string };
}

/** The regulator's organisations: they receive application.decided and model.vetted. */
export function regulators(ctx: Ctx): string[] {
  return stmt(ctx.db, "SELECT id FROM orgs WHERE kind = 'regulator'").pluck().all() as string[];
}

/**
 * Records the event for the endpoints of `recipients` that asked for it. `at` is the event's
 * time and the earliest time it may be sent (run.available: the run's public availableAt,
 * never earlier); the default is now.
 */
export function emit<E extends WebhookEvent>(ctx: Ctx, event: E, recipients: readonly string[], data: EventData[E], at: Date = ctx.now()): number {
  const orgs = [...new Set(recipients)];
  if (orgs.length === 0) return 0;
  // a suspended organisation's endpoints receive nothing until it is reinstated
  const endpoints = stmt(
    ctx.db,
    `SELECT w.id, w.org, w.events FROM webhooks w JOIN orgs o ON o.id = w.org WHERE w.deleted_at IS NULL AND o.status = 'admitted' AND w.org IN (${orgs.map(() => '?').join(', ')})`,
  ).all(...orgs) as {
    id: string;
    org: string;
    events: string;
  }[];
  const put = stmt(ctx.db, "INSERT INTO webhook_deliveries (id, endpoint, org, event, payload, status, attempts, due_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)");
  const when = at.toISOString();
  const payload = JSON.stringify({ type: event, timestamp: when, data });
  let n = 0;
  for (const e of endpoints) {
    if (!(JSON.parse(e.events) as string[]).includes(event)) continue;
    put.run(newId('msg'), e.id, e.org, event, payload, when, ctx.now().toISOString());
    n++;
  }
  return n;
}
