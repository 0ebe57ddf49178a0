// What held: cross-tenant reads through list filters, hand-made cursors, 404/403
// differences, webhook endpoints and deliveries of another organisation, API-key routes
// for non-regulators, and the per-organisation rate-limit bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../server/app.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { readPackage } from '../../models/package.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';

let w: HttpWorld;
let model = '';
let run = '';
beforeAll(async () => {
  w = await httpWorld('dfix-atk-held-', 7600);
  const pkg = readPackage(REFERENCE);
  model = (await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', {})).status).toBe(200);
  const r = await w.call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: model, cohort: {}, statistics: ['count'] });
  run = r.json.runId;
  expect((await w.call('POST', '/v1/consents', 'channel', { subject: strangerUscc(7610), bank: w.ids.bank, purpose: 'credit-line', expiresAt: '2099-01-01T00:00:00.000Z' })).status).toBe(201);
});
afterAll(async () => {
  await settleBackground(w.platform.ctx);
  await w.close();
});

const shape = (r: { status: number; json: Record<string, any> }) => [r.status, r.json.code ?? null];
const cursor = (at: string, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

describe('held', () => {
  it("lists: another organisation's rows never appear, whatever the filter or cursor", async () => {
    expect((await w.call('GET', `/v1/runs?org=${w.ids.fintech}`, 'bank')).json.items).toEqual([]);
    expect((await w.call('GET', `/v1/runs?cursor=${cursor('9999-12-31T00:00:00.000Z', 'zzzz')}`, 'bank')).json.items).toEqual([]);
    expect(shape(await w.call('GET', `/v1/runs/${run}`, 'bank'))).toEqual(shape(await w.call('GET', '/v1/runs/run_000000000000000000000000', 'bank')));
    expect(shape(await w.call('GET', `/v1/runs/${run}`, 'channel'))).toEqual(shape(await w.call('GET', '/v1/runs/run_000000000000000000000000', 'channel')));
    expect((await w.call('GET', `/v1/consents?bank=${w.ids.bank}`, 'fintech')).json.code).toBe('ROLE_FORBIDDEN');
    expect((await w.call('GET', '/v1/access', 'channel')).json.code).toBe('ROLE_FORBIDDEN');
    expect((await w.call('GET', `/v1/models?provider=${w.ids.fintech}&status=vetted`, 'bank')).json.items).toEqual([]);
  });

  it("webhooks: another organisation's endpoints and deliveries are unknown", async () => {
    const e = await w.call('POST', '/v1/webhooks', 'fintech', { url: 'https://hooks.example.com/x', events: ['model.approved'] });
    expect(e.status).toBe(201);
    expect((await w.call('GET', `/v1/webhooks/deliveries?endpoint=${e.json.id}`, 'bank')).json.items).toEqual([]);
    expect(shape(await w.call('DELETE', `/v1/webhooks/${e.json.id}`, 'bank'))).toEqual(shape(await w.call('DELETE', '/v1/webhooks/whk_000000000000000000000000', 'bank')));
    expect((await w.call('GET', '/v1/webhooks', 'bank')).json.items).toEqual([]);
  });

  it('API keys: a non-regulator cannot list, rotate or reissue another organisation (same answer as for an unknown one)', async () => {
    for (const [m, u, body] of [
      ['GET', `/v1/api-keys?org=%ID%`, undefined],
      ['POST', `/v1/orgs/%ID%/api-keys/rotate`, undefined],
      ['POST', `/v1/orgs/%ID%/api-keys/reissue`, { reason: 'x' }],
    ] as const) {
      const a = await w.call(m, u.replace('%ID%', w.ids.fintech as string), 'bank', body);
      const b = await w.call(m, u.replace('%ID%', 'org_000000000000000000000000'), 'bank', body);
      expect(shape(a), u).toEqual(['403', 'ROLE_FORBIDDEN'].map((x, i) => (i === 0 ? Number(x) : x)));
      expect(shape(a)).toEqual(shape(b));
    }
  });

  it("rate limit: one organisation exhausting its bucket does not touch another's", async () => {
    const app = await build({ platform: w.platform, rateBurst: 5, ratePerSecond: 1 });
    const get = (who: string) => app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${w.keys[who]}` } });
    for (let i = 0; i < 5; i++) expect((await get('bank')).statusCode).toBe(200);
    expect((await get('bank')).statusCode).toBe(429);
    expect((await get('fintech')).statusCode).toBe(200);
    // bogus keys count against the address, not against an organisation
    for (let i = 0; i < 8; i++) await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer dfx_bogus${i}` } });
    expect((await get('channel')).statusCode).toBe(200);
    await app.close();
  });
});
