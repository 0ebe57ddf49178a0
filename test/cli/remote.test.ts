// `dfix model submit | status | approve | backtest ID --url`: the remote model commands,
// through the typed client, against a real server listening on loopback.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { isRemoteModelCommand } from '../../cli/remote.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { capture } from '../helpers/cli.js';
import { REFERENCE } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

let w: HttpWorld;
let url: string;
let work: string;
const keyFile: Record<string, string> = {};

async function dfix(...argv: string[]) {
  const io = capture();
  const code = await run(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

beforeAll(async () => {
  w = await httpWorld('dfix-remote-', 800);
  await w.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}`;
  work = tmpDir('dfix-remote-work-');
  for (const who of ['fintech', 'bank']) {
    keyFile[who] = path.join(work, `${who}.key`);
    fs.writeFileSync(keyFile[who], `${w.keys[who]}\n`);
  }
  keyFile.regulator = w.platform.bootstrapFile; // { "apiKey": ... } as written at first start
}, 120_000);
afterAll(async () => {
  await w?.close();
  if (work) rmDir(work);
});

describe('dfix model ... --url', () => {
  it('submits, shows, approves and backtests a model on a server', async () => {
    const sub = await dfix('model', 'submit', REFERENCE, '--url', url, '--key-file', keyFile.fintech as string, '--json');
    expect(sub.code).toBe(0);
    const submitted = JSON.parse(sub.out) as { id: string; status: string; report: { passed: boolean } };
    expect(submitted).toMatchObject({ status: 'vetted', report: { passed: true } });
    const id = submitted.id;
    // the text form names the model and its checks
    const status = await dfix('model', 'status', id, '--url', url, '--key-file', keyFile.fintech as string);
    expect(status.code).toBe(0);
    expect(status.out).toContain(`${id} merchant-scorecard`);
    expect(status.out).toMatch(/: vetted\n/);
    expect(status.out).toContain('vetting  passed');

    // approval is the regulator's: a fintech's key is refused with the server's code, and nothing changes
    const refused = await dfix('model', 'approve', id, '--url', url, '--key-file', keyFile.fintech as string);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^error ROLE_FORBIDDEN: This kind of organisation may not do this\. \(request [0-9a-f]+\)$/);
    expect(w.platform.ctx.db.prepare('SELECT status FROM models WHERE id = ?').pluck().get(id)).toBe('vetted');
    const approved = await dfix('model', 'approve', id, '--url', url, '--key-file', keyFile.regulator as string, '--note', 'reviewed');
    expect(approved).toMatchObject({ code: 0, out: `${id} approved` });
    // a bank sees the public card
    const card = await dfix('model', 'status', id, '--url', url, '--key-file', keyFile.bank as string);
    expect(card.out).toMatch(/: approved\n/);
    expect(card.out).toContain('discloses at most');

    // the backtest: an aggregate run, answered at its public time
    const bt = await dfix('model', 'backtest', id, '--url', url, '--key-file', keyFile.fintech as string);
    expect(bt.code).toBe(0);
    expect(bt.err).toMatch(/^run accepted; its answer is available at \d{4}-/);
    // the same question again is the cached answer: the numbers printed are those of the run
    const js = await dfix('model', 'backtest', id, '--url', url, '--key-file', keyFile.fintech as string, '--json');
    const answer = JSON.parse(js.out) as { status: string; cached?: boolean; result: { backtest: { auc: number | null; ks: number | null; margins: { auc: number | null; ks: number | null }; bands: { label: string; count: number | null }[] } } };
    expect(answer).toMatchObject({ status: 'released', cached: true });
    const b = answer.result.backtest;
    const shown = (v: number | null, m: number | null) => (v === null ? 'withheld' : `${v.toFixed(3)}${m === null ? '' : ` ± ${m.toFixed(3)}`}`);
    expect(bt.out).toContain(`AUC   ${shown(b.auc, b.margins.auc)}`);
    expect(bt.out).toContain(`KS    ${shown(b.ks, b.margins.ks)}`);
    expect(bt.out).toContain('(margins: 95% half-widths)');
    for (const band of b.bands) expect(bt.out).toMatch(new RegExp(`^${band.label}\\s`, 'm'));
    // a backtest spends the provider's budget
    expect(w.platform.ctx.db.prepare('SELECT count(*) FROM spend').pluck().get()).toBeGreaterThan(0);
  });

  it('takes the key from DFIX_API_KEY, and refuses clearly without a key, a URL or a server', async () => {
    const saved = process.env.DFIX_API_KEY;
    try {
      delete process.env.DFIX_API_KEY;
      expect(await dfix('model', 'status', 'mdl_x', '--url', url)).toMatchObject({ code: 2, err: expect.stringContaining('error CLI_API_KEY_MISSING') });
      process.env.DFIX_API_KEY = w.keys.fintech;
      const unknown = await dfix('model', 'status', 'mdl_nothing', '--url', url);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/^error MODEL_UNKNOWN: No such model\. \(request [0-9a-f]+\)$/);
      expect(await dfix('model', 'submit', REFERENCE)).toMatchObject({ code: 2, err: expect.stringContaining('error CLI_BAD_FLAG') });
      expect(await dfix('model', 'status', 'mdl_x', '--url', 'ftp://x')).toMatchObject({ code: 2, err: expect.stringContaining('(--url)') });
      expect(await dfix('model', 'status', 'mdl_x', '--url', url, '--cohort', 'a=b')).toMatchObject({ code: 2, err: expect.stringContaining('error CLI_UNKNOWN_FLAG') });
      // nothing listens on port 9 of loopback
      expect(await dfix('model', 'status', 'mdl_x', '--url', 'http://127.0.0.1:9')).toMatchObject({ code: 2, err: expect.stringContaining('error CLI_SERVER_UNREACHABLE') });
    } finally {
      if (saved === undefined) delete process.env.DFIX_API_KEY;
      else process.env.DFIX_API_KEY = saved;
    }
  });

  it('is chosen by --url for backtest (a package directory otherwise), and documented in --help', async () => {
    expect(isRemoteModelCommand('backtest', ['mdl_1', '--url', url])).toBe(true);
    expect(isRemoteModelCommand('backtest', ['mdl_1', `--url=${url}`])).toBe(true);
    expect(isRemoteModelCommand('backtest', ['./my-model'])).toBe(false);
    expect(isRemoteModelCommand('submit', ['./my-model'])).toBe(true);
    const help = await dfix('model', '--help');
    expect(help.out).toContain('model backtest --url');
    expect((await dfix('model', 'backtest', 'x', '--url', url, '--help')).out).toContain('without, dfix model backtest works on a local package');
  });
});
