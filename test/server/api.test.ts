import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { openDatabase } from '../../core/sqlite.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../core/config.js';
import { seedVault } from '../../datasets/store.js';
import { audit, parseExport } from '../../ledger/verify.js';
import { readPackage } from '../../models/package.js';
import { Platform } from '../../sandbox/platform.js';
import { build } from '../../server/app.js';
import { serve } from '../../server/listen.js';
import { Executor } from '../../workers/client.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

type Kind = 'anonymous' | 'fintech' | 'bank' | 'channel' | 'regulator';
let executor: Executor;
let dir: string;
let platform: Platform;
let app: FastifyInstance;
const keys = {} as Record<Kind, string | undefined>;
const ids = {} as Record<string, string>;

async function call(method: string, url: string, who: Kind = 'anonymous', body?: unknown, raw?: { payload: string; type?: string }) {
  const headers: Record<string, string> = {};
  if (keys[who]) headers.authorization = `Bearer ${keys[who]}`;
  if (raw) headers['content-type'] = raw.type ?? 'application/json';
  const r = await app.inject({ method: method as 'GET', url, headers, ...(raw ? { payload: raw.payload } : body !== undefined ? { payload: body as object } : {}) });
  let json: any = null;
  try {
    json = JSON.parse(r.body);
  } catch {
    json = r.body;
  }
  return { status: r.statusCode, json, headers: r.headers };
}

const snapshot = () => ({
  ledger: platform.ctx.ledger.size(),
  rows: ['orgs', 'models', 'access', 'consents', 'runs', 'budget'].map((t) => platform.ctx.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()),
});

beforeAll(async () => {
  executor = await Executor.start();
  dir = tmpDir('dfix-api-');
  const config = resolveConfig({ dataDir: dir }, {});
  seedVault(config.vaultPath, { subjects: 1600, seed: 20240601 });
  platform = await Platform.open(config, { executor });
  app = await build({ platform });
  keys.regulator = (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
  for (const kind of ['fintech', 'bank', 'channel'] as const) {
    const a = await call('POST', '/v1/orgs', 'anonymous', { name: `${kind} org`, kind, uscc: strangerUscc(100 + ['fintech', 'bank', 'channel'].indexOf(kind)) });
    ids[kind] = a.json.id;
    keys[kind] = (await call('POST', `/v1/orgs/${a.json.id}/admit`, 'regulator')).json.apiKey;
  }
  keys.anonymous = undefined;
});
afterAll(async () => {
  await app.close();
  await platform.close();
  await executor.close();
  rmDir(dir);
});

describe('every route of API.md', () => {
  it('plays the happy path of each route', async () => {
    expect((await call('GET', '/healthz')).json).toEqual({ ok: true });
    const applied = await call('POST', '/v1/orgs', 'anonymous', { name: 'later suspended', kind: 'bank', uscc: strangerUscc(110) });
    // one organisation per legal entity and kind
    expect((await call('POST', '/v1/orgs', 'anonymous', { name: 'again', kind: 'bank', uscc: strangerUscc(110) })).json.code).toBe('ORG_DUPLICATE');
    expect(applied).toMatchObject({ status: 201, json: { status: 'pending' } });
    const admitted = await call('POST', `/v1/orgs/${applied.json.id}/admit`, 'regulator');
    expect(admitted.json).toMatchObject({ status: 'admitted', apiKey: expect.stringMatching(/^dfx_/) });
    expect((await call('POST', `/v1/orgs/${applied.json.id}/suspend`, 'regulator', { reason: 'test' })).json).toMatchObject({ status: 'suspended' });

    const datasets = await call('GET', '/v1/datasets', 'bank');
    expect(datasets.json[0]).toMatchObject({ id: 'sip-merchants', subjects: 1600, fields: 301 });
    const fields = await call('GET', '/v1/datasets/sip-merchants/fields', 'fintech');
    expect(fields.json.length).toBe(301);
    const dummy = await call('GET', '/v1/datasets/sip-merchants/dummy?subjects=5', 'fintech');
    expect(dummy.json).toHaveLength(5);
    const csv = await call('GET', '/v1/datasets/sip-merchants/dummy?format=csv&subjects=3', 'fintech');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(String(csv.json).trim().split('\n')).toHaveLength(4);

    const pkg = readPackage(REFERENCE);
    const sub = await call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    expect(sub).toMatchObject({ status: 201, json: { status: 'vetted', digest: expect.stringMatching(/^sha256:/) } });
    ids.model = sub.json.id;
    expect((await call('GET', `/v1/models/${ids.model}`, 'bank')).status).toBe(404); // not approved: not visible
    expect((await call('GET', `/v1/models/${ids.model}`, 'regulator')).json.report.passed).toBe(true);
    expect((await call('POST', `/v1/models/${ids.model}/approve`, 'regulator', {})).json).toMatchObject({ status: 'approved' });
    const card = await call('GET', `/v1/models/${ids.model}`, 'bank');
    expect(card.json.source).toBeUndefined();
    expect(card.json.report).toBeUndefined();
    // what a bank can learn per merchant, on the card: log2(61) + log2(sum of C(11, k), k <= 4) = 5.93 + 9.13
    expect(card.json.disclosure).toMatchObject({ bitsPerMerchantPerBankPerDay: 15.1 });
    expect((await call('GET', `/v1/models/${ids.model}`, 'fintech')).json.manifest.inputs).toHaveLength(11);
    expect((await call('GET', '/v1/catalog?tag=inclusive-finance', 'channel')).json.map((c: { id: string }) => c.id)).toContain(ids.model);

    const other = await call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    expect((await call('POST', `/v1/models/${other.json.id}/reject`, 'regulator', { reason: 'duplicate' })).json.status).toBe('rejected');
    const third = await call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    await call('POST', `/v1/models/${third.json.id}/approve`, 'regulator');
    expect((await call('POST', `/v1/models/${third.json.id}/revoke`, 'regulator', { reason: 'withdrawn' })).json.status).toBe('revoked');

    const acc = await call('POST', `/v1/models/${ids.model}/access`, 'bank', { purpose: 'credit-assessment' });
    expect(acc).toMatchObject({ status: 201, json: { status: 'requested' } });
    expect((await call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech')).json.status).toBe('granted');
    const acc2 = await call('POST', `/v1/models/${ids.model}/access`, 'bank', { purpose: 'marketing' });
    expect((await call('POST', `/v1/access/${acc2.json.id}/deny`, 'fintech', { reason: 'not for marketing' })).json.status).toBe('denied');

    const merchants = platform.ctx.vault.usccOf(Int32Array.from([5, 6]));
    const c1 = await call('POST', '/v1/consents', 'channel', { subject: merchants[0], bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    expect(c1.status).toBe(201);
    const c2 = await call('POST', '/v1/consents', 'channel', { subject: merchants[1], bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const del = await call('DELETE', `/v1/consents/${c2.json.id}`, 'channel');
    expect(del.json.status).toBe('revoked');

    const posted = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: ids.model, cohort: { district: 'xietang' }, statistics: ['count', 'histogram'] });
    expect(posted).toMatchObject({ status: 202, json: { status: 'running', runId: expect.any(String), availableAt: expect.any(String) } });
    // nothing before its availability time; the answer from then on
    expect((await call('GET', `/v1/runs/${posted.json.runId}`, 'fintech')).status).toBe(202);
    // polled from its availability time on (the run may still be finishing on a busy machine)
    const agg = await vi.waitFor(
      async () => {
        const r = await call('GET', `/v1/runs/${posted.json.runId}`, 'fintech');
        expect(r.status).toBe(200);
        return r;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(posted.json.availableAt));
    expect(agg).toMatchObject({ status: 200, json: { status: 'released', ledger: { checkpoint: expect.any(String) } } });
    const subj = await call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: ids.model, subjects: [merchants[0], merchants[1], strangerUscc(3)], purpose: 'credit-assessment' });
    expect(subj.json.results.map((r: { subject: string }) => r.subject)).toEqual([merchants[0]]);
    expect(subj.json.notScored).toBe(2);
    expect((await call('GET', `/v1/runs/${subj.json.runId}`, 'bank')).json.runId).toBe(subj.json.runId);
    expect((await call('GET', `/v1/runs/${subj.json.runId}`, 'regulator')).status).toBe(200);
    expect((await call('GET', `/v1/runs/${subj.json.runId}`, 'fintech')).status).toBe(404);
    expect((await call('GET', '/v1/budget', 'fintech')).json[0].spentMicros).toBeGreaterThan(0);

    const cp = await call('GET', '/v1/ledger/checkpoint', 'bank');
    expect(cp.json).toMatchObject({ size: expect.any(Number), rootHash: expect.stringMatching(/^[0-9a-f]{64}$/), note: expect.any(String), publicKey: expect.any(String) });
    expect((await call('GET', `/v1/ledger/proofs/inclusion?index=0&size=${cp.json.size}`, 'bank')).json.path.length).toBeGreaterThan(0);
    expect((await call('GET', `/v1/ledger/proofs/consistency?from=1&to=${cp.json.size}`, 'fintech')).json.path.length).toBeGreaterThan(0);
    const entries = await call('GET', '/v1/ledger/entries?start=0&end=5', 'regulator');
    expect(entries.json.map((e: { seq: number }) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    const ov = await call('GET', '/v1/regulator/overview', 'regulator');
    expect(ov.json.models).toMatchObject({ approved: 1, rejected: 1, revoked: 1 });
    expect(ov.json.runs['subjects:released']).toBe(1);
  });

  it('describes every route of API.md in /openapi.json, with a viewer at /docs', async () => {
    const spec = (await call('GET', '/openapi.json')).json;
    const routes = [
      'post /v1/orgs', 'post /v1/orgs/{id}/admit', 'post /v1/orgs/{id}/suspend', 'get /v1/datasets', 'get /v1/datasets/{id}/fields', 'get /v1/datasets/{id}/dummy',
      'post /v1/models', 'get /v1/models/{id}', 'post /v1/models/{id}/approve', 'post /v1/models/{id}/reject', 'post /v1/models/{id}/revoke', 'get /v1/catalog',
      'post /v1/models/{id}/access', 'post /v1/access/{id}/grant', 'post /v1/access/{id}/deny', 'post /v1/consents', 'delete /v1/consents/{id}', 'delete /v1/consents', 'get /v1/models/usage', 'post /v1/runs',
      'get /v1/runs/{id}', 'get /v1/budget', 'get /v1/ledger/checkpoint', 'get /v1/ledger/entries', 'get /v1/ledger/proofs/inclusion', 'get /v1/ledger/proofs/consistency',
      'get /v1/regulator/overview', 'get /v1/regulator/ledger', 'get /v1/regulator/encrypted', 'get /v1/merchants/usage', 'get /healthz', 'get /v1/api-keys', 'post /v1/api-keys/rotate', 'post /v1/orgs/{id}/api-keys/rotate',
      'post /v1/orgs/{id}/api-keys/reissue', 'post /v1/webhooks', 'get /v1/webhooks', 'delete /v1/webhooks/{id}', 'get /v1/webhooks/deliveries',
    ];
    for (const r of routes) {
      const [method, p] = r.split(' ') as [string, string];
      expect(spec.paths[p]?.[method], r).toBeDefined();
    }
    expect(spec.paths['/v1/runs'].post.requestBody).toBeDefined();
    expect((await app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
  });
});

describe('authorisation matrix', () => {
  // [method, url, body, kinds that may pass the audience check]
  const ROUTES: [string, string, unknown, Kind[]][] = [
    ['POST', '/v1/orgs/org_x/admit', undefined, ['regulator']],
    ['POST', '/v1/orgs/org_x/suspend', { reason: 'r' }, ['regulator']],
    ['GET', '/v1/datasets', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/datasets/sip-merchants/fields', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/datasets/sip-merchants/dummy', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['POST', '/v1/models', { manifest: {}, source: '' }, ['fintech']],
    ['GET', '/v1/models/mdl_x', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['POST', '/v1/models/mdl_x/approve', {}, ['regulator']],
    ['POST', '/v1/models/mdl_x/reject', { reason: 'r' }, ['regulator']],
    ['POST', '/v1/models/mdl_x/revoke', { reason: 'r' }, ['regulator']],
    ['GET', '/v1/catalog', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['POST', '/v1/models/mdl_x/access', { purpose: 'credit-assessment' }, ['bank']],
    ['POST', '/v1/keys', { publicKey: 'AAAA' }, ['bank']],
    ['POST', '/v1/access/acc_x/grant', undefined, ['fintech']],
    ['POST', '/v1/access/acc_x/deny', { reason: 'r' }, ['fintech']],
    ['POST', '/v1/consents', { subject: '91350100M000100Y43', bank: 'org_x', purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' }, ['channel']],
    ['DELETE', '/v1/consents/cns_x', undefined, ['channel']],
    ['DELETE', '/v1/consents?subject=91350100M000100Y43', undefined, ['channel']],
    ['GET', '/v1/models/usage', undefined, ['fintech']],
    ['GET', '/v1/runs/run_x', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/budget', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/ledger/checkpoint', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/ledger/entries', undefined, ['regulator']],
    ['GET', '/v1/ledger/proofs/inclusion?index=0&size=1', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/ledger/proofs/consistency?from=1&to=1', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/regulator/overview', undefined, ['regulator']],
    ['GET', '/v1/regulator/ledger', undefined, ['regulator']],
    ['GET', '/v1/regulator/encrypted', undefined, ['regulator']],
    ['GET', '/v1/merchants/usage?subject=91350100M000100Y43', undefined, ['channel']],
    ['GET', '/v1/api-keys', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['POST', '/v1/orgs/org_x/api-keys/rotate', undefined, ['regulator']],
    ['POST', '/v1/orgs/org_x/api-keys/reissue', { reason: 'r' }, ['regulator']],
    ['GET', '/v1/webhooks', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['GET', '/v1/webhooks/deliveries', undefined, ['fintech', 'bank', 'channel', 'regulator']],
    ['DELETE', '/v1/webhooks/whk_x', undefined, ['fintech', 'bank', 'channel', 'regulator']],
  ];
  const KINDS: Kind[] = ['anonymous', 'fintech', 'bank', 'channel', 'regulator'];

  it('lets only the kinds of API.md through each route', async () => {
    for (const [method, url, body, allowed] of ROUTES) {
      for (const kind of KINDS) {
        const r = await call(method, url, kind, body);
        const label = `${kind} ${method} ${url} -> ${r.status} ${r.json?.code ?? ''}`;
        if (kind === 'anonymous') expect(r.status, label).toBe(401);
        else if (!allowed.includes(kind)) expect([r.status, r.json.code], label).toEqual([403, 'ROLE_FORBIDDEN']);
        else expect([401, 403].includes(r.status) && r.json.code === 'ROLE_FORBIDDEN', label).toBe(false);
        expect(r.status, label).toBeLessThan(500);
      }
    }
  });

  it('runs: aggregate only by the provider or the regulator, subjects only by a bank with access', async () => {
    const aggregate = { mode: 'aggregate', modelId: ids.model, cohort: {}, statistics: ['meanScore'] };
    const subjects = { mode: 'subjects', modelId: ids.model, subjects: ['91350100M000100Y43'], purpose: 'credit-assessment' };
    expect((await call('POST', '/v1/runs', 'fintech', aggregate)).status).toBe(202);
    expect((await call('POST', '/v1/runs', 'regulator', aggregate)).status).toBe(202);
    for (const k of ['bank', 'channel'] as Kind[]) expect((await call('POST', '/v1/runs', k, aggregate)).json.code).toBe('ROLE_FORBIDDEN');
    await settleBackground(platform.ctx);
    expect((await call('POST', '/v1/runs', 'bank', subjects)).status).toBe(200);
    for (const k of ['fintech', 'channel', 'regulator'] as Kind[]) expect((await call('POST', '/v1/runs', k, subjects)).json.code).toBe('ROLE_FORBIDDEN');
    expect((await call('POST', '/v1/runs', 'anonymous', subjects)).status).toBe(401);
  });
});

describe('bad input', () => {
  const POSTS: [string, Kind][] = [
    ['/v1/orgs', 'anonymous'],
    ['/v1/models', 'fintech'],
    ['/v1/consents', 'channel'],
    ['/v1/runs', 'bank'],
    ['/v1/runs', 'fintech'],
  ];
  const BODIES: [string, { payload: string; type?: string }][] = [
    ['not JSON', { payload: '{"name": ' }],
    ['an array', { payload: '[1,2,3]' }],
    ['a string', { payload: '"hello"' }],
    ['empty', { payload: '' }],
    ['wrong types', { payload: JSON.stringify({ name: 5, kind: ['bank'], uscc: null, mode: 7, modelId: {}, subjects: 'x', manifest: 'm', source: 1 }) }],
    ['unknown fields', { payload: JSON.stringify({ mode: 'subjects', modelId: 'm', subjects: ['91350100M000100Y43'], purpose: 'credit-assessment', extra: true }) }],
    ['deeply nested', { payload: `${'['.repeat(500)}${']'.repeat(500)}` }],
    ['nested objects', { payload: `${'{"a":'.repeat(100)}1${'}'.repeat(100)}` }],
    ['too large', { payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }],
    ['not JSON media', { payload: 'name=x', type: 'application/x-www-form-urlencoded' }],
    ['__proto__', { payload: '{"__proto__":{"admin":true},"name":"x","kind":"bank","uscc":"91350100M000100Y43"}' }],
  ];

  it('every shape gets a 4xx with a code, no stack, no echo, and writes nothing', async () => {
    for (const [url, who] of POSTS) {
      for (const [label, raw] of BODIES) {
        const before = snapshot();
        const r = await call('POST', url, who, undefined, raw);
        const what = `${label} -> ${url}: ${r.status} ${JSON.stringify(r.json).slice(0, 120)}`;
        expect(r.status, what).toBeGreaterThanOrEqual(400);
        expect(r.status, what).toBeLessThan(500);
        expect(Object.keys(r.json).filter((k) => k !== 'detail').sort(), what).toEqual(['code', 'message', 'requestId']);
        expect(JSON.stringify(r.json), what).not.toMatch(/at .*\.(js|ts):\d+|hello|xxxxxxxx/);
        expect(snapshot(), what).toEqual(before);
      }
    }
  });

  it('takes cohort keys as in API.md or as the catalog field names: the same question either way', async () => {
    const a = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: ids.model, cohort: { sizeBand: 'micro', district: 'loufeng' }, statistics: ['meanScore'] });
    const b = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: ids.model, cohort: { size_band: 'micro', district: 'loufeng' }, statistics: ['meanScore'] });
    expect(a.json.runId).toBeDefined();
    expect(b.json.runId).toBe(a.json.runId);
    const both = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: ids.model, cohort: { sizeBand: 'micro', size_band: 'small' }, statistics: ['meanScore'] });
    expect([both.status, both.json.code]).toEqual([400, 'REQUEST_INVALID']);
    await settleBackground(platform.ctx);
  });

  it('REQUEST_INVALID names the path and the rule that failed, never the value', async () => {
    const r = await call('POST', '/v1/orgs', 'anonymous', { name: 12345, kind: 'bank', uscc: strangerUscc(120) });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'REQUEST_INVALID', detail: 'body/name: invalid_type' });
    const q = await call('GET', '/v1/datasets/sip-merchants/dummy?subjects=999999', 'fintech');
    expect(q.json.detail).toMatch(/^querystring\/subjects: /);
    const secret = await call('POST', '/v1/orgs', 'anonymous', { name: 'x', kind: 'bank', uscc: strangerUscc(121), 'secret-key-91350100M000100Y43': 1 });
    expect(JSON.stringify(secret.json)).not.toContain('91350100M000100Y43');
  });

  it('bad query strings and ids are 4xx too', async () => {
    for (const [url, who] of [
      ['/v1/ledger/proofs/inclusion?index=-1&size=2', 'bank'],
      ['/v1/ledger/proofs/inclusion?index=5&size=999999999', 'bank'],
      ['/v1/ledger/proofs/consistency?from=0&to=1', 'bank'],
      ['/v1/ledger/proofs/consistency?from=abc&to=1', 'bank'],
      ['/v1/datasets/other/fields', 'bank'],
      ['/v1/datasets/sip-merchants/dummy?subjects=0', 'bank'],
      ['/v1/datasets/sip-merchants/dummy?format=xml', 'bank'],
      ['/v1/catalog?tag=a&evil=1', 'bank'],
      [`/v1/models/${'x'.repeat(500)}`, 'bank'],
    ] as [string, Kind][]) {
      const r = await call('GET', url, who);
      expect(r.status, url).toBeGreaterThanOrEqual(400);
      expect(r.status, url).toBeLessThan(500);
      expect(r.json.code, url).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe('abusing access, end to end', () => {
  it("a suspended organisation's key stops working at once; a key never issued does nothing", async () => {
    const a = await call('POST', '/v1/orgs', 'anonymous', { name: 'shortlived', kind: 'fintech', uscc: strangerUscc(111) });
    const key = (await call('POST', `/v1/orgs/${a.json.id}/admit`, 'regulator')).json.apiKey as string;
    const as = (k: string) => app.inject({ method: 'GET', url: '/v1/datasets', headers: { authorization: `Bearer ${k}` } });
    expect((await as(key)).statusCode).toBe(200);
    await call('POST', `/v1/orgs/${a.json.id}/suspend`, 'regulator', { reason: 'misuse' });
    expect(JSON.parse((await as(key)).body).code).toBe('ORG_NOT_ADMITTED');
    expect((await as(`${key.slice(0, -2)}xx`)).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/datasets', headers: { authorization: key } })).statusCode).toBe(401);
  });

  it('a revoked model cannot run; a bank cannot use another organisation’s consent channel', async () => {
    const pkg = readPackage(REFERENCE);
    const m = await call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    await call('POST', `/v1/models/${m.json.id}/approve`, 'regulator');
    await call('POST', `/v1/models/${m.json.id}/revoke`, 'regulator', { reason: 'r' });
    const r = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: m.json.id, cohort: {}, statistics: ['count'] });
    expect([r.status, r.json.code]).toEqual([422, 'MODEL_NOT_RUNNABLE']);
    expect((await call('POST', '/v1/consents', 'bank', { subject: '91350100M000100Y43', bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' })).status).toBe(403);
  });

  it('answers 429 past the rate limit, in the platform’s error format; all keys of one organisation share one bucket', async () => {
    // a window of 3,000 s: the limit is reached well within it, whatever the machine's speed
    const limited = await build({ platform, ratePerSecond: 0.001, rateBurst: 3 });
    try {
      // a second key of the bank, as during a key rotation's grace period
      const second = `dfix_second_${'b'.repeat(24)}`;
      platform.ctx.db.prepare('INSERT INTO api_keys (hash, org, created_at) VALUES (?, ?, ?)').run(createHash('sha256').update(second).digest(), ids.bank, new Date().toISOString());
      const as = (key: string | undefined) => limited.inject({ method: 'GET', url: '/v1/datasets', headers: key ? { authorization: `Bearer ${key}` } : {} });
      const statuses: number[] = [];
      for (const key of [keys.bank, second, keys.bank]) statuses.push((await as(key)).statusCode);
      expect(statuses).toEqual([200, 200, 200]);
      // the bucket is the organisation's: the fourth request is refused with either key
      for (const key of [second, keys.bank]) {
        const r = await as(key);
        expect(r.statusCode).toBe(429);
        const body = JSON.parse(r.body);
        expect(body).toEqual({ code: 'RATE_LIMITED', message: 'Too many requests; slow down.', requestId: expect.any(String) });
        expect(r.headers['retry-after']).toBeDefined();
      }
      // another organisation has its own bucket
      expect((await as(keys.fintech)).statusCode).toBe(200);
      // a key that does not authenticate counts against the address, whatever the key says;
      // sent at once, exactly the requests past the limit are refused
      const stranger = await Promise.all([1, 2, 3, 4].map((i) => as(`dfix_unknown_${i}`)));
      expect(stranger.map((r) => r.statusCode).sort()).toEqual([401, 401, 401, 429]);
      expect((await as(undefined)).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('a real listening server', () => {
  it('serves over loopback, finishes runs in flight on shutdown, and leaves the ledger consistent', async () => {
    await platform.close();
    const config = resolveConfig({ dataDir: dir, port: 0, host: '127.0.0.1' }, {});
    const running = await serve(config, { quiet: true });
    try {
      const health = await fetch(`${running.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
      const reg = (JSON.parse(fs.readFileSync(running.platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
      const pending = fetch(`${running.url}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reg}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'aggregate', modelId: ids.model, cohort: { district: 'weiting' }, statistics: ['meanScore'] }),
      });
      const answer = (await (await pending).json()) as { status: string; runId: string };
      expect(answer.status).toBe('running');
      // shutting down finishes the run in flight and records it
      await running.close();
      const after = running.platform.ctx;
      void after;
      const db = openDatabase(config.statePath, { readonly: true });
      expect(db.prepare('SELECT status FROM runs WHERE id = ?').pluck().get(answer.runId)).toBe('released');
      db.close();
    } finally {
      await running.close();
    }
    platform = await Platform.open(resolveConfig({ dataDir: dir }, {}), { executor });
    app = await build({ platform });
    const ledger = platform.ctx.ledger;
    const report = audit({ export: parseExport([...ledger.exportLines()].join('\n')), genesisKey: ledger.genesisKey, origin: ledger.origin });
    expect(report.problems).toEqual([]);
    expect([...ledger.exportLines()].join('\n')).toMatch(/"mode":"aggregate"/);
  });
});
