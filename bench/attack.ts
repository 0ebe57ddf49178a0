// Crash containment under attack, through a real server: 32 bank clients score one
// consented merchant each, in a loop, while a fintech submits a package that runs a builtin
// past every limit (Array.prototype.fill over a huge sparse object) every 2 s. Vetting runs
// in its own executor process, so no bank run may fail; their p99 is printed against the
// same load without the attack. Also the peak RSS of the vetting process against its cap.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { ADDRESS_SPACE_BYTES } from '../core/confinement.js';
import { usccFor, usccMixer } from '../datasets/uscc.js';
import { readPackage } from '../models/package.js';
import { serve } from '../server/listen.js';
import type { BenchContext } from './context.js';
import { figure, type Figure } from './report.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(url: string, method: string, key: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: { authorization: `Bearer ${key}`, ...(data ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>, ms: performance.now() - t }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const CRASH = `export function score(row) { const o = { length: 4294967294 }; Array.prototype.fill.call(o, 1); return { score: 300 }; }`;

function peakRssMb(pid: number | undefined): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

export async function benchAttack(ctx: BenchContext): Promise<Figure[]> {
  const seconds = Number(process.env.DFIX_ATTACK_SECONDS ?? 60);
  const dataDir = path.join(ctx.dir, 'platform-attack');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { seedVault } = await import('../datasets/store.js');
  seedVault(path.join(dataDir, 'vault.sqlite'), { subjects: 2000, seed: 20240601 });
  const running = await serve(resolveConfig({ dataDir, port: 0 }, {}), { quiet: true });
  try {
    const url = running.url;
    const reg = (JSON.parse(fs.readFileSync(running.platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
    const { mult, add } = usccMixer(11);
    const keys: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const [i, kind] of ['fintech', 'bank', 'channel'].entries()) {
      const a = await request(`${url}/v1/orgs`, 'POST', '', { name: kind, kind, uscc: usccFor(i, 'MY', '1', mult, add) });
      ids[kind] = a.json.id as string;
      keys[kind] = (await request(`${url}/v1/orgs/${ids[kind]}/admit`, 'POST', reg)).json.apiKey as string;
    }
    const pkg = readPackage(path.resolve('models/examples/merchant-scorecard'));
    const model = (await request(`${url}/v1/models`, 'POST', keys.fintech as string, { manifest: pkg.manifestJson, source: pkg.source })).json.id as string;
    await request(`${url}/v1/models/${model}/approve`, 'POST', reg, {});
    const acc = await request(`${url}/v1/models/${model}/access`, 'POST', keys.bank as string, { purpose: 'credit-assessment' });
    await request(`${url}/v1/access/${acc.json.id as string}/grant`, 'POST', keys.fintech as string);
    const merchants = running.platform.ctx.vault.usccOf(Int32Array.from({ length: 2000 }, (_, i) => i));
    for (const m of merchants) await request(`${url}/v1/consents`, 'POST', keys.channel as string, { subject: m, bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });

    // 32 clients, one merchant per request (a fresh one each time while they last, then repeats)
    let next = 0;
    const load = async (ms: number) => {
      const lat: number[] = [];
      const statuses: Record<string, number> = {};
      const until = Date.now() + ms;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (Date.now() < until) {
            const m = merchants[next++ % merchants.length] as string;
            const r = await request(`${url}/v1/runs`, 'POST', keys.bank as string, { mode: 'subjects', modelId: model, subjects: [m], purpose: 'credit-assessment' });
            const ok = r.status === 200 && r.json.status === 'released' && (r.json.results as unknown[]).length === 1;
            statuses[ok ? 'released' : `${r.status}:${String(r.json.status ?? r.json.code)}`] = (statuses[ok ? 'released' : `${r.status}:${String(r.json.status ?? r.json.code)}`] ?? 0) + 1;
            lat.push(r.ms);
          }
        }),
      );
      lat.sort((a, b) => a - b);
      return { p99: lat[Math.floor(lat.length * 0.99)] as number, n: lat.length, statuses };
    };

    const quiet = await load(Math.min(20_000, seconds * 1000));
    let submissions = 0;
    const codes: Record<string, number> = {};
    let attacking = true;
    const vettingPid = () => running.platform.ctx.executor.pids('vetting')[0];
    let peak = 0;
    // every 2 s a submission, whether or not the earlier ones were answered
    const pendingSubmissions: Promise<void>[] = [];
    const attacker = (async () => {
      while (attacking) {
        submissions++;
        pendingSubmissions.push(
          request(`${url}/v1/models`, 'POST', keys.fintech as string, { manifest: pkg.manifestJson, source: CRASH }).then((r) => {
            const failed = (r.json.report as { checks?: { id: string; status: string; reason: string }[] } | undefined)?.checks?.find((c) => c.status === 'fail');
            const key = failed ? `${failed.id}` : String(r.json.status ?? r.json.code);
            codes[key] = (codes[key] ?? 0) + 1;
          }),
        );
        await new Promise((res) => setTimeout(res, 2000));
      }
    })();
    const sampler = setInterval(() => (peak = Math.max(peak, peakRssMb(vettingPid()) || 0)), 100);
    const attacked = await load(seconds * 1000);
    attacking = false;
    await attacker;
    clearInterval(sampler);
    const answered = await Promise.race([Promise.all(pendingSubmissions).then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))]);
    const failed = Object.entries(attacked.statuses).filter(([k]) => k !== 'released').reduce((n, [, v]) => n + v, 0);
    return [
      figure('sandbox.attack.bank-runs-failed', failed, 'runs', null, `${attacked.n} one-merchant bank runs by 32 clients over ${seconds} s while a crash package was submitted ${submissions} times, every 2 s (vetting outcomes so far: ${JSON.stringify(codes)}${answered ? '' : '; the rest still queued in the vetting lane'}); statuses ${JSON.stringify(attacked.statuses)}; target 0`),
      figure('sandbox.attack.bank-p99', attacked.p99, 'ms', quiet.p99, `p99 of the bank runs under attack; baseline: the same load without it (${quiet.n} runs); each answer is held to its public time (policy timing: subjectsBaseMs + subjectsPerSubjectMs per merchant)`),
      figure('sandbox.attack.vetting-peak-rss', peak, 'MiB', ADDRESS_SPACE_BYTES / 1024 ** 2, 'peak resident memory of the vetting process seen during the attack; baseline: its address-space cap'),
    ];
  } finally {
    await running.close();
  }
}
