import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { resolveConfig, type Config } from '../../core/config.js';
import { acquireDataLock, LOCK_FILE } from '../../core/lock.js';
import { catalog, SOURCES, type Source } from '../../datasets/catalog.js';
import { REPORT_LIMIT } from '../../datasets/import-report.js';
import { seedVault, Vault } from '../../datasets/store.js';
import { loadPolicy } from '../../policies/policy.schema.js';
import { budgetOf, debit } from '../../sandbox/budget.js';
import type { Ctx } from '../../sandbox/context.js';
import { importDataset } from '../../sandbox/dataset-import.js';
import { openPlatformState } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { migrate } from '../../sandbox/state.js';
import { capture } from '../helpers/cli.js';
import { sourceRows, toCsv, toJsonl, type Row } from '../helpers/import-files.js';
import { strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const SUBJECTS = 300;
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every file of the data directory with its digest: what "nothing changed" means. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = sha256(p);
    }
  };
  walk(dir);
  return out;
}

function vaultInfo(config: Config) {
  const v = Vault.open(config.vaultPath);
  try {
    return { ...v.info, verified: v.verify() };
  } finally {
    v.close();
  }
}

function rowsOf(config: Config, source: Source): Row[] {
  const v = Vault.open(config.vaultPath);
  try {
    return sourceRows(v, source);
  } finally {
    v.close();
  }
}

/** A valid USCC whose check character is replaced by another one. */
function badCheck(uscc: string): string {
  const good = uscc[17] as string;
  return uscc.slice(0, 17) + (good === '0' ? '1' : '0');
}

/** A CSV or JSON-lines file's rows in reverse order (the header stays first). */
function reorder(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  return file.endsWith('.jsonl') ? `${lines.reverse().join('\n')}\n` : `${[lines[0], ...lines.slice(1).reverse()].join('\n')}\n`;
}

describe('dfix data import', () => {
  let root: string;
  let config: Config;
  let data: string;
  let files: string;
  let tax: Row[];
  beforeAll(async () => {
    root = tmpDir();
    data = path.join(root, 'data');
    files = path.join(root, 'files');
    fs.mkdirSync(files);
    config = resolveConfig({ dataDir: data }, {});
    seedVault(config.vaultPath, { subjects: SUBJECTS, seed: 7 });
    openPlatformState(config).close();
    tax = rowsOf(config, 'tax');
  });
  afterAll(() => rmDir(root));

  const write = (name: string, text: string | Buffer) => {
    const f = path.join(files, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const importing = async (...args: string[]) => {
    const io = capture();
    const code = await run(['data', 'import', '--data', data, ...args], io);
    return { code, io, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  /** Runs an import that must be refused with `code`, and checks that the data directory did not change at all. */
  async function refused(code: string, args: string[]) {
    const before = snapshot(data);
    const r = await importing(...args);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`error ${code}:`);
    expect(snapshot(data)).toEqual(before);
    return r;
  }

  describe('refuses bad input with a report, and changes nothing', () => {
    const edited = (edit: (rows: Row[]) => void) => {
      const rows = structuredClone(tax);
      edit(rows);
      return rows;
    };

    it('malformed CSV: an unterminated quote, a row with too few cells, bytes that are not UTF-8', async () => {
      const csv = toCsv(tax);
      const lines = csv.split('\n');
      lines[5] = `"${lines[5]}`;
      let r = await refused('DATASET_IMPORT_MALFORMED', ['--source', 'tax', write('quote.csv', lines.join('\n'))]);
      expect(r.err).toMatch(/tax\s+6\s+-\s+unterminated-quote/);
      const short = csv.split('\n');
      short[3] = (short[3] as string).split(',').slice(0, 10).join(',');
      r = await refused('DATASET_IMPORT_MALFORMED', ['--source', 'tax', write('short.csv', short.join('\n'))]);
      expect(r.err).toMatch(/tax\s+4\s+-\s+cells-10-of-/);
      await refused('DATASET_IMPORT_MALFORMED', ['--source', 'tax', write('latin1.csv', Buffer.concat([Buffer.from(csv.slice(0, 200)), Buffer.from([0xff, 0xfe, 0x41])]))]);
    });

    it('malformed JSON lines', async () => {
      const text = toJsonl(tax).split('\n');
      text[2] = '{"uscc": ';
      const r = await refused('DATASET_IMPORT_MALFORMED', ['--source', 'tax', write('bad.jsonl', text.join('\n'))]);
      expect(r.err).toMatch(/tax\s+3\s+-\s+json/);
    });

    it('an unknown column, a column of another source, a missing column, no uscc column', async () => {
      const cols = Object.keys(tax[0] as Row);
      let r = await refused('DATASET_IMPORT_UNKNOWN_COLUMN', ['--source', 'tax', write('unknown.csv', toCsv(tax.map((t) => ({ ...t, shoe_size: 42 }))))]);
      // named by position (the column after every field of the source), never by its text
      expect(r.err).toMatch(new RegExp(`tax\\s+1\\s+#${cols.length + 1}\\s+unknown-column`));
      expect(r.err).not.toContain('shoe_size');
      r = await refused('DATASET_IMPORT_UNKNOWN_COLUMN', ['--source', 'tax', write('other.csv', toCsv(tax.map((t) => ({ ...t, district: 'loufeng' }))))]);
      expect(r.err).toMatch(/#\d+\s+unknown-column/);
      r = await refused('DATASET_IMPORT_MISSING_COLUMN', ['--source', 'tax', write('missing.csv', toCsv(tax, cols.filter((c) => c !== 'tax_paid_m03')))]);
      expect(r.err).toMatch(/tax_paid_m03\s+missing-column/);
      r = await refused('DATASET_IMPORT_MISSING_COLUMN', ['--source', 'tax', write('nouscc.csv', toCsv(tax, cols.filter((c) => c !== 'uscc')))]);
      expect(r.err).toMatch(/uscc\s+missing-column/);
      // JSON lines: a key the first object did not have
      const lines = toJsonl(tax).split('\n');
      lines[4] = JSON.stringify({ ...tax[4], extra: 1 });
      r = await refused('DATASET_IMPORT_UNKNOWN_COLUMN', ['--source', 'tax', write('extra.jsonl', lines.join('\n'))]);
      expect(r.err).toMatch(new RegExp(`tax\\s+5\\s+#${cols.length + 1}\\s+unknown-column`));
      expect(r.err).not.toContain('extra');
    });

    it('a missing uscc, a duplicate, a bad check character, a merchant not in the vault', async () => {
      const rows = edited((r) => {
        (r[0] as Row).uscc = '';
        (r[1] as Row).uscc = (r[2] as Row).uscc as string;
        (r[3] as Row).uscc = badCheck((r[3] as Row).uscc as string);
        (r[4] as Row).uscc = `${((r[4] as Row).uscc as string).slice(0, 17)}`;
      });
      const r = await refused('DATASET_IMPORT_INVALID', ['--source', 'tax', write('uscc.csv', toCsv(rows))]);
      // line 2 is the first row; the row on line 3 took the code of the row on line 4, which repeats it
      expect(r.err).toMatch(/tax\s+2\s+uscc\s+uscc-missing/);
      expect(r.err).toMatch(/tax\s+4\s+uscc\s+uscc-duplicate/);
      expect(r.err).toMatch(/tax\s+5\s+uscc\s+uscc-check/);
      expect(r.err).toMatch(/tax\s+6\s+uscc\s+uscc-check/);
      expect(r.err).toContain('4 problems; nothing was changed');
      const stranger = edited((r) => {
        (r[7] as Row).uscc = strangerUscc(1);
      });
      const s = await refused('DATASET_IMPORT_INVALID', ['--source', 'tax', write('stranger.csv', toCsv(stranger))]);
      expect(s.err).toMatch(/tax\s+9\s+uscc\s+unknown-subject/);
    });

    it('a wrong type, a value out of range, a bad category code, an impossible date; reported by line and column, never by value', async () => {
      const rows = edited((r) => {
        (r[0] as Row).tax_sales_m01 = 'lots';
        (r[1] as Row).invoice_count_m02 = 3.5;
        (r[2] as Row).tax_paid_m04 = -10;
        (r[3] as Row).tax_credit_rating = 'AAA';
        (r[4] as Row).tax_arrears_flag = 2;
        (r[5] as Row).tax_sales_growth_yoy = -3;
      });
      const r = await refused('DATASET_IMPORT_INVALID', ['--json', '--source', 'tax', write('values.csv', toCsv(rows))]);
      const report = JSON.parse(r.io.stderr[0] as string);
      expect(report).toMatchObject({ code: 'DATASET_IMPORT_INVALID', total: 6 });
      expect(report.problems).toEqual([
        { source: 'tax', line: 2, column: 'tax_sales_m01', rule: 'type' },
        { source: 'tax', line: 3, column: 'invoice_count_m02', rule: 'type' },
        { source: 'tax', line: 4, column: 'tax_paid_m04', rule: 'range' },
        { source: 'tax', line: 5, column: 'tax_credit_rating', rule: 'category' },
        { source: 'tax', line: 6, column: 'tax_arrears_flag', rule: 'type' },
        { source: 'tax', line: 7, column: 'tax_sales_growth_yoy', rule: 'range' },
      ]);
      expect(r.err).not.toContain('lots');
      expect(r.err).not.toContain('AAA');
      const reg = rowsOf(config, 'registration');
      (reg[0] as Row).reg_date = 20230230;
      (reg[1] as Row).industry_section = null;
      const d = await refused('DATASET_IMPORT_INVALID', ['--source', 'registration', write('reg.csv', toCsv(reg))]);
      expect(d.err).toMatch(/registration\s+2\s+reg_date\s+range/);
      expect(d.err).toMatch(/registration\s+3\s+industry_section\s+required/);
    });

    it('lists at most 20 problems and counts them all', async () => {
      const rows = edited((r) => r.forEach((x) => (x.tax_paid_m01 = -1)));
      const r = await refused('DATASET_IMPORT_INVALID', ['--json', '--source', 'tax', write('many.csv', toCsv(rows))]);
      const report = JSON.parse(r.io.stderr[0] as string);
      expect(report.total).toBe(SUBJECTS);
      expect(report.problems).toHaveLength(REPORT_LIMIT);
      const text = await refused('DATASET_IMPORT_INVALID', ['--source', 'tax', path.join(files, 'many.csv')]);
      expect(text.err).toContain(`${SUBJECTS} problems, the first ${REPORT_LIMIT} listed; nothing was changed`);
    });

    it('an empty file, a header alone, a file over the size limit, an unreadable file', async () => {
      await refused('DATASET_IMPORT_EMPTY', ['--source', 'tax', write('empty.csv', '')]);
      await refused('DATASET_IMPORT_EMPTY', ['--source', 'tax', write('blank.csv', '\n \n')]);
      await refused('DATASET_IMPORT_EMPTY', ['--source', 'tax', write('header.csv', toCsv(tax).split('\n')[0] as string)]);
      const big = write('big.csv', toCsv(Array.from({ length: 10 }, () => tax).flat()));
      expect(fs.statSync(big).size).toBeGreaterThan(1024 * 1024);
      const r = await refused('DATASET_IMPORT_TOO_LARGE', ['--max-mb', '1', '--source', 'tax', big]);
      expect(r.err).not.toContain('problems');
      await refused('DATASET_IMPORT_UNREADABLE', ['--source', 'tax', path.join(files, 'nothing-here.csv')]);
    });

    it('an unknown or repeated source; a good file with a bad one refuses both', async () => {
      await refused('DATASET_IMPORT_BAD_SOURCE', ['--source', 'weather', write('w.csv', 'uscc\n')]);
      const good = write('good.csv', toCsv(tax));
      await refused('DATASET_IMPORT_BAD_SOURCE', ['--source', 'tax', good, '--source', 'tax', good]);
      const jud = rowsOf(config, 'judicial');
      (jud[9] as Row).lawsuits_defendant_36m = -1;
      await refused('DATASET_IMPORT_INVALID', ['--source', 'tax', good, '--source', 'judicial', write('jud.csv', toCsv(jud))]);
      const bad = await importing('--source', 'tax');
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('CLI_BAD_FLAG');
    });
  });

  it('an import the ledger cannot record leaves the old vault in place', async () => {
    const state = config.statePath;
    fs.renameSync(state, `${state}.away`);
    fs.mkdirSync(state); // the platform state cannot be opened: no ledger entry can be written
    try {
      const rows = structuredClone(tax);
      (rows[0] as Row).tax_paid_m01 = 1234.5;
      const before = sha256(config.vaultPath);
      const r = await importing('--source', 'tax', write('unrecorded.csv', toCsv(rows)));
      expect(r.code).toBe(2);
      expect(r.err).toContain('error DATASET_IMPORT_NOT_RECORDED:');
      expect(sha256(config.vaultPath)).toBe(before);
      expect(fs.readdirSync(data).filter((f) => f.startsWith('vault'))).toEqual(['vault.sqlite']);
    } finally {
      fs.rmdirSync(state);
      fs.renameSync(`${state}.away`, state);
    }
  });

  it('the same values again give the same version: no switch, no ledger entry', async () => {
    const before = snapshot(data);
    const r = await importing('--json', '--source', 'tax', write('same.jsonl', toJsonl(tax)));
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ changed: false, ledgerSeq: null });
    expect(result.newVersion).toBe(result.oldVersion);
    expect(snapshot(data)).toEqual(before);
    // progress: characters checked per file, then merchants written (what the bar on a terminal shows)
    const seen: [string, number, number][] = [];
    const again = importDataset(config, [{ source: 'tax', file: path.join(files, 'same.jsonl') }], { onProgress: (p, d, t) => seen.push([p, d, t]) });
    expect(again.changed).toBe(false);
    const checking = seen.filter(([p]) => p === 'checking tax');
    expect(checking.length).toBeGreaterThan(0);
    for (const [, d, t] of checking) expect(d).toBeLessThanOrEqual(t);
    expect(seen.at(-1)).toEqual(['writing', SUBJECTS, SUBJECTS]);
  });

  it('switches to the next version of the same lineage, carries the other sources over, records it in the ledger, and keeps every budget', async () => {
    const old = vaultInfo(config);
    // spend on the lineage before the import (what a fintech's runs leave behind)
    const state = openPlatformState(config);
    migrate(state.db);
    const ctx = { db: state.db, ledger: state.ledger, policy: loadPolicy() } as unknown as Ctx;
    const org = { id: 'org-fintech', uscc: strangerUscc(5), kind: 'fintech' } as unknown as Org;
    debit(ctx, org, old.lineage, [1, 2, 3], 250_000, 'run-1');
    state.close();
    const oldElectricity = rowsOf(config, 'electricity');
    const oldReg = rowsOf(config, 'registration');

    const rows = structuredClone(tax);
    for (const row of rows) row.tax_sales_m24 = typeof row.tax_sales_m24 === 'number' ? row.tax_sales_m24 + 1 : 1000;
    rows.pop(); // a merchant missing from the tax file has no tax values in the new version
    const r = await importing('--json', '--source', 'tax', write('next.csv', toCsv(rows)));
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ changed: true, oldVersion: old.version, lineage: old.lineage, subjects: SUBJECTS, sources: [{ source: 'tax', format: 'csv', rows: SUBJECTS - 1 }] });
    expect(result.sources[0].digest).toBe(`sha256:${sha256(path.join(files, 'next.csv'))}`);

    const now = vaultInfo(config);
    expect(now).toMatchObject({ lineage: old.lineage, id: old.id, subjects: SUBJECTS, verified: true });
    expect(now.version).toBe(result.newVersion);
    expect(now.version).not.toBe(old.version);
    expect(fs.statSync(config.vaultPath).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(data).sort()).toEqual(['keys', 'platform.sqlite', 'vault.sqlite']); // nothing left beside it

    const newTax = rowsOf(config, 'tax');
    expect(newTax.slice(0, -1)).toEqual(rows);
    const lastTax = newTax.at(-1) as Row;
    for (const [k, v] of Object.entries(lastTax)) if (k !== 'uscc') expect(v, k).toBeNull();
    expect(rowsOf(config, 'electricity')).toEqual(oldElectricity);
    expect(rowsOf(config, 'registration')).toEqual(oldReg);

    // the ledger: one entry, identifiers and digests only
    const after = openPlatformState(config);
    migrate(after.db);
    const lines = [...after.ledger.exportLines()];
    const entries = lines.map((l) => JSON.parse(l)).filter((l) => l.entry?.type === 'dataset.imported').map((l) => l.entry);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ dataset: old.id, lineage: old.lineage, oldVersion: old.version, newVersion: now.version, subjects: SUBJECTS, sources: [{ source: 'tax', digest: result.sources[0].digest, rows: SUBJECTS - 1 }] });
    expect(JSON.stringify(entries[0])).not.toContain(String(rows[0]?.tax_sales_m24));
    // budgets follow the lineage: the spend before the import is still there
    const ctx2 = { db: after.db, ledger: after.ledger, policy: loadPolicy() } as unknown as Ctx;
    expect(budgetOf(ctx2, org, now.lineage)[0]).toMatchObject({ spentMicros: 250_000 });
    after.close();
    const audit = await run(['ledger', 'verify', '--data', data], capture());
    expect(audit).toBe(0);
  });

  it('a whole vault from several sources joined on uscc: registration defines the merchants, in USCC order', async () => {
    const sources = (Object.keys(SOURCES) as Source[]).map((s) => ({ s, rows: rowsOf(config, s) }));
    const before = vaultInfo(config);
    // one merchant leaves, one arrives (registration only: no other source knows it yet)
    const reg = sources.find((x) => x.s === 'registration')?.rows as Row[];
    const leaving = reg.pop() as Row;
    const arriving = { ...structuredClone(reg[0] as Row), uscc: strangerUscc(9), merchant_name: '苏州新来商贸有限公司, "园区"店' };
    reg.push(arriving);
    const args: string[] = [];
    for (const { s, rows } of sources) {
      const kept = s === 'registration' ? rows : rows.filter((r) => r.uscc !== leaving.uscc);
      args.push('--source', s, write(`all-${s}.${s === 'tax' ? 'jsonl' : 'csv'}`, s === 'tax' ? toJsonl(kept) : toCsv(kept)));
    }
    const r = await importing(...args, '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.changed).toBe(true);
    expect(result.sources.map((x: { source: string }) => x.source)).toEqual(Object.keys(SOURCES));
    const now = vaultInfo(config);
    expect(now).toMatchObject({ lineage: before.lineage, subjects: SUBJECTS, verified: true });
    const v = Vault.open(config.vaultPath);
    try {
      const { uscc } = v.subjectList();
      expect(uscc).toEqual([...uscc].sort());
      expect(uscc).toContain(arriving.uscc);
      expect(uscc).not.toContain(leaving.uscc);
      const newcomer = sourceRows(v, 'tax').find((x) => x.uscc === arriving.uscc) as Row;
      expect(Object.entries(newcomer).filter(([k, x]) => k !== 'uscc' && x !== null)).toEqual([]);
      const label = v.carry(['default_12m'], v.resolve([arriving.uscc as string]));
      expect(Number.isNaN(label[0])).toBe(true);
    } finally {
      v.close();
    }
    expect(catalog().length).toBe(now.fields);

    // the same content in another row order is the same version
    const reversed = args.map((a) => (a.startsWith(files) ? write(`rev-${path.basename(a)}`, reorder(a)) : a));
    const again = await importing(...reversed, '--json');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ changed: false, newVersion: now.version });

    // a merchant the registration file no longer holds cannot be given by another source
    const stale = (rowsOf(config, 'judicial') as Row[]).map((r) => ({ ...r }));
    (stale[3] as Row).uscc = leaving.uscc as string;
    const idx = args.indexOf('judicial');
    const withStale = [...args];
    withStale[idx + 1] = write('stale-judicial.csv', toCsv(stale));
    const r2 = await refused('DATASET_IMPORT_INVALID', withStale);
    expect(r2.err).toMatch(/judicial\s+5\s+uscc\s+unknown-subject/);
  });

  it('refuses while a server holds the data directory, and takes over a stale lock', async () => {
    const lockFile = path.join(data, LOCK_FILE);
    fs.writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, holder: 'dfix serve' }));
    try {
      const r = await refused('DATASET_VAULT_IN_USE', ['--source', 'tax', write('locked.csv', toCsv(tax))]);
      expect(r.err).toContain('dfix serve');
    } finally {
      fs.rmSync(lockFile, { force: true });
    }
    // a lock left by a process that has ended
    fs.writeFileSync(lockFile, JSON.stringify({ pid: 2 ** 22 + 12345, holder: 'dfix serve' }));
    const lock = acquireDataLock(data, 'test');
    expect('release' in lock).toBe(true);
    if ('release' in lock) lock.release();
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('a running dfix serve holds the data directory: an import, a re-seed and a second server are refused until it stops', async () => {
    const child = spawn(process.execPath, [path.resolve('bin/dfix.js'), 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DFIX_LOG_LEVEL: 'warn' } });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          if (/listening on/.test(out)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      expect(JSON.parse(fs.readFileSync(path.join(data, LOCK_FILE), 'utf8'))).toMatchObject({ pid: child.pid, holder: 'dfix serve' });
      // the server itself writes its state (the ledger) meanwhile: the vault is what must not change
      const vault = sha256(config.vaultPath);
      const r = await importing('--source', 'tax', write('while-serving.csv', toCsv(tax)));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`error DATASET_VAULT_IN_USE: `);
      expect(r.err).toContain(`dfix serve (pid ${child.pid})`);
      const reseed = capture();
      expect(await run(['data', 'seed', '--force', '--subjects', '10', '--data', data], reseed)).toBe(2);
      expect(reseed.stderr[0]).toMatch(/^error DATASET_VAULT_IN_USE: /);
      expect(sha256(config.vaultPath)).toBe(vault);
      expect(fs.readdirSync(data).filter((f) => f.startsWith('vault'))).toEqual(['vault.sqlite']);
      const second = capture();
      expect(await run(['serve', '--port', '0', '--data', data], second)).toBe(2);
      expect(second.stderr[0]).toMatch(/^error DATASET_VAULT_IN_USE: /);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(fs.existsSync(path.join(data, LOCK_FILE))).toBe(false);
  });
});
