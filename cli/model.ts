import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { ensureDir } from '../core/fs.js';
import { catalog } from '../datasets/catalog.js';
import { modelError } from '../models/errors.js';
import { formatOfFile, javascriptPackage, packageFromModelFile } from '../models/init.js';
import { readPackage } from '../models/package.js';
import { tryPackage } from '../sandbox/try.js';
import { vetPackage } from '../sandbox/vetting.js';
import { Executor } from '../workers/client.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { backtestCommand } from './model-backtest.js';
import { isHelpWord, printHelp } from './help.js';
import { table, type Io } from './output.js';
import { isRemoteModelCommand, remoteModelCommand } from './remote.js';

async function withExecutor<T>(fn: (e: Executor) => Promise<T>): Promise<T> {
  const executor = await Executor.start({ confinement: resolveConfig({}).confinement });
  try {
    return await fn(executor);
  } finally {
    await executor.close();
  }
}

/** The model's own error on dummy rows, as a developer reads it: where, what, and the stack. */
function describeError(e: { subject: string; message: string; line: number | null; column: number | null; stack: string }): string {
  return `the model threw on ${e.subject}${e.line !== null ? ` at model.js:${e.line}:${e.column}` : ''}: ${e.message}${e.stack ? `\n${e.stack}` : ''}`;
}

export async function modelCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (isHelpWord(sub)) return printHelp(io, 'model');
  if (isRemoteModelCommand(sub, rest)) return remoteModelCommand(sub as string, rest, io);
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
        const st = report.structure;
        if (st) {
          io.out(`\nstructure: ${st.format} ${st.kind}, output ${st.output}${st.trees ? `, ${st.trees.count} trees, max depth ${st.trees.maxDepth}, ${st.trees.nodes} nodes` : ''}`);
          if (st.characteristics) io.out(table(['characteristic', 'attributes', 'baseline'], st.characteristics.map((c, i) => [c.reason ?? `#${i + 1}`, String(c.attributes), String(c.baseline ?? '-')])));
          io.out(table(['input', 'level'], st.inputs.map((f) => [f.name, f.level])));
        }
      }
      return report.passed ? 0 : 1;
    }
    case 'try': {
      const { flags, positionals } = parseArgs(rest, { subjects: 'int', mode: 'string', rows: 'string', raw: 'boolean' });
      if (flags.help) return printHelp(io, 'model try');
      if (positionals.length !== 1) throw cliError('CLI_BAD_ARGUMENT');
      const mode = flags.mode ?? 'subjects';
      if (mode !== 'subjects' && mode !== 'cohort') throw cliError('CLI_BAD_FLAG', { detail: '--mode' });
      const n = flags.subjects ?? 10;
      if (n < 1 || n > 10_000) throw cliError('CLI_BAD_FLAG', { detail: '--subjects' });
      const pkg = readPackage(path.resolve(positionals[0] as string));
      let rows: { dummy: number } | { csv: string } = { dummy: n };
      if (flags.rows !== undefined) {
        try {
          rows = { csv: fs.readFileSync(path.resolve(flags.rows), 'utf8') };
        } catch (cause) {
          throw modelError('MODEL_ROWS_INVALID', { cause, detail: '--rows unreadable' });
        }
      }
      const result = await withExecutor((e) => tryPackage(pkg, e, rows, mode, { raw: flags.raw === true }));
      if (flags.json) io.out(JSON.stringify(result));
      else if (result.ok) {
        const head = ['subject', ...(flags.raw ? ['raw'] : []), 'score', 'grade', 'reasons'];
        io.out(table(head, result.outputs.map((o) => [o.subject, ...(flags.raw ? [o.raw === null || o.raw === undefined ? '-' : String(o.raw)] : []), String(o.score), o.grade ?? '-', o.reasons.join(' ')])));
        if (result.firstError) io.out(`\n${describeError(result.firstError)}`);
      } else io.out(`failed: ${result.error.code}${result.error.message !== undefined ? `\n${describeError(result.error as Parameters<typeof describeError>[0])}` : ''}`);
      return result.ok ? 0 : 1;
    }
    case 'backtest':
      return await backtestCommand(rest, io);
    case 'init': {
      const { flags, positionals } = parseArgs(rest, { from: 'string', out: 'string' });
      if (flags.help) return printHelp(io, 'model init');
      if (positionals.length !== 1 || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(positionals[0] as string)) throw cliError('CLI_BAD_ARGUMENT', { detail: 'NAME: lower-case letters, digits and dashes' });
      const name = positionals[0] as string;
      const dir = path.resolve(flags.out ?? name);
      if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw modelError('MODEL_PACKAGE_EXISTS', { detail: dir });
      let made;
      if (flags.from !== undefined) {
        const format = formatOfFile(flags.from);
        if (!format) throw cliError('CLI_BAD_FLAG', { detail: '--from: a .pmml, .xml or .json (XGBoost) file' });
        let text: string;
        try {
          text = fs.readFileSync(path.resolve(flags.from), 'utf8');
        } catch (cause) {
          throw cliError('CLI_BAD_FLAG', { cause, detail: '--from unreadable' });
        }
        made = packageFromModelFile(name, text, format, catalog());
      } else made = javascriptPackage(name);
      ensureDir(dir);
      fs.writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(made.manifest, null, 2)}\n`);
      fs.writeFileSync(path.join(dir, made.file), made.source);
      if (flags.json) io.out(JSON.stringify({ dir, files: ['manifest.json', made.file] }));
      else io.out(`created ${dir}: manifest.json, ${made.file}\nnext: edit the manifest (description, output, reasons), then: dfix model check ${path.relative(process.cwd(), dir) || '.'}`);
      return 0;
    }
    default:
      throw cliError('CLI_UNKNOWN_COMMAND', { detail: `model ${String(sub ?? '').slice(0, 20)}` });
  }
}
