// The `dfix` command. Business rules live in the areas; this file only dispatches and
// turns a coded error into one line and an exit code (2 for the caller's mistake).
import { isAppError } from '../core/errors.js';
import { cliError } from './errors.js';
import { benchCommand } from './bench.js';
import { dataCommand } from './data.js';
import { initCommand } from './init.js';
import { ledgerCommand } from './ledger.js';
import { modelCommand } from './model.js';
import { serveCommand } from './serve.js';
import { demoCommand } from './demo.js';
import { processIo, type Io } from './output.js';

const USAGE = `dfix: DFIX Sandbox

  dfix serve [--port P] [--host H]                     serve the API on embedded defaults (first start builds everything)
  dfix demo                                            the whole story end to end against a real server, narrated
  dfix init                                            prepare the data directory (vault on first start)
  dfix data seed [--subjects N] [--seed S] [--force]   build the government data vault
  dfix data fields                                     the field catalog
  dfix data dummy [--subjects N] [--format json|csv] [--out FILE]
                                                       dummy rows for developers
  dfix model check DIR                                 vet a model package (exit 0 pass, 1 fail)
  dfix model try DIR [--subjects N] [--mode subjects|cohort]
                                                       run a package in the sandbox on dummy data
  dfix ledger export [--out FILE]                      the regulator's log as JSON lines, then checkpoints
  dfix ledger verify [--export FILE] [--checkpoint FILE] [--key FILE]
                                                       audit the log; exit 0 consistent, 1 with what is wrong
  dfix bench [NAME] [--subjects N]                     benchmarks (ratios against a baseline)

Every command takes --data DIR (default ./.dfix) and --json.`;

export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'data':
        return dataCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case 'init':
        return initCommand(rest, io);
      case 'model':
        return await modelCommand(rest, io);
      case 'ledger':
        return ledgerCommand(rest, io);
      case 'bench':
        return await benchCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return 0;
      default:
        throw cliError('CLI_UNKNOWN_COMMAND', { detail: String(command).slice(0, 20) });
    }
  } catch (e) {
    if (isAppError(e) && e.kind !== 'internal') {
      io.err(`error ${e.code}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`);
      return 2;
    }
    io.err(`error INTERNAL_ERROR: ${isAppError(e) ? e.message : 'unexpected failure'}`);
    if (process.env.DFIX_DEBUG) io.err(String(e instanceof Error ? e.stack : e));
    return 1;
  }
}
