// The `dfix` command. Business rules live in the areas; this file only dispatches and
// turns a coded error into one line and an exit code (2 for the caller's mistake).
import { isAppError } from '../core/errors.js';
import { cliError } from './errors.js';
import { bankCommand } from './bank.js';
import { benchCommand } from './bench.js';
import { dataCommand } from './data.js';
import { initCommand } from './init.js';
import { ledgerCommand } from './ledger.js';
import { modelCommand } from './model.js';
import { serveCommand } from './serve.js';
import { demoCommand } from './demo.js';
import { backupCommand, restoreCommand } from './backup.js';
import { isHelpWord, printHelp } from './help.js';
import { codedLine, guardPipes, processIo, type Io } from './output.js';

/** The bin's entry: a reader closing the pipe early ends the command quietly. */
export async function main(argv: readonly string[]): Promise<number> {
  guardPipes();
  return run(argv, processIo);
}

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
        return await ledgerCommand(rest, io);
      case 'bench':
        return await benchCommand(rest, io);
      case 'bank':
        return await bankCommand(rest, io);
      case 'backup':
        return await backupCommand(rest, io);
      case 'restore':
        return await restoreCommand(rest, io);
      case undefined:
        return printHelp(io, '');
      case 'help':
      case '--help':
      case '-h':
        // `dfix help ledger watch` as `dfix ledger watch --help`
        return printHelp(io, rest.filter((w) => !isHelpWord(w)).join(' '));
      default:
        throw cliError('CLI_UNKNOWN_COMMAND', { detail: String(command).slice(0, 20) });
    }
  } catch (e) {
    if (isAppError(e) && e.kind !== 'internal') {
      io.err(codedLine(e));
      return 2;
    }
    io.err(`error INTERNAL_ERROR: ${isAppError(e) ? e.message : 'unexpected failure'}`);
    if (process.env.DFIX_DEBUG) io.err(String(e instanceof Error ? e.stack : e));
    return 1;
  }
}
