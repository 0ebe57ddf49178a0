// Run-engine benchmarks: a whole aggregate backtest over the vault through the real API
// (request to the answer's availability), /healthz latency while it runs, and a subjects
// run of 1,000 consented merchants.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { readPackage } from '../models/package.js';
import { releaseAggregate } from '../policies/aggregates.js';
import { applyContract } from '../policies/output-contract.js';
import { serve } from '../server/listen.js';
import { grantAccess, requestAccess } from '../sandbox/access.js';
import { recordConsent } from '../sandbox/consents.js';
import { approveModel, submitModel } from '../sandbox/models.js';
import { admitOrg, applyOrg, authenticate } from '../sandbox/orgs.js';
import { runSubjects } from '../sandbox/run/subjects.js';
import { contractOf } from '../sandbox/scoring.js';
import { manifestSchema } from '../models/manifest.schema.js';
import { usccFor, usccMixer } from '../datasets/uscc.js';
import type { BenchContext } from './context.js';
import { figure, timeMedian, type Figure } from './report.js';

// idle sockets are dropped before the server's keep-alive timeout (5 s) can close one
// under a new request (ECONNRESET)
const agent = new http.Agent({ keepAlive: true, timeout: 4000 });
export function request(url: string, method: string, key: string | null, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(data ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>, ms: performance.now() - t }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** An aggregate backtest over the whole vault through the API: from the request to the released answer. */
export async function aggregateBacktest(url: string, key: string, model: string): Promise<{ endToEnd: number; availableAfter: number }> {
  const t = performance.now();
  const posted = await request(`${url}/v1/runs`, 'POST', key, { mode: 'aggregate', modelId: model, cohort: {}, statistics: ['backtest', 'count', 'meanScore', 'histogram'] });
  if (posted.status !== 202) throw new Error(`bench aggregate: ${posted.status} ${JSON.stringify(posted.json).slice(0, 200)}`);
  const availableAfter = Date.parse(posted.json.availableAt as string) - Date.now();
  let answer = posted;
  while (answer.status === 202) {
    await new Promise((r) => setTimeout(r, 25));
    answer = await request(`${url}/v1/runs/${posted.json.runId as string}`, 'GET', key);
  }
  const endToEnd = performance.now() - t;
  if (answer.json.status !== 'released') throw new Error(`bench aggregate ${String(answer.json.status)} ${JSON.stringify(answer.json.error ?? null)}`);
  return { endToEnd, availableAfter };
}

/** A platform served on a copy of the bench's vault, its regulator, and a way to admit organisations. */
export async function benchPlatform(ctx: BenchContext, name: string, aggregateLanes = 1) {
  await ctx.ensureVault();
  const dataDir = path.join(ctx.dir, name);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(path.join(ctx.dir, 'vault.sqlite'), path.join(dataDir, 'vault.sqlite'));
  const running = await serve(resolveConfig({ dataDir, port: 0, aggregateLanes }, {}), { quiet: true });
  const c = running.platform.ctx;
  const regulator = authenticate(c, (JSON.parse(fs.readFileSync(running.platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey);
  const { mult, add } = usccMixer(7);
  const org = (kind: 'fintech' | 'bank' | 'channel', i: number) => {
    const { apiKey } = admitOrg(c, regulator, applyOrg(c, { name: kind, kind, uscc: usccFor(i, 'MW', '1', mult, add) }).id);
    return { org: authenticate(c, apiKey), key: apiKey };
  };
  return { running, c, regulator, org };
}

export async function benchRuns(ctx: BenchContext): Promise<Figure[]> {
  const { running, c, regulator, org } = await benchPlatform(ctx, 'platform-runs');
  const figures: Figure[] = [];
  try {
    const fintech = org('fintech', 1);
    const bank = org('bank', 2);
    const channel = org('channel', 3);
    const pkg = readPackage(path.resolve('models/examples/merchant-scorecard'));
    const manifest = manifestSchema.parse(pkg.manifestJson);
    const model = (await submitModel(c, fintech.org, { manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source })).id;
    approveModel(c, regulator, model, {});
    grantAccess(c, fintech.org, requestAccess(c, bank.org, model, 'credit-assessment').id);
    const n = c.vault.info.subjects;

    // aggregate backtest over the whole vault, through the API: from the request to the answer
    const health: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        health.push((await request(`${running.url}/healthz`, 'GET', null)).ms);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const { endToEnd, availableAfter } = await aggregateBacktest(running.url, fintech.key, model);
    probing = false;
    await probe;
    const scores = new Float64Array(n).fill(600);
    const labels = c.vault.labels(null);
    const contract = contractOf(manifest);
    const policyMs = timeMedian(3, () => {
      applyContract(scores, new Uint8Array(n * 4), n, contract);
      releaseAggregate({ statistics: ['backtest', 'count', 'meanScore', 'histogram'], scores, contract, policy: c.policy.policy, labels });
    });
    figures.push(
      figure(`runs.aggregate-backtest.${n}`, endToEnd, 'ms', policyMs, `request to answer over HTTP (projection, the hardened sandbox of the aggregate lane, release, record; the answer is held to its public availability time, ${availableAfter.toFixed(0)} ms after the request); baseline: the release policy alone; target under 10000 ms at 1,000,000`),
    );
    health.sort((a, b) => a - b);
    const p99 = health[Math.min(health.length - 1, Math.floor(health.length * 0.99))] as number;
    const p50 = health[Math.floor(health.length / 2)] as number;
    figures.push(figure(`runs.healthz-p99-during-backtest.${n}`, p99, 'ms', p50, `${health.length} probes every 10 ms while the backtest ran; baseline: their median; target p99 under 50 ms`));

    // subjects: 1,000 consented merchants, fresh results (held to the policy's public time)
    const codes = c.vault.usccOf(Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % n));
    for (const s of codes) recordConsent(c, channel.org, { subject: s, bank: bank.org.id, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const t2 = performance.now();
    const r = await runSubjects(c, bank.org, { mode: 'subjects', modelId: model, subjects: codes, purpose: 'credit-assessment' });
    const subMs = performance.now() - t2;
    if (r.status !== 'released') throw new Error('bench subjects run failed');
    const publicMs = c.policy.policy.timing.subjectsBaseMs + 1000 * c.policy.policy.timing.subjectsPerSubjectMs;
    figures.push(figure('runs.subjects.1000', subMs, 'ms', publicMs, 'fresh context per merchant, consent checked twice, recorded; baseline: its public answer time (ratio above 1: late)'));
  } finally {
    await running.close();
  }
  return figures;
}
