// The platform's own state: one SQLite file beside the vault, holding the regulator's
// ledger (and, as the run engine lands, organisations, models, consents and runs), with
// the ledger's signing key outside the database. Opened once by a process.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS, type Config } from '../core/config.js';
import { ensureDir, writeFileAtomic } from '../core/fs.js';
import { openDatabase, type Db } from '../core/sqlite.js';
import { Vault } from '../datasets/store.js';
import { loadOrCreateSigner } from '../ledger/keys.js';
import { Ledger } from '../ledger/log.js';
import { loadPolicy, type LoadedPolicy } from '../policies/policy.schema.js';
import { Executor } from '../workers/client.js';
import type { ConfinementMode } from '../core/confinement.js';
import { CryptoProcess } from '../encryption/process/client.js';
import { bootstrapRegulator } from './orgs.js';
import { recoverInterrupted, settleBackground, type RunCtx } from './run/pipeline.js';
import { migrate } from './state.js';
import { WebhookDispatcher, type DispatcherOptions } from './webhooks/dispatcher.js';

export interface PlatformState {
  db: Db;
  ledger: Ledger;
  /** Where the key a verifier should trust (the genesis key) is published. */
  genesisKeyFile: string;
  close(): void;
}

export const GENESIS_KEY_FILE = 'ledger-genesis.pub';

export function openPlatformState(config: Config): PlatformState {
  ensureDir(config.dataDir, 0o700);
  const { signer } = loadOrCreateSigner(config.keysDir, DEFAULTS.ledgerOrigin);
  const db = openDatabase(config.statePath);
  fs.chmodSync(config.statePath, 0o600);
  const ledger = new Ledger(db, signer, { origin: DEFAULTS.ledgerOrigin });
  const genesisKeyFile = path.join(config.keysDir, GENESIS_KEY_FILE);
  if (!fs.existsSync(genesisKeyFile)) writeFileAtomic(genesisKeyFile, `${ledger.genesisKey}\n`, 0o644);
  return { db, ledger, genesisKeyFile, close: () => db.close() };
}

export interface PlatformOptions {
  executor?: Executor;
  /** How model code is confined when the platform starts its own executor (default 'os'). */
  confinement?: ConfinementMode;
  /** Executor events: which limit ended a process, restarts, unresponsive processes. */
  onEvent?: (event: string, data: Record<string, unknown>) => void;
  now?: () => Date;
  policy?: LoadedPolicy;
  /** How long a rotated API key keeps working (default 24 h). */
  apiKeyGraceMs?: number;
  /** Webhook delivery: https to public addresses only unless allowLoopback; retries; the loop's period (0: none). */
  webhooks?: DispatcherOptions;
}

/**
 * Everything a running platform holds: the vault (read-only), the state with its ledger,
 * the executor and the policy. On first start it creates the regulator's organisation and
 * writes its key to <data dir>/bootstrap.json (mode 0600).
 */
export class Platform {
  readonly ctx: RunCtx;
  readonly config: Config;
  readonly bootstrapFile: string;
  /** Sends webhook deliveries off the request path (sandbox/webhooks/). */
  readonly webhooks: WebhookDispatcher;
  private readonly state: PlatformState;
  private readonly ownsExecutor: boolean;

  private constructor(config: Config, ctx: RunCtx, state: PlatformState, ownsExecutor: boolean, webhooks: WebhookDispatcher) {
    this.webhooks = webhooks;
    this.config = config;
    this.ctx = ctx;
    this.state = state;
    this.ownsExecutor = ownsExecutor;
    this.bootstrapFile = path.join(config.dataDir, 'bootstrap.json');
  }

  static async open(config: Config, options: PlatformOptions = {}): Promise<Platform> {
    const vault = Vault.open(config.vaultPath);
    const state = openPlatformState(config);
    migrate(state.db);
    const executor = options.executor ?? (await Executor.start({ confinement: options.confinement ?? config.confinement, aggregateLanes: config.aggregateLanes, ...(options.onEvent ? { onEvent: options.onEvent } : {}) }));
    const ctx: RunCtx = {
      db: state.db,
      ledger: state.ledger,
      executor,
      vault,
      crypto: new CryptoProcess(executor.confinementHandle),
      policy: options.policy ?? loadPolicy(),
      now: options.now ?? (() => new Date()),
      ...(options.apiKeyGraceMs !== undefined ? { apiKeyGraceMs: options.apiKeyGraceMs } : {}),
    };
    const p = new Platform(config, ctx, state, !options.executor, new WebhookDispatcher(ctx, options.webhooks));
    // runs a killed process left open are closed now, as interrupted
    recoverInterrupted(ctx);
    const boot = bootstrapRegulator(ctx);
    if (boot) writeFileAtomic(p.bootstrapFile, `${JSON.stringify({ orgId: boot.id, apiKey: boot.apiKey, note: 'The regulator key. Shown once; keep it safe.' }, null, 2)}\n`, 0o600);
    p.webhooks.start();
    return p;
  }

  async close(): Promise<void> {
    await settleBackground(this.ctx);
    await this.webhooks.close();
    if (this.ownsExecutor) await this.ctx.executor.close();
    await this.ctx.crypto?.close();
    this.ctx.vault.close();
    this.state.close();
  }
}
