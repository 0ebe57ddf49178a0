import path from 'node:path';
import type { AppError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs.js';
import { cliError } from './errors.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Writes command output to --out (atomically) or to stdout. */
export function emit(io: Io, content: string, out: string | undefined): void {
  if (out === undefined) {
    io.out(content);
    return;
  }
  try {
    writeFileAtomic(path.resolve(out), content);
  } catch (cause) {
    throw cliError('CLI_OUTPUT_UNWRITABLE', { cause });
  }
}

/** A table for people: a header row, then the rows, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

let guarded = false;

/**
 * A reader that stops early (`dfix data fields --json | head -1`) closes the pipe: the
 * command then ends quietly, with no stack, instead of failing on EPIPE.
 */
export function guardPipes(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}

/** The one line a coded error prints: `error CODE: message (detail)`. */
export function codedLine(e: AppError, prefix = 'error'): string {
  return `${prefix} ${e.code}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`;
}
