// /openapi.json is one source with the server: every operation declares the schema of its
// answers (which the server serialises through) and its documented errors, from the error
// catalogue. The document is validated as OpenAPI 3 by a maintained validator, and a tour of
// the operations checks that no answer loses a field to its schema (the serializer keeps
// only the fields a schema names).
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredErrors } from '../../core/errors.js';
import { readPackage } from '../../models/package.js';
import { build } from '../../server/app.js';
import { STATUS } from '../../server/errors.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE } from '../helpers/platform.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { description: string; content?: Record<string, { schema?: unknown; example?: unknown; examples?: Record<string, { value: { code: string } }> }> }> }>> };

let w: HttpWorld;
let app: FastifyInstance;
/** Answers whose serialised body differs from what the handler returned. */
const lost: { url: string; status: number; sent: string; got: string }[] = [];
const served = new Set<string>();

beforeAll(async () => {
  w = await httpWorld('dfix-openapi-', 700);
  // a second app on the same platform, watching what each handler returned against what was sent
  app = await build({ platform: w.platform });
  app.addHook('preSerialization', async (req, _reply, payload) => {
    const sent = JSON.stringify(payload);
    (req as unknown as { sent: string }).sent = sent;
    return payload;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const sent = (req as unknown as { sent?: string }).sent;
    if (sent !== undefined && typeof payload === 'string') {
      served.add(`${req.method} ${req.routeOptions.url}`);
      // no field lost; and a ledger answer byte for byte as the log wrote it (a client hashes
      // an entry's bytes as served to check its leaf)
      const norm = (s: string) => JSON.stringify(sortKeys(JSON.parse(s)));
      if (req.url.startsWith('/v1/ledger/') ? sent !== payload : norm(sent) !== norm(payload)) lost.push({ url: req.url, status: reply.statusCode, sent: sent.slice(0, 300), got: payload.slice(0, 300) });
    }
    return payload;
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await w?.close();
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

async function call(method: string, url: string, who: string | null, body?: unknown) {
  const r = await app.inject({ method: method as 'GET', url, headers: who ? { authorization: `Bearer ${w.keys[who]}` } : {}, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, any> };
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3 document', async () => {
    const doc = (await call('GET', '/openapi.json', null)).json;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('gives every operation a 2xx schema and documented 4xx errors from the catalogue', async () => {
    const doc = (await call('GET', '/openapi.json', null)).json as unknown as Doc;
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })));
    expect(ops.length).toBeGreaterThanOrEqual(40);
    console.log(`openapi: ${ops.length} operations, each with a 2xx schema and documented 4xx`);
    const problems: string[] = [];
    for (const { id, op } of ops) {
      const statuses = Object.keys(op.responses);
      const ok = statuses.filter((s) => /^2\d\d$/.test(s));
      if (!ok.length || !ok.every((s) => op.responses[s]?.content?.['application/json']?.schema)) problems.push(`${id}: no 2xx schema`);
      for (const s of ok) if (!op.responses[s]?.description || op.responses[s]?.description === 'Default Response') problems.push(`${id} ${s}: no description`);
      const errors = statuses.filter((s) => /^[45]\d\d$/.test(s));
      if (!errors.some((s) => s.startsWith('4'))) problems.push(`${id}: no documented 4xx`);
      for (const s of errors) {
        const r = op.responses[s]!;
        const media = r.content?.['application/json'];
        const props = (media?.schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
        if (!['code', 'message', 'requestId'].every((k) => k in props)) problems.push(`${id} ${s}: not the error body`);
        const codes = [...r.description.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string);
        if (!codes.length) problems.push(`${id} ${s}: no codes described`);
        for (const code of codes) {
          const spec = registeredErrors().get(code);
          if (!spec) problems.push(`${id} ${s}: ${code} is not in the catalogue`);
          else if (String(STATUS[spec.kind]) !== s) problems.push(`${id} ${s}: ${code} is answered with ${STATUS[spec.kind]}`);
        }
        const examples = media?.examples ? Object.values(media.examples).map((e) => e.value.code) : [(media?.example as { code: string } | undefined)?.code];
        if (examples.join() !== codes.join()) problems.push(`${id} ${s}: examples ${examples.join()} differ from ${codes.join()}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('answers and their schemas', () => {
  it('no answer of a tour of the operations loses a field to its schema', async () => {
    expect((await call('GET', '/healthz', null)).status).toBe(200);
    const applied = await call('POST', '/v1/orgs', null, { name: 'tour bank', kind: 'bank', uscc: (await import('../helpers/platform.js')).strangerUscc(750) });
    expect((await call('POST', `/v1/orgs/${applied.json.id}/admit`, 'regulator')).status).toBe(200);
    expect((await call('POST', `/v1/orgs/${applied.json.id}/suspend`, 'regulator', { reason: 'tour' })).status).toBe(200);
    expect((await call('POST', `/v1/orgs/${applied.json.id}/reinstate`, 'regulator', { reason: 'tour' })).status).toBe(200);
    for (const url of ['/v1/datasets', '/v1/datasets/sip-merchants/fields', '/v1/datasets/sip-merchants/dummy?subjects=3', '/v1/me', '/v1/encryption/parameters', '/v1/budget', '/v1/ledger/checkpoint', '/v1/inbox'])
      expect((await call('GET', url, 'fintech')).status).toBe(200);
    const pkg = readPackage(REFERENCE);
    const sub = await call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    expect(sub.status).toBe(201);
    const model = sub.json.id as string;
    expect((await call('GET', `/v1/models/${model}`, 'fintech')).json.report.checks.length).toBeGreaterThan(0);
    expect((await call('GET', `/v1/models/${model}/source`, 'regulator')).status).toBe(200);
    // a second version: the source answer with its previous version, line diff and findings
    const v2 = await call('POST', '/v1/models', 'fintech', { manifest: { ...(pkg.manifestJson as object), version: '1.0.1' }, source: `${pkg.source}\nlet tour = 1;\n` });
    expect((await call('GET', `/v1/models/${v2.json.id}/source`, 'regulator')).json).toMatchObject({ previous: { id: model }, diff: { status: 'ok', added: 2 }, findings: [expect.objectContaining({ rule: 'R2' })] });
    expect((await call('POST', `/v1/models/${model}/approve`, 'regulator', {})).status).toBe(200);
    expect((await call('GET', `/v1/models/${model}`, 'bank')).json.disclosure).toBeDefined();
    expect((await call('GET', '/v1/catalog', 'bank')).json).toHaveLength(1);
    const acc = await call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-assessment' });
    expect((await call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech')).status).toBe(200);
    const [m0, m1] = w.platform.ctx.vault.usccOf(Int32Array.from([5, 6]));
    const consent = await call('POST', '/v1/consents', 'channel', { subject: m0, bank: w.ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    expect(consent.status).toBe(201);
    const subj = await call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: model, subjects: [m0, m1], purpose: 'credit-assessment' });
    expect(subj.json.results).toHaveLength(1);
    // every statistic of the menu, segments included
    const segmentBy = w.platform.ctx.policy.policy.segments.keys[0];
    const agg = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: model, cohort: {}, statistics: ['count', 'meanScore', 'histogram', 'backtest', 'segments'], segmentBy });
    expect(agg.status).toBe(202);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(agg.json.availableAt) - Date.now() + 20)));
    const done = await call('GET', `/v1/runs/${agg.json.runId}`, 'fintech');
    expect(done.json.result.backtest).toBeDefined();
    expect(done.json.result.segments.rows.length).toBeGreaterThan(0);
    expect((await call('GET', `/v1/merchants/usage?subject=${m0}`, 'channel')).json.items.length).toBeGreaterThan(0);
    expect((await call('DELETE', `/v1/consents/${consent.json.id}`, 'channel')).status).toBe(200);
    const again = await call('POST', '/v1/consents', 'channel', { subject: m0, bank: w.ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    expect((await call('DELETE', `/v1/consents?subject=${m0}`, 'channel')).json.revoked).toEqual([again.json.id]);
    expect((await call('GET', '/v1/models/usage', 'fintech')).json.items.find((i: { model: string }) => i.model === model).runs).toEqual({ aggregate: 1, subjects: 1, encrypted: 0 });
    const size = (await call('GET', '/v1/ledger/checkpoint', 'bank')).json.size as number;
    expect((await call('GET', `/v1/ledger/proofs/inclusion?index=0&size=${size}`, 'bank')).status).toBe(200);
    expect((await call('GET', `/v1/ledger/proofs/consistency?from=1&to=${size}`, 'bank')).status).toBe(200);
    for (const url of ['/v1/ledger/entries?start=0&end=50', '/v1/regulator/overview', '/v1/regulator/ledger', '/v1/regulator/encrypted', '/v1/orgs', '/v1/models', '/v1/access', '/v1/runs', '/v1/inbox'])
      expect((await call('GET', url, 'regulator')).status).toBe(200);
    for (const url of ['/v1/consents', '/v1/keys']) expect((await call('GET', url, 'bank')).status).toBe(200);
    // an error answer goes through its schema too
    expect((await call('GET', '/v1/runs/run_nothing', 'bank')).json).toMatchObject({ code: 'RUN_UNKNOWN', requestId: expect.any(String) });
    expect(served.size).toBeGreaterThan(30);
    expect(lost).toEqual([]);
  });
});
