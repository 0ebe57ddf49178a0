// ATTACK (persistence after a leaked key is revoked): webhook endpoints belong to the
// organisation, not to the key that registered them, and neither rotation nor the
// regulator's reissue ("a lost or leaked key": every key revoked at once) touches them.
// A thief holding a leaked key registers an endpoint of its own (and gets its signing
// secret); after the reissue, the thief's key fails, but the organisation's events
// (access.requested: which bank asks for which model and why; run.available; model
// approvals) keep arriving at the thief's URL, correctly signed, for as long as nobody
// reads the endpoint list.
// Secure behaviour: a reissue for a leaked key disables (or at least reports and holds)
// the endpoints registered with the revoked keys; no delivery reaches them afterwards.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE } from '../helpers/platform.js';

let w: HttpWorld;
let server: http.Server;
let base = '';
const got: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  w = await httpWorld('dfix-atk-reissue-', 8000, { webhooks: { allowLoopback: true, pollMs: 0 } });
});
afterAll(async () => {
  await w.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("a thief's endpoint after the regulator reissues the leaked organisation's keys", () => {
  it('receives nothing more', async () => {
    w.keys.thief = w.keys.fintech as string; // the leaked key
    expect((await w.call('POST', '/v1/webhooks', 'thief', { url: `${base}/thief`, events: ['access.requested', 'model.approved', 'model.vetted'] })).status).toBe(201);
    const re = await w.call('POST', `/v1/orgs/${w.ids.fintech}/api-keys/reissue`, 'regulator', { reason: 'key leaked' });
    expect(re.status).toBe(200);
    w.keys.fintech = re.json.apiKey;
    expect((await w.call('GET', '/v1/me', 'thief')).status).toBe(401);

    // the organisation goes on working
    const pkg = readPackage(REFERENCE);
    const model = (await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
    await w.call('POST', `/v1/models/${model}/approve`, 'regulator', {});
    await w.call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-line' });
    await w.platform.webhooks.deliverDue();
    expect(got.map((b) => JSON.parse(b).type as string)).toEqual([]);
  });
});
