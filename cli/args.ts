// Flags through node:util.parseArgs in strict mode: unknown flags and malformed values are
// errors that name the flag (CLI_UNKNOWN_FLAG, CLI_BAD_FLAG), never ignored.
import { parseArgs as nodeParseArgs } from 'node:util';
import { cliError } from './errors.js';

export type FlagKind = 'string' | 'int' | 'boolean';
export type FlagSpec = Record<string, FlagKind>;
type FlagValue<K extends FlagKind> = K extends 'int' ? number : K extends 'boolean' ? boolean : string;
export type Flags<S extends FlagSpec> = { [K in keyof S]?: FlagValue<S[K]> };

export interface Parsed<S extends FlagSpec> {
  positionals: string[];
  flags: Flags<S>;
}

/** Every command accepts --data, --json and --help (-h). */
export const COMMON_FLAGS = { data: 'string', json: 'boolean', help: 'boolean' } as const satisfies FlagSpec;

const INT = /^-?\d{1,15}$/;

/** The flag an error of node:util.parseArgs is about, from its message (e.g. "Unknown option '--x'"). */
function flagOf(message: string): string {
  const m = /'(-{1,2}[^'\s<=]{1,40})/.exec(message);
  return m ? (m[1] as string) : 'flag';
}

export function parseArgs<S extends FlagSpec>(argv: readonly string[], spec: S): Parsed<S & typeof COMMON_FLAGS> {
  const all: FlagSpec = { ...COMMON_FLAGS, ...spec };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, kind] of Object.entries(all)) options[name] = { type: kind === 'boolean' ? 'boolean' : 'string' };
  (options.help as { short?: string }).short = 'h';
  // strict parseArgs calls "--n -5" (or "--out -") ambiguous; as before, a value may start
  // with one dash (not two), so it is passed as "--n=-5" and checked as any other value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const kind = arg.startsWith('--') && Object.hasOwn(all, arg.slice(2)) ? all[arg.slice(2)] : undefined;
    if (kind !== undefined && kind !== 'boolean' && next !== undefined && next.startsWith('-') && !next.startsWith('--')) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const message = e instanceof Error ? e.message : '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw cliError('CLI_UNKNOWN_FLAG', { detail: flagOf(message) });
    throw cliError('CLI_BAD_FLAG', { detail: flagOf(message) });
  }
  const flags: Record<string, string | number | boolean> = {};
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const kind = all[token.name] as FlagKind;
    if (kind === 'boolean') {
      flags[token.name] = true;
      continue;
    }
    const raw = token.value;
    // a value that looks like another flag means this one's value is missing
    if (raw === undefined || raw === '' || (!token.inlineValue && raw.startsWith('--'))) throw cliError('CLI_BAD_FLAG', { detail: `--${token.name}` });
    if (kind === 'int') {
      if (!INT.test(raw)) throw cliError('CLI_BAD_FLAG', { detail: `--${token.name}` });
      flags[token.name] = Number(raw);
    } else flags[token.name] = raw;
  }
  return { positionals: parsed.positionals, flags: flags as Flags<S & typeof COMMON_FLAGS> };
}
