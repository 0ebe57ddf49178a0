import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../cli/args.js';
import { COMMANDS, GROUPS } from '../../cli/help.js';
import { run } from '../../cli/main.js';
import { table } from '../../cli/output.js';
import { progress } from '../../cli/progress.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const BIN = path.resolve('bin/dfix.js');

function spawnCli(args: string[], onStdout?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DFIX_DEBUG: '' } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(child);
    });
    child.stdout.on('error', () => {});
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('dfix for everyone', () => {
  const paths = ['', ...Object.keys(GROUPS), ...Object.keys(COMMANDS)];
  it.each(paths)('"dfix %s --help" prints its usage and exits 0', async (p) => {
    const io = capture();
    expect(await run([...p.split(' ').filter(Boolean), '--help'], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    const text = io.stdout.join('\n');
    expect(text).toMatch(p === '' ? /^dfix: DFIX Sandbox/ : new RegExp(`^usage: dfix ${p}(\\s|$)`));
    if (COMMANDS[p]) expect(text).toMatch(/--help/);
  });

  it('-h and "help" work too, and every command of the overview has its help', async () => {
    for (const argv of [['ledger', 'verify', '-h'], ['model', 'help'], ['help', 'ledger', 'watch'], ['data', '-h']]) {
      const io = capture();
      expect(await run(argv, io)).toBe(0);
      expect(io.stdout.join('')).toMatch(/^usage: dfix /);
    }
    const unknown = capture();
    expect(await run(['help', 'nope'], unknown)).toBe(2);
    expect(unknown.stderr).toEqual([expect.stringMatching(/^error CLI_UNKNOWN_COMMAND: .*\(nope\)/)]);
    const io = capture();
    await run([], io);
    for (const p of Object.keys(COMMANDS)) expect(io.stdout.join('')).toContain(`dfix ${p}`);
  });

  it.each([
    [['--bogus'], 'CLI_UNKNOWN_FLAG', '--bogus'],
    [['-x'], 'CLI_UNKNOWN_FLAG', '-x'],
    [['--subjects'], 'CLI_BAD_FLAG', '--subjects'],
    [['--subjects', '--json'], 'CLI_BAD_FLAG', '--subjects'],
    [['--subjects', '1.5'], 'CLI_BAD_FLAG', '--subjects'],
    [['--subjects='], 'CLI_BAD_FLAG', '--subjects'],
    [['--json=yes'], 'CLI_BAD_FLAG', '--json'],
  ])('the strict parser (node:util.parseArgs) refuses %j naming the flag', (argv, code, flag) => {
    let caught: unknown;
    try {
      parseArgs(argv, { subjects: 'int' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code, detail: flag });
  });

  it('parses values, negative integers, = forms and positionals', () => {
    const p = parseArgs(['DIR', '--subjects', '-5', '--mode=cohort', '--json', '--', '--not-a-flag'], { subjects: 'int', mode: 'string' });
    expect(p.flags).toEqual({ subjects: -5, mode: 'cohort', json: true });
    expect(p.positionals).toEqual(['DIR', '--not-a-flag']);
    expect(parseArgs(['--out', '-'], { out: 'string' }).flags).toEqual({ out: '-' });
    expect(() => parseArgs(['--subjects', '-x'], { subjects: 'int' })).toThrow(expect.objectContaining({ code: 'CLI_BAD_FLAG', detail: '--subjects' }));
  });

  it('tables printed for people have a header row', async () => {
    const io = capture();
    expect(await run(['data', 'fields'], io)).toBe(0);
    const lines = io.stdout.join('\n').split('\n');
    expect(lines[0]).toMatch(/^name\s+level\s+source\s+type\s+unit\s+model\s+label$/);
    expect(lines.length).toBeGreaterThan(300);
    expect(table(['a', 'bb'], [['xxx', 'y']])).toBe('a    bb\nxxx  y');
  });

  it('"dfix data fields --json | head -1" ends quietly when the reader closes the pipe early', async () => {
    for (const args of [['data', 'fields', '--json'], ['data', 'dummy', '--subjects', '5000']]) {
      const r = await spawnCli(args, (child) => child.stdout?.destroy());
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('long work shows progress only on a terminal: quiet when stderr is a pipe', async () => {
    const writes: string[] = [];
    let t = 0;
    const tty = progress('seeding', { isTTY: true, write: (s) => (writes.push(s), true) }, () => (t += 1000));
    tty.update(1, 4);
    tty.update(4, 4);
    tty.stop();
    expect(writes[0]).toMatch(/^\rseeding \[#{8}-{22}\] 25% 1\/4/);
    expect(writes.at(-1)).toBe('\r\u001b[K');
    const quiet: string[] = [];
    const pipe = progress('seeding', { isTTY: false, write: (s) => (quiet.push(s), true) });
    pipe.update(1, 2);
    pipe.stop();
    expect(quiet).toEqual([]);

    const dir = tmpDir();
    const r = await spawnCli(['data', 'seed', '--subjects', '9000', '--data', dir, '--json']);
    rmDir(dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ subjects: 9000 });
  });
});
