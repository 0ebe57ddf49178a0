// `dfix model submit DIR | status ID | approve ID | backtest ID --url URL`: a fintech's and
// the regulator's model commands against a running server, through the typed client
// (client/). The API key comes from $DFIX_API_KEY or --key-file (a file with the key, or
// bootstrap.json). `dfix model backtest` is this remote one when --url is given, the local
// one on a package directory otherwise.
import path from 'node:path';
import { AppError, registeredErrors } from '../core/errors.js';
import { readPackage } from '../models/package.js';
import { ApiError, DfixClient, type AggregateResult, type RunAnswer } from '../client/client.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import { table, type Io } from './output.js';
import { apiKeyOf } from './api-key.js';

const REMOTE = new Set(['submit', 'status', 'approve']);

/** Whether `dfix model SUB ARGS` is a remote command: submit, status, approve always; backtest with --url. */
export function isRemoteModelCommand(sub: string | undefined, rest: readonly string[]): boolean {
  if (sub !== undefined && REMOTE.has(sub)) return true;
  return sub === 'backtest' && rest.some((a) => a === '--url' || a.startsWith('--url='));
}



function baseUrlOf(url: string | undefined): string {
  if (url === undefined) throw cliError('CLI_BAD_FLAG', { detail: '--url is required' });
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    return u.origin + u.pathname.replace(/\/+$/, '');
  } catch {
    throw cliError('CLI_BAD_FLAG', { detail: '--url' });
  }
}

/** The server's refusal as a coded error of the catalogue (one line, exit 2), or the server unreachable. */
async function remote<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError) {
      const spec = registeredErrors().get(e.code);
      if (spec && spec.kind !== 'internal') throw new AppError(e.code, spec, { detail: [e.detail, e.requestId && `request ${e.requestId}`].filter(Boolean).join(', ') });
      throw cliError('CLI_SERVER_UNREACHABLE', { detail: `HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''}`, cause: e });
    }
    throw cliError('CLI_SERVER_UNREACHABLE', { cause: e });
  }
}

const pm = (v: number | null | undefined, m: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'withheld' : `${v.toFixed(digits)}${m === null || m === undefined ? '' : ` ± ${m.toFixed(digits)}`}`);

/** A backtest answer for people: AUC, KS and Gini with their margins, then the bands. */
export function backtestText(result: AggregateResult): string {
  const b = result.backtest;
  const level = `${Math.round(result.marginLevel * 100)}%`;
  if (!b) return `backtest withheld (the cohort is too small for the release thresholds)`;
  const head = [`AUC   ${pm(b.auc, b.margins.auc)}`, `KS    ${pm(b.ks, b.margins.ks)}`, `Gini  ${pm(b.gini, b.margins.gini)}`, `(margins: ${level} half-widths)`].join('\n');
  const rows = b.bands.map((x) => [x.label, `${x.from}-${x.to}`, pm(x.count, x.countMargin, 0), pm(x.badRate, x.badRateMargin)]);
  return `${head}\n\n${table(['band', 'scores', 'merchants', 'bad rate'], rows)}`;
}

/** Cohort predicates from --cohort key=value,key=value (public S1 keys, as in API.md). */
function cohortOf(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const m = /^([A-Za-z_]{1,32})=([^,=]{1,32})$/.exec(part.trim());
    if (!m) throw cliError('CLI_BAD_FLAG', { detail: '--cohort key=value[,key=value]' });
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

export async function remoteModelCommand(sub: string, argv: readonly string[], io: Io): Promise<number> {
  // before parsing: `dfix model backtest --url --help` is a request for help, not a URL
  if (argv.some((a) => a === '--help' || a === '-h')) return printHelp(io, `model ${sub}${sub === 'backtest' ? ' --url' : ''}`);
  const { flags, positionals } = parseArgs(argv, { url: 'string', 'key-file': 'string', expires: 'string', note: 'string', cohort: 'string' });
  if (positionals.length !== 1) throw cliError('CLI_BAD_ARGUMENT');
  const allowed: Record<string, string[]> = { submit: [], status: [], approve: ['expires', 'note'], backtest: ['cohort'] };
  for (const f of ['expires', 'note', 'cohort'] as const) if (flags[f] !== undefined && !allowed[sub]?.includes(f)) throw cliError('CLI_UNKNOWN_FLAG', { detail: `--${f}` });
  const arg = positionals[0] as string;
  const baseUrl = baseUrlOf(flags.url);
  const client = new DfixClient({ baseUrl, apiKey: apiKeyOf(flags['key-file']) });
  switch (sub) {
    case 'submit': {
      const pkg = readPackage(path.resolve(arg));
      const a = await remote(() => client.submitModel({ manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source }));
      if (flags.json) io.out(JSON.stringify(a));
      else {
        io.out(`${a.id} ${a.status} ${a.digest}`);
        io.out(table(['status', 'check', 'reason'], a.report.checks.map((c) => [c.status, c.id, c.reason])));
        if (a.status === 'vetted') io.out(`\nnext: the regulator approves it (dfix model approve ${a.id} --url ${baseUrl})`);
      }
      return a.status === 'vetted' ? 0 : 1;
    }
    case 'status': {
      const m = await remote(() => client.model(arg));
      if (flags.json) io.out(JSON.stringify(m));
      else {
        const name = typeof m.manifest.name === 'string' ? ` ${m.manifest.name}${typeof m.manifest.version === 'string' ? ` ${m.manifest.version}` : ''}` : '';
        io.out(`${m.id}${name}: ${m.status}`);
        io.out(`digest   ${m.digest}`);
        io.out(`provider ${m.provider}`);
        if (m.approval) io.out(`approved under policy ${m.approval.policy ?? '-'} until ${m.approval.expiresAt}`);
        if ('report' in m) io.out(`vetting  ${m.report.passed ? 'passed' : 'failed'} (${m.report.checks.filter((c) => c.status === 'fail').length} failed checks)`);
        if ('disclosure' in m) io.out(`discloses ${m.disclosure.explanation}`);
      }
      return 0;
    }
    case 'approve': {
      if (flags.expires !== undefined && Number.isNaN(Date.parse(flags.expires))) throw cliError('CLI_BAD_FLAG', { detail: '--expires' });
      const a = await remote(() =>
        client.approveModel(arg, { ...(flags.expires !== undefined ? { expiresAt: new Date(flags.expires as string).toISOString() } : {}), ...(flags.note !== undefined ? { note: flags.note } : {}) }),
      );
      io.out(flags.json ? JSON.stringify(a) : `${a.id} ${a.status}`);
      return 0;
    }
    case 'backtest': {
      const cohort = cohortOf(flags.cohort);
      let waited = false;
      const a: RunAnswer = await remote(() =>
        client.runAndWait({ mode: 'aggregate', modelId: arg, cohort, statistics: ['backtest'] }, (at) => {
          if (!waited && !flags.json) io.err(`run accepted; its answer is available at ${at}`);
          waited = true;
        }),
      );
      if (flags.json) io.out(JSON.stringify(a));
      else if (a.status === 'released' && a.result) io.out(`${a.runId} released${a.cached ? ' (cached: the same question was answered before, at no cost)' : ''}\n${backtestText(a.result)}`);
      else {
        const rules = a.decisions.filter((d) => d.status === 'FAIL').map((d) => d.rule);
        io.out(`${a.runId} ${a.status}${rules.length ? `: ${rules.join(', ')}` : ''}${a.error ? ` (${a.error.code})` : ''}`);
      }
      return a.status === 'released' ? 0 : 1;
    }
    default:
      throw cliError('CLI_UNKNOWN_COMMAND', { detail: `model ${sub.slice(0, 20)}` });
  }
}
