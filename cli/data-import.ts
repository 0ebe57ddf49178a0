// `dfix data import --source NAME FILE [--source NAME FILE ...] [--max-mb N]`: loads real
// data as the next version of the vault's lineage (sandbox/dataset-import.ts). A rejected
// file prints its report (source, line, column, rule; the first 20 and the count of all)
// on stderr, then the coded line; nothing is changed.
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { ImportError } from '../datasets/import-report.js';
import type { SourceFile } from '../datasets/import.js';
import { importDataset } from '../sandbox/dataset-import.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import { table, type Io } from './output.js';
import { progress } from './progress.js';

/** Takes every `--source NAME FILE` out of argv (node:util.parseArgs has no two-valued flag). */
export function splitSources(argv: readonly string[]): { sources: SourceFile[]; rest: string[] } {
  const sources: SourceFile[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--source') {
      const name = argv[i + 1];
      const file = argv[i + 2];
      if (name === undefined || file === undefined || name.startsWith('--') || file.startsWith('--')) throw cliError('CLI_BAD_FLAG', { detail: '--source NAME FILE' });
      sources.push({ source: name, file: path.resolve(file) });
      i += 2;
    } else if (a.startsWith('--source=')) throw cliError('CLI_BAD_FLAG', { detail: '--source NAME FILE' });
    else rest.push(a);
  }
  return { sources, rest };
}

export function importCommand(argv: readonly string[], io: Io): number {
  const { sources, rest } = splitSources(argv);
  const { flags, positionals } = parseArgs(rest, { 'max-mb': 'int' });
  if (flags.help) return printHelp(io, 'data import');
  if (positionals.length || sources.length === 0) throw cliError('CLI_BAD_ARGUMENT', { detail: '--source NAME FILE' });
  const maxMb = flags['max-mb'];
  if (maxMb !== undefined && (maxMb < 1 || maxMb > 512)) throw cliError('CLI_BAD_FLAG', { detail: '--max-mb' });
  const config = resolveConfig({ dataDir: flags.data });
  // one bar per phase: checking each file (characters read), then writing the new version (merchants)
  let bar = progress('checking');
  let phase = '';
  const onProgress = (p: string, d: number, t: number) => {
    if (p !== phase) {
      bar.stop();
      bar = progress(p === 'writing' ? 'writing the new vault version' : p);
      phase = p;
    }
    bar.update(d, t);
  };
  let result;
  try {
    result = importDataset(config, sources, { ...(maxMb ? { maxBytes: maxMb * 1024 * 1024 } : {}), onProgress });
  } catch (e) {
    bar.stop();
    if (e instanceof ImportError) {
      if (flags.json) io.err(JSON.stringify({ code: e.code, total: e.total, problems: e.problems }));
      else if (e.problems.length) {
        io.err(table(['source', 'line', 'column', 'rule'], e.problems.map((p) => [p.source, String(p.line), p.column || '-', p.rule])));
        io.err(`${e.total} problem${e.total === 1 ? '' : 's'}${e.total > e.problems.length ? `, the first ${e.problems.length} listed` : ''}; nothing was changed`);
      }
    }
    throw e;
  }
  bar.stop();
  if (flags.json) io.out(JSON.stringify(result));
  else {
    io.out(
      result.changed
        ? `vault switched to the next version of ${result.lineage}\n  ${result.oldVersion}\n  -> ${result.newVersion}\n  subjects ${result.subjects}, default rate ${result.defaultRate}; ledger entry ${result.ledgerSeq}`
        : `unchanged: the files give the current version ${result.oldVersion}`,
    );
    io.out(table(['source', 'format', 'rows', 'digest'], result.sources.map((s) => [s.source, s.format, String(s.rows), s.digest])));
  }
  return 0;
}
