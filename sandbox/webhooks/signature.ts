// Standard Webhooks signatures (standardwebhooks.com, spec 1.0.0, symmetric scheme):
//   secret     "whsec_" + base64 of 32 random bytes, one per endpoint, shown once
//   signed     "{webhook-id}.{webhook-timestamp}.{body}" (the body's exact bytes)
//   signature  HMAC-SHA256 under the secret's decoded bytes, sent as "v1,<base64>"
//   headers    webhook-id (the same on every retry: an idempotency key), webhook-timestamp
//              (integer Unix seconds of this attempt), webhook-signature
// verify() is what a receiver does, here for the tests and as the reference of the docs.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';

export function newSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/** The webhook-signature header's value for one message. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(secret: string, id: string, timestamp: number, body: string): SignedHeaders {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(secret, id, timestamp, body) };
}

/**
 * A receiver's check: one of the space-separated v1 signatures matches (compared in constant
 * time), and the timestamp is within `toleranceS` of `nowS` (replays are refused).
 */
export function verify(secret: string, headers: Record<string, string | string[] | undefined>, body: string, nowS: number, toleranceS = 300): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sigs !== 'string' || !/^\d{1,12}$/.test(ts)) return false;
  if (Math.abs(nowS - Number(ts)) > toleranceS) return false;
  const expected = Buffer.from(sign(secret, id, Number(ts), body).slice(3), 'base64');
  return sigs.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
