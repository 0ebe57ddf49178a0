import { BENCHES, runBenches } from '../bench/index.js';
import { formatFigure } from '../bench/report.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import type { Io } from './output.js';

export async function benchCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { subjects: 'int' });
  if (flags.help) return printHelp(io, 'bench');
  if (positionals.length > 1) throw cliError('CLI_BAD_ARGUMENT');
  const name = positionals[0];
  if (name !== undefined && !Object.hasOwn(BENCHES, name)) throw cliError('CLI_BAD_ARGUMENT', { detail: `bench ${name.slice(0, 20)}` });
  const subjects = flags.subjects ?? 1_000_000;
  if (subjects < 1000 || subjects > 5_000_000) throw cliError('CLI_BAD_FLAG', { detail: '--subjects' });
  if (!flags.json) io.out(`${'figure'.padEnd(40)} ${'value'.padStart(12)} unit  (baseline, ratio)  -- note`);
  await runBenches(name ? [name] : Object.keys(BENCHES), subjects, (f) => io.out(flags.json ? JSON.stringify(f) : formatFigure(f)));
  return 0;
}
