// ATTACK (cross-tenant denial of service on webhooks): the dispatcher takes the due
// deliveries of all organisations, oldest first, 32 at a time, and waits for the whole
// batch (Promise.all) before the next. One organisation with endpoints that never answer
// (10 endpoints x a few events; every retry does it again) fills the batches, and every
// other organisation's deliveries wait a full attempt timeout (10 s in production) per
// batch behind them: a bank's consent.revoked or run.available arrives late because a
// fintech chose to hang. Secure behaviour: one organisation's slow endpoints do not delay
// another organisation's deliveries (per-organisation or per-endpoint concurrency, or no
// batch barrier).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';

let w: HttpWorld;
let server: http.Server;
let base = '';
const arrivals: { path: string; at: number }[] = [];
const TIMEOUT = 1000;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push({ path: req.url ?? '', at: performance.now() });
      if (req.url === '/hang') return; // never answers
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  w = await httpWorld('dfix-atk-hol-', 7400, { webhooks: { allowLoopback: true, pollMs: 0, retryDelaysMs: [], timeoutMs: TIMEOUT } });
});
afterAll(async () => {
  await w.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("a fintech's hanging endpoints", () => {
  it("do not delay the bank's delivery", async () => {
    for (let i = 0; i < 10; i++) expect((await w.call('POST', '/v1/webhooks', 'fintech', { url: `${base}/hang`, events: ['model.vetted'] })).status).toBe(201);
    expect((await w.call('POST', '/v1/webhooks', 'bank', { url: `${base}/bank`, events: ['consent.revoked'] })).status).toBe(201);
    const pkg = readPackage(REFERENCE);
    for (let i = 0; i < 4; i++) expect((await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).status).toBe(201);
    // the bank's event, recorded after the fintech's 40 deliveries
    const c = await w.call('POST', '/v1/consents', 'channel', { subject: strangerUscc(7410), bank: w.ids.bank, purpose: 'credit-line', expiresAt: '2099-01-01T00:00:00.000Z' });
    expect((await w.call('DELETE', `/v1/consents/${c.json.id}`, 'channel')).status).toBe(200);

    await w.platform.webhooks.deliverDue();
    expect(arrivals.find((a) => a.path === '/bank')).toBeDefined();
    // secure: the bank's attempt is made in the first batch, beside at most a few of the
    // fintech's, and recorded before any of the fintech's hanging attempts ends (an order of
    // records, not a timing: each attempt's row is written when the attempt ends)
    const rows = w.platform.ctx.db
      .prepare('SELECT a.rowid AS seq, d.org AS org, a.error AS error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery ORDER BY a.rowid')
      .all() as { seq: number; org: string; error: string | null }[];
    const bankSeq = rows.find((r) => r.org === w.ids.bank)?.seq as number;
    const firstHang = rows.find((r) => r.org === w.ids.fintech)?.seq as number;
    expect(bankSeq).toBeLessThan(firstHang);
  }, 60_000);
});
