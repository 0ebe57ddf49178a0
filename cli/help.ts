// Every command's usage, in one place: `dfix --help`, `dfix GROUP --help` and
// `dfix GROUP COMMAND --help` print from here (exit 0).
import { cliError } from './errors.js';
import type { Io } from './output.js';

interface CommandHelp {
  /** Arguments and flags after `dfix <path>`. */
  args: string;
  /** One line for the command lists. */
  about: string;
  /** Flag lines: [flag, what it does]. */
  flags?: [string, string][];
  /** More text after the flags. */
  more?: string;
}

/** The commands against a server (cli/remote.ts). */
const REMOTE_FLAGS: [string, string][] = [
  ['--url URL', 'the server (http:// or https://)'],
  ['--key-file FILE', 'the API key (a file with the key, or bootstrap.json); else $DFIX_API_KEY'],
];

const COMMON: [string, string][] = [
  ['--data DIR', 'the data directory (default ./.dfix, or $DFIX_DATA)'],
  ['--json', 'print JSON instead of text, where the command prints data'],
  ['-h, --help', 'this help'],
];

export const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    args: '[--port P] [--host H] [--tls-cert FILE --tls-key FILE] [--confinement MODE] [--aggregate-lanes N]',
    about: 'serve the API on embedded defaults (first start builds everything)',
    flags: [
      ['--port P', 'port to listen on (default 8787, or $DFIX_PORT; 0 picks a free one)'],
      ['--host H', 'address to listen on (default 127.0.0.1, or $DFIX_HOST)'],
      ['--tls-cert FILE', 'serve HTTPS with this PEM certificate (chain); needs --tls-key'],
      ['--tls-key FILE', 'the PEM private key of --tls-cert'],
      ['--confinement os|permission-only', 'how model code is confined (default os, or $DFIX_CONFINEMENT)'],
      ['--aggregate-lanes N', 'executor processes for aggregate runs, 1-8 (default 1, or $DFIX_AGGREGATE_LANES); a cohort of 50,000 or more is split across them'],
    ],
    more: 'Both TLS files are read at start; a missing, unreadable or mismatched file is one coded line and exit 2.',
  },
  demo: { args: '[--port P]', about: 'the whole story end to end against a real server, narrated', flags: [['--port P', 'port of the demo server (default: a free one)']] },
  init: { args: '', about: 'prepare the data directory (vault on first start, state, keys)' },
  'data seed': {
    args: '[--subjects N] [--seed S] [--force]',
    about: 'build the government data vault',
    flags: [
      ['--subjects N', 'number of merchants (default 1600)'],
      ['--seed S', 'generator seed (default 20240601)'],
      ['--force', 'replace an existing vault'],
    ],
    more: 'Shows progress on stderr when stderr is a terminal.',
  },
  'data import': {
    args: '--source NAME FILE [--source NAME FILE ...] [--max-mb N]',
    about: "load real data: the next version of the vault's lineage from source files, checked against the catalog, switched atomically, recorded in the ledger",
    flags: [
      ['--source NAME FILE', 'a CSV or JSON-lines file of one source (registration, tax, judicial, electricity, social_insurance, carrier, platform): uscc and every field of that source, one merchant per row; repeat for several sources'],
      ['--max-mb N', 'size limit of one file in MiB (default 256, at most 512)'],
    ],
    more: 'Run it with the server stopped (the data directory is locked). Any bad value refuses the whole import and changes nothing: the report lists source, line, column and rule of the first 20 problems and counts all. Sources not given are carried over from the current version; registration, when given, defines the merchants. Budgets continue (they follow the lineage). See docs/operations.md.',
  },
  'data fields': { args: '', about: 'the field catalog (name, level, source, type, unit, readable, label)' },
  'data dummy': {
    args: '[--subjects N] [--seed S] [--format json|csv] [--out FILE]',
    about: 'dummy rows for developers: same schema and marginals, no vault merchant',
    flags: [
      ['--subjects N', 'number of rows (default 200)'],
      ['--seed S', 'generator seed'],
      ['--format F', 'json (default) or csv'],
      ['--out FILE', 'write to FILE instead of stdout'],
    ],
  },
  'model init': {
    args: 'NAME [--from FILE] [--out DIR]',
    about: 'a new model package: a JavaScript skeleton, or from a PMML or XGBoost JSON file (inputs read from the file, checked against the catalog)',
    flags: [
      ['--from FILE', 'a .pmml/.xml (PMML 4.4) or .json (XGBoost save_model) file'],
      ['--out DIR', 'the package directory (default ./NAME)'],
    ],
  },
  'model check': { args: 'DIR', about: 'vet a model package (and show a model file as structure); exit 0 pass, 1 fail' },
  'model backtest': {
    args: 'DIR [--subjects N] [--seed S]',
    about: "backtest the package locally on dummy merchants with their labels, in the real sandbox: AUC, KS, Gini and bad rate by band as the platform presents them (dummy data, exact, no noise)",
    flags: [
      ['--subjects N', 'dummy merchants (default 2000, at most 100000)'],
      ['--seed S', 'seed of the dummy data (default 20240601)'],
    ],
    more: "The platform's own steps: the batch module in a hardened batch, the output contract, then the policy's backtest release (bands, thresholds) with zero noise, so no margins. With --url ID, the backtest on a server's real data (dfix model backtest --url --help).",
  },
  'model try': {
    args: 'DIR [--subjects N] [--rows FILE.csv] [--raw] [--mode subjects|cohort]',
    about: 'run a package in the sandbox on dummy data, or on the rows you give',
    flags: [
      ['--subjects N', 'dummy merchants to score, 1-10000 (default 10)'],
      ['--rows FILE', 'a CSV with catalog field names as columns (empty = missing; a uscc column names the rows)'],
      ['--raw', "also print each row's raw model output (probability, margin or points) before the lattice"],
      ['--mode M', 'subjects (default) or cohort'],
    ],
  },
  'ledger export': { args: '[--out FILE]', about: "the regulator's log as JSON lines, then checkpoints", flags: [['--out FILE', 'write to FILE instead of stdout']] },
  'ledger verify': {
    args: '[--export FILE] [--checkpoint FILE] [--key FILE]',
    about: 'audit the log; exit 0 consistent, 1 with what is wrong',
    flags: [
      ['--export FILE', 'audit this export instead of the live log'],
      ['--checkpoint FILE', 'checkpoints you hold (one note, or JSON lines of { checkpoint })'],
      ['--key FILE', 'the genesis verifier key to trust (default keys/ledger-genesis.pub)'],
    ],
    more: 'Fails (exit 1) when no checkpoint verifies. Shows progress on stderr when stderr is a terminal.',
  },
  'ledger watch': {
    args: '--url URL [--interval S] [--store DIR] [--key FILE] [--key-file FILE] [--ca FILE] [--once]',
    about: "follow a server's signed checkpoints; report a fork or a rollback",
    flags: [
      ['--url URL', 'the server (http:// or https://)'],
      ['--interval S', 'seconds between checks, 1-86400 (default 60)'],
      ['--store DIR', 'where checkpoints and the pinned key are kept (default ./.dfix-watch)'],
      ['--key FILE', "the genesis verifier key to pin (the server's keys/ledger-genesis.pub)"],
      ['--key-file FILE', 'the API key (a file with the key, or bootstrap.json); else $DFIX_API_KEY'],
      ['--ca FILE', 'a PEM certificate to trust for https'],
      ['--once', 'check once and exit'],
    ],
    more: [
      'Without --key the first check trusts the genesis key the server names (trust on first',
      'use) and pins it in the store once a checkpoint verifies under it; later checks use the',
      'pinned key. Each new checkpoint must verify under the pinned key and extend the last one',
      'held (RFC 9162 consistency proof). Exit: 0 consistent, 2 bad input or the server cannot',
      'be reached (--once), 3 fork (LEDGER_FORK), 4 rollback (LEDGER_ROLLBACK), 5 bad signature',
      '(LEDGER_CHECKPOINT_UNTRUSTED); the conflicting checkpoints are kept in the store.',
    ].join('\n'),
  },
  'bank keygen': {
    args: '--out DIR [--params FILE]',
    about: 'a CKKS key pair for encrypted joint scoring: secret.key (0600, stays here), public.key, parameters.json',
    flags: [
      ['--out DIR', 'the key directory (created 0700; refuses one that holds a secret key)'],
      ['--params FILE', "the server's GET /v1/encryption/parameters answer (default: the policy shipped here)"],
    ],
    more: 'Register public.key with POST /v1/keys { "publicKey": base64 }. Never send secret.key or decrypted scores anywhere.',
  },
  'bank encrypt': {
    args: '--key DIR --features FILE.csv [--out FILE.json]',
    about: "encrypt the bank's features: one ciphertext per feature column, slot i = row i",
    flags: [
      ['--key DIR', 'a directory written by dfix bank keygen'],
      ['--features FILE', "a plain CSV (commas, no quoting): one column per bank feature in the model's bankFeatures order (an optional header row), one row per merchant in the order of the run's subjects"],
      ['--out FILE', 'write { "ciphertexts": [base64...] } here instead of stdout'],
    ],
  },
  'bank decrypt': {
    args: '--key DIR --in ANSWER.json [--slots N]',
    about: 'decrypt an encrypted run answer: one joint score per slot, and which slots were scored',
    flags: [
      ['--key DIR', 'a directory written by dfix bank keygen'],
      ['--in FILE', 'a run answer (JSON with ciphertext, slots, scoredSlots), or a bare ciphertext (base64 or SEAL bytes)'],
      ['--slots N', "how many slots to print (default: the answer's slots; required for a bare ciphertext)"],
    ],
    more: 'Slots not scored decrypt to noise around zero. Decrypted scores must stay with the bank.',
  },
  'bank verify-proof': {
    args: '--answer ANSWER.json [--checkpoint-key FILE] [--store DIR] [--url URL --key-file FILE] [--entry FILE]',
    about: "check a run answer's ledger bundle: the checkpoint signature and the inclusion proof; exit 0 valid, 1 invalid",
    flags: [
      ['--answer FILE', 'a run answer with its ledger bundle, or a bare bundle { index, size, leafHash, inclusionProof, checkpoint }'],
      ['--checkpoint-key FILE', "the log's verifier key (name+keyid+base64; or the JSON of GET /v1/ledger/checkpoint)"],
      ['--store DIR', 'where a key trusted on first use is pinned (default ./.dfix-bank)'],
      ['--url URL', "without --checkpoint-key or a pinned key: take the key the server names, on first use, with a warning"],
      ['--key-file FILE', 'the API key for --url (a file with the key); else $DFIX_API_KEY'],
      ['--entry FILE', 'the ledger entry (JSON, or an export line { seq, entry }): also check it hashes to the leaf'],
    ],
    more: [
      'Exit 0 when the checkpoint verifies under the key, is of that log (origin = key name), and the leaf',
      'is included in its tree; 1 with the reason otherwise; 2 for unreadable input. A checkpoint signed',
      'after a key rotation fails under the old key: check the rotation (dfix ledger verify) and pin the',
      'new key. For https with a private CA, start with NODE_EXTRA_CA_CERTS=ca.pem.',
    ].join('\n'),
  },
  'model submit': {
    args: 'DIR --url URL [--key-file FILE]',
    about: "submit a model package to a server (a fintech's key); vetting runs there; exit 0 vetted, 1 failed",
    flags: [...REMOTE_FLAGS],
  },
  'model status': { args: 'ID --url URL [--key-file FILE]', about: "a model's status, digest, approval and vetting on a server", flags: [...REMOTE_FLAGS] },
  'model approve': {
    args: 'ID --url URL [--key-file FILE] [--expires ISO] [--note TEXT]',
    about: "approve a vetted model on a server (the regulator's key)",
    flags: [...REMOTE_FLAGS, ['--expires ISO', 'when the approval ends (default: in a year)'], ['--note TEXT', "the regulator's note"]],
  },
  'model backtest --url': {
    args: 'URL ID [--key-file FILE] [--cohort key=value,...]',
    about: 'backtest an approved model on the real data of a server: AUC, KS, Gini and bands, noised, with margins',
    flags: [...REMOTE_FLAGS, ['--cohort K=V,...', 'public cohort predicates (industry, district, sizeBand, regYearBand); default: everyone']],
    more: 'Posts an aggregate run with the backtest statistic (the provider\'s or the regulator\'s key; it spends privacy budget) and waits for its public availability time. With --url the backtest is this remote one; without, dfix model backtest works on a local package.',
  },
  backup: {
    args: '--out DIR',
    about: 'back up vault, state, keys and bootstrap key, online (safe while serving)',
    flags: [['--out DIR', 'a new or empty directory']],
    more: 'Writes manifest.json with each file size and SHA-256 and the ledger size and root. Progress on stderr when it is a terminal.',
  },
  restore: {
    args: '--from DIR --data NEWDIR',
    about: 'restore a backup into a new or empty data directory, then verify its ledger',
    flags: [['--from DIR', 'a directory written by dfix backup']],
    more: 'Every file is checked against the manifest before anything is written.',
  },
  bench: { args: '[NAME] [--subjects N]', about: 'benchmarks (ratios against a baseline)', flags: [['--subjects N', 'population size (default 1000000)']] },
};

export const GROUPS: Record<string, string> = {
  data: 'the government data vault',
  model: 'model packages',
  ledger: "the regulator's transparency log",
  bank: "a bank's side: CKKS keys, encrypted features, decryption, proof checks",
};

function pad(rows: [string, string][], indent = '  '): string {
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(w)}  ${b}`).join('\n');
}

export function usage(path: string): string {
  const c = COMMANDS[path];
  if (c) {
    return [`usage: dfix ${path}${c.args ? ` ${c.args}` : ''}`, '', c.about, '', 'flags:', pad([...(c.flags ?? []), ...COMMON]), ...(c.more ? ['', c.more] : [])].join('\n');
  }
  if (Object.hasOwn(GROUPS, path)) {
    const subs = Object.keys(COMMANDS).filter((k) => k.startsWith(`${path} `));
    return [`usage: dfix ${path} COMMAND [flags]`, '', GROUPS[path] as string, '', 'commands:', pad(subs.map((k) => [k, COMMANDS[k]?.about ?? ''])), '', `dfix ${path} COMMAND --help for a command's flags.`].join('\n');
  }
  const lines = Object.entries(COMMANDS).map(([k, v]) => {
    const left = `  dfix ${k}${v.args ? ` ${v.args}` : ''}`;
    return left.length <= 54 ? `${left.padEnd(55)}${v.about}` : `${left}\n${' '.repeat(55)}${v.about}`;
  });
  return ['dfix: DFIX Sandbox', '', 'usage: dfix COMMAND [flags]', '', ...lines, '', 'Every command takes --data DIR (default ./.dfix), --json and --help.', "dfix COMMAND --help for a command's flags."].join('\n');
}

/** Prints the usage of a command path; exit status 0. */
export function printHelp(io: Io, path: string): number {
  if (path !== '' && !Object.hasOwn(COMMANDS, path) && !Object.hasOwn(GROUPS, path)) throw cliError('CLI_UNKNOWN_COMMAND', { detail: path.slice(0, 40) });
  io.out(usage(path));
  return 0;
}

/** `--help`, `-h` or `help` as the subcommand of a group. */
export function isHelpWord(s: string | undefined): boolean {
  return s === '--help' || s === '-h' || s === 'help';
}
