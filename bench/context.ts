import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedVault } from '../datasets/store.js';

/** What the benchmarks of one run share: a scratch directory and one vault. */
export class BenchContext {
  readonly dir: string;
  readonly subjects: number;
  vaultReady = false;

  constructor(subjects: number) {
    this.subjects = subjects;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-bench-'));
  }

  async ensureVault(): Promise<void> {
    if (this.vaultReady) return;
    seedVault(path.join(this.dir, 'vault.sqlite'), { subjects: this.subjects, seed: 1, force: true });
    this.vaultReady = true;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
