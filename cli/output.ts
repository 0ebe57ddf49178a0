import path from 'node:path';
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
