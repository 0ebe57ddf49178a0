// `dfix backup` and `dfix restore`. A backup is a directory: both databases copied with
// SQLite's online backup API (safe while a server runs), the keys, bootstrap.json, and
// manifest.json with each file's size and SHA-256 and the ledger's size and root at the
// moment of the copy. A restore checks every file against the manifest, writes beside the
// target and renames into place, and keeps the result only if its ledger verifies.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { resolveConfig, type Config } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../core/fs.js';
import { backupDatabase, openSnapshot } from '../core/sqlite.js';
import { ledgerHead } from '../ledger/log.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import { auditLog } from './ledger.js';
import { table, type Io } from './output.js';
import { progress } from './progress.js';

export const MANIFEST = 'manifest.json';
const FORMAT = 'dfix-backup/1';
const DATABASES = ['vault.sqlite', 'platform.sqlite'] as const;
const REQUIRED = [...DATABASES, 'keys/ledger.key', 'keys/ledger-genesis.pub'];
/** The only paths a manifest may name: a manifest is input, and must not reach outside the target. */
const ALLOWED = /^(vault\.sqlite|platform\.sqlite|bootstrap\.json|keys\/[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;
const SECRET = /^(vault\.sqlite|platform\.sqlite|bootstrap\.json|keys\/.*\.key)$/;

// manifest.json comes from a directory anyone may have edited: parsed, never trusted as is
const manifestSchema = z
  .object({
    format: z.literal(FORMAT),
    createdAt: z.string().max(40),
    ledger: z.object({ size: z.number().int().min(0), root: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    files: z
      .array(z.object({ path: z.string().regex(ALLOWED), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict())
      .min(REQUIRED.length)
      .max(64),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

async function sha256File(file: string, onBytes?: (n: number) => void): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return h.digest('hex');
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw cliError('BACKUP_TARGET_NOT_EMPTY', { cause: e });
  }
}

/** Moves a finished temporary directory onto `target` (missing or empty). */
function moveInto(tmp: string, target: string): void {
  if (fs.existsSync(target)) fs.rmdirSync(target);
  fs.renameSync(tmp, target);
}

async function hashAll(dir: string, files: readonly string[]): Promise<{ path: string; size: number; sha256: string }[]> {
  const sizes = files.map((f) => fs.statSync(path.join(dir, f)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const bar = progress('hashing');
  let done = 0;
  try {
    const out = [];
    for (const [i, f] of files.entries()) {
      out.push({ path: f, size: sizes[i] as number, sha256: await sha256File(path.join(dir, f), (n) => bar.update((done += n), total)) });
    }
    return out;
  } finally {
    bar.stop();
  }
}

/** Writes a backup of `config`'s data directory into `out` (which must be missing or empty). */
export async function backup(config: Config, out: string): Promise<Manifest> {
  for (const f of ['vault.sqlite', 'platform.sqlite', 'keys/ledger.key']) if (!fs.existsSync(path.join(config.dataDir, f))) throw cliError('BACKUP_SOURCE_MISSING', { detail: f });
  if (!isEmptyOrMissing(out)) throw cliError('BACKUP_TARGET_NOT_EMPTY', { detail: '--out' });
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.backup-${process.pid}`);
  try {
    ensureDir(path.dirname(out));
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { mode: 0o700 });
    fs.mkdirSync(path.join(tmp, 'keys'), { mode: 0o700 });
    const files: string[] = [];
    let head = { size: 0, root: '' };
    for (const db of DATABASES) {
      const bar = progress(`backing up ${db}`);
      try {
        await backupDatabase(path.join(config.dataDir, db), path.join(tmp, db), (d, t) => bar.update(d, t));
      } finally {
        bar.stop();
      }
      fs.chmodSync(path.join(tmp, db), 0o600);
      files.push(db);
    }
    // the ledger as this copy holds it: what a restore must find again
    const snap = openSnapshot(path.join(tmp, 'platform.sqlite'));
    try {
      const h = ledgerHead(snap);
      head = { size: h.size, root: h.root.toString('hex') };
    } finally {
      snap.close();
    }
    for (const name of fs.readdirSync(config.keysDir).sort()) {
      const rel = `keys/${name}`;
      if (!ALLOWED.test(rel) || !fs.statSync(path.join(config.keysDir, name)).isFile()) continue;
      fs.copyFileSync(path.join(config.keysDir, name), path.join(tmp, rel));
      fs.chmodSync(path.join(tmp, rel), fs.statSync(path.join(config.keysDir, name)).mode & 0o777);
      files.push(rel);
    }
    const bootstrap = path.join(config.dataDir, 'bootstrap.json');
    if (fs.existsSync(bootstrap)) {
      fs.copyFileSync(bootstrap, path.join(tmp, 'bootstrap.json'));
      fs.chmodSync(path.join(tmp, 'bootstrap.json'), 0o600);
      files.push('bootstrap.json');
    }
    const manifest: Manifest = { format: FORMAT, createdAt: new Date().toISOString(), ledger: head, files: await hashAll(tmp, files) };
    writeFileAtomic(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    moveInto(tmp, out);
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (isAppError(e)) throw e;
    throw cliError('BACKUP_FAILED', { cause: e });
  }
}

function readManifest(from: string): Manifest {
  try {
    const file = path.join(from, MANIFEST);
    if (fs.statSync(file).size > 1 << 20) throw new Error('manifest too large');
    const parsed = manifestSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    const names = parsed.files.map((f) => f.path);
    if (new Set(names).size !== names.length || REQUIRED.some((r) => !names.includes(r))) throw new Error('files missing or repeated');
    return parsed;
  } catch (cause) {
    throw cliError('BACKUP_MANIFEST_INVALID', { cause });
  }
}

/**
 * Restores the backup in `from` into `config`'s data directory (missing or empty). The
 * files are copied beside the target, each copy checked against the manifest, the ledger
 * audited and compared with the manifest's size and root; only then renamed into place.
 */
export async function restore(from: string, config: Config): Promise<Manifest> {
  const manifest = readManifest(from);
  const target = config.dataDir;
  if (!isEmptyOrMissing(target)) throw cliError('BACKUP_TARGET_NOT_EMPTY', { detail: '--data' });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.restore-${process.pid}`);
  try {
    ensureDir(path.dirname(target));
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { mode: 0o700 });
    fs.mkdirSync(path.join(tmp, 'keys'), { mode: 0o700 });
    for (const f of manifest.files) {
      const src = path.join(from, f.path);
      const st = fs.existsSync(src) ? fs.statSync(src) : undefined;
      if (!st?.isFile() || st.size !== f.size) throw cliError('BACKUP_DIGEST_MISMATCH', { detail: f.path });
      fs.copyFileSync(src, path.join(tmp, f.path));
      fs.chmodSync(path.join(tmp, f.path), SECRET.test(f.path) ? 0o600 : 0o644);
    }
    // the copies are what will be used: they are the ones checked
    const digests = await hashAll(
      tmp,
      manifest.files.map((f) => f.path),
    );
    for (const [i, f] of manifest.files.entries()) {
      const d = digests[i] as { size: number; sha256: string };
      if (d.size !== f.size || d.sha256 !== f.sha256) throw cliError('BACKUP_DIGEST_MISMATCH', { detail: f.path });
    }
    const snap = openSnapshot(path.join(tmp, 'platform.sqlite'));
    let head;
    try {
      head = ledgerHead(snap);
    } finally {
      snap.close();
    }
    if (head.size !== manifest.ledger.size || head.root.toString('hex') !== manifest.ledger.root) throw cliError('BACKUP_LEDGER_MISMATCH', { detail: 'size or root' });
    const report = auditLog(resolveConfig({ dataDir: tmp, host: config.host, port: config.port }, {}));
    if (!report.ok) throw cliError('BACKUP_LEDGER_MISMATCH', { detail: report.problems[0]?.kind ?? 'audit' });
    moveInto(tmp, target);
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (isAppError(e)) throw e;
    throw cliError('BACKUP_FAILED', { cause: e });
  }
}

function summary(io: Io, json: boolean | undefined, verb: string, dir: string, m: Manifest): void {
  if (json) {
    io.out(JSON.stringify({ dir, ...m }));
    return;
  }
  io.out(`${verb} ${dir}: ledger size ${m.ledger.size}, root ${m.ledger.root}`);
  io.out(table(['file', 'bytes', 'sha256'], m.files.map((f) => [f.path, String(f.size), f.sha256])));
}

export async function backupCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { out: 'string' });
  if (flags.help) return printHelp(io, 'backup');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  if (!flags.out) throw cliError('CLI_BAD_FLAG', { detail: '--out' });
  const config = resolveConfig({ dataDir: flags.data });
  const out = path.resolve(flags.out);
  summary(io, flags.json, 'backed up to', out, await backup(config, out));
  return 0;
}

export async function restoreCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { from: 'string' });
  if (flags.help) return printHelp(io, 'restore');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  if (!flags.from) throw cliError('CLI_BAD_FLAG', { detail: '--from' });
  if (!flags.data && !process.env.DFIX_DATA) throw cliError('CLI_BAD_FLAG', { detail: '--data' });
  const config = resolveConfig({ dataDir: flags.data });
  const m = await restore(path.resolve(flags.from), config);
  summary(io, flags.json, 'restored into', config.dataDir, m);
  if (!flags.json) io.out('ledger verified');
  return 0;
}
