// API keys rotated (the old key works for a grace period on the platform's clock, then
// fails like any unknown key) and reissued (every old key fails at once), each a ledger
// entry that names keys only by id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpWorld, type HttpWorld } from '../helpers/http.js';

const HOUR = 3_600_000;
let w: HttpWorld;
let t = Date.parse('2026-03-01T00:00:00Z');
const issued: string[] = [];
beforeAll(async () => {
  w = await httpWorld('dfix-apikeys-', 600, { now: () => new Date(t) });
  issued.push(...Object.values(w.keys));
});
afterAll(async () => {
  await w.close();
});

const me = (who: string) => w.call('GET', '/v1/me', who);
const entries = async (type: string) => {
  const all = (await w.call('GET', '/v1/ledger/entries?start=0&end=1000', 'regulator')).json as unknown as { entry: Record<string, unknown> }[];
  return all.map((e) => e.entry).filter((e) => e.type === type);
};

describe('API key rotation', () => {
  it('a new key at once; the old one works until the grace ends, then fails with AUTH_INVALID', async () => {
    const before = await w.call('GET', '/v1/api-keys', 'fintech');
    expect(before.status).toBe(200);
    expect(before.json.items).toHaveLength(1);
    const oldId = before.json.items[0].id as string;
    expect(oldId).toMatch(/^key_[0-9a-f]{16}$/);
    expect(before.json.items[0]).toMatchObject({ status: 'active', expiresAt: null, revokedAt: null });

    const r = await w.call('POST', '/v1/api-keys/rotate', 'fintech');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ org: w.ids.fintech, graceUntil: new Date(t + 24 * HOUR).toISOString(), previous: [{ id: oldId, expiresAt: new Date(t + 24 * HOUR).toISOString() }] });
    expect(r.json.apiKey).toMatch(/^dfx_/);
    issued.push(r.json.apiKey);
    w.keys.fintechOld = w.keys.fintech as string;
    w.keys.fintech = r.json.apiKey;

    const list = await w.call('GET', '/v1/api-keys', 'fintech');
    expect(list.json.items.map((k: { id: string; status: string }) => [k.id, k.status])).toEqual([
      [r.json.id, 'active'],
      [oldId, 'grace'],
    ]);
    expect(JSON.stringify(list.json)).not.toContain('dfx_');

    expect((await me('fintechOld')).status).toBe(200);
    t += 24 * HOUR - 1000;
    expect((await me('fintechOld')).status).toBe(200);
    t += 1000;
    const gone = await me('fintechOld');
    expect([gone.status, gone.json.code]).toEqual([401, 'AUTH_INVALID']);
    expect((await me('fintech')).status).toBe(200);
    expect((await w.call('GET', '/v1/api-keys', 'fintech')).json.items[1]).toMatchObject({ id: oldId, status: 'expired' });
  });

  it('a key already in its grace ends at the next rotation: one generation of old keys at most', async () => {
    const first = await w.call('POST', '/v1/api-keys/rotate', 'fintech');
    w.keys.f1 = w.keys.fintech as string;
    w.keys.fintech = first.json.apiKey;
    const second = await w.call('POST', '/v1/api-keys/rotate', 'fintech');
    w.keys.f2 = w.keys.fintech as string;
    w.keys.fintech = second.json.apiKey;
    issued.push(first.json.apiKey, second.json.apiKey);
    expect((await me('f1')).json.code).toBe('AUTH_INVALID');
    expect((await me('f2')).status).toBe(200);
    expect((await me('fintech')).status).toBe(200);
  });

  it('the regulator rotates an organisation\'s key; others may rotate only their own', async () => {
    const r = await w.call('POST', `/v1/orgs/${w.ids.bank}/api-keys/rotate`, 'regulator');
    expect(r.status).toBe(200);
    issued.push(r.json.apiKey);
    w.keys.bankOld = w.keys.bank as string;
    w.keys.bank = r.json.apiKey;
    expect((await me('bankOld')).status).toBe(200);
    expect((await me('bank')).json.id).toBe(w.ids.bank);
    const other = await w.call('POST', `/v1/orgs/${w.ids.bank}/api-keys/rotate`, 'fintech');
    expect([other.status, other.json.code]).toEqual([403, 'ROLE_FORBIDDEN']);
    expect((await w.call('GET', `/v1/api-keys?org=${w.ids.bank}`, 'fintech')).json.code).toBe('ROLE_FORBIDDEN');
    const seen = await w.call('GET', `/v1/api-keys?org=${w.ids.bank}`, 'regulator');
    expect(seen.json.items.map((k: { status: string }) => k.status)).toEqual(['active', 'grace']);
    expect((await w.call('GET', '/v1/api-keys?org=org_nobody', 'regulator')).json.code).toBe('ORG_UNKNOWN');
  });
});

describe('API key reissue', () => {
  it('revokes every key of the organisation at once, grace or not, and issues a new one', async () => {
    expect((await w.call('POST', `/v1/orgs/${w.ids.bank}/api-keys/reissue`, 'bank', { reason: 'x' })).json.code).toBe('ROLE_FORBIDDEN');
    const r = await w.call('POST', `/v1/orgs/${w.ids.bank}/api-keys/reissue`, 'regulator', { reason: 'key posted in a public repository' });
    expect(r.status).toBe(200);
    expect(r.json.revoked).toHaveLength(2);
    issued.push(r.json.apiKey);
    expect((await me('bankOld')).json.code).toBe('AUTH_INVALID');
    expect((await me('bank')).json.code).toBe('AUTH_INVALID');
    w.keys.bank = r.json.apiKey;
    expect((await me('bank')).status).toBe(200);
    const list = await w.call('GET', '/v1/api-keys', 'bank');
    expect(list.json.items.map((k: { status: string }) => k.status)).toEqual(['active', 'revoked', 'revoked']);
    // a reason is required; a pending or unknown organisation has no keys to reissue
    expect((await w.call('POST', `/v1/orgs/${w.ids.bank}/api-keys/reissue`, 'regulator', {})).json.code).toBe('REQUEST_INVALID');
    const applied = await w.call('POST', '/v1/orgs', null, { name: 'later', kind: 'bank', uscc: '91350100M000100Y43' });
    expect((await w.call('POST', `/v1/orgs/${applied.json.id}/api-keys/reissue`, 'regulator', { reason: 'x' })).json.code).toBe('ORG_STATE');
    expect((await w.call('POST', '/v1/orgs/org_nobody/api-keys/reissue', 'regulator', { reason: 'x' })).status).toBe(404);
  });

  it('records rotations and reissues in the ledger by key id, never a key', async () => {
    const rotated = await entries('apikey.rotated');
    expect(rotated.map((e) => e.org)).toEqual([w.ids.fintech, w.ids.fintech, w.ids.fintech, w.ids.bank]);
    expect(rotated[3]).toMatchObject({ actor: (await me('regulator')).json.id, key: expect.stringMatching(/^key_[0-9a-f]{16}$/) });
    const [reissued] = await entries('apikey.reissued');
    expect(reissued).toMatchObject({ org: w.ids.bank, reason: 'key posted in a public repository', revoked: expect.any(Array) });
    const text = JSON.stringify(await w.call('GET', '/v1/ledger/entries?start=0&end=1000', 'regulator'));
    for (const k of issued) expect(text).not.toContain(k.slice(4, 20));
  });
});
