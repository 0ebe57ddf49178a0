// The platform's own state: one SQLite file beside the vault, holding the regulator's
// ledger (and, as the run engine lands, organisations, models, consents and runs), with
// the ledger's signing key outside the database. Opened once by a process.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS, type Config } from '../core/config.js';
import { ensureDir, writeFileAtomic } from '../core/fs.js';
import { openDatabase, type Db } from '../core/sqlite.js';
import { loadOrCreateSigner } from '../ledger/keys.js';
import { Ledger } from '../ledger/log.js';

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
