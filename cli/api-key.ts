// The API key a command uses against a server: --key-file (the key itself, or a JSON file
// with apiKey such as the server's bootstrap.json), else $DFIX_API_KEY.
import fs from 'node:fs';
import path from 'node:path';
import { cliError } from './errors.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The API key: --key-file (the key, or a JSON file with apiKey such as bootstrap.json), else $DFIX_API_KEY. */
export function apiKeyOf(keyFile: string | undefined): string {
  let key = process.env.DFIX_API_KEY;
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(keyFile), 'utf8').slice(0, 4096).trim();
    } catch (cause) {
      throw cliError('CLI_BAD_FLAG', { detail: '--key-file', cause });
    }
    try {
      const j = JSON.parse(text) as unknown;
      key = isRecord(j) && typeof j.apiKey === 'string' ? j.apiKey : undefined;
    } catch {
      key = text;
    }
  }
  if (!key || /\s/.test(key)) throw cliError('CLI_API_KEY_MISSING');
  return key;
}
