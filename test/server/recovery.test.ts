// Killed with `kill -9` in the middle of a burst of bank runs and aggregate runs, the
// platform restarts, closes every interrupted run (with a ledger entry), and its ledger
// verifies: nothing stays `running` forever.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../core/config.js';
import { openDatabase } from '../../core/sqlite.js';
import { seedVault } from '../../datasets/store.js';
import { audit, parseExport } from '../../ledger/verify.js';
import { readPackage } from '../../models/package.js';
import { grantAccess, requestAccess } from '../../sandbox/access.js';
import { recordConsent } from '../../sandbox/consents.js';
import { approveModel, submitModel } from '../../sandbox/models.js';
import { admitOrg, applyOrg, authenticate } from '../../sandbox/orgs.js';
import { Platform } from '../../sandbox/platform.js';
import { Executor } from '../../workers/client.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

let dir: string;
const keys: Record<string, string> = {};
let model = '';
let merchants: string[] = [];

function start(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/dfix.js', 'serve', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve({ child, url: m[1] as string });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    setTimeout(() => reject(new Error('serve did not start')), 60_000).unref();
  });
}

beforeAll(async () => {
  dir = tmpDir('dfix-kill-');
  const config = resolveConfig({ dataDir: dir }, {});
  seedVault(config.vaultPath, { subjects: 1600, seed: 20240601 });
  const executor = await Executor.start();
  const platform = await Platform.open(config, { executor });
  const ctx = platform.ctx;
  const regulator = authenticate(ctx, (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey);
  keys.regulator = (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
  const org = (kind: 'fintech' | 'bank' | 'channel', i: number) => {
    const { apiKey } = admitOrg(ctx, regulator, applyOrg(ctx, { name: kind, kind, uscc: strangerUscc(500 + i) }).id);
    keys[kind] = apiKey;
    return authenticate(ctx, apiKey);
  };
  const fintech = org('fintech', 0);
  const bank = org('bank', 1);
  const channel = org('channel', 2);
  const pkg = readPackage(REFERENCE);
  model = (await submitModel(ctx, fintech, { manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source })).id;
  approveModel(ctx, regulator, model, {});
  grantAccess(ctx, fintech, requestAccess(ctx, bank, model, 'credit-assessment').id);
  merchants = ctx.vault.usccOf(Int32Array.from({ length: 60 }, (_, i) => i));
  for (const m of merchants) recordConsent(ctx, channel, { subject: m, bank: bank.id, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
  await platform.close();
  await executor.close();
}, 120_000);
afterAll(() => rmDir(dir));

describe('recovery after kill -9', () => {
  it('closes every interrupted run as interrupted, keeps the state and the ledger in step, and serves again', async () => {
    const first = await start();
    const post = (body: unknown, key: string) =>
      fetch(`${first.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => null);
    // a burst: bank runs of one merchant each, and aggregates still computing
    const burst = [
      ...merchants.slice(0, 30).map((m) => post({ mode: 'subjects', modelId: model, subjects: [m], purpose: 'credit-assessment' }, keys.bank as string)),
      ...['loufeng', 'xietang', 'weiting'].map((d) => post({ mode: 'aggregate', modelId: model, cohort: { district: d }, statistics: ['meanScore'] }, keys.fintech as string)),
    ];
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await Promise.all(burst);
    await exited;

    const config = resolveConfig({ dataDir: dir }, {});
    const db = openDatabase(config.statePath, { readonly: true });
    const open = db.prepare("SELECT count(*) FROM runs WHERE status = 'running'").pluck().get() as number;
    // the kill came while runs were in flight (held to their public times)
    expect(open).toBeGreaterThan(0);
    db.close();

    const second = await start();
    try {
      const after = openDatabase(config.statePath, { readonly: true });
      expect(after.prepare("SELECT count(*) FROM runs WHERE status = 'running'").pluck().get()).toBe(0);
      expect(after.prepare("SELECT count(*) FROM runs WHERE status = 'interrupted'").pluck().get()).toBe(open);
      after.close();
      // the ledger verifies, and records each interruption
      const r = await fetch(`${second.url}/v1/ledger/entries?start=0&end=1000`, { headers: { authorization: `Bearer ${keys.regulator}` } });
      const entries = (await r.json()) as { seq: number; entry: { type: string } }[];
      expect(entries.filter((e) => e.entry.type === 'run.interrupted')).toHaveLength(open);
      const live = await fetch(`${second.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${keys.bank}`, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'subjects', modelId: model, subjects: [merchants[59]], purpose: 'credit-assessment' }) });
      expect(((await live.json()) as { status: string }).status).toBe('released');
    } finally {
      const gone = new Promise((r) => second.child.once('exit', r));
      second.child.kill('SIGTERM');
      await gone;
    }
    const p = await Platform.open(resolveConfig({ dataDir: dir }, {}));
    try {
      const ledger = p.ctx.ledger;
      expect(audit({ export: parseExport([...ledger.exportLines()].join('\n')), genesisKey: ledger.genesisKey, origin: ledger.origin }).problems).toEqual([]);
    } finally {
      await p.close();
    }
  }, 180_000);
});
