import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { DEFAULTS, resolveConfig } from '../../core/config.js';
import { loadOrCreateSigner, newSigner } from '../../ledger/keys.js';
import { checkpointBody, signNote, vkey } from '../../ledger/note.js';
import { serve, type Running } from '../../server/listen.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

type Mode = 'honest' | 'fork-same-size' | 'fork-extends' | 'rollback' | 'foreign-key';

describe('dfix ledger watch', () => {
  let root: string;
  let data: string;
  let server: Running;
  let bootstrap: string;
  let fake: http.Server;
  let fakeUrl: string;
  let mode: Mode = 'honest';
  const ORIGIN = DEFAULTS.ledgerOrigin;

  const ledger = () => server.platform.ctx.ledger;
  const grow = (n: number) => {
    for (let i = 0; i < n; i++) ledger().append('org.applied', 'anyone', { org: `org-${i}`, kind: 'bank' });
    return ledger().checkpoint();
  };
  const watch = (store: string, url: string, ...more: string[]) => ['ledger', 'watch', '--url', url, '--store', store, '--key-file', bootstrap, '--once', ...more];

  beforeAll(async () => {
    root = tmpDir();
    data = path.join(root, 'data');
    expect(await run(['init', '--data', data], capture())).toBe(0);
    server = await serve(resolveConfig({ dataDir: data, port: 0, logLevel: 'warn' }, {}), { quiet: true });
    bootstrap = server.platform.bootstrapFile;
    grow(3); // a log past its first checkpoint, whichever test runs first (the rollback replays that one)
    // a fake server for the same log: honest, or signing with the log's own (stolen) key a
    // checkpoint of another history, or replaying an old checkpoint
    const signer = loadOrCreateSigner(path.join(data, 'keys'), ORIGIN).signer;
    fake = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const latest = ledger().latestCheckpoint();
      const send = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/v1/ledger/checkpoint') {
        let note = latest.note;
        if (mode === 'fork-same-size') note = signNote(checkpointBody({ origin: ORIGIN, size: latest.size, root: randomBytes(32), extensions: [] }), signer);
        if (mode === 'fork-extends') note = signNote(checkpointBody({ origin: ORIGIN, size: latest.size + 5, root: randomBytes(32), extensions: [] }), signer);
        if (mode === 'rollback') note = (ledger().checkpoints()[0] as { note: string }).note;
        return send({ note, genesisKey: mode === 'foreign-key' ? vkey(newSigner(ORIGIN).verifier) : ledger().genesisKey });
      }
      if (url.pathname === '/v1/ledger/proofs/consistency') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        const proof = to <= ledger().size() ? ledger().consistency(from, to) : ledger().consistency(from, ledger().size());
        return send({ from, to, path: proof.map((h) => h.toString('hex')) });
      }
      res.writeHead(404).end('{}');
      return undefined;
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => fake.close(resolve));
    await server.close();
    rmDir(root);
  });

  it('trusts the genesis key on first use, pins it, then checks each new checkpoint by a consistency proof', async () => {
    const store = path.join(root, 'tofu');
    const first = capture();
    expect(await run(watch(store, server.url, '--json'), first)).toBe(0);
    expect(first.stderr).toEqual([expect.stringMatching(/^notice: trusting the genesis key the server names, on first use/)]);
    expect(fs.readFileSync(path.join(store, 'genesis.pub'), 'utf8')).toBe(fs.readFileSync(path.join(data, 'keys', 'ledger-genesis.pub'), 'utf8'));
    const a = JSON.parse(first.stdout.join(''));
    expect(a).toMatchObject({ ok: true, status: 'first', size: ledger().latestCheckpoint().size });

    const cp = grow(30);
    const second = capture();
    expect(await run(watch(store, server.url, '--json'), second)).toBe(0);
    expect(second.stderr).toEqual([]);
    expect(JSON.parse(second.stdout.join(''))).toEqual({ ok: true, status: 'extended', size: cp.size, root: cp.root.toString('hex'), from: a.size });
    expect(fs.readdirSync(path.join(store, 'checkpoints'))).toHaveLength(2);

    const third = capture();
    expect(await run(watch(store, server.url), third)).toBe(0);
    expect(third.stdout).toEqual([`ok: size ${cp.size}, root ${cp.root.toString('hex')} (unchanged)`]);
  });

  it('uses a pinned --key and DFIX_API_KEY; refuses a checkpoint not signed by the pinned key (exit 5)', async () => {
    const store = path.join(root, 'pinned');
    const genesis = path.join(data, 'keys', 'ledger-genesis.pub');
    const apiKey = (JSON.parse(fs.readFileSync(bootstrap, 'utf8')) as { apiKey: string }).apiKey;
    const saved = process.env.DFIX_API_KEY;
    process.env.DFIX_API_KEY = apiKey;
    try {
      const io = capture();
      expect(await run(['ledger', 'watch', '--url', server.url, '--store', store, '--key', genesis, '--once'], io)).toBe(0);
      expect(io.stderr).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.DFIX_API_KEY;
      else process.env.DFIX_API_KEY = saved;
    }
    const stranger = path.join(root, 'stranger.pub');
    fs.writeFileSync(stranger, `${vkey(newSigner(ORIGIN).verifier)}\n`);
    const conflict = capture();
    expect(await run([...watch(store, server.url), '--key', stranger], conflict)).toBe(2);
    expect(conflict.stderr).toEqual([expect.stringMatching(/^error LEDGER_WATCH_KEY_CONFLICT: /)]);
    const untrusted = capture();
    expect(await run([...watch(path.join(root, 'stranger-store'), server.url), '--key', stranger], untrusted)).toBe(5);
    expect(untrusted.stderr).toEqual([expect.stringMatching(/^error LEDGER_CHECKPOINT_UNTRUSTED: /)]);
  });

  it('pins nothing on first use when the checkpoint does not verify under the key the server names', async () => {
    const store = path.join(root, 'liar');
    mode = 'foreign-key';
    const io = capture();
    try {
      expect(await run(watch(store, fakeUrl), io)).toBe(5);
    } finally {
      mode = 'honest';
    }
    expect(io.stderr.at(-1)).toMatch(/^error LEDGER_CHECKPOINT_UNTRUSTED: .*the genesis key the server named/);
    expect(fs.existsSync(path.join(store, 'genesis.pub'))).toBe(false);
    expect(fs.existsSync(path.join(store, 'checkpoints'))).toBe(false);
  });

  it.each([
    ['fork-same-size', 3, 'LEDGER_FORK', /two signed checkpoints of size \d+ have different roots/],
    ['fork-extends', 3, 'LEDGER_FORK', /does not extend the checkpoint of size \d+/],
    ['rollback', 4, 'LEDGER_ROLLBACK', /size 1 after \d+/],
  ] as const)('reports %s with exit %i and one coded line, keeping the evidence', async (m, exit, code, detail) => {
    const store = path.join(root, `store-${m}`);
    mode = 'honest';
    expect(await run(watch(store, fakeUrl), capture())).toBe(0);
    const held = fs.readdirSync(path.join(store, 'checkpoints'));
    mode = m;
    const io = capture();
    try {
      expect(await run(watch(store, fakeUrl), io)).toBe(exit);
    } finally {
      mode = 'honest';
    }
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(new RegExp(`^error ${code}: `));
    expect(io.stderr[0]).toMatch(detail);
    expect(fs.readdirSync(path.join(store, 'checkpoints'))).toEqual(held); // nothing bad is kept as held
    const evidence = fs.readdirSync(path.join(store, 'evidence'));
    expect(evidence).toHaveLength(1);
    const record = JSON.parse(fs.readFileSync(path.join(store, 'evidence', evidence[0] as string), 'utf8'));
    expect(record).toMatchObject({ kind: m === 'rollback' ? 'rollback' : 'fork', seen: expect.stringContaining(ORIGIN) });
  });

  it('keeps watching at an interval until the log forks', async () => {
    const store = path.join(root, 'loop');
    mode = 'honest';
    const io = capture();
    const done = run(['ledger', 'watch', '--url', fakeUrl, '--store', store, '--key-file', bootstrap, '--interval', '1'], io);
    while (io.stdout.length === 0) await new Promise((r) => setTimeout(r, 20));
    grow(3);
    while (io.stdout.length < 2) await new Promise((r) => setTimeout(r, 20));
    mode = 'fork-extends';
    try {
      expect(await done).toBe(3);
    } finally {
      mode = 'honest';
    }
    expect(io.stdout[1]).toMatch(/consistency proof verified/);
    expect(io.stderr.at(-1)).toMatch(/^error LEDGER_FORK: /);
  });

  it.each([
    [['--url', 'ftp://x'], 'CLI_BAD_FLAG', '--url'],
    [['--interval', '0'], 'CLI_BAD_FLAG', '--interval'],
    [['--key-file', '/nonexistent'], 'CLI_BAD_FLAG', '--key-file'],
    [['--key', '/nonexistent'], 'CLI_BAD_FLAG', '--key'],
  ])('refuses bad input %j with a coded line and exit 2', async (flags, code, detail) => {
    const io = capture();
    expect(await run([...watch(path.join(root, 'bad'), server.url), ...flags], io)).toBe(2);
    expect(io.stderr).toEqual([expect.stringMatching(new RegExp(`^error ${code}: .*\\(${detail}\\)`))]);
  });

  it('needs an API key, and says when the server cannot be reached or refuses the key', async () => {
    const saved = process.env.DFIX_API_KEY;
    delete process.env.DFIX_API_KEY;
    try {
      const none = capture();
      expect(await run(['ledger', 'watch', '--url', server.url, '--store', path.join(root, 's'), '--once'], none)).toBe(2);
      expect(none.stderr[0]).toMatch(/^error CLI_API_KEY_MISSING: /);
    } finally {
      if (saved !== undefined) process.env.DFIX_API_KEY = saved;
    }
    const badKey = path.join(root, 'bad.key');
    fs.writeFileSync(badKey, 'dfx_not-a-key\n');
    const refused = capture();
    expect(await run(['ledger', 'watch', '--url', server.url, '--store', path.join(root, 's2'), '--key-file', badKey, '--once'], refused)).toBe(2);
    expect(refused.stderr[0]).toMatch(/^error LEDGER_WATCH_UNREACHABLE: .*HTTP 401/);
    const closed = capture();
    expect(await run(watch(path.join(root, 's3'), 'http://127.0.0.1:9'), closed)).toBe(2);
    expect(closed.stderr[0]).toMatch(/^error LEDGER_WATCH_UNREACHABLE: .*ECONNREFUSED/);
  });
});
