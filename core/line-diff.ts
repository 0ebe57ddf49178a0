// A line diff (Myers, "An O(ND) Difference Algorithm", 1986) in unified form: hunks of
// added, removed and context lines. Bounded in cost: the common head and tail are set
// aside first, and the search gives up (answering null) once it has spent its work budget,
// so a reviewer is told the versions differ too much rather than a request hanging.

export type DiffOp = ' ' | '+' | '-';
export interface DiffLine {
  op: DiffOp;
  text: string;
  /** 1-based line in the old text (context and removed lines). */
  old?: number;
  /** 1-based line in the new text (context and added lines). */
  new?: number;
}
export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}
export interface LineDiff {
  added: number;
  removed: number;
  hunks: Hunk[];
}

export interface DiffOptions {
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
  /** Steps of the search before it gives up (default 2 million: tens of milliseconds, some 8 MB of frontier). */
  maxWork?: number;
}

export const splitLines = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

/**
 * The edit script between a and b as one op per line ('-' of a, '+' of b, ' ' of both), or
 * null when finding it would take more than maxWork steps.
 */
export function editScript(a: readonly string[], b: readonly string[], maxWork = 2_000_000): DiffOp[] | null {
  // lines as integers: comparisons are then cheap
  const ids = new Map<string, number>();
  const intern = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  const A = Int32Array.from(a, intern);
  const B = Int32Array.from(b, intern);
  let head = 0;
  while (head < A.length && head < B.length && A[head] === B[head]) head++;
  let tail = 0;
  while (tail < A.length - head && tail < B.length - head && A[A.length - 1 - tail] === B[B.length - 1 - tail]) tail++;
  const n = A.length - head - tail;
  const m = B.length - head - tail;
  const x0 = head;
  const y0 = head;
  const middle = myers(n, m, (x, y) => A[x0 + x] === B[y0 + y], maxWork);
  if (middle === null) return null;
  return [...new Array<DiffOp>(head).fill(' '), ...middle, ...new Array<DiffOp>(tail).fill(' ')];
}

/** Myers' greedy forward search, keeping each round's frontier to trace the path back. */
function myers(n: number, m: number, eq: (x: number, y: number) => boolean, maxWork: number): DiffOp[] | null {
  if (n === 0) return new Array<DiffOp>(m).fill('+');
  if (m === 0) return new Array<DiffOp>(n).fill('-');
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let work = 0;
  for (let d = 0; d <= max; d++) {
    // the frontier before this round, for the trace (only its live diagonals: -d..d)
    trace.push(v.slice(offset - d, offset + d + 2));
    work += 2 * d + 2; // the copy, and the memory it keeps
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && eq(x, y)) {
        x++;
        y++;
        work++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m);
    }
    if (work > maxWork) return null;
  }
  return null; // not reached: d = n + m always ends the search
}

function backtrack(trace: Int32Array[], n: number, m: number): DiffOp[] {
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const before = trace[d]!; // frontier at the start of round d, diagonals -d..d+1 at index k + d
    const at = (k: number) => before[k + d]!;
    const k = x - y;
    if (d === 0) {
      while (x > 0 && y > 0) {
        ops.push(' ');
        x--;
        y--;
      }
      break;
    }
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(' ');
      x--;
      y--;
    }
    ops.push(down ? '+' : '-');
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** The unified diff of two texts by lines, or null when it would cost more than maxWork. */
export function lineDiff(oldText: string, newText: string, opts: DiffOptions = {}): LineDiff | null {
  const context = opts.context ?? 3;
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = editScript(a, b, opts.maxWork);
  if (ops === null) return null;
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    if (op === ' ') lines.push({ op, text: b[j]!, old: ++i, new: ++j });
    else if (op === '-') lines.push({ op, text: a[i]!, old: ++i });
    else lines.push({ op, text: b[j]!, new: ++j });
  }
  // hunks: each change with `context` unchanged lines either side, close ones merged
  const hunks: Hunk[] = [];
  let added = 0;
  let removed = 0;
  let idx = 0;
  while (idx < lines.length) {
    if (lines[idx]!.op === ' ') {
      idx++;
      continue;
    }
    const start = Math.max(0, idx - context);
    let end = idx; // exclusive end of the changes so far
    let k = idx;
    while (k < lines.length) {
      if (lines[k]!.op !== ' ') {
        end = k + 1;
        k++;
      } else if (k - end < 2 * context) k++;
      else break;
    }
    const stop = Math.min(lines.length, end + context);
    const body = lines.slice(start, stop);
    for (const l of body) {
      if (l.op === '+') added++;
      else if (l.op === '-') removed++;
    }
    const first = (key: 'old' | 'new') => {
      for (const l of body) if (l[key] !== undefined) return l[key]!;
      // a hunk with no line of this side starts after the line before it (0 when none)
      for (let p = start - 1; p >= 0; p--) if (lines[p]![key] !== undefined) return lines[p]![key]!;
      return 0;
    };
    const oldLines = body.filter((l) => l.op !== '+').length;
    const newLines = body.filter((l) => l.op !== '-').length;
    hunks.push({ oldStart: first('old'), oldLines, newStart: first('new'), newLines, lines: body });
    idx = stop;
  }
  return { added, removed, hunks };
}

/** The diff as unified-diff text (the hunks only, without file headers). */
export function formatUnified(diff: LineDiff): string {
  return diff.hunks.map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.map((l) => `${l.op}${l.text}`)].join('\n')).join('\n');
}
