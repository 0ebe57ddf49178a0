// `dfix demo`: the whole story against a real server on loopback, narrated. It exits 0
// only if every step behaved as told.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { entryBytes } from '../ledger/entry.js';
import { leafHash, verifyInclusion } from '../ledger/merkle.js';
import { openCheckpoint, parseVkey } from '../ledger/note.js';
import { audit, parseExport } from '../ledger/verify.js';
import { readPackage } from '../models/package.js';
import { serve } from '../server/listen.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { prepareDataDir } from './init.js';
import { printHelp } from './help.js';
import type { Io } from './output.js';
import { projectRoot } from '../core/fs.js';

type Json = Record<string, any>;

export async function demoCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { port: 'int' });
  if (flags.help) return printHelp(io, 'demo');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  const dataDir = flags.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-demo-'));
  const config = resolveConfig({ dataDir, port: flags.port ?? 0, host: '127.0.0.1', logLevel: 'warn' });
  io.out(`DFIX Sandbox demo: data in ${config.dataDir}`);
  prepareDataDir(config);
  const server = await serve(config, { quiet: true });
  io.out(`A real server is listening on ${server.url}.\n`);
  let failures = 0;
  const call = async (method: string, url: string, key?: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const step = async (title: string, fn: () => Promise<string>) => {
    try {
      io.out(`✔ ${title}\n    ${await fn()}`);
    } catch (e) {
      failures++;
      io.out(`✘ ${title}\n    ${(e as Error).message}`);
    }
  };
  const expect = (cond: boolean, what: string) => {
    if (!cond) throw new Error(what);
  };

  try {
    const ctx = server.platform.ctx;
    const regulator = (JSON.parse(fs.readFileSync(server.platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
    const keys: Record<string, string> = {};
    const ids: Record<string, string> = {};
    let modelId = '';
    let bankResult: Json = {};
    let consentToRevoke = '';
    const merchants = ctx.vault.usccOf(Int32Array.from([11, 222, 333, 444]));
    const [m1, m2, m3, stranger] = merchants as [string, string, string, string];

    await step('A fintech firm, a bank and the merchant app apply; the regulator admits them', async () => {
      for (const [name, kind] of [['Suzhou Credit Tech', 'fintech'], ['Gusu Rural Bank', 'bank'], ['SIP Merchant App', 'channel']] as const) {
        const applied = await call('POST', '/v1/orgs', undefined, { name, kind, uscc: '91350100M000100Y43' });
        expect(applied.status === 201 && applied.json.status === 'pending', `${kind} application: ${applied.status}`);
        const admitted = await call('POST', `/v1/orgs/${applied.json.id}/admit`, regulator);
        expect(admitted.status === 200 && typeof admitted.json.apiKey === 'string', `admission: ${admitted.status}`);
        keys[kind] = admitted.json.apiKey;
        ids[kind] = applied.json.id;
      }
      return 'each received an API key, shown once and stored only as a hash';
    });

    await step('The fintech submits the reference scorecard; vetting runs in the sandbox', async () => {
      const pkg = readPackage(path.join(projectRoot(), 'models', 'examples', 'merchant-scorecard'));
      const r = await call('POST', '/v1/models', keys.fintech, { manifest: pkg.manifestJson, source: pkg.source });
      expect(r.status === 201 && r.json.status === 'vetted', `submission: ${r.status} ${r.json.status ?? r.json.code}`);
      modelId = r.json.id;
      return `model ${modelId}, digest ${String(r.json.digest).slice(0, 23)}…, ${r.json.report.checks.length} checks passed (dry run on dummy data included)`;
    });

    await step('The regulator approves it, bound to its digest, the policy and an expiry', async () => {
      const r = await call('POST', `/v1/models/${modelId}/approve`, regulator, { note: 'pilot approval' });
      expect(r.status === 200 && r.json.status === 'approved', `approval: ${r.status}`);
      return 'approved';
    });

    await step('The fintech backtests the model on the real data and sees only noisy aggregates', async () => {
      const posted = await call('POST', '/v1/runs', keys.fintech, { mode: 'aggregate', modelId, cohort: {}, statistics: ['count', 'meanScore', 'backtest'] });
      expect(posted.status === 202, `backtest: ${posted.status} ${posted.json.status ?? posted.json.code}`);
      // the answer is available at a time fixed from public quantities: not earlier
      const wait = Date.parse(posted.json.availableAt) - Date.now();
      let r = posted;
      while (r.status === 202) {
        await new Promise((done) => setTimeout(done, Math.max(50, Date.parse(posted.json.availableAt) - Date.now())));
        r = await call('GET', `/v1/runs/${posted.json.runId}`, keys.fintech);
      }
      expect(r.status === 200 && r.json.status === 'released', `backtest: ${r.status} ${r.json.status ?? r.json.code}`);
      const b = r.json.result.backtest;
      return `answer available ${Math.round(wait)} ms after the request (202 until then); cohort size ${r.json.result.count} (public), mean score ${r.json.result.meanScore} ± ${r.json.result.meanScoreMargin}, AUC ${b.auc} ± ${b.margins.auc}, KS ${b.ks}; no row, no minimum, no maximum left the platform`;
    });

    await step('A backtest on a tiny cohort is refused, and the rule is named', async () => {
      const r = await call('POST', '/v1/runs', keys.fintech, { mode: 'aggregate', modelId, cohort: { industry: 'A' }, statistics: ['count'] });
      const rule = (r.json.decisions as Json[]).find((d) => d.status === 'FAIL');
      expect(r.json.status === 'denied' && rule?.rule === 'sdc:k-min', `expected a denial, got ${r.json.status}`);
      return `denied by ${rule?.rule} (k = ${rule?.params.kMin}) before anything ran`;
    });

    await step('The bank finds the model in the catalog, asks for access, and the fintech grants it', async () => {
      const cat = await call('GET', '/v1/catalog?tag=inclusive-finance', keys.bank);
      expect(cat.status === 200 && (cat.json as unknown as Json[]).some((c) => c.id === modelId && c.source === undefined), 'model not in the catalog as a public card');
      const req = await call('POST', `/v1/models/${modelId}/access`, keys.bank, { purpose: 'credit-assessment' });
      expect(req.status === 201, `access request: ${req.status}`);
      const grant = await call('POST', `/v1/access/${req.json.id}/grant`, keys.fintech);
      expect(grant.status === 200 && grant.json.status === 'granted', `grant: ${grant.status}`);
      return 'access granted for credit-assessment';
    });

    await step('Three merchants authorise the bank with one click in the merchant app', async () => {
      for (const m of [m1, m2, m3]) {
        const r = await call('POST', '/v1/consents', keys.channel, { subject: m, bank: ids.bank, purpose: 'credit-assessment', modelId, expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() });
        expect(r.status === 201, `consent: ${r.status}`);
        if (m === m3) consentToRevoke = r.json.id;
      }
      return `${m1}, ${m2}, ${m3}`;
    });

    await step('The bank scores them; each answer carries the proof that the run is in the log', async () => {
      const r = await call('POST', '/v1/runs', keys.bank, { mode: 'subjects', modelId, subjects: [m1, m2, m3], purpose: 'credit-assessment' });
      expect(r.status === 200 && r.json.results.length === 3, `scoring: ${r.status} ${JSON.stringify(r.json.results?.length)}`);
      bankResult = r.json;
      const cp = openCheckpoint(r.json.ledger.checkpoint, [parseVkey(ctx.ledger.publicKey)!]);
      const runEntry = (await call('GET', `/v1/ledger/entries?start=${r.json.ledger.index}&end=${r.json.ledger.index + 1}`, regulator)).json as unknown as Json[];
      const included = cp && verifyInclusion(leafHash(entryBytes(runEntry[0]?.entry)), r.json.ledger.index, cp.size, (r.json.ledger.inclusionProof as string[]).map((h) => Buffer.from(h, 'hex')), cp.root);
      expect(!!included, 'the inclusion proof does not verify');
      return (r.json.results as Json[]).map((x) => `${x.subject}: ${x.score} (${x.grade}) ${x.reasons.join(' ') || '-'}`).join('\n    ') + '\n    inclusion proof verified against the signed checkpoint';
    });

    await step('The bank asks about a merchant who never authorised it: not computed, nothing revealed', async () => {
      const r = await call('POST', '/v1/runs', keys.bank, { mode: 'subjects', modelId, subjects: [stranger], purpose: 'credit-assessment' });
      expect(r.status === 200 && r.json.results.length === 0 && r.json.notScored === 1, `expected no result, got ${JSON.stringify(r.json.results)}`);
      return 'no result; only a count of merchants not scored';
    });

    await step('A merchant revokes consent in the app; the bank is refused for that merchant', async () => {
      const del = await call('DELETE', `/v1/consents/${consentToRevoke}`, keys.channel);
      expect(del.status === 200 && del.json.status === 'revoked', `revocation: ${del.status}`);
      const r = await call('POST', '/v1/runs', keys.bank, { mode: 'subjects', modelId, subjects: [m1, m3], purpose: 'credit-assessment' });
      expect(r.json.results.length === 1 && r.json.results[0].subject === m1 && r.json.notScored === 1, `expected only ${m1}`);
      return `${m3} is no longer scored; ${m1} is served from today's result`;
    });

    await step('The regulator reviews the overview and the log, and verifies the log', async () => {
      const ov = await call('GET', '/v1/regulator/overview', regulator);
      expect(ov.status === 200, 'overview');
      const cp = await call('GET', '/v1/ledger/checkpoint', regulator);
      const lines: string[] = [];
      for (let start = 0; start < cp.json.size; start += 1000) {
        const page = (await call('GET', `/v1/ledger/entries?start=${start}&end=${start + 1000}`, regulator)).json as unknown as Json[];
        for (const e of page) lines.push(JSON.stringify({ seq: e.seq, entry: e.entry }));
      }
      lines.push(JSON.stringify({ checkpoint: cp.json.note }));
      const report = audit({ export: parseExport(lines.join('\n')), genesisKey: fs.readFileSync(path.join(config.keysDir, 'ledger-genesis.pub'), 'utf8').trim(), origin: cp.json.origin });
      expect(report.ok && report.size >= cp.json.size, `verification failed: ${JSON.stringify(report.problems)}`);
      const runs = Object.entries(ov.json.runs).map(([k, v]) => `${k} ${v}`).join(', ');
      return `runs: ${runs}; denials by rule: ${JSON.stringify(ov.json.denialsByRule)}\n    ${report.size} entries verified against the signed checkpoint of size ${cp.json.size}, root ${cp.json.rootHash.slice(0, 16)}…`;
    });
    void bankResult;
  } finally {
    await server.close();
  }
  io.out(failures === 0 ? '\nEvery step behaved as told.' : `\n${failures} step(s) did not behave as told.`);
  return failures === 0 ? 0 : 1;
}
