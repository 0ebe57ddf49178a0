// ATTACK (differencing across dataset versions): the overlap rule (cohorts whose
// memberships differ by fewer than minDifference merchants are denied) compares a new
// cohort with the released ones as sets of atoms, using the CURRENT version's atom sizes.
// released_cohorts is kept per lineage, not per version, and the same atoms on a new
// version count as "no difference". After `dfix data import` moves one merchant into a
// district, the same question on that district is a fresh run (the answer cache is keyed
// by version) and passes the overlap rule, though the two cohorts differ by exactly that
// one merchant: the two released means difference out to the merchant's score.
// Secure behaviour: a cohort whose membership differs by fewer than minDifference merchants
// from one already released (on any version of the lineage) is denied, or answered from
// the earlier release.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceFields } from '../../datasets/import.js';
import { Vault } from '../../datasets/store.js';
import { readPackage } from '../../models/package.js';
import { importDataset } from '../../sandbox/dataset-import.js';
import { Platform } from '../../sandbox/platform.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { build } from '../../server/app.js';
import { resolveConfig } from '../../core/config.js';
import { sourceRows, toCsv } from '../helpers/import-files.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE } from '../helpers/platform.js';
import { rmDir } from '../helpers/tmp.js';

let w: HttpWorld;
let model = '';
beforeAll(async () => {
  w = await httpWorld('dfix-atk-overlap-', 7800);
  const pkg = readPackage(REFERENCE);
  model = (await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', {})).status).toBe(200);
});
afterAll(async () => {
  await w.executor.close();
  rmDir(w.dir);
});

type Call = (method: string, url: string, who: string, body?: unknown) => Promise<{ status: number; json: Record<string, any> }>;
async function answer(call: Call, cohort: Record<string, string>) {
  const r = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: model, cohort, statistics: ['meanScore'] });
  expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
  for (;;) {
    const g = await call('GET', `/v1/runs/${r.json.runId}`, 'fintech');
    if (g.status === 200) return g.json;
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe('the overlap rule across a data import', () => {
  it('denies a cohort that differs from a released one by a single merchant moved in by the new version', async () => {
    const config = resolveConfig({ dataDir: w.dir }, {});
    expect(sourceFields('registration').map((f) => f.name)).toContain('district');
    const v = Vault.open(config.vaultPath);
    const reg = sourceRows(v, 'registration');
    v.close();
    const target = reg[0]?.district as string;
    const mover = reg.find((r) => r.district !== target) as Record<string, unknown>;

    const first = await answer(w.call, { district: target });
    expect(first.status).toBe('released');

    // the operator imports the next version: one merchant has moved into the district
    await w.app.close();
    await settleBackground(w.platform.ctx);
    await w.platform.close();
    mover.district = target;
    const file = path.join(w.dir, 'registration.csv');
    fs.writeFileSync(file, toCsv(reg));
    const imported = importDataset(config, [{ source: 'registration', file }]);
    expect(imported.changed).toBe(true);

    const platform = await Platform.open(config, { executor: w.executor });
    const app = await build({ platform });
    const call: Call = async (method, url, who, body) => {
      const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${w.keys[who]}` }, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, any> };
    };
    try {
      const second = await answer(call, { district: target });
      const overlap = (second.decisions as { rule: string; status: string }[]).find((d) => d.rule === 'overlap:min-difference');
      // secure: denied by overlap (or the first answer, cached); not a fresh release
      expect([second.status, overlap?.status], JSON.stringify(second.decisions)).toEqual(['denied', 'FAIL']);
    } finally {
      await app.close();
      await settleBackground(platform.ctx);
      await platform.close();
    }
  }, 120_000);
});
