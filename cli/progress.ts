// Progress for long work (seeding a vault, backups, verifying a large log): one line on
// stderr, redrawn in place, and only when stderr is a terminal; otherwise nothing at all,
// so logs and pipes stay clean. A small equivalent of cli-progress.

export interface Progress {
  /** Reports `done` of `total` units. */
  update(done: number, total: number): void;
  /** Clears the line. */
  stop(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): boolean;
}

const QUIET: Progress = { update() {}, stop() {} };
const WIDTH = 30;

export function progress(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now): Progress {
  if (!stream.isTTY) return QUIET;
  const started = now();
  let last = -Infinity;
  let shown = false;
  return {
    update(done, total) {
      const t = now();
      if (!shown && t - started < 500) return; // work that ends within half a second shows nothing
      if (t - last < 100 && done < total) return; // at most ten redraws a second
      last = t;
      const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
      const bar = '#'.repeat(Math.round(f * WIDTH)).padEnd(WIDTH, '-');
      stream.write(`\r${label} [${bar}] ${Math.floor(f * 100)}% ${done}/${total}\u001b[K`);
      shown = true;
    },
    stop() {
      if (shown) stream.write('\r\u001b[K');
      shown = false;
    },
  };
}
