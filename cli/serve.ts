import { resolveConfig } from '../core/config.js';
import { serve } from '../server/listen.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { prepareDataDir } from './init.js';
import type { Io } from './output.js';

export async function serveCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { port: 'int', host: 'string' });
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  const config = resolveConfig({ dataDir: flags.data, port: flags.port, host: flags.host });
  const { created, dataset } = prepareDataDir(config);
  const running = await serve(config);
  io.out(
    [
      `DFIX Sandbox listening on ${running.url}`,
      `  vault: ${dataset.subjects} merchants, version ${dataset.version}${created ? ' (built now)' : ''}`,
      `  regulator's bootstrap key: ${running.platform.bootstrapFile}`,
      `  API description: ${running.url}/openapi.json, viewer: ${running.url}/docs`,
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      io.err('shutting down: finishing runs in flight');
      void running.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
