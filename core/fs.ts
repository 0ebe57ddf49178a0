import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Writes a file beside its target and renames it into place: readers never see half of it. */
export function writeFileAtomic(file: string, content: string | Uint8Array, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdirSync loops forever on some special
 * filesystems (seen under /proc on Node 20), so it is not used.
 */
export function ensureDir(dir: string, mode = 0o755): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) fs.mkdirSync(m, { mode });
  if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
}

/** The directory of this package's package.json, found from a module's own URL. */
export function projectRoot(from: string | URL = import.meta.url): string {
  let dir = path.dirname(typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
  return dir;
}
