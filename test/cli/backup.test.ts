import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { resolveConfig } from '../../core/config.js';
import { serve, type Running } from '../../server/listen.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('dfix backup and restore', () => {
  let root: string;
  let data: string;
  let backupDir: string;
  let server: Running;
  const backupIo = capture();
  let backupCode: number;
  let liveWrites = 0;
  beforeAll(async () => {
    root = tmpDir();
    data = path.join(root, 'data');
    expect(await run(['init', '--data', data], capture())).toBe(0);
    server = await serve(resolveConfig({ dataDir: data, port: 0, logLevel: 'warn' }, {}), { quiet: true });
    for (let i = 0; i < 30; i++) server.platform.ctx.ledger.append('org.applied', 'anyone', { org: `org-${i}`, kind: 'bank' });
    // the online backup, made once here: every test below reads it, in any order
    backupDir = path.join(root, 'backup');
    const writer = setInterval(() => server.platform.ctx.ledger.append('org.applied', 'anyone', { org: `live-${liveWrites++}`, kind: 'bank' }), 1);
    try {
      backupCode = await run(['backup', '--data', data, '--out', backupDir, '--json'], backupIo);
    } finally {
      clearInterval(writer);
    }
  });
  afterAll(async () => {
    await server.close();
    rmDir(root);
  });

  it('backs up online while the server runs and appends, with a manifest of sizes, digests and the ledger head', async () => {
    const io = backupIo;
    expect(io.stderr).toEqual([]);
    expect(backupCode).toBe(0);
    expect(liveWrites).toBeGreaterThan(0); // the server's writes went on during the copy
    const printed = JSON.parse(io.stdout.join(''));
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(printed).toMatchObject(manifest);
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(['bootstrap.json', 'keys/ledger-genesis.pub', 'keys/ledger.key', 'keys/ledger.pub', 'platform.sqlite', 'vault.sqlite']);
    for (const f of manifest.files) {
      expect(fs.statSync(path.join(backupDir, f.path)).size).toBe(f.size);
      expect(sha256(path.join(backupDir, f.path))).toBe(f.sha256);
    }
    expect(manifest.ledger.size).toBeGreaterThanOrEqual(31);
    expect(manifest.ledger.root).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(backupDir, 'keys/ledger.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(backupDir).mode & 0o777).toBe(0o700);
    // the copy is one file per database: no journal beside it
    expect(fs.readdirSync(backupDir).sort()).toEqual(['bootstrap.json', 'keys', 'manifest.json', 'platform.sqlite', 'vault.sqlite']);
  });

  it('restores into a new directory whose ledger verifies, with the size and root of the manifest', async () => {
    const restored = path.join(root, 'restored');
    const io = capture();
    expect(await run(['restore', '--from', backupDir, '--data', restored], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/ledger verified/);
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    const verify = capture();
    expect(await run(['ledger', 'verify', '--data', restored, '--json'], verify)).toBe(0);
    const report = JSON.parse(verify.stdout.join(''));
    expect(report).toMatchObject({ ok: true, size: manifest.ledger.size, root: manifest.ledger.root });
    expect(fs.readFileSync(path.join(restored, 'bootstrap.json'), 'utf8')).toBe(fs.readFileSync(path.join(data, 'bootstrap.json'), 'utf8'));
    expect(fs.statSync(path.join(restored, 'platform.sqlite')).mode & 0o777).toBe(0o600);
    // and the live log kept growing meanwhile: the backup is a snapshot
    expect(server.platform.ctx.ledger.size()).toBeGreaterThanOrEqual(manifest.ledger.size);
  });

  it('refuses a non-empty target, for backup and restore alike', async () => {
    const full = path.join(root, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'x'), 'x');
    for (const argv of [
      ['restore', '--from', backupDir, '--data', full],
      ['backup', '--data', data, '--out', full],
    ]) {
      const io = capture();
      expect(await run(argv, io)).toBe(2);
      expect(io.stderr).toEqual([expect.stringMatching(/^error BACKUP_TARGET_NOT_EMPTY: /)]);
    }
    expect(fs.readdirSync(full)).toEqual(['x']);
  });

  function copyOfBackup(name: string): string {
    const copy = path.join(root, name);
    fs.cpSync(backupDir, copy, { recursive: true });
    return copy;
  }

  it.each([
    ['a flipped byte in the state', (b: string) => {
      const f = path.join(b, 'platform.sqlite');
      const bytes = fs.readFileSync(f);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 1;
      fs.writeFileSync(f, bytes);
    }, 'BACKUP_DIGEST_MISMATCH', 'platform.sqlite'],
    ['a replaced key', (b: string) => fs.writeFileSync(path.join(b, 'keys/ledger-genesis.pub'), 'someone+00000000+AAAA\n'), 'BACKUP_DIGEST_MISMATCH', 'keys/ledger-genesis.pub'],
    ['a missing vault', (b: string) => fs.rmSync(path.join(b, 'vault.sqlite')), 'BACKUP_DIGEST_MISMATCH', 'vault.sqlite'],
    ['a manifest naming a path outside the target', (b: string) => {
      const m = JSON.parse(fs.readFileSync(path.join(b, 'manifest.json'), 'utf8'));
      m.files.push({ path: '../escape', size: 1, sha256: '0'.repeat(64) });
      fs.writeFileSync(path.join(b, 'manifest.json'), JSON.stringify(m));
    }, 'BACKUP_MANIFEST_INVALID', undefined],
    ['a manifest whose ledger head was edited', (b: string) => {
      const m = JSON.parse(fs.readFileSync(path.join(b, 'manifest.json'), 'utf8'));
      m.ledger.root = 'f'.repeat(64);
      fs.writeFileSync(path.join(b, 'manifest.json'), JSON.stringify(m));
    }, 'BACKUP_LEDGER_MISMATCH', undefined],
  ])('refuses a backup with %s, with a coded line and nothing restored', async (_what, tamper, code, detail) => {
    const copy = copyOfBackup(`tampered-${code}-${detail ?? 'x'}`.replace(/\//g, '_'));
    tamper(copy);
    const target = path.join(root, `target-${path.basename(copy)}`);
    const io = capture();
    expect(await run(['restore', '--from', copy, '--data', target], io)).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(new RegExp(`^error ${code}: `));
    if (detail) expect(io.stderr[0]).toContain(`(${detail})`);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(root).filter((n) => n.includes('.restore-'))).toEqual([]);
  });

  it('needs --out, --from and --data', async () => {
    for (const [argv, flag] of [[['backup', '--data', data], '--out'], [['restore', '--data', path.join(root, 'n')], '--from']] as const) {
      const io = capture();
      expect(await run([...argv], io)).toBe(2);
      expect(io.stderr[0]).toMatch(new RegExp(`^error CLI_BAD_FLAG: .*\\(${flag}\\)`));
    }
  });
});
