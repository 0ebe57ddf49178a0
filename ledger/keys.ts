// The ledger's signing key: generated on first start, kept outside the database as a PKCS#8
// PEM file of mode 0600, with its public verifier key published beside it (ledger.pub).
import { generateKeyPairSync, createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDir, writeFileAtomic } from '../core/fs.js';
import { ledgerError } from './errors.js';
import { rawPublicKey, verifierFromRaw, vkey, type Verifier } from './note.js';

export interface Signer {
  name: string;
  privateKey: KeyObject;
  verifier: Verifier;
}

export function signerFrom(name: string, privateKey: KeyObject): Signer {
  return { name, privateKey, verifier: verifierFromRaw(name, rawPublicKey(privateKey)) };
}

export function newSigner(name: string): Signer {
  return signerFrom(name, generateKeyPairSync('ed25519').privateKey);
}

const KEY_FILE = 'ledger.key';
const PUB_FILE = 'ledger.pub';

/** Loads the key from `dir`, creating it on first start. */
export function loadOrCreateSigner(dir: string, name: string): { signer: Signer; created: boolean } {
  ensureDir(dir, 0o700);
  const file = path.join(dir, KEY_FILE);
  if (!fs.existsSync(file)) {
    const signer = newSigner(name);
    saveSigner(dir, signer);
    return { signer, created: true };
  }
  try {
    return { signer: signerFrom(name, createPrivateKey(fs.readFileSync(file, 'utf8'))), created: false };
  } catch (cause) {
    throw ledgerError('LEDGER_KEY_INVALID', { cause });
  }
}

export function saveSigner(dir: string, signer: Signer): void {
  writeFileAtomic(path.join(dir, KEY_FILE), signer.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  fs.chmodSync(path.join(dir, KEY_FILE), 0o600);
  writeFileAtomic(path.join(dir, PUB_FILE), `${vkey(signer.verifier)}\n`, 0o644);
}

export function publishedKeyFile(dir: string): string {
  return path.join(dir, PUB_FILE);
}
