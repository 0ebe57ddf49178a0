// The report of a rejected import: where (source, line, column) and which rule, for the
// first problems found, and how many there were in all. It never holds a value from the
// file: the operator has the file, and the report may end up in a ticket or a log.
import { AppError, type AppErrorOptions } from '../core/errors.js';
import { DATASET_ERRORS } from './errors.js';

/** At most this many problems are listed; the count covers all of them. */
export const REPORT_LIMIT = 20;

export interface ImportProblem {
  source: string;
  /** 1-based line of the file (0 when the problem is the file as a whole). */
  line: number;
  /** The column (a catalog field name, or the file's header cell), '' when none. */
  column: string;
  /** The rule broken: an ImportRule, or a rule of the file's syntax. */
  rule: string;
}

export class ImportError extends AppError<keyof typeof DATASET_ERRORS & string> {
  readonly problems: readonly ImportProblem[];
  readonly total: number;

  constructor(code: keyof typeof DATASET_ERRORS & string, problems: readonly ImportProblem[], total: number, options: AppErrorOptions = {}) {
    super(code, DATASET_ERRORS[code], options);
    this.problems = problems.slice(0, REPORT_LIMIT);
    this.total = Math.max(total, problems.length);
  }
}

/** Collects problems, keeping the first REPORT_LIMIT and counting all. */
export class ProblemList {
  readonly listed: ImportProblem[] = [];
  total = 0;

  add(p: ImportProblem): void {
    this.total++;
    if (this.listed.length < REPORT_LIMIT) this.listed.push(p);
  }
}
