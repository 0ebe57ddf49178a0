import fs from 'node:fs';
import { resolveConfig, DEFAULTS } from '../core/config.js';
import { acquireDataLock } from '../core/lock.js';
import { catalog, publicField } from '../datasets/catalog.js';
import { datasetError } from '../datasets/errors.js';
import { dummyCsv, dummyJson, dummyTable } from '../datasets/dummy.js';
import { seedVault } from '../datasets/store.js';
import { parseArgs } from './args.js';
import { importCommand } from './data-import.js';
import { cliError } from './errors.js';
import { isHelpWord, printHelp } from './help.js';
import { emit, table, type Io } from './output.js';
import { progress } from './progress.js';

export function dataCommand(argv: readonly string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (isHelpWord(sub)) return printHelp(io, 'data');
  switch (sub) {
    case 'seed': {
      const { flags, positionals } = parseArgs(rest, { subjects: 'int', seed: 'int', force: 'boolean' });
      if (flags.help) return printHelp(io, 'data seed');
      if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
      const config = resolveConfig({ dataDir: flags.data });
      // a running server holds the vault open: replacing it under the server is refused, as an import is
      // (a directory that does not exist yet has no server)
      const lock = fs.existsSync(config.dataDir) ? acquireDataLock(config.dataDir, 'dfix data seed') : { release() {} };
      if ('heldBy' in lock) throw datasetError('DATASET_VAULT_IN_USE', { detail: `${lock.heldBy.holder} (pid ${lock.heldBy.pid})` });
      const bar = progress('seeding the vault');
      let summary;
      try {
        summary = seedVault(config.vaultPath, {
          subjects: flags.subjects ?? DEFAULTS.subjects,
          seed: flags.seed ?? DEFAULTS.seed,
          force: flags.force ?? false,
          onProgress: (done, total) => bar.update(done, total),
        });
      } finally {
        bar.stop();
        lock.release();
      }
      io.out(
        flags.json
          ? JSON.stringify(summary)
          : `vault built at ${config.vaultPath}\n  subjects ${summary.subjects}, fields ${summary.fields} from ${summary.sources} sources\n  version ${summary.datasetVersion}\n  default rate ${summary.defaultRate}`,
      );
      return 0;
    }
    case 'import':
      return importCommand(rest, io);
    case 'fields': {
      const { flags, positionals } = parseArgs(rest, {});
      if (flags.help) return printHelp(io, 'data fields');
      if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
      const fields = catalog().map(publicField);
      if (flags.json) io.out(JSON.stringify(fields));
      else
        io.out(
          table(
            ['name', 'level', 'source', 'type', 'unit', 'model', 'label'],
            fields.map((f) => [f.name, f.level, f.source, f.type, f.unit || '-', f.modelReadable ? 'readable' : 'hidden', f.label]),
          ),
        );
      return 0;
    }
    case 'dummy': {
      const { flags, positionals } = parseArgs(rest, { subjects: 'int', seed: 'int', format: 'string', out: 'string' });
      if (flags.help) return printHelp(io, 'data dummy');
      if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
      const format = flags.format ?? 'json';
      if (format !== 'json' && format !== 'csv') throw datasetError('DATASET_BAD_FORMAT');
      const table = dummyTable(flags.subjects ?? DEFAULTS.dummySubjects, flags.seed ?? DEFAULTS.seed);
      emit(io, format === 'csv' ? dummyCsv(table) : JSON.stringify(dummyJson(table)), flags.out);
      return 0;
    }
    default:
      throw cliError('CLI_UNKNOWN_COMMAND', { detail: `data ${String(sub ?? '').slice(0, 20)}` });
  }
}
