// The typed client against a real server on loopback: typed answers, errors as ApiError
// with the server's code, status and request id, and the 202 + availableAt contract of runs.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, DfixClient } from '../../client/client.js';
import { readPackage } from '../../models/package.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE } from '../helpers/platform.js';

let w: HttpWorld;
let as: (who: string | null) => DfixClient;

beforeAll(async () => {
  w = await httpWorld('dfix-client-', 850);
  await w.app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}/`;
  as = (who) => new DfixClient({ baseUrl, apiKey: who ? (w.keys[who] as string) : null });
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe('DfixClient', () => {
  it('plays a model from submission to a bank’s scores and a fintech’s aggregate', async () => {
    expect(await as(null).health()).toEqual({ ok: true });
    expect((await as('bank').me()).kind).toBe('bank');
    const pkg = readPackage(REFERENCE);
    const sub = await as('fintech').submitModel({ manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source });
    expect(sub.status).toBe('vetted');
    expect(await as('regulator').approveModel(sub.id)).toEqual({ id: sub.id, status: 'approved', stage: 'production', expiresAt: expect.any(String) });
    const card = await as('bank').model(sub.id);
    expect('disclosure' in card && card.disclosure.bitsPerMerchantPerBankPerDay).toBeGreaterThan(0);
    const acc = await as('bank').requestAccess(sub.id, 'credit-assessment');
    expect(await as('fintech').grantAccess(acc.id)).toEqual({ id: acc.id, status: 'granted' });
    const [m] = w.platform.ctx.vault.usccOf(Int32Array.from([7]));
    await as('channel').recordConsent({ subject: m as string, bank: w.ids.bank as string, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const scored = await as('bank').run({ mode: 'subjects', modelId: sub.id, subjects: [m as string], purpose: 'credit-assessment' });
    expect(scored.results?.map((r) => r.subject)).toEqual([m]);

    // an aggregate is answered 202 (running) until availableAt; runAndWait asks again then
    let waitedFor: string | null = null;
    const agg = await as('fintech').runAndWait({ mode: 'aggregate', modelId: sub.id, cohort: {}, statistics: ['count', 'meanScore'] }, (at) => (waitedFor = at));
    expect(agg.status).toBe('released');
    expect(waitedFor).toBe(agg.availableAt);
    expect(agg.result?.count).toBe(1600);
    expect((await as('fintech').runs()).items.map((r) => r.runId)).toContain(agg.runId);
    expect((await as('fintech').modelUsage()).items.find((u) => u.model === sub.id)?.runs).toEqual({ aggregate: 1, subjects: 1, encrypted: 0 });
    expect((await as('channel').revokeAllConsents(m as string)).revoked).toHaveLength(1);
    const cp = await as('bank').checkpoint();
    expect((await as('bank').inclusion(0, cp.size)).path.length).toBeGreaterThan(0);
  });

  it('throws ApiError with the code, status, request id and detail of the error body', async () => {
    const e1 = await as('bank').getRun('run_nothing').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ApiError);
    expect(e1).toMatchObject({ status: 404, code: 'RUN_UNKNOWN', requestId: expect.stringMatching(/^[0-9a-f]+$/), message: 'No such run.' });
    const e2 = await as('bank').approveModel('mdl_x').catch((e: unknown) => e);
    expect(e2).toMatchObject({ status: 403, code: 'ROLE_FORBIDDEN' });
    const e3 = await as(null).me().catch((e: unknown) => e);
    expect(e3).toMatchObject({ status: 401, code: 'AUTH_MISSING' });
    const e4 = await as('bank').run({ mode: 'subjects', modelId: 'm', subjects: [], purpose: 'credit-assessment' }).catch((e: unknown) => e);
    expect(e4).toMatchObject({ status: 400, code: 'REQUEST_INVALID', detail: 'body/subjects: too_small' });
  });
});
