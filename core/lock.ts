// One holder of a data directory at a time, for the commands that must not overlap: a
// server (`dfix serve`) and an import that switches the vault (`dfix data import`). The lock
// is a file `<data dir>/dfix.lock` created exclusively with the holder's pid; a lock whose
// process has ended is stale and taken over. It is advisory: only these commands take it.
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'dfix.lock';

export interface DataLock {
  release(): void;
}

export interface LockHolder {
  pid: number;
  holder: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return Number.isInteger(v.pid) ? { pid: v.pid as number, holder: String(v.holder ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data directory's lock for `holder`, or returns who holds it. A lock file that
 * names no live process (or cannot be read) is stale: it is removed and taken.
 */
export function acquireDataLock(dataDir: string, holder: string): DataLock | { heldBy: LockHolder } {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, holder, at: new Date().toISOString() }));
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = readHolder(file);
      if (held && held.pid !== process.pid && alive(held.pid)) return { heldBy: held };
      if (held && held.pid === process.pid) return { heldBy: held };
      fs.rmSync(file, { force: true });
    }
  }
  const held = readHolder(file);
  return { heldBy: held ?? { pid: 0, holder: 'unknown' } };
}
