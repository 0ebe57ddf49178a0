import fs from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { resolveConfig } from '../core/config.js';
import { ensureDir } from '../core/fs.js';
import { acquireDataLock } from '../core/lock.js';
import { datasetError } from '../datasets/errors.js';
import type { Posture } from '../core/confinement.js';
import { serve } from '../server/listen.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import { prepareDataDir } from './init.js';
import type { Io } from './output.js';

const MAX_PEM = 1 << 20;

function readPem(file: string, flag: string): Buffer {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_PEM) throw new Error('not a small regular file');
    return fs.readFileSync(file);
  } catch (cause) {
    throw cliError('CLI_TLS_UNREADABLE', { cause, detail: flag });
  }
}

/** Reads both TLS files at start and checks that they make a usable pair. */
export function loadTls(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw cliError('CLI_BAD_FLAG', { detail: '--tls-cert' });
  if (keyFile === undefined) throw cliError('CLI_BAD_FLAG', { detail: '--tls-key' });
  const cert = readPem(path.resolve(certFile), '--tls-cert');
  const key = readPem(path.resolve(keyFile), '--tls-key');
  try {
    // throws on a malformed certificate or key, and when the key does not match the certificate
    createSecureContext({ cert, key });
  } catch (cause) {
    throw cliError('CLI_TLS_INVALID', { cause });
  }
  return { cert, key };
}

/** How model code is confined, in one line (a warning when it is the permission model alone). */
function confinementLine(p: Posture): string {
  const limits = p.limits.addressSpaceBytes ? `, address space ${p.limits.addressSpaceBytes / 1024 ** 3} GiB, CPU ${p.limits.cpuSeconds} s` : ', no OS limits';
  if (p.mode === 'os') return `  model code: confined as ${p.user}, ${p.network}${limits}; runtime from the ${p.runtime}`;
  return `  WARNING model code: Node's permission model ALONE (chosen by --confinement permission-only), as ${p.user}, ${p.network}${limits}`;
}

export async function serveCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { port: 'int', host: 'string', 'tls-cert': 'string', 'tls-key': 'string', confinement: 'string', 'aggregate-lanes': 'int' });
  if (flags.help) return printHelp(io, 'serve');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  const config = resolveConfig({ dataDir: flags.data, port: flags.port, host: flags.host, confinement: flags.confinement, aggregateLanes: flags['aggregate-lanes'] });
  const tls = loadTls(flags['tls-cert'], flags['tls-key']);
  // one server per data directory, and no import switching the vault under it
  ensureDir(config.dataDir, 0o700);
  const lock = acquireDataLock(config.dataDir, 'dfix serve');
  if ('heldBy' in lock) throw datasetError('DATASET_VAULT_IN_USE', { detail: `${lock.heldBy.holder} (pid ${lock.heldBy.pid})` });
  let running;
  let created;
  let dataset;
  try {
    ({ created, dataset } = prepareDataDir(config));
    running = await serve(config, tls ? { server: { https: tls } } : {});
  } catch (e) {
    lock.release();
    throw e;
  }
  io.out(
    [
      `DFIX Sandbox listening on ${running.url}`,
      `  vault: ${dataset.subjects} merchants, version ${dataset.version}${created ? ' (built now)' : ''}`,
      `  regulator's bootstrap key: ${running.platform.bootstrapFile}`,
      `  API description: ${running.url}/openapi.json, viewer: ${running.url}/docs`,
      confinementLine(running.platform.ctx.executor.posture),
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      io.err('shutting down: finishing runs in flight');
      void running.close().finally(() => lock.release()).then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
