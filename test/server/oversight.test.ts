// The regulator's oversight routes: the ledger newest first with names beside identifiers,
// and encrypted evaluations per bank and per merchant; only the regulator; bad queries are
// coded 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { strangerUscc } from '../helpers/platform.js';

let w: HttpWorld;
beforeAll(async () => {
  w = await httpWorld('dfix-oversight-', 500);
}, 120_000);
afterAll(async () => w?.close());

describe('GET /v1/regulator/ledger', () => {
  it('pages the ledger newest first, with organisation names beside their ids', async () => {
    const size = w.platform.ctx.ledger.size();
    const first = await w.call('GET', '/v1/regulator/ledger?limit=3', 'regulator');
    expect(first.status).toBe(200);
    expect(first.json.size).toBe(size);
    expect(first.json.items.map((e: { seq: number }) => e.seq)).toEqual([size - 1, size - 2, size - 3]);
    // the last entries admitted the channel: named
    const admitted = first.json.items.find((e: { type: string; entry: { org: string } }) => e.type === 'org.admitted' && e.entry.org === w.ids.channel);
    expect(admitted.names[w.ids.channel as string]).toBe('channel org');
    expect(admitted.names[admitted.actor]).toBe(w.platform.ctx.db.prepare("SELECT name FROM orgs WHERE kind = 'regulator'").pluck().get());
    // the entry as stored, so that its leaf hash can be recomputed from it
    expect(admitted.entry).toEqual(w.platform.ctx.ledger.entries(admitted.seq, admitted.seq + 1)[0]?.entry);
    // the next pages, through the cursor, down to the genesis entry
    const seen: number[] = first.json.items.map((e: { seq: number }) => e.seq);
    let cursor = first.json.nextCursor as string | null;
    while (cursor) {
      const p = await w.call('GET', `/v1/regulator/ledger?limit=4&cursor=${cursor}`, 'regulator');
      seen.push(...p.json.items.map((e: { seq: number }) => e.seq));
      cursor = p.json.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: size }, (_, i) => size - 1 - i));
  });

  it('is the regulator only, and refuses a bad query with a coded 400', async () => {
    for (const who of ['fintech', 'bank', 'channel']) expect((await w.call('GET', '/v1/regulator/ledger', who)).json.code).toBe('ROLE_FORBIDDEN');
    expect((await w.call('GET', '/v1/regulator/ledger', null)).status).toBe(401);
    for (const q of ['limit=0', 'limit=201', 'cursor=-1', 'cursor=abc', 'other=1']) {
      const r = await w.call('GET', `/v1/regulator/ledger?${q}`, 'regulator');
      expect(r.status, q).toBe(400);
      expect(r.json.code, q).toBe('REQUEST_INVALID');
    }
  });
});

describe('GET /v1/regulator/encrypted', () => {
  it('counts evaluations per bank, per merchant and per pair, most first, with bank names', async () => {
    const db = w.platform.ctx.db;
    const today = w.platform.ctx.now().toISOString().slice(0, 10);
    const old = '2020-01-01';
    const [m1, m2, m3] = [strangerUscc(900), strangerUscc(901), strangerUscc(902)];
    // encrypted runs and the quota rows they reserved, as runEncrypted writes them
    const run = db.prepare("INSERT INTO runs (id, requester, mode, model, status, record, created_at) VALUES (?, ?, 'encrypted', 'mdl_x', 'released', '{}', ?)");
    const quota = db.prepare('INSERT INTO encrypted_quota (bank, subject, model, day, run) VALUES (?, ?, ?, ?, ?)');
    const bank = w.ids.bank as string;
    run.run('run_e1', bank, `${today}T01:00:00.000Z`);
    run.run('run_e2', bank, `${today}T02:00:00.000Z`);
    run.run('run_e0', bank, `${old}T02:00:00.000Z`);
    for (const m of [m1, m2, m3]) quota.run(bank, m, 'enc:d1', today, 'run_e1');
    quota.run(bank, m1, 'enc:d2', today, 'run_e2'); // the same merchant under a second model
    quota.run(bank, m1, 'enc:d1', old, 'run_e0'); // outside the window
    quota.run('org_other', m1, 'enc:d1', today, 'run_x');

    const r = await w.call('GET', '/v1/regulator/encrypted?days=7&top=2', 'regulator');
    expect(r.status).toBe(200);
    expect(r.json.byBank[0]).toEqual({ bank, bankName: 'bank org', runs: 2, evaluations: 4, merchants: 3, mostOnOneMerchant: 2 });
    expect(r.json.byBank[1]).toMatchObject({ bank: 'org_other', bankName: null, runs: 0, evaluations: 1 });
    expect(r.json.byMerchant).toEqual([
      { subject: m1, evaluations: 3, banks: 2 },
      { subject: [m2, m3].sort()[0], evaluations: 1, banks: 1 },
    ]);
    expect(r.json.pairs[0]).toEqual({ bank, bankName: 'bank org', subject: m1, evaluations: 2, days: 1 });
    // a day within the window counts, one before it does not
    quota.run(bank, m2, 'enc:d1', new Date(Date.parse(today) - 6 * 86_400_000).toISOString().slice(0, 10), 'run_e3');
    quota.run(bank, m2, 'enc:d1', new Date(Date.parse(today) - 7 * 86_400_000).toISOString().slice(0, 10), 'run_e4');
    expect((await w.call('GET', '/v1/regulator/encrypted?days=7', 'regulator')).json.byBank[0]).toMatchObject({ bank, evaluations: 5, mostOnOneMerchant: 2 });
  });

  it('is the regulator only, and refuses a bad query with a coded 400', async () => {
    for (const who of ['fintech', 'bank', 'channel']) expect((await w.call('GET', '/v1/regulator/encrypted', who)).json.code).toBe('ROLE_FORBIDDEN');
    for (const q of ['days=0', 'days=367', 'top=0', 'top=x', 'bank=1']) {
      const r = await w.call('GET', `/v1/regulator/encrypted?${q}`, 'regulator');
      expect(r.status, q).toBe(400);
      expect(r.json.code, q).toBe('REQUEST_INVALID');
    }
  });
});

describe('GET /v1/merchants/usage', () => {
  it("lists who evaluated the channel's merchant and when, with names; nothing for another channel's", async () => {
    const db = w.platform.ctx.db;
    const [m, other] = w.platform.ctx.vault.usccOf(Int32Array.from([5, 6])) as [string, string];
    expect((await w.call('POST', '/v1/consents', 'channel', { subject: m, bank: w.ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' })).status).toBe(201);
    db.prepare("INSERT INTO models (id, provider, digest, manifest, source, status, report, approved_digest, created_at) VALUES ('mdl_use', ?, 'sha256:dd', ?, '', 'approved', '{}', 'sha256:dd', ?)").run(
      w.ids.fintech,
      JSON.stringify({ name: 'usage-model' }),
      new Date().toISOString(),
    );
    db.prepare("INSERT INTO subject_results (bank, subject, model, day, result) VALUES (?, ?, 'sha256:dd', '2026-03-01', '{}')").run(w.ids.bank, m);
    db.prepare("INSERT INTO subject_results (bank, subject, model, day, result) VALUES (?, ?, 'sha256:dd', '2026-03-01', '{}')").run(w.ids.bank, other);
    db.prepare("INSERT INTO runs (id, requester, mode, model, status, record, ledger_seq, created_at) VALUES ('run_use', ?, 'encrypted', 'mdl_use', 'released', '{}', 7, '2026-03-02T10:00:00.000Z')").run(w.ids.bank);
    db.prepare("INSERT INTO encrypted_quota (bank, subject, model, day, run) VALUES (?, ?, 'enc:sha256:dd', '2026-03-02', 'run_use')").run(w.ids.bank, m);

    const r = await w.call('GET', `/v1/merchants/usage?subject=${m}`, 'channel');
    expect(r.status).toBe(200);
    expect(r.json.items).toEqual([
      { mode: 'encrypted', bank: w.ids.bank, bankName: 'bank org', model: 'mdl_use', modelName: 'usage-model', day: '2026-03-02', at: '2026-03-02T10:00:00.000Z', run: 'run_use', ledgerSeq: 7 },
      { mode: 'subjects', bank: w.ids.bank, bankName: 'bank org', model: 'mdl_use', modelName: 'usage-model', day: '2026-03-01', at: null, run: null, ledgerSeq: null },
    ]);
    // a merchant this channel holds no consent for: the same answer as one nobody used
    expect((await w.call('GET', `/v1/merchants/usage?subject=${other}`, 'channel')).json).toEqual({ subject: other, items: [] });
    expect((await w.call('GET', `/v1/merchants/usage?subject=${m}&limit=1`, 'channel')).json.items).toHaveLength(1);
  });

  it('is the channel only, and refuses a bad query with a coded 400', async () => {
    const [m] = w.platform.ctx.vault.usccOf(Int32Array.from([5])) as [string];
    for (const who of ['fintech', 'bank', 'regulator']) expect((await w.call('GET', `/v1/merchants/usage?subject=${m}`, who)).json.code).toBe('ROLE_FORBIDDEN');
    for (const q of ['', 'subject=abc', `subject=${m.slice(0, -1)}X`, `subject=${m}&limit=0`, `subject=${m}&x=1`]) {
      const r = await w.call('GET', `/v1/merchants/usage?${q}`, 'channel');
      expect(r.status, q).toBe(400);
      expect(r.json.code, q).toBe('REQUEST_INVALID');
    }
  });
});
