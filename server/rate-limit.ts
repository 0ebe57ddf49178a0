// Rate limiting with @fastify/rate-limit, on every request (404s and the console too).
// The bucket is the organisation a request's API key authenticates to, so all the keys of
// one organisation (an old and a new key during a rotation) share one bucket; a request
// with no key, or with a key that does not authenticate, is counted against its address.
// A fixed window of `burst / perSecond` seconds allowing `burst` requests: on average
// `perSecond` a second, with bursts of `burst`.
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Platform } from '../sandbox/platform.js';
import { authenticate } from '../sandbox/orgs.js';
import { serverError } from './errors.js';

export interface RateLimitSettings {
  platform: Platform;
  perSecond: number;
  burst: number;
  bearer: (req: FastifyRequest) => string | undefined;
}

/** Buckets kept (least recently used dropped first): bounded memory under a flood of addresses. */
const BUCKETS = 100_000;

/**
 * The plugin's fixed windows, kept in lru-cache. Each answer is a copy of the count: the
 * plugin's own LocalStore answers with the live entry, which concurrent requests go on
 * incrementing before the plugin reads it, so a burst sent at once was refused whole once
 * it crossed the limit (every request of it saw the final count).
 */
class Windows implements FastifyRateLimitStore {
  private readonly windows = new LRUCache<string, { count: number; start: number }>({ max: BUCKETS });
  incr(key: string, done: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.start + timeWindow <= now) this.windows.set(key, (w = { count: 0, start: now }));
    w.count += 1;
    done(null, { current: w.count, ttl: w.start + timeWindow - now });
  }
  child(): FastifyRateLimitStore {
    return new Windows();
  }
}

/** The bucket of a request: its organisation when its key authenticates, else its address. */
export function bucketOf(platform: Platform, key: string | undefined, ip: string): string {
  if (key) {
    try {
      return `org:${authenticate(platform.ctx, key).id}`;
    } catch {
      // not a key of an admitted organisation: counted against the address it came from
    }
  }
  return `addr:${ip}`;
}

export async function limitRate(app: FastifyInstance, s: RateLimitSettings): Promise<void> {
  await app.register(rateLimit, {
    global: false, // applied below as one hook on every request, not route by route
    max: Math.max(1, Math.floor(s.burst)),
    timeWindow: Math.max(1, Math.round((s.burst / s.perSecond) * 1000)),
    store: Windows,
    keyGenerator: (req) => bucketOf(s.platform, s.bearer(req), req.ip),
    // thrown, so the app's error handler answers in the platform's format
    errorResponseBuilder: () => serverError('RATE_LIMITED'),
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': true },
  });
  app.addHook('onRequest', app.rateLimit());
}
