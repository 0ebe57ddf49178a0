// API benchmarks, with the load from a second process on loopback.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../core/config.js';
import { seedVault } from '../datasets/store.js';
import { audit, parseExport } from '../ledger/verify.js';
import { readPackage } from '../models/package.js';
import { serve } from '../server/listen.js';
import { recordConsent } from '../sandbox/consents.js';
import { authenticate } from '../sandbox/orgs.js';
import type { BenchContext } from './context.js';
import { figure, type Figure } from './report.js';

const WARMUP = 400;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  cpuMsPerRequest: number;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** CPU time of another process (all its threads) from /proc, in ms; NaN where there is none. */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in ticks of 10 ms (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function load(url: string, concurrency: number, total: number, requests: unknown[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'load.js'), [], { stdio: 'inherit' });
    child.on('message', (m) => {
      resolve(m as LoadResult);
      child.kill();
    });
    child.on('error', reject);
    child.send({ url, concurrency, total, requests });
  });
}

export async function benchApi(ctx: BenchContext): Promise<Figure[]> {
  const dataDir = path.join(ctx.dir, 'api');
  const config = resolveConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' }, {});
  // 1,600 merchants are measured; WARMUP more warm the server up first (JIT, the executor's
  // worker threads and isolates), each scored fresh once as well
  seedVault(config.vaultPath, { subjects: 1600 + WARMUP, seed: 20240601 });
  // rate limits lifted for the load figures (they would otherwise cap a single key at 500/s)
  const running = await serve(config, { quiet: true, server: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 } });
  const url = running.url;
  const call = async (method: string, p: string, key?: string, body?: unknown) => {
    const r = await fetch(`${url}${p}`, { method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  const figures: Figure[] = [];
  try {
    const reg = (JSON.parse(fs.readFileSync(running.platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
    const keys: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const kind of ['fintech', 'bank', 'channel']) {
      const a = await call('POST', '/v1/orgs', undefined, { name: kind, kind, uscc: '91350100M000100Y43' });
      ids[kind] = a.id;
      keys[kind] = (await call('POST', `/v1/orgs/${a.id}/admit`, reg)).apiKey;
    }
    const pkg = readPackage(path.resolve('models/examples/merchant-scorecard'));
    const model = (await call('POST', '/v1/models', keys.fintech, { manifest: pkg.manifestJson, source: pkg.source })).id as string;
    await call('POST', `/v1/models/${model}/approve`, reg, {});
    const acc = await call('POST', `/v1/models/${model}/access`, keys.bank, { purpose: 'credit-assessment' });
    await call('POST', `/v1/access/${acc.id}/grant`, keys.fintech);
    const pctx = running.platform.ctx;
    const every = pctx.vault.usccOf(Int32Array.from({ length: 1600 + WARMUP }, (_, i) => i));
    const merchants = every.slice(0, 1600);
    const channel = authenticate(pctx, keys.channel as string);
    for (const m of every) recordConsent(pctx, channel, { subject: m, bank: ids.bank as string, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });

    const runOf = (m: string) => ({ method: 'POST', path: '/v1/runs', key: keys.bank, body: { mode: 'subjects', modelId: model, subjects: [m], purpose: 'credit-assessment' } });
    const one = merchants.map(runOf);
    await load(url, 32, 2000, [{ method: 'GET', path: '/healthz' }]);
    await load(url, 32, WARMUP, every.slice(1600).map(runOf));
    const h0 = process.cpuUsage();
    const health = await load(url, 32, 2000, [{ method: 'GET', path: '/healthz' }]);
    const healthCpu = cpuMs(process.cpuUsage(h0)) / 2000;
    // 1,600 merchants, each scored fresh (a new context per merchant in the executor)...
    const e0 = processCpuMs(pctx.executor.pid);
    const s0 = process.cpuUsage();
    const fresh = await load(url, 32, 1600, one);
    const serverCpu = cpuMs(process.cpuUsage(s0)) / 1600;
    const executorCpu = (processCpuMs(pctx.executor.pid) - e0) / 1600;
    figures.push(
      figure(
        'api.subjects-one-merchant.fresh.cpu',
        serverCpu + executorCpu,
        'ms/request',
        healthCpu,
        `CPU per request: server ${serverCpu.toFixed(3)} ms + executor ${executorCpu.toFixed(3)} ms (all its threads); load generator ${fresh.cpuMsPerRequest.toFixed(3)} ms; on 2 cores; baseline: server CPU per GET /healthz`,
      ),
    );
    // ...then the same requests again: one fresh result per merchant per bank per day, so
    // these come from the daily cache
    const repeat = await load(url, 32, 1600, one);
    for (const [name, r] of [['fresh', fresh], ['repeat', repeat]] as const) {
      figures.push(
        figure(`api.subjects-one-merchant.${name}.rps`, r.rps, 'requests/s', health.rps, `32 clients from a second process, after ${WARMUP} other merchants scored to warm up; baseline: GET /healthz; statuses ${JSON.stringify(r.statuses)}; target 300 or more`),
        figure(`api.subjects-one-merchant.${name}.p50`, r.p50, 'ms', health.p50, 'median latency; baseline: GET /healthz'),
        figure(`api.subjects-one-merchant.${name}.p99`, r.p99, 'ms', health.p99, '99th percentile; baseline: GET /healthz; target under 100 ms'),
      );
    }

    const mixed = [
      { method: 'GET', path: '/v1/datasets', key: keys.bank },
      { method: 'GET', path: '/v1/catalog', key: keys.channel },
      ...one.slice(0, 8),
      { method: 'POST', path: '/v1/runs', key: keys.fintech, body: { mode: 'aggregate', modelId: model, cohort: { district: 'loufeng' }, statistics: ['count'] } },
      { method: 'GET', path: '/v1/ledger/checkpoint', key: keys.bank },
      { method: 'POST', path: '/v1/orgs', body: '{"broken":' },
      { method: 'GET', path: '/v1/regulator/overview' },
      { method: 'POST', path: '/v1/consents', key: keys.channel, body: { subject: merchants[0], bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' } },
      { method: 'GET', path: '/v1/ledger/proofs/consistency?from=1&to=5', key: keys.fintech },
    ];
    const all = await load(url, 200, 200, mixed);
    const lost = Object.entries(all.statuses).filter(([s]) => s === 'lost' || Number(s) >= 500).reduce((a, [, n]) => a + n, 0);
    const answered = Object.values(all.statuses).reduce((a, b) => a + b, 0) - lost;
    const ledger = running.platform.ctx.ledger;
    const report = audit({ export: parseExport([...ledger.exportLines()].join('\n')), genesisKey: ledger.genesisKey, origin: ledger.origin });
    figures.push(figure('api.mixed-200-concurrent.answered', answered, 'requests', 200, `statuses ${JSON.stringify(all.statuses)}; lost or 5xx: ${lost}; ledger verifies after: ${report.ok}`));
  } finally {
    await running.close();
  }
  return figures;
}
