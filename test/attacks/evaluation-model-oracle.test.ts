// ATTACK: "a model in evaluation does not exist for a bank" (docs/design.md, Two stages).
// Every bank-facing read of it answers MODEL_UNKNOWN, but a run names it apart: POST
// /v1/runs (subjects or encrypted) checks runnableModel() before anything else and answers
// MODEL_NOT_RUNNABLE for a model that exists (in evaluation, vetted, rejected, revoked,
// expired) and MODEL_UNKNOWN for an id that does not. A bank learns which model ids exist
// and that a fintech has a model under review. A rival fintech's aggregate run tells
// unknown (404), not runnable (422, vetted/evaluation) and runnable (403) apart. Model ids
// are 96 random bits, so this needs an id learnt elsewhere: low.
// Secure behaviour: for a bank, a model it may not see answers exactly like an unknown id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';

let w: HttpWorld;
let evalModel = '';
let vettedModel = '';
beforeAll(async () => {
  w = await httpWorld('dfix-atk-eval-', 7200);
  const pkg = readPackage(REFERENCE);
  evalModel = (await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  vettedModel = (await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  expect((await w.call('POST', `/v1/models/${evalModel}/approve`, 'regulator', { stage: 'evaluation' })).json).toMatchObject({ stage: 'evaluation' });
});
afterAll(async () => {
  await settleBackground(w.platform.ctx);
  await w.close();
});

const unknownId = 'mdl_00000000000000000000000000';
const shape = (r: { status: number; json: Record<string, any> }) => [r.status, r.json.code, r.json.detail ?? null];

describe('a model in evaluation, seen by a bank', () => {
  it('reads (GET /v1/models/:id, access requests) answer as for an unknown id (held)', async () => {
    expect(shape(await w.call('GET', `/v1/models/${evalModel}`, 'bank'))).toEqual(shape(await w.call('GET', `/v1/models/${unknownId}`, 'bank')));
    const body = { purpose: 'credit-line' };
    expect(shape(await w.call('POST', `/v1/models/${evalModel}/access`, 'bank', body))).toEqual(shape(await w.call('POST', `/v1/models/${unknownId}/access`, 'bank', body)));
  });

  it('a subjects run on it answers as for an unknown id', async () => {
    const req = (m: string) => ({ mode: 'subjects', modelId: m, subjects: ['91110000000000000X'], purpose: 'credit-line' });
    const unknown = shape(await w.call('POST', '/v1/runs', 'bank', req(unknownId)));
    expect.soft(shape(await w.call('POST', '/v1/runs', 'bank', req(evalModel))), 'evaluation').toEqual(unknown);
    expect.soft(shape(await w.call('POST', '/v1/runs', 'bank', req(vettedModel))), 'vetted, never approved').toEqual(unknown);
  });

  it("another fintech's aggregate run on it answers as for an unknown id", async () => {
    const a = await w.call('POST', '/v1/orgs', null, { name: 'rival fintech', kind: 'fintech', uscc: strangerUscc(7210) });
    w.keys.rival = (await w.call('POST', `/v1/orgs/${a.json.id}/admit`, 'regulator')).json.apiKey;
    const req = (m: string) => ({ mode: 'aggregate', modelId: m, cohort: {}, statistics: ['count'] });
    const unknown = shape(await w.call('POST', '/v1/runs', 'rival', req(unknownId)));
    // MODEL_NOT_RUNNABLE for vetted or evaluation, ROLE_FORBIDDEN for runnable: existence and state
    expect.soft(shape(await w.call('POST', '/v1/runs', 'rival', req(evalModel))), 'evaluation').toEqual(unknown);
    expect.soft(shape(await w.call('POST', '/v1/runs', 'rival', req(vettedModel))), 'vetted').toEqual(unknown);
  });
});
