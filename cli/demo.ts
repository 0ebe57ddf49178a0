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
import { ApiError, DfixClient } from '../client/client.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { prepareDataDir } from './init.js';
import { printHelp } from './help.js';
import type { Io } from './output.js';
import { projectRoot } from '../core/fs.js';

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
  // every organisation talks to the server through the typed client, with its own key
  const as = (apiKey: string | null) => new DfixClient({ baseUrl: server.url, apiKey });
  const step = async (title: string, fn: () => Promise<string>) => {
    try {
      io.out(`✔ ${title}\n    ${await fn()}`);
    } catch (e) {
      failures++;
      io.out(`✘ ${title}\n    ${e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message}`);
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
    let consentToRevoke = '';
    const merchants = ctx.vault.usccOf(Int32Array.from([11, 222, 333, 444]));
    const [m1, m2, m3, stranger] = merchants as [string, string, string, string];

    await step('A fintech firm, a bank and the merchant app apply; the regulator admits them', async () => {
      for (const [name, kind] of [['Suzhou Credit Tech', 'fintech'], ['Gusu Rural Bank', 'bank'], ['SIP Merchant App', 'channel']] as const) {
        const applied = await as(null).apply({ name, kind, uscc: '91350100M000100Y43' });
        expect(applied.status === 'pending', `${kind} application: ${applied.status}`);
        const admitted = await as(regulator).admitOrg(applied.id);
        expect(typeof admitted.apiKey === 'string', 'admission without a key');
        keys[kind] = admitted.apiKey;
        ids[kind] = applied.id;
      }
      return 'each received an API key, shown once and stored only as a hash';
    });
    const fintech = as(keys.fintech ?? null);
    const bank = as(keys.bank ?? null);
    const channel = as(keys.channel ?? null);
    const reg = as(regulator);

    await step('The fintech submits the reference scorecard; vetting runs in the sandbox', async () => {
      const pkg = readPackage(path.join(projectRoot(), 'models', 'examples', 'merchant-scorecard'));
      const r = await fintech.submitModel({ manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source });
      expect(r.status === 'vetted', `submission: ${r.status}`);
      modelId = r.id;
      return `model ${modelId}, digest ${r.digest.slice(0, 23)}…, ${r.report.checks.length} checks passed (dry run on dummy data included)`;
    });

    await step('The regulator approves it, bound to its digest, the policy and an expiry', async () => {
      const r = await reg.approveModel(modelId, { note: 'pilot approval' });
      expect(r.status === 'approved', `approval: ${r.status}`);
      return 'approved';
    });

    await step('The fintech backtests the model on the real data and sees only noisy aggregates', async () => {
      const posted = await fintech.run({ mode: 'aggregate', modelId, cohort: {}, statistics: ['count', 'meanScore', 'backtest'] });
      expect(posted.status === 'running', `backtest: ${posted.status}`);
      // the answer is available at a time fixed from public quantities: not earlier (202 until then)
      const wait = Date.parse(posted.availableAt) - Date.now();
      const r = await fintech.waitForRun(posted, undefined, 50);
      expect(r.status === 'released' && !!r.result, `backtest: ${r.status}`);
      const res = r.result as NonNullable<typeof r.result>;
      const b = res.backtest;
      return `answer available ${Math.round(wait)} ms after the request (202 until then); cohort size ${res.count} (public), mean score ${res.meanScore} ± ${res.meanScoreMargin}, AUC ${b?.auc} ± ${b?.margins.auc}, KS ${b?.ks}; no row, no minimum, no maximum left the platform`;
    });

    await step('A backtest on a tiny cohort is refused, and the rule is named', async () => {
      const r = await fintech.run({ mode: 'aggregate', modelId, cohort: { industry: 'A' }, statistics: ['count'] });
      const rule = r.decisions.find((d) => d.status === 'FAIL');
      expect(r.status === 'denied' && rule?.rule === 'sdc:k-min', `expected a denial, got ${r.status}`);
      return `denied by ${rule?.rule} (k = ${rule?.params.kMin}) before anything ran`;
    });

    await step('The bank finds the model in the catalog, asks for access, and the fintech grants it', async () => {
      const cat = await bank.catalog('inclusive-finance');
      expect(cat.some((c) => c.id === modelId && !('source' in c)), 'model not in the catalog as a public card');
      const req = await bank.requestAccess(modelId, 'credit-assessment');
      const grant = await fintech.grantAccess(req.id);
      expect(grant.status === 'granted', `grant: ${grant.status}`);
      return 'access granted for credit-assessment';
    });

    await step('Three merchants authorise the bank with one click in the merchant app', async () => {
      for (const m of [m1, m2, m3]) {
        const r = await channel.recordConsent({ subject: m, bank: ids.bank as string, purpose: 'credit-assessment', modelId, expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() });
        if (m === m3) consentToRevoke = r.id;
      }
      return `${m1}, ${m2}, ${m3}`;
    });

    await step('The bank scores them; each answer carries the proof that the run is in the log', async () => {
      const r = await bank.run({ mode: 'subjects', modelId, subjects: [m1, m2, m3], purpose: 'credit-assessment' });
      const results = r.results ?? [];
      expect(r.status === 'released' && results.length === 3 && !!r.ledger, `scoring: ${r.status} ${results.length}`);
      const proof = r.ledger as NonNullable<typeof r.ledger>;
      const cp = openCheckpoint(proof.checkpoint, [parseVkey(ctx.ledger.publicKey)!]);
      const runEntry = await reg.ledgerEntries(proof.index, proof.index + 1);
      const included = cp && verifyInclusion(leafHash(entryBytes(runEntry[0]?.entry)), proof.index, cp.size, proof.inclusionProof.map((h) => Buffer.from(h, 'hex')), cp.root);
      expect(!!included, 'the inclusion proof does not verify');
      return results.map((x) => `${x.subject}: ${x.score} (${x.grade}) ${x.reasons.join(' ') || '-'}`).join('\n    ') + '\n    inclusion proof verified against the signed checkpoint';
    });

    await step('The bank asks about a merchant who never authorised it: not computed, nothing revealed', async () => {
      const r = await bank.run({ mode: 'subjects', modelId, subjects: [stranger], purpose: 'credit-assessment' });
      expect(r.results?.length === 0 && r.notScored === 1, `expected no result, got ${JSON.stringify(r.results)}`);
      return 'no result; only a count of merchants not scored';
    });

    await step('A merchant revokes consent in the app; the bank is refused for that merchant', async () => {
      const del = await channel.revokeConsent(consentToRevoke);
      expect(del.status === 'revoked', `revocation: ${del.status}`);
      const r = await bank.run({ mode: 'subjects', modelId, subjects: [m1, m3], purpose: 'credit-assessment' });
      expect(r.results?.length === 1 && r.results[0]?.subject === m1 && r.notScored === 1, `expected only ${m1}`);
      return `${m3} is no longer scored; ${m1} is served from today's result`;
    });

    await step('The regulator reviews the overview and the log, and verifies the log', async () => {
      const ov = await reg.overview();
      const cp = await reg.checkpoint();
      const lines: string[] = [];
      for (let start = 0; start < cp.size; start += 1000) {
        for (const e of await reg.ledgerEntries(start, start + 1000)) lines.push(JSON.stringify({ seq: e.seq, entry: e.entry }));
      }
      lines.push(JSON.stringify({ checkpoint: cp.note }));
      const report = audit({ export: parseExport(lines.join('\n')), genesisKey: fs.readFileSync(path.join(config.keysDir, 'ledger-genesis.pub'), 'utf8').trim(), origin: cp.origin });
      expect(report.ok && report.size >= cp.size, `verification failed: ${JSON.stringify(report.problems)}`);
      const runs = Object.entries(ov.runs).map(([k, v]) => `${k} ${v}`).join(', ');
      return `runs: ${runs}; denials by rule: ${JSON.stringify(ov.denialsByRule)}\n    ${report.size} entries verified against the signed checkpoint of size ${cp.size}, root ${cp.rootHash.slice(0, 16)}…`;
    });
  } finally {
    await server.close();
  }
  io.out(failures === 0 ? '\nEvery step behaved as told.' : `\n${failures} step(s) did not behave as told.`);
  return failures === 0 ? 0 : 1;
}
