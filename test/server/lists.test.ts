import path from 'node:path';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../core/config.js';
import { seedVault } from '../../datasets/store.js';
import { readPackage } from '../../models/package.js';
import { Platform } from '../../sandbox/platform.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { build } from '../../server/app.js';
import { Executor } from '../../workers/client.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

type Who = 'regulator' | 'fintechA' | 'fintechB' | 'bankA' | 'bankB' | 'channelA' | 'channelB' | 'anonymous';
let executor: Executor;
let dir: string;
let platform: Platform;
let app: FastifyInstance;
const keys = {} as Record<Who, string | undefined>;
const ids = {} as Record<string, string>;

async function call(method: string, url: string, who: Who = 'anonymous', body?: unknown) {
  const headers: Record<string, string> = {};
  if (keys[who]) headers.authorization = `Bearer ${keys[who]}`;
  const r = await app.inject({ method: method as 'GET', url, headers, ...(body !== undefined ? { payload: body as object } : {}) });
  return { status: r.statusCode, json: JSON.parse(r.body) as any };
}

/** Every item of a list, page by page, checking that each page but the last is full. */
async function all(url: string, who: Who, limit: number): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const r = await call('GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, who);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    out.push(...r.json.items);
    cursor = r.json.nextCursor;
    if (!cursor) return out;
    expect(r.json.items).toHaveLength(limit);
  }
  throw new Error('too many pages');
}

const FUTURE = '2999-01-01T00:00:00.000Z';

beforeAll(async () => {
  executor = await Executor.start();
  dir = tmpDir('dfix-lists-');
  const config = resolveConfig({ dataDir: dir }, {});
  seedVault(config.vaultPath, { subjects: 1600, seed: 20240601 });
  platform = await Platform.open(config, { executor });
  app = await build({ platform });
  keys.regulator = (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
  const orgs: [Who, string, string][] = [
    ['fintechA', 'fintech', 'Alpha Credit Tech'],
    ['fintechB', 'fintech', 'Beta Scoring'],
    ['bankA', 'bank', 'Gusu Rural Bank'],
    ['bankB', 'bank', 'Jinji Lake Bank'],
    ['channelA', 'channel', 'SIP Merchant App'],
    ['channelB', 'channel', 'Other Merchant App'],
  ];
  for (const [who, kind, name] of orgs) {
    const a = await call('POST', '/v1/orgs', 'anonymous', { name, kind, uscc: strangerUscc(300 + orgs.findIndex((o) => o[0] === who)) });
    ids[who] = a.json.id;
    keys[who] = (await call('POST', `/v1/orgs/${a.json.id}/admit`, 'regulator')).json.apiKey;
  }
  ids.pending = (await call('POST', '/v1/orgs', 'anonymous', { name: 'Waiting Bank', kind: 'bank', uscc: strangerUscc(399) })).json.id;

  const pkg = readPackage(REFERENCE);
  ids.model = (await call('POST', '/v1/models', 'fintechA', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  ids.vetted = (await call('POST', '/v1/models', 'fintechA', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  expect((await call('POST', `/v1/models/${ids.model}/approve`, 'regulator', {})).json.status).toBe('approved');
  ids.accA = (await call('POST', `/v1/models/${ids.model}/access`, 'bankA', { purpose: 'credit-assessment' })).json.id;
  ids.accB = (await call('POST', `/v1/models/${ids.model}/access`, 'bankB', { purpose: 'credit-assessment' })).json.id;
  expect((await call('POST', `/v1/access/${ids.accA}/grant`, 'fintechA')).json.status).toBe('granted');

  const merchants = platform.ctx.vault.usccOf(Int32Array.from([5, 6, 7, 8, 9]));
  for (const [i, m] of merchants.entries()) {
    const [channel, bank]: [Who, Who] = i < 3 ? ['channelA', 'bankA'] : ['channelB', 'bankB'];
    const c = await call('POST', '/v1/consents', channel, { subject: m, bank: ids[bank], purpose: 'credit-assessment', expiresAt: i === 0 ? new Date(Date.now() + 5 * 86_400_000).toISOString() : FUTURE });
    expect(c.status).toBe(201);
    ids[`consent${i}`] = c.json.id;
  }
  ids.subject0 = merchants[0] as string;

  // A real aggregate run of fintech A: answered 202 now, available later.
  const posted = await call('POST', '/v1/runs', 'fintechA', { mode: 'aggregate', modelId: ids.model, cohort: { district: 'xietang' }, statistics: ['meanScore'] });
  expect(posted.status).toBe(202);
  ids.realRun = posted.json.runId;

  // Many runs written directly: bank A 230 (with ties on created_at), bank B 120, and runs
  // whose record is closed but whose answer is not available yet.
  const db = platform.ctx.db;
  const ins = db.prepare('INSERT INTO runs (id, requester, mode, model, status, record, ledger_seq, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const base = Date.parse('2026-01-01T00:00:00Z');
  db.transaction(() => {
    for (let i = 0; i < 230; i++) {
      const at = new Date(base + Math.floor(i / 3) * 60_000).toISOString(); // three runs per minute: ties
      const status = i % 10 === 0 ? 'denied' : 'released';
      ins.run(`run_a${String(i).padStart(4, '0')}`, ids.bankA, 'subjects', ids.model, status, JSON.stringify({ status, mode: 'subjects', decisions: [], results: [{ subject: 'x', score: 500 }], notScored: 0 }), 1, at, at);
    }
    for (let i = 0; i < 120; i++) {
      const at = new Date(base + i * 60_000).toISOString();
      ins.run(`run_b${String(i).padStart(4, '0')}`, ids.bankB, 'subjects', ids.model, 'released', JSON.stringify({ status: 'released', mode: 'subjects', decisions: [], results: [] }), 1, at, at);
    }
    // closed and released in the record, but its answer is available only in the future
    const now = new Date().toISOString();
    ins.run('run_future', ids.fintechA, 'aggregate', ids.model, 'released', JSON.stringify({ status: 'released', mode: 'aggregate', decisions: [], result: { count: 4242 } }), 1, now, FUTURE);
    ins.run('run_past', ids.fintechA, 'aggregate', ids.model, 'released', JSON.stringify({ status: 'released', mode: 'aggregate', decisions: [], result: { count: 17 } }), 1, '2026-02-01T00:00:00.000Z', '2026-02-01T00:00:05.000Z');
    db.prepare('INSERT INTO bank_keys (id, bank, key, digest, created_at) VALUES (?, ?, ?, ?, ?)').run('key_a1', ids.bankA, Buffer.from('k'), 'sha256:aa', '2026-01-01T00:00:00.000Z');
    db.prepare('INSERT INTO bank_keys (id, bank, key, digest, created_at) VALUES (?, ?, ?, ?, ?)').run('key_b1', ids.bankB, Buffer.from('k'), 'sha256:bb', '2026-01-01T00:00:00.000Z');
  })();
});
afterAll(async () => {
  await settleBackground(platform.ctx);
  await app.close();
  await platform.close();
  await executor.close();
  rmDir(dir);
});

// One state built in beforeAll and read in this order: the runs listing expects the real run
// still before its availability time (so soon after setup), and the review rejects the pending
// application the lists show. The order is declared (kept under --sequence.shuffle).
const snapshotConsents = () => platform.ctx.db.prepare('SELECT id, revoked_at FROM consents ORDER BY id').all();

describe('lists over HTTP', { shuffle: false }, () => {
  describe('GET /v1/runs', () => {
    it('pages without duplicates or gaps, newest first, in a stable order', async () => {
      for (const limit of [1, 7, 50, 200]) {
        const items = await all('/v1/runs', 'bankA', limit);
        const got = items.map((r) => r.runId);
        expect(new Set(got).size).toBe(230);
        expect(got).toHaveLength(230);
        // newest first: created_at, then id, descending
        const sorted = [...items].sort((a, b) => (a.requestedAt === b.requestedAt ? (a.runId < b.runId ? 1 : -1) : a.requestedAt < b.requestedAt ? 1 : -1));
        expect(got).toEqual(sorted.map((r) => r.runId));
      }
    });

    it('shows each organisation only its own runs; the regulator all, or one with ?org=', async () => {
      const b = await all('/v1/runs', 'bankB', 200);
      expect(b).toHaveLength(120);
      expect(b.every((r) => r.requester === ids.bankB && r.requesterName === 'Jinji Lake Bank')).toBe(true);
      expect(b.every((r) => r.modelName === 'merchant-scorecard')).toBe(true);
      // asking for another organisation's runs gives nothing
      expect((await call('GET', `/v1/runs?org=${ids.bankB}`, 'bankA')).json.items).toEqual([]);
      expect((await call('GET', `/v1/runs?model=${ids.model}`, 'channelA')).json.items).toEqual([]);
      const reg = await all('/v1/runs', 'regulator', 200);
      expect(reg.length).toBe(230 + 120 + 3);
      expect((await all(`/v1/runs?org=${ids.bankB}`, 'regulator', 33)).length).toBe(120);
    });

    it('filters by mode, status and time', async () => {
      const denied = await all('/v1/runs?status=denied', 'bankA', 10);
      expect(denied).toHaveLength(23);
      expect(denied.every((r) => r.status === 'denied')).toBe(true);
      expect(await all('/v1/runs?mode=aggregate', 'bankA', 10)).toEqual([]);
      const window = await all('/v1/runs?from=2026-01-01T00:10:00Z&to=2026-01-01T00:20:00Z', 'bankB', 3);
      expect(window.map((r) => r.runId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `run_b${String(10 + i).padStart(4, '0')}`));
      expect((await call('GET', '/v1/runs?status=nope', 'bankA')).status).toBe(400);
      expect((await call('GET', '/v1/runs?from=yesterday', 'bankA')).status).toBe(400);
    });

    it('never shows a result or a closed status before availableAt, and the status filter follows what is shown', async () => {
      const mine = await all('/v1/runs?mode=aggregate', 'fintechA', 50);
      const future = mine.find((r) => r.runId === 'run_future');
      expect(future).toMatchObject({ status: 'running', availableAt: FUTURE });
      expect(future.result).toBeUndefined();
      expect(JSON.stringify(mine)).not.toContain('4242');
      const real = mine.find((r) => r.runId === ids.realRun);
      expect(real.status).toBe('running');
      expect(real.result).toBeUndefined();
      const released = await all('/v1/runs?status=released', 'fintechA', 50);
      expect(released.map((r) => r.runId)).toEqual(['run_past']);
      expect(released[0].result).toEqual({ count: 17 });
      const running = (await all('/v1/runs?status=running', 'fintechA', 50)).map((r) => r.runId);
      expect(running).toContain('run_future');
      // subjects runs: a count of scored merchants in the list, the results only at /v1/runs/:id
      const a = (await call('GET', '/v1/runs?limit=1', 'bankA')).json.items[0];
      expect(a.results).toBeUndefined();
      expect(a.scored).toBe(1);
    });

    it('refuses a malformed cursor or limit', async () => {
      expect((await call('GET', '/v1/runs?cursor=bm90LWpzb24', 'bankA')).json.code).toBe('LIST_CURSOR_INVALID');
      expect((await call('GET', `/v1/runs?cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'bankA')).json.code).toBe('LIST_CURSOR_INVALID');
      expect((await call('GET', '/v1/runs?limit=201', 'bankA')).status).toBe(400);
      expect((await call('GET', '/v1/runs?limit=0', 'bankA')).status).toBe(400);
      expect((await call('GET', '/v1/runs?sort=id', 'bankA')).status).toBe(400);
      expect((await call('GET', '/v1/runs')).status).toBe(401);
    });
  });

  describe('the other lists', () => {
    it('GET /v1/orgs: the regulator only, filtered and paged', async () => {
      expect((await call('GET', '/v1/orgs', 'bankA')).json.code).toBe('ROLE_FORBIDDEN');
      const everyone = await all('/v1/orgs', 'regulator', 2);
      expect(everyone).toHaveLength(8);
      expect(new Set(everyone.map((o) => o.id)).size).toBe(8);
      const pending = (await call('GET', '/v1/orgs?status=pending', 'regulator')).json.items;
      expect(pending).toEqual([expect.objectContaining({ id: ids.pending, name: 'Waiting Bank', kind: 'bank', uscc: strangerUscc(399), status: 'pending', createdAt: expect.any(String) })]);
      expect((await all('/v1/orgs?kind=fintech', 'regulator', 1)).map((o) => o.name).sort()).toEqual(['Alpha Credit Tech', 'Beta Scoring']);
    });

    it('GET /v1/models: the regulator all, a fintech its own, others approved public cards, with provider names', async () => {
      const reg = (await call('GET', '/v1/models', 'regulator')).json.items;
      expect(reg.map((m: any) => m.id).sort()).toEqual([ids.model, ids.vetted].sort());
      expect(reg.every((m: any) => m.providerName === 'Alpha Credit Tech' && m.source === undefined && m.report === undefined)).toBe(true);
      expect((await call('GET', '/v1/models?status=vetted', 'regulator')).json.items.map((m: any) => m.id)).toEqual([ids.vetted]);
      expect((await call('GET', `/v1/models?provider=${ids.fintechB}`, 'regulator')).json.items).toEqual([]);
      expect((await call('GET', '/v1/models', 'fintechA')).json.items).toHaveLength(2);
      expect((await call('GET', '/v1/models', 'fintechB')).json.items).toEqual([]);
      const cards = (await call('GET', '/v1/models', 'bankB')).json.items;
      expect(cards).toHaveLength(1);
      expect(cards[0]).toMatchObject({ id: ids.model, providerName: 'Alpha Credit Tech', status: 'approved' });
      expect(cards[0].source).toBeUndefined();
      expect((await call('GET', '/v1/models?status=vetted', 'bankB')).json.items).toEqual([]);
    });

    it('GET /v1/access: the bank its own requests, the provider those on its models, the regulator all', async () => {
      const a = (await call('GET', '/v1/access', 'bankA')).json.items;
      expect(a).toEqual([expect.objectContaining({ id: ids.accA, status: 'granted', bankName: 'Gusu Rural Bank', providerName: 'Alpha Credit Tech', modelName: 'merchant-scorecard' })]);
      expect((await call('GET', '/v1/access', 'fintechA')).json.items.map((x: any) => x.id).sort()).toEqual([ids.accA, ids.accB].sort());
      expect((await call('GET', '/v1/access?status=requested', 'fintechA')).json.items.map((x: any) => x.id)).toEqual([ids.accB]);
      expect((await call('GET', '/v1/access', 'fintechB')).json.items).toEqual([]);
      expect((await call('GET', `/v1/access?model=${ids.model}`, 'regulator')).json.items).toHaveLength(2);
      expect((await call('GET', '/v1/access', 'channelA')).status).toBe(403);
    });

    it('GET /v1/consents: the recording channel and the authorised bank, nobody else', async () => {
      const ch = await all('/v1/consents', 'channelA', 2);
      expect(ch.map((c) => c.id).sort()).toEqual([ids.consent0, ids.consent1, ids.consent2].sort());
      expect(ch.every((c) => c.bankName === 'Gusu Rural Bank' && c.status === 'active')).toBe(true);
      expect((await call('GET', '/v1/consents', 'bankB')).json.items.map((c: any) => c.id).sort()).toEqual([ids.consent3, ids.consent4].sort());
      expect((await call('GET', `/v1/consents?subject=${ids.subject0}`, 'bankA')).json.items.map((c: any) => c.id)).toEqual([ids.consent0]);
      expect((await call('GET', `/v1/consents?subject=${ids.subject0}`, 'bankB')).json.items).toEqual([]);
      expect((await call('GET', `/v1/consents?bank=${ids.bankB}`, 'channelA')).json.items).toEqual([]);
      expect((await call('GET', '/v1/consents', 'fintechA')).status).toBe(403);
      expect((await call('DELETE', `/v1/consents/${ids.consent2}`, 'channelA')).json.status).toBe('revoked');
      expect((await call('GET', '/v1/consents', 'bankA')).json.items.find((c: any) => c.id === ids.consent2).status).toBe('revoked');
    });

    it('GET /v1/me: the organisation of the key', async () => {
      expect((await call('GET', '/v1/me', 'bankA')).json).toEqual({ id: ids.bankA, name: 'Gusu Rural Bank', kind: 'bank', uscc: strangerUscc(302), status: 'admitted' });
      expect((await call('GET', '/v1/me')).status).toBe(401);
    });

    it('GET /v1/keys: a bank its own keys', async () => {
      expect((await call('GET', '/v1/keys', 'bankA')).json.items).toEqual([{ id: 'key_a1', digest: 'sha256:aa', createdAt: '2026-01-01T00:00:00.000Z' }]);
      expect((await call('GET', '/v1/keys', 'regulator')).status).toBe(403);
    });

    it('GET /v1/inbox: what awaits each organisation', async () => {
      const reg = (await call('GET', '/v1/inbox', 'regulator')).json;
      expect(reg.sections.find((s: any) => s.type === 'org.pending')).toMatchObject({ count: 1, items: [expect.objectContaining({ id: ids.pending })] });
      expect(reg.sections.find((s: any) => s.type === 'model.vetted')).toMatchObject({ count: 1, items: [expect.objectContaining({ id: ids.vetted, providerName: 'Alpha Credit Tech' })] });
      const fa = (await call('GET', '/v1/inbox', 'fintechA')).json;
      expect(fa.sections[0]).toMatchObject({ type: 'access.requested', count: 1, items: [expect.objectContaining({ id: ids.accB, bankName: 'Jinji Lake Bank' })] });
      expect((await call('GET', '/v1/inbox', 'fintechB')).json.sections[0].count).toBe(0);
      const bank = (await call('GET', '/v1/inbox?since=2025-12-31T00:00:00Z', 'bankB')).json;
      expect(bank.sections[0]).toMatchObject({ type: 'run.available', count: 120 });
      expect(bank.sections[0].items).toHaveLength(50);
      expect((await call('GET', '/v1/inbox', 'bankB')).json.sections[0].count).toBe(0);
      const ch = (await call('GET', '/v1/inbox', 'channelA')).json;
      expect(ch.sections[0]).toMatchObject({ type: 'consent.expiring', count: 1, items: [expect.objectContaining({ id: ids.consent0 })] });
    });
  });

  describe('revoke all', () => {
    it('DELETE /v1/consents?subject=: every consent of the merchant this channel recorded, each with its ledger entry and webhook', async () => {
      // a second consent of merchant 0, to bank B, and bank A's endpoint for consent.revoked (written
      // directly: its URL is never called here)
      const extra = (await call('POST', '/v1/consents', 'channelA', { subject: ids.subject0, bank: ids.bankB, purpose: 'credit-assessment', expiresAt: FUTURE })).json.id;
      const db = platform.ctx.db;
      db.prepare("INSERT INTO webhooks (id, org, url, events, secret, created_at) VALUES ('whk_revokeall', ?, 'https://example.org/h', '[\"consent.revoked\"]', 's', ?)").run(ids.bankA, new Date().toISOString());
      await settleBackground(platform.ctx);
      const size = platform.ctx.ledger.size();
      const before = snapshotConsents();
      // refused: another channel's merchant has nothing to revoke there; a malformed code; a bank
      expect((await call('DELETE', `/v1/consents?subject=${ids.subject0}`, 'channelB')).json).toEqual({ subject: ids.subject0, revoked: [] });
      expect((await call('DELETE', '/v1/consents?subject=NOT-A-CODE', 'channelA')).json.code).toBe('SUBJECT_INVALID');
      expect((await call('DELETE', '/v1/consents', 'channelA')).status).toBe(400);
      expect((await call('DELETE', `/v1/consents?subject=${ids.subject0}`, 'bankA')).json.code).toBe('ROLE_FORBIDDEN');
      expect(snapshotConsents()).toEqual(before);
      expect(platform.ctx.ledger.size()).toBe(size);

      const r = await call('DELETE', `/v1/consents?subject=${ids.subject0}`, 'channelA');
      expect(r.status).toBe(200);
      expect(r.json.subject).toBe(ids.subject0);
      expect([...r.json.revoked].sort()).toEqual([ids.consent0, extra].sort());
      const mine = (await call('GET', `/v1/consents?subject=${ids.subject0}`, 'channelA')).json.items;
      expect(mine.map((c: any) => c.status)).toEqual(['revoked', 'revoked']);
      // the other merchants' consents are untouched
      expect((await call('GET', '/v1/consents', 'channelA')).json.items.filter((c: any) => c.status === 'active').map((c: any) => c.id)).toEqual([ids.consent1]);
      const entries = platform.ctx.ledger.entries(size, platform.ctx.ledger.size()).map((e) => e.entry);
      expect(entries.map((e) => [e.type, e.actor])).toEqual([
        ['consent.revoked', ids.channelA],
        ['consent.revoked', ids.channelA],
      ]);
      expect(entries.map((e) => (e as unknown as { consent: string }).consent).sort()).toEqual([ids.consent0, extra].sort());
      // one webhook per consent, to the bank each authorised: bank A's endpoint hears of its own only
      const hooks = db.prepare("SELECT payload FROM webhook_deliveries WHERE endpoint = 'whk_revokeall'").pluck().all() as string[];
      expect(hooks.map((p) => JSON.parse(p).data)).toEqual([{ consent: ids.consent0 }]);
      // again: nothing left to revoke
      expect((await call('DELETE', `/v1/consents?subject=${ids.subject0}`, 'channelA')).json.revoked).toEqual([]);
    });
  });

  describe('model usage', () => {
    it("GET /v1/models/usage: a fintech's models with their runs by mode, counts and names only; others 403", async () => {
      const r = await call('GET', '/v1/models/usage', 'fintechA');
      expect(r.status).toBe(200);
      // 350 subjects runs of two banks and three aggregate runs of fintech A (one not yet available) on the approved model
      expect(r.json.items).toEqual([
        { model: ids.vetted, name: 'merchant-scorecard', version: '1.0.0', status: 'vetted', runs: { aggregate: 0, subjects: 0, encrypted: 0 } },
        { model: ids.model, name: 'merchant-scorecard', version: '1.0.0', status: 'approved', runs: { aggregate: 3, subjects: 350, encrypted: 0 } },
      ]);
      expect(JSON.stringify(r.json)).not.toContain(ids.bankA);
      expect((await call('GET', '/v1/models/usage', 'fintechB')).json).toEqual({ items: [] });
      for (const who of ['bankA', 'channelA', 'regulator'] as const) expect((await call('GET', '/v1/models/usage', who)).status).toBe(403);
      expect((await call('GET', '/v1/models/usage')).status).toBe(401);
    });
  });

  describe('review', () => {
    it('GET /v1/models/:id/source: the regulator and the provider, nobody else', async () => {
      const s = await call('GET', `/v1/models/${ids.vetted}/source`, 'regulator');
      expect(s.status).toBe(200);
      expect(s.json.source).toBe(readPackage(REFERENCE).source);
      expect(s.json.report.passed).toBe(true);
      expect((await call('GET', `/v1/models/${ids.vetted}/source`, 'fintechA')).status).toBe(200);
      expect((await call('GET', `/v1/models/${ids.model}/source`, 'fintechB')).json.code).toBe('MODEL_UNKNOWN');
      expect((await call('GET', `/v1/models/${ids.model}/source`, 'bankA')).json.code).toBe('MODEL_UNKNOWN');
    });

    it('GET /v1/models/:id/source: the previous version of the same name by the same provider, the line diff, findings by line', async () => {
      const first = (await call('GET', `/v1/models/${ids.model}/source`, 'regulator')).json;
      expect(first.previous).toBeNull();
      expect(first.diff).toBeNull();
      expect(first.findings).toEqual([]);
      const second = (await call('GET', `/v1/models/${ids.vetted}/source`, 'regulator')).json;
      expect(second.previous).toEqual({ id: ids.model, version: '1.0.0', digest: first.digest });
      expect(second.diff).toEqual({ status: 'ok', added: 0, removed: 0, hunks: [] });

      // a third version with a line the pure-module discipline refuses, and one line changed
      const pkg = readPackage(REFERENCE);
      const lines = pkg.source.split('\n');
      const at = lines.findIndex((l) => l.startsWith('const BASE'));
      const source = [...lines.slice(0, at), 'const BASE = 710;', 'let leak = 0;', ...lines.slice(at + 1)].join('\n');
      const manifest = { ...(pkg.manifestJson as object), version: '1.1.0' };
      const third = (await call('POST', '/v1/models', 'fintechA', { manifest, source })).json.id;
      // another provider's model of the same name is not a previous version of fintechA's
      const other = (await call('POST', '/v1/models', 'fintechB', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
      expect((await call('GET', `/v1/models/${other}/source`, 'regulator')).json.previous).toBeNull();

      const s = (await call('GET', `/v1/models/${third}/source`, 'fintechA')).json;
      expect(s.previous).toEqual({ id: ids.vetted, version: '1.0.0', digest: second.digest });
      expect(s.diff).toMatchObject({ status: 'ok', added: 2, removed: 1 });
      const changed = s.diff.hunks.flatMap((h: any) => h.lines).filter((l: any) => l.op !== ' ');
      expect(changed).toEqual([
        { op: '-', text: lines[at], old: at + 1 },
        { op: '+', text: 'const BASE = 710;', new: at + 1 },
        { op: '+', text: 'let leak = 0;', new: at + 2 },
      ]);
      // the finding sits on the line the diff shows added
      expect(s.findings).toEqual([expect.objectContaining({ rule: 'R2', line: at + 2, severity: 'fail' })]);
      expect(s.report.passed).toBe(false);
    });

    it('GET /v1/models/:id/source: a format model keeps its structure in the report, and has no source findings', async () => {
      const pkg = readPackage(path.resolve('models/examples/xgboost-credit'));
      const id = (await call('POST', '/v1/models', 'fintechB', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
      const s = (await call('GET', `/v1/models/${id}/source`, 'fintechB')).json;
      expect(s.report.structure).toBeDefined();
      expect(s.findings).toEqual([]);
      expect(s.previous).toBeNull();
    });

    it('GET /v1/models/:id/source: versions too different for the diff bound are said to be, at once', async () => {
      // two sources near the 256 KiB cap with no line in common (rows written directly: vetting is not the point)
      const big = (tag: string) => Array.from({ length: 9_000 }, (_, i) => `const ${tag}${i} = ${i}; // pad`).join('\n');
      const put = platform.ctx.db.prepare("INSERT INTO models (id, provider, digest, manifest, source, status, report, created_at) VALUES (?, ?, ?, ?, ?, 'vetting_failed', '{\"passed\":false,\"checks\":[]}', ?)");
      put.run('mdl_big_one', ids.fintechB, 'sha256:01', JSON.stringify({ name: 'big-model', version: '1' }), big('a'), '2026-03-01T00:00:00.000Z');
      put.run('mdl_big_two', ids.fintechB, 'sha256:02', JSON.stringify({ name: 'big-model', version: '2' }), big('b'), '2026-03-02T00:00:00.000Z');
      expect(big('b').length).toBeLessThan(256 * 1024);
      const s = (await call('GET', '/v1/models/mdl_big_two/source', 'regulator')).json;
      expect(s.previous).toEqual({ id: 'mdl_big_one', version: '1', digest: 'sha256:01' });
      expect(s.diff).toEqual({ status: 'too_large', reason: expect.any(String) });
      expect(s.source).toBe(big('b'));
    });

    it('rejects a pending application and reinstates a suspended organisation, in the ledger', async () => {
      await settleBackground(platform.ctx); // runs other tests started write their entries first, not among these
      const size = platform.ctx.ledger.size();
      expect((await call('POST', `/v1/orgs/${ids.pending}/reject`, 'regulator', { reason: 'incomplete documents' })).json).toEqual({ id: ids.pending, status: 'rejected' });
      expect((await call('POST', `/v1/orgs/${ids.pending}/reject`, 'regulator', { reason: 'again' })).json.code).toBe('ORG_STATE');
      expect((await call('POST', `/v1/orgs/${ids.pending}/admit`, 'regulator')).json.code).toBe('ORG_STATE');
      expect((await call('POST', `/v1/orgs/${ids.bankB}/reject`, 'bankA', { reason: 'x' })).status).toBe(403);
      expect((await call('GET', '/v1/orgs?status=rejected', 'regulator')).json.items.map((o: any) => [o.id, o.reason])).toEqual([[ids.pending, 'incomplete documents']]);

      expect((await call('POST', `/v1/orgs/${ids.channelB}/reinstate`, 'regulator', { reason: 'x' })).json.code).toBe('ORG_STATE');
      await call('POST', `/v1/orgs/${ids.channelB}/suspend`, 'regulator', { reason: 'audit' });
      expect((await call('GET', '/v1/consents', 'channelB')).json.code).toBe('ORG_NOT_ADMITTED');
      expect((await call('POST', `/v1/orgs/${ids.channelB}/reinstate`, 'regulator', { reason: 'audit closed' })).json).toEqual({ id: ids.channelB, status: 'admitted' });
      expect((await call('GET', '/v1/consents', 'channelB')).status).toBe(200);
      expect((await call('GET', '/v1/orgs?kind=channel', 'regulator')).json.items.find((o: any) => o.id === ids.channelB).reason).toBe('audit closed');
      const types = platform.ctx.ledger.entries(size, size + 10).map((e) => e.entry.type);
      expect(types).toEqual(['org.rejected', 'org.suspended', 'org.reinstated']);
    });

    it('documents the new routes with their query parameters in OpenAPI', async () => {
      const doc = (await call('GET', '/openapi.json')).json;
      for (const p of ['/v1/orgs', '/v1/models', '/v1/access', '/v1/runs', '/v1/consents', '/v1/keys', '/v1/inbox']) expect(doc.paths[p]?.get, p).toBeDefined();
      const params = doc.paths['/v1/runs'].get.parameters.map((p: { name: string }) => p.name).sort();
      expect(params).toEqual(['cursor', 'from', 'limit', 'mode', 'model', 'org', 'status', 'to']);
      const item = doc.paths['/v1/runs'].get.responses['200'].content['application/json'].schema.properties.items.items;
      expect(Object.keys(item.properties)).toEqual(expect.arrayContaining(['runId', 'requesterName', 'modelName', 'availableAt', 'status']));
      expect(doc.paths['/v1/orgs/{id}/reject'].post).toBeDefined();
      expect(doc.paths['/v1/models/{id}/source'].get).toBeDefined();
    });
  });
});
