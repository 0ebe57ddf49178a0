// `dfix data import`: the next version of the vault's lineage from source files, switched in
// atomically and recorded in the regulator's ledger. It runs with no server on the data
// directory (the data directory's lock, core/lock.ts; `dfix serve` holds it while it runs):
// a running platform holds the vault open for its whole life, so a switched file would only
// be seen at its next start, and the ledger has one writer at a time.
//
// Order of the switch: every file is read and checked (nothing written on any problem), the
// new version is written beside the vault and checked against its own digest, the current
// file is hard-linked aside, the new one renamed over it, and the ledger entry appended; if
// the entry cannot be written the old file is renamed back. So the vault in place is always
// either the old version with no entry or the new one with its entry.
import fs from 'node:fs';
import type { Config } from '../core/config.js';
import { acquireDataLock } from '../core/lock.js';
import { datasetError } from '../datasets/errors.js';
import { DEFAULT_MAX_IMPORT_BYTES, loadSources, planVersion, type SourceFile } from '../datasets/import.js';
import { Vault } from '../datasets/store.js';
import { openPlatformState } from './platform.js';

export interface ImportOptions {
  maxBytes?: number;
  /** Called with the phase and its progress (for a progress bar). */
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface ImportResult {
  changed: boolean;
  dataset: string;
  lineage: string;
  oldVersion: string;
  newVersion: string;
  subjects: number;
  defaultRate: number;
  sources: { source: string; format: string; digest: string; rows: number }[];
  /** The ledger entry's position, when one was written. */
  ledgerSeq: number | null;
}

export function importDataset(config: Config, files: readonly SourceFile[], options: ImportOptions = {}): ImportResult {
  if (!fs.existsSync(config.vaultPath)) throw datasetError('DATASET_VAULT_MISSING');
  const lock = acquireDataLock(config.dataDir, 'dfix data import');
  if ('heldBy' in lock) throw datasetError('DATASET_VAULT_IN_USE', { detail: `${lock.heldBy.holder} (pid ${lock.heldBy.pid})` });
  try {
    const loaded = loadSources(files, options.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES, options.onProgress && ((source, d, t) => options.onProgress?.(`checking ${source}`, d, t)));
    const current = Vault.open(config.vaultPath);
    const tmp = `${config.vaultPath}.next-${process.pid}`;
    let summary;
    let plan;
    try {
      plan = planVersion(current, loaded);
      summary = plan.write(tmp, (d, t) => options.onProgress?.('writing', d, t));
    } finally {
      current.close();
    }
    const base = { dataset: current.info.id, lineage: current.info.lineage, oldVersion: current.info.version, newVersion: summary.datasetVersion, subjects: summary.subjects, defaultRate: summary.defaultRate, sources: plan.sources };
    try {
      const next = Vault.open(tmp);
      const ok = next.verify() && next.info.lineage === current.info.lineage;
      next.close();
      if (!ok) throw datasetError('DATASET_VAULT_CORRUPT');
      if (summary.datasetVersion === current.info.version) {
        fs.rmSync(tmp, { force: true });
        return { ...base, changed: false, ledgerSeq: null };
      }
      const aside = `${config.vaultPath}.prev-${process.pid}`;
      fs.rmSync(aside, { force: true });
      fs.linkSync(config.vaultPath, aside);
      fs.renameSync(tmp, config.vaultPath);
      let seq: number;
      try {
        const state = openPlatformState(config);
        try {
          seq = state.ledger.append('dataset.imported', 'platform', {
            dataset: base.dataset,
            lineage: base.lineage,
            oldVersion: base.oldVersion,
            newVersion: base.newVersion,
            subjects: base.subjects,
            sources: base.sources.map((s) => ({ source: s.source, digest: s.digest, rows: s.rows })),
          }).seq;
        } finally {
          state.close();
        }
      } catch (cause) {
        fs.renameSync(aside, config.vaultPath);
        throw datasetError('DATASET_IMPORT_NOT_RECORDED', { cause });
      }
      fs.rmSync(aside, { force: true });
      return { ...base, changed: true, ledgerSeq: seq };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  } finally {
    lock.release();
  }
}
