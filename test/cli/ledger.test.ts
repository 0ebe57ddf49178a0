import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { resolveConfig } from '../../core/config.js';
import { openPlatformState } from '../../sandbox/platform.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('dfix ledger', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tmpDir();
    expect(await run(['init', '--data', dir], capture())).toBe(0);
    const state = openPlatformState(resolveConfig({ dataDir: dir }, {}));
    for (let i = 0; i < 30; i++) state.ledger.append('org.applied', 'anyone', { org: `org-${i}`, kind: 'bank' });
    state.close();
  });
  afterAll(() => rmDir(dir));

  it('creates keys on first start: the private key 0600, outside the database; data not world-readable', () => {
    expect(fs.statSync(path.join(dir, 'keys', 'ledger.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'vault.sqlite')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'platform.sqlite')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'keys', 'ledger-genesis.pub'), 'utf8')).toMatch(/^dfix-sandbox\.local\/ledger\+[0-9a-f]{8}\+/);
  });

  it('exports a live log that verifies, and names a modified entry in a tampered export', async () => {
    const out = path.join(dir, 'export.jsonl');
    expect(await run(['ledger', 'export', '--data', dir, '--out', out], capture())).toBe(0);
    const ok = capture();
    expect(await run(['ledger', 'verify', '--data', dir, '--export', out, '--json'], ok)).toBe(0);
    expect(JSON.parse(ok.stdout.join(''))).toMatchObject({ ok: true, size: 31 });
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    lines[7] = (lines[7] as string).replace('org-6', 'org-X');
    fs.writeFileSync(out, lines.join('\n'));
    const bad = capture();
    expect(await run(['ledger', 'verify', '--data', dir, '--export', out], bad)).toBe(1);
    expect(bad.stdout.join('\n')).toMatch(/modified at 7/);
  });

  it('verifies the live log against a checkpoint the regulator holds', async () => {
    const held = path.join(dir, 'held.note');
    const state = openPlatformState(resolveConfig({ dataDir: dir }, {}));
    fs.writeFileSync(held, state.ledger.checkpoint().note);
    state.close();
    expect(await run(['ledger', 'verify', '--data', dir, '--checkpoint', held], capture())).toBe(0);
  });

  it('fails an export stripped of every checkpoint: nothing signed vouches for it', async () => {
    const out = path.join(dir, 'stripped.jsonl');
    expect(await run(['ledger', 'export', '--data', dir, '--out', out], capture())).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    fs.writeFileSync(out, lines.filter((l) => !l.startsWith('{"checkpoint"')).join('\n'));
    const io = capture();
    expect(await run(['ledger', 'verify', '--data', dir, '--export', out], io)).toBe(1);
    expect(io.stdout.join('\n')).toMatch(/^FAILED: 1 problem/);
    expect(io.stdout.join('\n')).toMatch(/unsigned: no checkpoint verifies/);
    const json = capture();
    expect(await run(['ledger', 'verify', '--data', dir, '--export', out, '--json'], json)).toBe(1);
    expect(JSON.parse(json.stdout.join(''))).toMatchObject({ ok: false, checkpointsVerified: 0, problems: [{ kind: 'unsigned' }] });
  });

  it('refuses an unreadable export with a code', async () => {
    const io = capture();
    expect(await run(['ledger', 'verify', '--data', dir, '--export', '/nonexistent'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/^error LEDGER_EXPORT_INVALID/);
  });
});
