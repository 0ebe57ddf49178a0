// ATTACK (information about the platform's own network): a webhook URL's name is resolved
// by the platform's resolver at each attempt, and the attempt record tells the caller how
// it went: 'address-refused' when the name resolves to a non-public address (an internal
// service: postgres, redis, vault.internal, the host's own names in /etc/hosts),
// 'connection' when it does not resolve. Any admitted organisation registers names and
// reads GET /v1/webhooks/deliveries: a map of the platform's internal DNS, without a
// single packet reaching those services.
// Secure behaviour: a refused internal address and an unresolvable name are recorded
// alike (or the name is resolved and judged at registration with one generic refusal).
import dns from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { strangerUscc } from '../helpers/platform.js';

let w: HttpWorld;
let internal: string | null = null;
beforeAll(async () => {
  for (const name of ['vm', 'runsc', 'localhost.localdomain', 'ip6-localhost', 'host.docker.internal', 'kubernetes.default.svc'])
    try {
      await dns.lookup(name);
      internal = name;
      break;
    } catch {
      // not resolvable here
    }
  w = await httpWorld('dfix-atk-dns-', 7700, { webhooks: { allowLoopback: false, pollMs: 0, retryDelaysMs: [], timeoutMs: 2000 } });
});
afterAll(async () => {
  await w.close();
});

describe('webhook delivery errors', () => {
  it('do not tell an internal name from a name that does not exist', async (t) => {
    if (!internal) t.skip();
    const a = await w.call('POST', '/v1/webhooks', 'bank', { url: `https://${internal}/hook`, events: ['consent.revoked'] });
    const b = await w.call('POST', '/v1/webhooks', 'bank', { url: 'https://no-such-service-7700.invalid/hook', events: ['consent.revoked'] });
    expect([a.status, b.status]).toEqual([201, 201]); // both accepted at registration
    const c = await w.call('POST', '/v1/consents', 'channel', { subject: strangerUscc(7710), bank: w.ids.bank, purpose: 'credit-line', expiresAt: '2099-01-01T00:00:00.000Z' });
    await w.call('DELETE', `/v1/consents/${c.json.id}`, 'channel');
    await w.platform.webhooks.deliverDue();
    const items = (await w.call('GET', '/v1/webhooks/deliveries', 'bank')).json.items as { endpoint: string; attempts: { error: string | null }[] }[];
    const errorOf = (id: string) => items.find((d) => d.endpoint === id)?.attempts[0]?.error;
    expect(errorOf(a.json.id), `${internal}: ${errorOf(a.json.id)}; .invalid: ${errorOf(b.json.id)}`).toBe(errorOf(b.json.id));
  });
});
