import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '2', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, servername: 'localhost' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('dfix serve over HTTPS', () => {
  let dir: string;
  let tls: { cert: string; key: string };
  let other: { cert: string; key: string };
  let child: ChildProcess | undefined;
  beforeAll(() => {
    dir = tmpDir();
    tls = selfSigned(dir, 'server');
    other = selfSigned(dir, 'other');
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmDir(dir);
  });

  it('serves /healthz over https with the certificate as the CA, and ledger watch follows it with --ca', async () => {
    const data = path.join(dir, 'data');
    child = spawn(process.execPath, [path.resolve('bin/dfix.js'), 'serve', '--port', '0', '--data', data, '--tls-cert', tls.cert, '--tls-key', tls.key], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DFIX_LOG_LEVEL: 'warn' },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child?.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (https:\/\/\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child?.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const r = await get(`${url}/healthz`, fs.readFileSync(tls.cert));
    expect(r).toEqual({ status: 200, body: '{"ok":true}' });
    // a client that does not trust the certificate is refused by TLS
    await expect(get(`${url}/healthz`, fs.readFileSync(other.cert))).rejects.toThrow();
    // the regulator's watcher follows the log over https, trusting this certificate
    const io = capture();
    const watch = ['ledger', 'watch', '--url', url, '--ca', tls.cert, '--key-file', path.join(data, 'bootstrap.json'), '--key', path.join(data, 'keys', 'ledger-genesis.pub'), '--store', path.join(dir, 'watch'), '--once'];
    expect(await run(watch, io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^ok: size \d+, root [0-9a-f]{64} \(first checkpoint held\)$/);
    const untrusting = capture();
    expect(await run(watch.filter((a, i) => a !== '--ca' && watch[i - 1] !== '--ca'), untrusting)).toBe(2);
    expect(untrusting.stderr[0]).toMatch(/^error LEDGER_WATCH_UNREACHABLE: /);
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each([
    ['a missing certificate', () => ['--tls-cert', path.join(dir, 'none.crt'), '--tls-key', tls.key], 'CLI_TLS_UNREADABLE', '--tls-cert'],
    ['an unreadable key (a directory)', () => ['--tls-cert', tls.cert, '--tls-key', dir], 'CLI_TLS_UNREADABLE', '--tls-key'],
    ['a key of another certificate', () => ['--tls-cert', tls.cert, '--tls-key', other.key], 'CLI_TLS_INVALID', undefined],
    ['a certificate that is not PEM', () => ['--tls-cert', tls.key, '--tls-key', tls.key], 'CLI_TLS_INVALID', undefined],
    ['a certificate without its key', () => ['--tls-cert', tls.cert], 'CLI_BAD_FLAG', '--tls-key'],
  ])('refuses %s with one coded line and exit 2, before writing anything', async (_what, flags, code, detail) => {
    const data = tmpDir();
    const io = capture();
    expect(await run(['serve', '--port', '0', '--data', data, ...flags()], io)).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(new RegExp(`^error ${code}: `));
    if (detail) expect(io.stderr[0]).toContain(`(${detail})`);
    expect(io.stdout).toEqual([]);
    expect(fs.readdirSync(data)).toEqual([]);
    rmDir(data);
  });
});
