// Configuration is resolved once, here: flags win over environment, environment over the
// embedded defaults. The rest of the code receives a frozen Config and never supplies a
// default of its own.
import path from 'node:path';
import { z } from 'zod';
import { AppError, CORE_ERRORS } from './errors.js';

export const DEFAULTS = Object.freeze({
  dataDir: './.dfix',
  host: '127.0.0.1',
  port: 8787,
  logLevel: 'info',
  confinement: 'os',
  /** Executor processes that run aggregates; a large cohort is split across all of them. */
  aggregateLanes: 1,
  /** The pilot's first batch. */
  subjects: 1600,
  seed: 20240601,
  dummySubjects: 200,
  /** The checkpoint origin of this deployment's ledger (c2sp.org/tlog-checkpoint). */
  ledgerOrigin: 'dfix-sandbox.local/ledger',
});

const configSchema = z
  .object({
    dataDir: z.string().min(1),
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    confinement: z.enum(['os', 'permission-only']),
    aggregateLanes: z.number().int().min(1).max(8),
  })
  .strict();

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /**
   * How model code is confined: 'os' (user nobody, own network namespace, OS limits; needs
   * root) or, only when the operator says so, 'permission-only' (Node's permission model).
   */
  readonly confinement: 'os' | 'permission-only';
  /**
   * Executor processes for aggregate runs (1-8, default 1): a cohort of 50,000 merchants or
   * more is split across them, and its public availability time counts them. More lanes
   * answer large runs sooner and take that many cores while they run.
   */
  readonly aggregateLanes: number;
  /** The government data vault (its own file, opened read-only for runs). */
  readonly vaultPath: string;
  /** The platform's state: organisations, models, runs, budget, the ledger. */
  readonly statePath: string;
  /** Signing keys, outside the databases, mode 0600. */
  readonly keysDir: string;
}

export interface ConfigInput {
  dataDir?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  logLevel?: string | undefined;
  confinement?: string | undefined;
  aggregateLanes?: number | undefined;
}

export function resolveConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const envPort = env.DFIX_PORT === undefined ? undefined : Number(env.DFIX_PORT);
  const envLanes = env.DFIX_AGGREGATE_LANES === undefined ? undefined : Number(env.DFIX_AGGREGATE_LANES);
  const parsed = configSchema.safeParse({
    dataDir: flags.dataDir ?? env.DFIX_DATA ?? DEFAULTS.dataDir,
    host: flags.host ?? env.DFIX_HOST ?? DEFAULTS.host,
    port: flags.port ?? envPort ?? DEFAULTS.port,
    logLevel: flags.logLevel ?? env.DFIX_LOG_LEVEL ?? DEFAULTS.logLevel,
    confinement: flags.confinement ?? env.DFIX_CONFINEMENT ?? DEFAULTS.confinement,
    aggregateLanes: flags.aggregateLanes ?? envLanes ?? DEFAULTS.aggregateLanes,
  });
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? 'config';
    throw new AppError('CONFIG_INVALID', CORE_ERRORS.CONFIG_INVALID, { detail: field });
  }
  const dataDir = path.resolve(parsed.data.dataDir);
  return Object.freeze({
    ...parsed.data,
    dataDir,
    vaultPath: path.join(dataDir, 'vault.sqlite'),
    statePath: path.join(dataDir, 'platform.sqlite'),
    keysDir: path.join(dataDir, 'keys'),
  });
}
