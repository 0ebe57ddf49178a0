// A real platform (its own data directory, a 1,600-merchant vault, the real executor) and
// its HTTP app driven with inject(), with a fintech, a bank and a channel admitted through
// the API: the common start of the tests that go over HTTP.
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { resolveConfig } from '../../core/config.js';
import { seedVault } from '../../datasets/store.js';
import { Platform, type PlatformOptions } from '../../sandbox/platform.js';
import { build } from '../../server/app.js';
import { Executor } from '../../workers/client.js';
import { strangerUscc } from './platform.js';
import { rmDir, tmpDir } from './tmp.js';

export interface HttpWorld {
  dir: string;
  executor: Executor;
  platform: Platform;
  app: FastifyInstance;
  /** API keys and organisation ids by name: regulator, fintech, bank, channel. */
  keys: Record<string, string>;
  ids: Record<string, string>;
  /** A request as `who` (null: no key). */
  call(method: string, url: string, who: string | null, body?: unknown): Promise<{ status: number; json: Record<string, any> }>;
  close(): Promise<void>;
}

/** `usccBase` keeps the organisations' codes apart from other tests' (one organisation per USCC and kind). */
/** `options`: the platform's (an injected clock, webhook settings), beside the shared executor. */
export async function httpWorld(prefix: string, usccBase: number, options: Omit<PlatformOptions, 'executor'> = {}): Promise<HttpWorld> {
  const executor = await Executor.start();
  const dir = tmpDir(prefix);
  const config = resolveConfig({ dataDir: dir }, {});
  seedVault(config.vaultPath, { subjects: 1600, seed: 20240601 });
  const platform = await Platform.open(config, { ...options, executor });
  const app = await build({ platform });
  const keys: Record<string, string> = { regulator: (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey };
  const ids: Record<string, string> = {};
  const w: HttpWorld = {
    dir,
    executor,
    platform,
    app,
    keys,
    ids,
    async call(method, url, who, body) {
      const r = await app.inject({ method: method as 'GET', url, headers: who ? { authorization: `Bearer ${keys[who]}` } : {}, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: r.statusCode, json: JSON.parse(r.body) as Record<string, any> };
    },
    async close() {
      await app.close();
      await platform.close();
      await executor.close();
      rmDir(dir);
    },
  };
  for (const [i, kind] of (['fintech', 'bank', 'channel'] as const).entries()) {
    const a = await w.call('POST', '/v1/orgs', null, { name: `${kind} org`, kind, uscc: strangerUscc(usccBase + i) });
    ids[kind] = a.json.id as string;
    keys[kind] = (await w.call('POST', `/v1/orgs/${ids[kind]}/admit`, 'regulator')).json.apiKey as string;
  }
  return w;
}
