// ATTACK: a key in its grace period (the one an organisation rotated away, e.g. because it
// leaked) can itself call POST /v1/api-keys/rotate. The rotation demotes the legitimate
// holder's new key to grace (24 h) and hands the thief a fresh key with no end: the stolen
// key outlives the rotation that was meant to kill it and takes the organisation over.
// Secure behaviour: a key in its grace may not rotate (or rotating from it must not end
// or demote the newer key); the holder of the new key keeps its key without an end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpWorld, type HttpWorld } from '../helpers/http.js';

const HOUR = 3_600_000;
let w: HttpWorld;
let t = Date.parse('2026-03-01T00:00:00Z');
beforeAll(async () => {
  w = await httpWorld('dfix-atk-grace-', 7100, { now: () => new Date(t) });
});
afterAll(async () => {
  await w.close();
});

describe('a rotated-away (leaked) key', () => {
  it('cannot mint a permanent key and push the legitimate key into grace', async () => {
    // the fintech suspects its key leaked and rotates
    const r = await w.call('POST', '/v1/api-keys/rotate', 'fintech');
    expect(r.status).toBe(200);
    w.keys.thief = w.keys.fintech as string; // the leaked key, now in grace
    w.keys.fintech = r.json.apiKey;

    // the thief, holding the old key during its grace, rotates too
    const stolen = await w.call('POST', '/v1/api-keys/rotate', 'thief');
    // secure: refused (a key in grace cannot rotate)
    expect.soft(stolen.status).toBeGreaterThanOrEqual(400);
    if (stolen.status === 200) w.keys.thiefNew = stolen.json.apiKey;

    // after the grace, the legitimate holder must still be in, the thief out
    t += 25 * HOUR;
    expect.soft((await w.call("GET", "/v1/me", "fintech")).status).toBe(200);
    if (w.keys.thiefNew) expect((await w.call('GET', '/v1/me', 'thiefNew')).status).toBe(401);
  });
});
