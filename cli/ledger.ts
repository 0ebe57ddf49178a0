import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS, resolveConfig, type Config } from '../core/config.js';
import { ledgerError } from '../ledger/errors.js';
import { audit, parseExport, type AuditReport } from '../ledger/verify.js';
import { openPlatformState, GENESIS_KEY_FILE } from '../sandbox/platform.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { isHelpWord, printHelp } from './help.js';
import { emit, type Io } from './output.js';
import { progress } from './progress.js';
import { watchCommand } from './watch.js';

function readText(file: string, maxBytes = 2 * 1024 ** 3): string {
  try {
    if (fs.statSync(file).size > maxBytes) throw ledgerError('LEDGER_EXPORT_INVALID');
    return fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw ledgerError('LEDGER_EXPORT_INVALID', { cause });
  }
}

/** Held checkpoints: a file with one note, or JSON lines of { checkpoint }. */
function heldNotes(text: string): string[] {
  if (text.trimStart().startsWith('{')) return parseExport(text).checkpoints;
  return [text.endsWith('\n') ? text : `${text}\n`];
}

export interface AuditOptions {
  /** An export to audit instead of the live log. */
  exportFile?: string | undefined;
  /** The genesis key to trust instead of keys/ledger-genesis.pub. */
  keyFile?: string | undefined;
  /** Checkpoints held from earlier. */
  held?: readonly string[];
}

/** The full audit of a data directory's log (or an export), with progress on a terminal. */
export function auditLog(config: Config, options: AuditOptions = {}): AuditReport {
  let text: string;
  let genesisKey: string;
  if (options.exportFile) {
    text = readText(path.resolve(options.exportFile));
    genesisKey = readText(path.resolve(options.keyFile ?? path.join(config.keysDir, GENESIS_KEY_FILE)), 4096).trim();
  } else {
    const state = openPlatformState(config);
    try {
      text = [...state.ledger.exportLines()].join('\n');
      genesisKey = readText(path.resolve(options.keyFile ?? state.genesisKeyFile), 4096).trim();
    } finally {
      state.close();
    }
  }
  const bar = progress('verifying the log');
  try {
    return audit({ export: parseExport(text), genesisKey, origin: DEFAULTS.ledgerOrigin, held: options.held ?? [], onProgress: (d, t) => bar.update(d, t) });
  } finally {
    bar.stop();
  }
}

export async function ledgerCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (isHelpWord(sub)) return printHelp(io, 'ledger');
  switch (sub) {
    case 'export': {
      const { flags, positionals } = parseArgs(rest, { out: 'string' });
      if (flags.help) return printHelp(io, 'ledger export');
      if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
      const state = openPlatformState(resolveConfig({ dataDir: flags.data }));
      try {
        emit(io, `${[...state.ledger.exportLines()].join('\n')}\n`, flags.out);
      } finally {
        state.close();
      }
      return 0;
    }
    case 'verify': {
      const { flags, positionals } = parseArgs(rest, { export: 'string', checkpoint: 'string', key: 'string' });
      if (flags.help) return printHelp(io, 'ledger verify');
      if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
      const config = resolveConfig({ dataDir: flags.data });
      const held = flags.checkpoint ? heldNotes(readText(path.resolve(flags.checkpoint), 1 << 20)) : [];
      const report = auditLog(config, { exportFile: flags.export, keyFile: flags.key, held });
      if (flags.json) io.out(JSON.stringify(report));
      else if (report.ok) io.out(`ok: ${report.size} entries, ${report.checkpointsVerified} checkpoints verified, root ${report.root}`);
      else {
        io.out(`FAILED: ${report.problems.length} problem(s)`);
        for (const p of report.problems) io.out(`  ${p.kind}${p.at === undefined ? '' : ` at ${p.at}`}: ${p.detail}`);
      }
      return report.ok ? 0 : 1;
    }
    case 'watch':
      return watchCommand(rest, io);
    default:
      throw cliError('CLI_UNKNOWN_COMMAND', { detail: `ledger ${String(sub ?? '').slice(0, 20)}` });
  }
}
