// Sends recorded deliveries, off the request path: a loop on its own timer takes the
// deliveries that are due (due_at <= the platform's clock) and posts each, signed, to its
// endpoint; a 2xx ends it, anything else (another status, a timeout, a refused address, a
// redirect, a connection error) is recorded as an attempt and retried after the next delay
// of the schedule, until the attempts run out. A 410 Gone means the receiver wants no more:
// the delivery fails and the endpoint is deleted, its pending deliveries cancelled. Nothing a run does waits for it, and
// nothing it does fails a run. The clock (Ctx.now) and the loop's timer are injectable, so
// tests drive retries by moving the clock and calling deliverDue(), without sleeping.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { stmt } from '../../core/sqlite.js';
import type { Ctx } from '../context.js';
import { addressAllowed, checkUrl, guardedLookup } from './destination.js';
import { signedHeaders } from './signature.js';

export interface DispatcherOptions {
  /** http:// to loopback addresses (tests, local development); default false. */
  allowLoopback?: boolean;
  /** Delays before the 2nd, 3rd, ... attempts (ms): exponential; attempts = delays + 1. */
  retryDelaysMs?: readonly number[];
  /** One attempt's deadline, connection to response headers (ms). */
  timeoutMs?: number;
  /** How often the loop looks for due deliveries (ms); 0: no loop (deliverDue() by hand). */
  pollMs?: number;
  /** The loop's timer (tests may inject their own). */
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
}

/** 5 s, 30 s, 3 min, 18 min, ~2 h, ~11 h: six retries over about 13 hours, each delay six times the last. */
export const DEFAULT_RETRY_DELAYS_MS = Object.freeze([5_000, 30_000, 180_000, 1_080_000, 6_480_000, 38_880_000]);
/** Deliveries sent per turn of the loop (concurrently; one slow endpoint does not hold the others). */
const BATCH = 32;
/** At most this many of one organisation's deliveries in one batch. */
const PER_ORG = 4;

interface Due {
  id: string;
  endpoint: string;
  payload: string;
  attempts: number;
  url: string;
  secret: string;
  deleted_at: string | null;
}

interface Outcome {
  status: number | null;
  error: string | null;
}

export class WebhookDispatcher {
  readonly allowLoopback: boolean;
  private readonly delays: readonly number[];
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly setTimer: NonNullable<DispatcherOptions['setTimer']>;
  private running: Promise<number> | null = null;
  private stopped = false;
  private timer: { unref?: () => void } | null = null;

  constructor(
    private readonly ctx: Ctx,
    options: DispatcherOptions = {},
  ) {
    this.allowLoopback = options.allowLoopback ?? false;
    this.delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pollMs = options.pollMs ?? 500;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  }

  get maxAttempts(): number {
    return this.delays.length + 1;
  }

  start(): void {
    if (this.pollMs <= 0 || this.stopped) return;
    const loop = () => {
      if (this.stopped) return;
      void this.deliverDue()
        .catch(() => 0)
        .finally(() => {
          if (!this.stopped) this.timer = this.schedule(loop);
        });
    };
    this.timer = this.schedule(loop);
  }

  private schedule(fn: () => void) {
    const t = this.setTimer(fn, this.pollMs);
    t.unref?.();
    return t;
  }

  /** Stops the loop and waits for the attempts in flight. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer && 'hasRef' in (this.timer as object)) clearTimeout(this.timer as NodeJS.Timeout);
    await this.running?.catch(() => 0);
  }

  /** Sends every delivery due now; resolves with the number of attempts made. One pass at a time. */
  async deliverDue(): Promise<number> {
    while (this.running) await this.running.catch(() => 0);
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async pass(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.ctx.now().toISOString();
      // fair across organisations: at most PER_ORG of one organisation's deliveries in a
      // batch, taken round-robin, so endpoints that hang delay their own organisation's
      // deliveries, not everyone's behind them (test/attacks/webhook-head-of-line.test.ts)
      const due = stmt(
        this.ctx.db,
        `SELECT id, endpoint, payload, attempts, url, secret, deleted_at FROM (
           SELECT d.id, d.endpoint, d.payload, d.attempts, d.due_at, w.url, w.secret, w.deleted_at,
                  row_number() OVER (PARTITION BY w.org ORDER BY d.due_at, d.id) AS rn
           FROM webhook_deliveries d JOIN webhooks w ON w.id = d.endpoint JOIN orgs o ON o.id = w.org
           WHERE d.status = 'pending' AND d.due_at <= ? AND o.status = 'admitted')
         WHERE rn <= ${PER_ORG} ORDER BY rn, due_at, id LIMIT ${BATCH}`,
      ).all(now) as Due[];
      if (due.length === 0) return total;
      await Promise.all(due.map((d) => this.attempt(d)));
      total += due.length;
    }
  }

  private async attempt(d: Due): Promise<void> {
    const startedAt = this.ctx.now();
    const started = performance.now();
    const outcome: Outcome = d.deleted_at ? { status: null, error: 'endpoint-deleted' } : await this.post(d);
    const durationMs = Math.round(performance.now() - started);
    const n = d.attempts + 1;
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const gone = outcome.status === 410;
    const done = ok || gone || n >= this.maxAttempts || d.deleted_at !== null;
    const at = startedAt.toISOString();
    this.ctx.db.transaction(() => {
      if (gone) {
        const end = this.ctx.now().toISOString();
        const ended = stmt(this.ctx.db, 'UPDATE webhooks SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(end, d.endpoint).changes;
        const org = stmt(this.ctx.db, 'SELECT org FROM webhooks WHERE id = ?').pluck().get(d.endpoint) as string;
        if (ended > 0) this.ctx.ledger.append('webhook.deleted', 'platform', { endpoint: d.endpoint, org, cause: 'gone' });
        stmt(this.ctx.db, "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = ? WHERE endpoint = ? AND status = 'pending' AND id != ?").run(end, d.endpoint, d.id);
      }
      stmt(this.ctx.db, 'INSERT INTO webhook_attempts (delivery, n, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)').run(d.id, n, at, outcome.status, outcome.error, durationMs);
      if (done) stmt(this.ctx.db, 'UPDATE webhook_deliveries SET attempts = ?, status = ?, finished_at = ? WHERE id = ?').run(n, ok ? 'delivered' : d.deleted_at ? 'cancelled' : 'failed', this.ctx.now().toISOString(), d.id);
      else {
        const next = new Date(this.ctx.now().getTime() + (this.delays[n - 1] as number)).toISOString();
        stmt(this.ctx.db, 'UPDATE webhook_deliveries SET attempts = ?, due_at = ? WHERE id = ?').run(n, next, d.id);
      }
    })();
  }

  /** One signed POST; never throws. */
  private post(d: Due): Promise<Outcome> {
    let url: URL;
    try {
      url = checkUrl(d.url, this.allowLoopback); // the rules of today, not of registration
    } catch {
      return Promise.resolve({ status: null, error: 'address-refused' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host) && !addressAllowed(host, this.allowLoopback)) return Promise.resolve({ status: null, error: 'address-refused' });
    const timestamp = Math.floor(this.ctx.now().getTime() / 1000);
    const body = Buffer.from(d.payload, 'utf8');
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'dfix-webhooks/1', ...signedHeaders(d.secret, d.id, timestamp, d.payload) };
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const end = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(o);
      };
      const req = mod.request(url, { method: 'POST', headers, lookup: guardedLookup(this.allowLoopback), agent: false }, (res) => {
        res.resume(); // the body is not read
        const status = res.statusCode ?? null;
        end({ status, error: status !== null && status >= 300 && status < 400 ? 'redirect-not-followed' : null });
        req.destroy();
      });
      const deadline = setTimeout(() => {
        end({ status: null, error: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      // a name that resolves to an address the rules refuse is recorded like one that does not
      // resolve or does not answer: otherwise the records would map the platform's own DNS
      // (which internal names exist) for any organisation (test/attacks/webhook-dns-oracle.test.ts)
      req.on('error', () => end({ status: null, error: 'connection' }));
      req.end(body);
    });
  }
}
