// A strict flag parser: unknown flags and malformed values are errors, never ignored.
import { cliError } from './errors.js';

export type FlagKind = 'string' | 'int' | 'boolean';
export type FlagSpec = Record<string, FlagKind>;
type FlagValue<K extends FlagKind> = K extends 'int' ? number : K extends 'boolean' ? boolean : string;
export type Flags<S extends FlagSpec> = { [K in keyof S]?: FlagValue<S[K]> };

export interface Parsed<S extends FlagSpec> {
  positionals: string[];
  flags: Flags<S>;
}

/** Every command accepts --data and --json. */
export const COMMON_FLAGS = { data: 'string', json: 'boolean' } as const satisfies FlagSpec;

export function parseArgs<S extends FlagSpec>(argv: readonly string[], spec: S): Parsed<S & typeof COMMON_FLAGS> {
  const all: FlagSpec = { ...COMMON_FLAGS, ...spec };
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(all, name) ? all[name] : undefined;
    if (!kind) throw cliError('CLI_UNKNOWN_FLAG', { detail: `--${name.slice(0, 40)}` });
    if (kind === 'boolean') {
      if (eq >= 0) throw cliError('CLI_BAD_FLAG', { detail: `--${name}` });
      flags[name] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || raw === '' || (eq < 0 && raw.startsWith('--'))) throw cliError('CLI_BAD_FLAG', { detail: `--${name}` });
    if (kind === 'int') {
      if (!/^-?\d{1,15}$/.test(raw)) throw cliError('CLI_BAD_FLAG', { detail: `--${name}` });
      flags[name] = Number(raw);
    } else {
      flags[name] = raw;
    }
  }
  return { positionals, flags: flags as Flags<S & typeof COMMON_FLAGS> };
}
