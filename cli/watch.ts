// `dfix ledger watch`: the regulator's machine follows a server's signed checkpoints
// (GET /v1/ledger/checkpoint), checks each against a pinned genesis key and the last one
// held (GET /v1/ledger/proofs/consistency), and reports a fork or a rollback with its own
// exit status. Everything the server sends is attacker-controlled and checked here.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { isAppError, type AppError } from '../core/errors.js';
import { ledgerError } from '../ledger/errors.js';
import type { Hash } from '../ledger/merkle.js';
import { parseVkey, type Verifier } from '../ledger/note.js';
import { CheckpointStore, judge, type Verdict } from '../ledger/watch.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import { codedLine, type Io } from './output.js';
import { apiKeyOf } from './api-key.js';

export const WATCH_EXIT = { ok: 0, fork: 3, rollback: 4, untrusted: 5 } as const;
const DEFAULT_STORE = './.dfix-watch';
const DEFAULT_INTERVAL_S = 60;
const MAX_BODY = 64 * 1024;
const TIMEOUT_MS = 10_000;

interface Client {
  base: URL;
  apiKey: string;
  ca: Buffer | undefined;
}

/** GET a JSON document; any failure (network, status, size, JSON) is LEDGER_WATCH_UNREACHABLE. */
function getJson(client: Client, route: string): Promise<unknown> {
  const url = new URL(route, client.base);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const fail = (detail: string, cause?: unknown) => reject(ledgerError('LEDGER_WATCH_UNREACHABLE', { detail, cause }));
    const req = mod.get(url, { headers: { authorization: `Bearer ${client.apiKey}`, accept: 'application/json' }, timeout: TIMEOUT_MS, ...(client.ca ? { ca: client.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          req.destroy();
          fail('answer too large');
        } else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode ?? 0} from ${url.pathname}`);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (cause) {
          fail(`not JSON from ${url.pathname}`, cause);
        }
      });
      res.on('error', (cause) => fail('connection lost', cause));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (cause) => fail((cause as NodeJS.ErrnoException).code ?? 'connection failed', cause));
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function fetchCheckpoint(client: Client): Promise<{ note: string; genesisKey: string | undefined }> {
  const body = await getJson(client, '/v1/ledger/checkpoint');
  if (!isRecord(body) || typeof body.note !== 'string' || body.note.length > 16 * 1024) throw ledgerError('LEDGER_WATCH_UNREACHABLE', { detail: 'no checkpoint note in the answer' });
  return { note: body.note, genesisKey: typeof body.genesisKey === 'string' ? body.genesisKey : undefined };
}

async function fetchConsistency(client: Client, from: number, to: number): Promise<Hash[]> {
  const body = await getJson(client, `/v1/ledger/proofs/consistency?from=${from}&to=${to}`);
  const p = isRecord(body) ? body.path : undefined;
  // a malformed proof is a proof that does not verify: an empty one fails verification
  if (!isRecord(body) || body.from !== from || body.to !== to || !Array.isArray(p) || p.length > 128 || !p.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) return [];
  return (p as string[]).map((h) => Buffer.from(h, 'hex'));
}


function readVkeyFile(file: string): string {
  try {
    const text = fs.readFileSync(path.resolve(file), 'utf8').slice(0, 4096).trim();
    if (parseVkey(text)) return text;
  } catch (cause) {
    throw cliError('CLI_BAD_FLAG', { detail: '--key', cause });
  }
  throw cliError('CLI_BAD_FLAG', { detail: '--key' });
}

interface WatchSettings {
  client: Client;
  store: CheckpointStore;
  keyFile: string | undefined;
}

/**
 * The key to trust: --key, else the one pinned in the store, else (trust on first use) the
 * genesis key the server names. A key not yet in the store is pinned there once a
 * checkpoint has verified under it.
 */
async function trustedKey(s: WatchSettings, io: Io): Promise<{ key: Verifier; toPin: string | undefined }> {
  const pinned = s.store.pinned();
  if (s.keyFile !== undefined) {
    const given = readVkeyFile(s.keyFile);
    const v = parseVkey(given) as Verifier;
    if (pinned && !pinned.raw.equals(v.raw)) throw ledgerError('LEDGER_WATCH_KEY_CONFLICT', { detail: s.store.keyFile });
    return { key: v, toPin: pinned ? undefined : given };
  }
  if (pinned) return { key: pinned, toPin: undefined };
  const { genesisKey } = await fetchCheckpoint(s.client);
  const v = genesisKey ? parseVkey(genesisKey) : null;
  if (!v || !genesisKey) throw ledgerError('LEDGER_WATCH_UNREACHABLE', { detail: 'no genesis key in the answer' });
  io.err(`notice: trusting the genesis key the server names, on first use: ${genesisKey.trim()} (to be pinned in ${s.store.keyFile})`);
  return { key: v, toPin: genesisKey };
}

type Outcome = { exit: number; verdict: Verdict };

async function checkOnce(s: WatchSettings, trusted: { key: Verifier; toPin: string | undefined }): Promise<Outcome> {
  const { key } = trusted;
  const held = s.store.held(key);
  const { note } = await fetchCheckpoint(s.client);
  const verdict = await judge(note, key, held, (from, to) => fetchConsistency(s.client, from, to));
  switch (verdict.kind) {
    case 'first':
    case 'same':
    case 'extended':
      if (trusted.toPin !== undefined) {
        s.store.pin(trusted.toPin);
        trusted.toPin = undefined;
      }
      s.store.save(verdict.checkpoint);
      return { exit: WATCH_EXIT.ok, verdict };
    case 'fork':
    case 'rollback':
      return { exit: verdict.kind === 'fork' ? WATCH_EXIT.fork : WATCH_EXIT.rollback, verdict };
    case 'untrusted':
      return { exit: WATCH_EXIT.untrusted, verdict };
  }
}

function report(io: Io, s: WatchSettings, key: Verifier, outcome: Outcome, json: boolean | undefined, url: string): void {
  const v = outcome.verdict;
  const heldNote = (size: number) => {
    try {
      return s.store.held(key).find((h) => h.size === size)?.note;
    } catch {
      return undefined;
    }
  };
  switch (v.kind) {
    case 'first':
    case 'same':
    case 'extended': {
      const root = v.checkpoint.root.toString('hex');
      const how = v.kind === 'first' ? 'first checkpoint held' : v.kind === 'same' ? 'unchanged' : `extends size ${v.from}: consistency proof verified`;
      io.out(json ? JSON.stringify({ ok: true, status: v.kind, size: v.checkpoint.size, root, ...(v.kind === 'extended' ? { from: v.from } : {}) }) : `ok: size ${v.checkpoint.size}, root ${root} (${how})`);
      return;
    }
    case 'fork': {
      const file = s.store.evidence('fork', { url, detail: v.detail, held: heldNote(v.at) ?? null, seen: v.checkpoint.note });
      io.err(codedLine(ledgerError('LEDGER_FORK', { detail: `${v.detail}; evidence in ${file}` })));
      return;
    }
    case 'rollback': {
      const file = s.store.evidence('rollback', { url, held: heldNote(v.held) ?? null, seen: v.checkpoint.note });
      io.err(codedLine(ledgerError('LEDGER_ROLLBACK', { detail: `size ${v.checkpoint.size} after ${v.held}; evidence in ${file}` })));
      return;
    }
    case 'untrusted':
      io.err(codedLine(ledgerError('LEDGER_CHECKPOINT_UNTRUSTED', { detail: s.keyFile !== undefined ? `--key ${s.keyFile}` : fs.existsSync(s.store.keyFile) ? s.store.keyFile : 'the genesis key the server named' })));
      return;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export async function watchCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { url: 'string', interval: 'int', store: 'string', key: 'string', 'key-file': 'string', ca: 'string', once: 'boolean' });
  if (flags.help) return printHelp(io, 'ledger watch');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  let base: URL;
  try {
    base = new URL(flags.url ?? '');
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw cliError('CLI_BAD_FLAG', { detail: '--url' });
  }
  const interval = flags.interval ?? DEFAULT_INTERVAL_S;
  if (interval < 1 || interval > 86_400) throw cliError('CLI_BAD_FLAG', { detail: '--interval' });
  let ca: Buffer | undefined;
  if (flags.ca !== undefined) {
    try {
      ca = fs.readFileSync(path.resolve(flags.ca));
    } catch (cause) {
      throw cliError('CLI_BAD_FLAG', { detail: '--ca', cause });
    }
  }
  const s: WatchSettings = {
    client: { base, apiKey: apiKeyOf(flags['key-file']), ca },
    store: new CheckpointStore(path.resolve(flags.store ?? DEFAULT_STORE)),
    keyFile: flags.key,
  };
  const trusted = await trustedKey(s, io);
  if (flags.once) {
    const outcome = await checkOnce(s, trusted);
    report(io, s, trusted.key, outcome, flags.json, base.href);
    return outcome.exit;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      try {
        const outcome = await checkOnce(s, trusted);
        report(io, s, trusted.key, outcome, flags.json, base.href);
        if (outcome.exit !== WATCH_EXIT.ok) return outcome.exit;
      } catch (e) {
        // a server that cannot be reached is reported and tried again; anything else ends the watch
        if (!isAppError(e) || e.code !== 'LEDGER_WATCH_UNREACHABLE') throw e;
        io.err(codedLine(e as AppError, 'warn'));
      }
      await sleep(interval * 1000, stop.signal);
    }
    return WATCH_EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
