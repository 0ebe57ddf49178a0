// Prepares a data directory on embedded defaults: the vault is built on first start and
// reused afterwards. `dfix serve` runs the same step before it listens.
import fs from 'node:fs';
import { DEFAULTS, resolveConfig, type Config } from '../core/config.js';
import { seedVault, Vault, type DatasetInfo } from '../datasets/store.js';
import { openPlatformState } from '../sandbox/platform.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import type { Io } from './output.js';
import { progress } from './progress.js';

export interface Prepared {
  created: boolean;
  dataset: DatasetInfo;
}

export function prepareDataDir(config: Config): Prepared {
  let created = false;
  if (!fs.existsSync(config.vaultPath)) {
    const bar = progress('seeding the vault');
    try {
      seedVault(config.vaultPath, { subjects: DEFAULTS.subjects, seed: DEFAULTS.seed, onProgress: (d, t) => bar.update(d, t) });
    } finally {
      bar.stop();
    }
    created = true;
  }
  const vault = Vault.open(config.vaultPath);
  const dataset = vault.info;
  vault.close();
  // the platform state, the ledger and its signing key, created on first start
  openPlatformState(config).close();
  return { created, dataset };
}

export function initCommand(argv: readonly string[], io: Io): number {
  const { flags, positionals } = parseArgs(argv, {});
  if (flags.help) return printHelp(io, 'init');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  const config = resolveConfig({ dataDir: flags.data });
  const { created, dataset } = prepareDataDir(config);
  if (flags.json) io.out(JSON.stringify({ dataDir: config.dataDir, created, dataset }));
  else io.out(`${created ? 'built' : 'found'} the vault at ${config.vaultPath}: ${dataset.subjects} merchants, ${dataset.fields} fields, version ${dataset.version}`);
  return 0;
}