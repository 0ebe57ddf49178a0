import path from 'node:path';
import { readPackage } from '../models/package.js';
import { tryPackage } from '../sandbox/try.js';
import { vetPackage } from '../sandbox/vetting.js';
import { Executor } from '../workers/client.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { isHelpWord, printHelp } from './help.js';
import { table, type Io } from './output.js';

async function withExecutor<T>(fn: (e: Executor) => Promise<T>): Promise<T> {
  const executor = await Executor.start();
  try {
    return await fn(executor);
  } finally {
    await executor.close();
  }
}

export async function modelCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (isHelpWord(sub)) return printHelp(io, 'model');
  switch (sub) {
    case 'check': {
      const { flags, positionals } = parseArgs(rest, {});
      if (flags.help) return printHelp(io, 'model check');
      if (positionals.length !== 1) throw cliError('CLI_BAD_ARGUMENT');
      const pkg = readPackage(path.resolve(positionals[0] as string));
      const report = await withExecutor((e) => vetPackage(pkg, e));
      if (flags.json) io.out(JSON.stringify(report));
      else {
        io.out(`${report.passed ? 'PASSED' : 'FAILED'} ${report.digest}`);
        io.out(table(['status', 'check', 'reason'], report.checks.map((c) => [c.status, c.id, c.reason])));
      }
      return report.passed ? 0 : 1;
    }
    case 'try': {
      const { flags, positionals } = parseArgs(rest, { subjects: 'int', mode: 'string' });
      if (flags.help) return printHelp(io, 'model try');
      if (positionals.length !== 1) throw cliError('CLI_BAD_ARGUMENT');
      const mode = flags.mode ?? 'subjects';
      if (mode !== 'subjects' && mode !== 'cohort') throw cliError('CLI_BAD_FLAG', { detail: '--mode' });
      const n = flags.subjects ?? 10;
      if (n < 1 || n > 10_000) throw cliError('CLI_BAD_FLAG', { detail: '--subjects' });
      const pkg = readPackage(path.resolve(positionals[0] as string));
      const result = await withExecutor((e) => tryPackage(pkg, e, n, mode));
      if (flags.json) io.out(JSON.stringify(result));
      else if (result.ok) io.out(table(['subject', 'score', 'grade', 'reasons'], result.outputs.map((o) => [o.subject, String(o.score), o.grade ?? '-', o.reasons.join(' ')])));
      else io.out(`failed: ${result.error.code}`);
      return result.ok ? 0 : 1;
    }
    default:
      throw cliError('CLI_UNKNOWN_COMMAND', { detail: `model ${String(sub ?? '').slice(0, 20)}` });
  }
}
