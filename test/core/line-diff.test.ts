import { describe, expect, it } from 'vitest';
import { editScript, formatUnified, lineDiff, splitLines, type DiffOp } from '../../core/line-diff.js';

/** The length of the longest common subsequence, by the textbook table. */
function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
  return t[a.length]![b.length]!;
}

/** The two sides an edit script describes. */
function sides(ops: DiffOp[], a: string[], b: string[]) {
  const oldSide: string[] = [];
  const newSide: string[] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    if (op === ' ') {
      expect(a[i]).toBe(b[j]);
      oldSide.push(a[i++]!);
      newSide.push(b[j++]!);
    } else if (op === '-') oldSide.push(a[i++]!);
    else newSide.push(b[j++]!);
  }
  return { oldSide, newSide };
}

// a small seeded generator: the cases are the same every run
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('line diff', () => {
  it('is a minimal edit script on random texts (checked against the LCS table)', () => {
    const r = rng(7);
    for (let c = 0; c < 400; c++) {
      const alphabet = 1 + Math.floor(r() * 5);
      const gen = () => Array.from({ length: Math.floor(r() * 14) }, () => String.fromCharCode(97 + Math.floor(r() * alphabet)));
      const a = gen();
      const b = gen();
      const ops = editScript(a, b)!;
      const { oldSide, newSide } = sides(ops, a, b);
      expect(oldSide).toEqual(a);
      expect(newSide).toEqual(b);
      expect(ops.filter((o) => o === ' ').length).toBe(lcs(a, b));
    }
  });

  it('gives unified hunks with context and line numbers', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n') + '\n';
    const b = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i', 'j', 'k'].join('\n') + '\n';
    const d = lineDiff(a, b, { context: 1 })!;
    expect(d.added).toBe(2);
    expect(d.removed).toBe(1);
    expect(formatUnified(d)).toBe(['@@ -3,3 +3,3 @@', ' c', '-d', '+D', ' e', '@@ -10,1 +10,2 @@', ' j', '+k'].join('\n'));
    expect(d.hunks[0]!.lines[1]).toEqual({ op: '-', text: 'd', old: 4 });
    expect(d.hunks[0]!.lines[2]).toEqual({ op: '+', text: 'D', new: 4 });
  });

  it('merges changes closer than twice the context into one hunk', () => {
    const a = 'a\nb\nc\nd\ne\n';
    const b = 'A\nb\nc\nd\nE\n';
    expect(lineDiff(a, b, { context: 2 })!.hunks).toHaveLength(1);
    expect(lineDiff(a, b, { context: 1 })!.hunks).toHaveLength(2);
  });

  it('handles empty sides and identical texts', () => {
    expect(lineDiff('same\n', 'same\n')).toEqual({ added: 0, removed: 0, hunks: [] });
    expect(formatUnified(lineDiff('', 'x\ny\n')!)).toBe('@@ -0,0 +1,2 @@\n+x\n+y');
    expect(formatUnified(lineDiff('x\n', '')!)).toBe('@@ -1,1 +0,0 @@\n-x');
    expect(splitLines('a\r\nb')).toEqual(['a', 'b']);
  });

  it('gives up (null) past its work budget rather than running on, and finds a shifted text within it', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`);
    expect(editScript(a, b, 100_000)).toBeNull();
    expect(lineDiff(a.join('\n'), b.join('\n'), { maxWork: 100_000 })).toBeNull();
    // a big text with one line inserted is cheap whatever its size: head and tail are set aside
    const big = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
    const edited = [...big.slice(0, 50_000), 'inserted', ...big.slice(50_000)];
    const d = lineDiff(big.join('\n'), edited.join('\n'), { maxWork: 1000 })!;
    expect(d).toMatchObject({ added: 1, removed: 0 });
    expect(d.hunks[0]!.lines.find((l) => l.op === '+')).toEqual({ op: '+', text: 'inserted', new: 50_001 });
  });
});
