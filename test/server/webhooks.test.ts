// Webhooks: registered by an organisation for some events, signed as Standard Webhooks,
// retried with backoff on the platform's clock, every attempt recorded; run.available is
// sent at the run's public availableAt, never earlier; and the platform sends only where
// the documented rules allow.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { addressAllowed, checkUrl } from '../../sandbox/webhooks/destination.js';
import { WebhookDispatcher } from '../../sandbox/webhooks/dispatcher.js';
import { verify } from '../../sandbox/webhooks/signature.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE } from '../helpers/platform.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback: answers each path with the next status of its script (then the last one); '/hang' never answers. */
async function receiver() {
  const got: Received[] = [];
  const scripts = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      got.push({ path, headers: req.headers, body });
      if (path === '/hang') return;
      const script = scripts.get(path) ?? [200];
      const status = script.length > 1 ? (script.shift() as number) : (script[0] as number);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    got,
    base,
    script: (path: string, statuses: number[]) => scripts.set(path, statuses),
    at: (path: string) => got.filter((g) => g.path === path),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let w: HttpWorld;
let rx: Awaited<ReturnType<typeof receiver>>;
// the platform's clock: real time plus an offset, or frozen
let offset = 0;
let frozen: number | null = null;
const now = () => new Date(frozen ?? Date.now() + offset);
const secrets: Record<string, string> = {};
let model = '';

beforeAll(async () => {
  rx = await receiver();
  w = await httpWorld('dfix-webhooks-', 700, { now, webhooks: { allowLoopback: true, pollMs: 0, retryDelaysMs: [1000, 2000, 4000], timeoutMs: 3000 } });
});
afterAll(async () => {
  await settleBackground(w.platform.ctx);
  await w.close();
  await rx.close();
});

const deliver = () => w.platform.webhooks.deliverDue();
const register = async (who: string, path: string, events: string[]) => {
  const r = await w.call('POST', '/v1/webhooks', who, { url: `${rx.base}${path}`, events });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  secrets[path] = r.json.secret;
  return r.json as { id: string; secret: string };
};
const deliveries = async (who: string) => (await w.call('GET', '/v1/webhooks/deliveries', who)).json.items as { id: string; event: string; status: string; attempts: { status: number | null; error: string | null }[]; nextAttemptAt: string | null }[];

/** The documented algorithm, written out here independently of sandbox/webhooks/signature.ts. */
function documentedSignature(secret: string, id: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('webhook endpoints', () => {
  it('registers with a secret shown once; lists without it; refuses URLs outside the rules with the rule named', async () => {
    const e = await register('fintech', '/fintech', ['model.vetted', 'model.approved', 'access.requested', 'run.available']);
    expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await w.call('GET', '/v1/webhooks', 'fintech');
    expect(list.json.items).toEqual([{ id: e.id, url: `${rx.base}/fintech`, events: ['model.vetted', 'model.approved', 'access.requested', 'run.available'], createdAt: expect.any(String) }]);
    expect(JSON.stringify(list.json)).not.toContain('whsec_');
    expect((await w.call('GET', '/v1/webhooks', 'bank')).json.items).toEqual([]);
    for (const [url, rule] of [
      ['http://example.com/hook', 'scheme'],
      ['ftp://127.0.0.1/hook', 'scheme'],
      ['https://10.1.2.3/hook', 'address'],
      ['https://169.254.169.254/latest/meta-data', 'address'],
      ['https://[fd00::1]/hook', 'address'],
      ['https://[::ffff:192.168.1.1]/hook', 'address'],
      ['https://user:pw@example.com/hook', 'credentials'],
      ['not a url', 'syntax'],
    ]) {
      const r = await w.call('POST', '/v1/webhooks', 'bank', { url, events: ['access.decided'] });
      expect([r.status, r.json.code, r.json.detail], url).toEqual([400, 'WEBHOOK_URL_REFUSED', rule]);
    }
    expect((await w.call('POST', '/v1/webhooks', 'bank', { url: `${rx.base}/x`, events: ['run.finished'] })).json.code).toBe('REQUEST_INVALID');
    expect((await w.call('POST', '/v1/webhooks', 'bank', { url: `${rx.base}/x`, events: [] })).json.code).toBe('REQUEST_INVALID');
    expect((await w.call('DELETE', `/v1/webhooks/${e.id}`, 'bank')).json.code).toBe('WEBHOOK_UNKNOWN');
    expect((await w.call('GET', '/v1/webhooks', null)).status).toBe(401);
  });

  it('without allowLoopback: https to public addresses only, the resolved address checked too', () => {
    expect(() => checkUrl('http://127.0.0.1:9/x', false)).toThrowWithCode('WEBHOOK_URL_REFUSED');
    expect(() => checkUrl('https://127.0.0.1/x', false)).toThrowWithCode('WEBHOOK_URL_REFUSED');
    expect(() => checkUrl('https://localhost/x', false)).toThrowWithCode('WEBHOOK_URL_REFUSED');
    expect(() => checkUrl('https://[::1]/x', false)).toThrowWithCode('WEBHOOK_URL_REFUSED');
    expect(() => checkUrl('http://10.0.0.1/x', true)).toThrowWithCode('WEBHOOK_URL_REFUSED'); // loopback only, never private
    expect(checkUrl('https://bank.example.com/hooks', false).hostname).toBe('bank.example.com');
    expect(checkUrl('https://93.184.216.34/hooks', false).hostname).toBe('93.184.216.34');
    for (const a of ['10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', '224.0.0.1']) expect(addressAllowed(a, true), a).toBe(false);
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(addressAllowed(a, false), a).toBe(false);
      expect(addressAllowed(a, true), a).toBe(true);
    }
    expect(addressAllowed('93.184.216.34', false)).toBe(true);
    expect(addressAllowed('2606:2800:220:1:248:1893:25c8:1946', false)).toBe(true);
  });
});

describe('deliveries', () => {
  it('are signed as documented (Standard Webhooks), with ids and public facts only', async () => {
    await register('regulator', '/regulator', ['model.vetted']);
    const pkg = readPackage(REFERENCE);
    const sub = await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    model = sub.json.id;
    expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', { stage: 'evaluation' })).json).toMatchObject({ status: 'approved', stage: 'evaluation' });
    expect(rx.got).toHaveLength(0); // nothing is sent on the request path
    expect(await deliver()).toBe(3);
    const [vetted, approved] = rx.at('/fintech');
    expect(rx.at('/regulator')).toHaveLength(1);
    for (const m of [vetted!, approved!, rx.at('/regulator')[0]!]) {
      const secret = secrets[m.path] as string;
      expect(m.headers['content-type']).toBe('application/json');
      expect(m.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]+$/);
      expect(m.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(m.headers['webhook-signature']).toBe(documentedSignature(secret, m.headers['webhook-id'] as string, m.headers['webhook-timestamp'] as string, m.body));
      expect(verify(secret, m.headers, m.body, Math.floor(now().getTime() / 1000))).toBe(true);
      expect(verify(secret, m.headers, m.body.replace('"model"', '"modal"'), Math.floor(now().getTime() / 1000))).toBe(false);
      expect(verify(secrets['/regulator'] === secret ? (secrets['/fintech'] as string) : (secrets['/regulator'] as string), m.headers, m.body, Math.floor(now().getTime() / 1000))).toBe(false);
      expect(verify(secret, m.headers, m.body, Math.floor(now().getTime() / 1000) + 3600)).toBe(false); // a replay an hour later
    }
    expect(JSON.parse(vetted!.body)).toEqual({ type: 'model.vetted', timestamp: expect.any(String), data: { model, passed: true } });
    expect(JSON.parse(approved!.body)).toMatchObject({ type: 'model.approved', data: { model, stage: 'evaluation', expiresAt: expect.any(String) } });
    expect(Object.keys(JSON.parse(approved!.body).data).sort()).toEqual(['expiresAt', 'model', 'stage']);
    expect((await deliveries('fintech')).map((d) => [d.event, d.status, d.attempts.map((a) => a.status)])).toEqual([
      ['model.approved', 'delivered', [200]],
      ['model.vetted', 'delivered', [200]],
    ]);
  });

  it('are retried with exponential backoff after 500s on the platform clock, each attempt recorded under one webhook-id', async () => {
    expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', { stage: 'production' })).json.stage).toBe('production');
    await register('bank', '/bank', ['access.decided', 'consent.revoked']);
    rx.script('/bank', [500, 500, 200]);
    const acc = await w.call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-assessment' });
    frozen = now().getTime();
    expect((await w.call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech')).json.status).toBe('granted');
    await deliver();
    let [d] = await deliveries('bank');
    expect(d).toMatchObject({ event: 'access.decided', status: 'pending', attempts: [{ status: 500 }], nextAttemptAt: new Date(frozen + 1000).toISOString() });
    expect(await deliver()).toBe(0); // not due yet
    frozen += 999;
    expect(await deliver()).toBe(0);
    frozen += 1;
    expect(await deliver()).toBe(1);
    [d] = await deliveries('bank');
    expect(d).toMatchObject({ status: 'pending', nextAttemptAt: new Date(frozen + 2000).toISOString() });
    frozen += 1999;
    expect(await deliver()).toBe(0);
    frozen += 1;
    expect(await deliver()).toBe(1);
    [d] = await deliveries('bank');
    expect(d!.status).toBe('delivered');
    expect(d!.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    const sent = rx.at('/bank');
    expect(new Set(sent.map((s) => s.headers['webhook-id']))).toEqual(new Set([d!.id]));
    const stamps = sent.map((s) => Number(s.headers['webhook-timestamp']));
    expect(stamps[1]! - stamps[0]!).toBe(1);
    expect(stamps[2]! - stamps[1]!).toBe(2);
    for (const s of sent) expect(verify(secrets['/bank'] as string, s.headers, s.body, stamps[2]!)).toBe(true);
    expect(JSON.parse(sent[0]!.body).data).toEqual({ access: acc.json.id, model, status: 'granted' });
    // the provider heard of the request
    expect(await deliver()).toBe(0);
    expect(rx.at('/fintech').map((m) => JSON.parse(m.body).type)).toContain('access.requested');
  });

  it('stop after the last attempt (failed), and a timeout counts as a failed attempt', async () => {
    const failing = await register('channel', '/down', ['application.decided']);
    rx.script('/down', [503]);
    // the channel hears of nothing about others' applications: only its own decisions reach it
    await register('regulator', '/regulator-apps', ['application.decided']);
    const applied = await w.call('POST', '/v1/orgs', null, { name: 'late bank', kind: 'bank', uscc: '91350100M000100Y43' });
    await w.call('POST', `/v1/orgs/${applied.json.id}/reject`, 'regulator', { reason: 'incomplete file' });
    await deliver();
    expect(rx.at('/down')).toHaveLength(0);
    const [decided] = rx.at('/regulator-apps');
    expect(JSON.parse(decided!.body).data).toEqual({ org: applied.json.id, status: 'rejected' }); // never the reason
    // a delivery that always fails: 1 + 3 retries, then failed
    const sub = w.platform.ctx.db;
    sub.prepare("INSERT INTO webhook_deliveries (id, endpoint, org, event, payload, status, attempts, due_at, created_at) VALUES ('msg_down', ?, ?, 'application.decided', '{}', 'pending', 0, ?, ?)").run(
      failing.id,
      w.ids.channel,
      now().toISOString(),
      now().toISOString(),
    );
    for (const step of [0, 1000, 2000, 4000, 8000, 16000]) {
      frozen = (frozen as number) + step;
      await deliver();
    }
    const down = (await deliveries('channel')).find((d) => d.id === 'msg_down');
    expect(down).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect(down!.attempts.map((a) => a.status)).toEqual([503, 503, 503, 503]);
    expect(rx.at('/down')).toHaveLength(4);
    // an endpoint that never answers: the attempt ends at the timeout, recorded
    const hang = await register('channel', '/hang', ['consent.revoked']);
    sub.prepare("INSERT INTO webhook_deliveries (id, endpoint, org, event, payload, status, attempts, due_at, created_at) VALUES ('msg_hang', ?, ?, 'consent.revoked', '{}', 'pending', 0, ?, ?)").run(
      hang.id,
      w.ids.channel,
      now().toISOString(),
      now().toISOString(),
    );
    await deliver();
    expect((await deliveries('channel')).find((d) => d.id === 'msg_hang')).toMatchObject({ status: 'pending', attempts: [{ status: null, error: 'timeout' }] });
    // deleting the endpoint cancels what is pending
    expect((await w.call('DELETE', `/v1/webhooks/${hang.id}`, 'channel')).json).toEqual({ id: hang.id, deleted: true, cancelled: 1 });
    expect((await deliveries('channel')).find((d) => d.id === 'msg_hang')!.status).toBe('cancelled');
  });

  it('410 Gone: the delivery fails, the endpoint is deleted and its pending deliveries cancelled', async () => {
    const gone = await register('channel', '/gone', ['consent.revoked']);
    rx.script('/gone', [410]);
    const db = w.platform.ctx.db;
    const put = db.prepare("INSERT INTO webhook_deliveries (id, endpoint, org, event, payload, status, attempts, due_at, created_at) VALUES (?, ?, ?, 'consent.revoked', '{}', 'pending', 0, ?, ?)");
    put.run('msg_gone1', gone.id, w.ids.channel, now().toISOString(), now().toISOString());
    put.run('msg_gone2', gone.id, w.ids.channel, new Date(now().getTime() + 60_000).toISOString(), now().toISOString());
    await deliver();
    const mine = await deliveries('channel');
    expect(mine.find((d) => d.id === 'msg_gone1')).toMatchObject({ status: 'failed', attempts: [{ status: 410 }] });
    expect(mine.find((d) => d.id === 'msg_gone2')).toMatchObject({ status: 'cancelled', attempts: [] });
    expect((await w.call('GET', '/v1/webhooks', 'channel')).json.items.map((e: { id: string }) => e.id)).not.toContain(gone.id);
    frozen = (frozen as number) + 120_000;
    await deliver();
    expect(rx.at('/gone')).toHaveLength(1);
    // registrations and deletions are in the ledger, the URL only as a digest
    const entries = ((await w.call('GET', '/v1/ledger/entries?start=0&end=1000', 'regulator')).json as unknown as { entry: Record<string, unknown> }[]).map((e) => e.entry);
    expect(entries.filter((e) => e.type === 'webhook.deleted').map((e) => [e.endpoint, e.cause])).toEqual(expect.arrayContaining([[gone.id, 'gone']]));
    const registered = entries.find((e) => e.type === 'webhook.registered' && e.endpoint === gone.id);
    expect(registered).toMatchObject({ org: w.ids.channel, events: ['consent.revoked'], url: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(JSON.stringify(entries)).not.toContain(rx.base);
  });

  it('run.available is sent at the run\'s availableAt, never earlier', async () => {
    frozen = null;
    offset = 0;
    const run = await w.call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: model, cohort: {}, statistics: ['meanScore'] });
    expect(run.status).toBe(202);
    const availableAt = Date.parse(run.json.availableAt);
    expect(availableAt).toBeGreaterThan(Date.parse(run.json.requestedAt));
    const isRun = (m: Received) => JSON.parse(m.body).type === 'run.available' && JSON.parse(m.body).data.run === run.json.runId;
    frozen = availableAt - 1;
    await settleBackground(w.platform.ctx); // the run has finished: its outcome is known to the platform
    await deliver();
    expect(rx.at('/fintech').filter(isRun)).toHaveLength(0);
    const pending = (await deliveries('fintech')).find((d) => d.event === 'run.available');
    expect(pending).toMatchObject({ status: 'pending', attempts: [], nextAttemptAt: run.json.availableAt });
    frozen = availableAt;
    await deliver();
    const [sent] = rx.at('/fintech').filter(isRun);
    expect(JSON.parse(sent!.body)).toEqual({ type: 'run.available', timestamp: run.json.availableAt, data: { run: run.json.runId, mode: 'aggregate', model, availableAt: run.json.availableAt } });
    expect(Number(sent!.headers['webhook-timestamp']) * 1000).toBeGreaterThanOrEqual(Math.floor(availableAt / 1000) * 1000);
  });

  it('consent.revoked reaches the bank the consent authorised', async () => {
    const subject = w.platform.ctx.vault.usccOf(Int32Array.from([3]))[0] as string;
    const c = await w.call('POST', '/v1/consents', 'channel', { subject, bank: w.ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    await w.call('DELETE', `/v1/consents/${c.json.id}`, 'channel');
    await deliver();
    const revoked = rx.at('/bank').map((m) => JSON.parse(m.body)).filter((b) => b.type === 'consent.revoked');
    expect(revoked).toEqual([{ type: 'consent.revoked', timestamp: expect.any(String), data: { consent: c.json.id } }]);
  });

  it('a suspended organisation receives nothing: new events are not recorded for it, pending ones wait for its reinstatement', async () => {
    const subjects = w.platform.ctx.vault.usccOf(Int32Array.from([5, 6]));
    const consent = async (i: number) => (await w.call('POST', '/v1/consents', 'channel', { subject: subjects[i], bank: w.ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' })).json.id as string;
    await register('bank', '/bank-held', ['consent.revoked']);
    const [held, unseen] = [await consent(0), await consent(1)];
    const revokedIds = () => rx.at('/bank-held').map((m) => JSON.parse(m.body)).filter((b) => b.type === 'consent.revoked').map((b) => b.data.consent);
    await w.call('DELETE', `/v1/consents/${held}`, 'channel'); // recorded while admitted
    expect((await w.call('POST', `/v1/orgs/${w.ids.bank}/suspend`, 'regulator', { reason: 'review' })).status).toBe(200);
    await w.call('DELETE', `/v1/consents/${unseen}`, 'channel'); // while suspended: not recorded
    expect(await deliver()).toBe(0);
    expect(revokedIds()).not.toContain(held);
    expect((await w.call('POST', `/v1/orgs/${w.ids.bank}/reinstate`, 'regulator', { reason: 'cleared' })).status).toBe(200);
    expect(await deliver()).toBeGreaterThanOrEqual(1);
    expect(revokedIds()).toContain(held);
    expect(revokedIds()).not.toContain(unseen);
  });

  it('a dispatcher without allowLoopback refuses a loopback endpoint at send time', async () => {
    const e = await register('bank', '/strict', ['consent.revoked']);
    const before = rx.at('/strict').length;
    const db = w.platform.ctx.db;
    db.prepare("INSERT INTO webhook_deliveries (id, endpoint, org, event, payload, status, attempts, due_at, created_at) VALUES ('msg_strict', ?, ?, 'consent.revoked', '{}', 'pending', 0, ?, ?)").run(
      e.id,
      w.ids.bank,
      now().toISOString(),
      now().toISOString(),
    );
    const strict = new WebhookDispatcher(w.platform.ctx, { allowLoopback: false, pollMs: 0, retryDelaysMs: [1000] });
    await strict.deliverDue();
    await strict.close();
    expect(rx.at('/strict')).toHaveLength(before);
    expect((await deliveries('bank')).find((d) => d.id === 'msg_strict')!.attempts).toEqual([expect.objectContaining({ status: null, error: 'address-refused' })]);
  });
});
