import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('dfix data', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => rmDir(dir));

  it('seed prints the summary as JSON', async () => {
    const io = capture();
    expect(await run(['data', 'seed', '--subjects', '300', '--seed', '5', '--data', dir, '--json'], io)).toBe(0);
    const s = JSON.parse(io.stdout.join(''));
    expect(Object.keys(s).sort()).toEqual(['datasetVersion', 'defaultRate', 'fields', 'sources', 'subjects']);
    expect(s.subjects).toBe(300);
    expect(fs.existsSync(path.join(dir, 'vault.sqlite'))).toBe(true);
  });

  it.each([
    [['data', 'seed', '--subjects', '0'], 'DATASET_BAD_COUNT'],
    [['data', 'seed', '--subjects', '-5'], 'DATASET_BAD_COUNT'],
    [['data', 'seed', '--subjects', 'ten'], 'CLI_BAD_FLAG'],
    [['data', 'seed', '--subjects'], 'CLI_BAD_FLAG'],
    [['data', 'seed', '--bogus'], 'CLI_UNKNOWN_FLAG'],
    [['data', 'seed', 'extra'], 'CLI_BAD_ARGUMENT'],
    [['data', 'nope'], 'CLI_UNKNOWN_COMMAND'],
    [['data', 'dummy', '--format', 'xml'], 'DATASET_BAD_FORMAT'],
  ])('%j prints one coded line and exits 2, writing nothing', async (argv, code) => {
    const fresh = tmpDir();
    const io = capture();
    expect(await run([...argv, '--data', fresh], io)).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(new RegExp(`^error ${code}: `));
    expect(io.stdout).toEqual([]);
    expect(fs.readdirSync(fresh)).toEqual([]);
    rmDir(fresh);
  });

  it('refuses an unwritable data directory', async () => {
    const io = capture();
    expect(await run(['data', 'seed', '--subjects', '10', '--data', '/proc/dfix/none'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/^error DATASET_DIR_UNWRITABLE: /);
  });

  it('fields lists the catalog as the API does', async () => {
    const io = capture();
    expect(await run(['data', 'fields', '--json'], io)).toBe(0);
    const fields = JSON.parse(io.stdout.join(''));
    expect(fields.length).toBeGreaterThanOrEqual(300);
    expect(Object.keys(fields[0])).toEqual(expect.arrayContaining(['name', 'label', 'source', 'type', 'unit', 'level', 'modelReadable']));
  });

  it('dummy writes CSV to a file', async () => {
    const io = capture();
    const out = path.join(dir, 'dummy.csv');
    expect(await run(['data', 'dummy', '--subjects', '20', '--format', 'csv', '--out', out], io)).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(21);
  });
});
