import path from 'node:path';
import { openDatabase, type Db } from '../../core/sqlite.js';
import { newSigner, type Signer } from '../../ledger/keys.js';
import { Ledger, type LedgerOptions } from '../../ledger/log.js';
import { audit, parseExport, type AuditReport } from '../../ledger/verify.js';

export const ORIGIN = 'dfix.test/ledger';

export function openLedger(dir: string, signer: Signer = newSigner(ORIGIN), options: Partial<LedgerOptions> = {}, name = 'state.sqlite'): { db: Db; ledger: Ledger; signer: Signer; file: string } {
  const file = path.join(dir, name);
  const db = openDatabase(file);
  return { db, ledger: new Ledger(db, signer, { origin: ORIGIN, ...options }), signer, file };
}

export function fill(ledger: Ledger, n: number): void {
  for (let i = 0; i < n; i++) ledger.append('consent.granted', 'channel-1', { consent: `c-${i}`, subject: `sha256:${i}`, bank: 'bank-1', purpose: 'credit', expiresAt: '2027-01-01' });
}

export function exportText(ledger: Ledger): string {
  return [...ledger.exportLines()].join('\n');
}

export function auditText(text: string, genesisKey: string, held: string[] = []): AuditReport {
  return audit({ export: parseExport(text), genesisKey, origin: ORIGIN, held });
}
