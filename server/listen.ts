// The listening entry: prepares the data directory, opens the platform, serves, keeps the
// ledger's checkpoints and heartbeats going, and shuts down gracefully (in-flight runs
// finish and are recorded before the state is closed).
import type { Config } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { Platform } from '../sandbox/platform.js';
import { build, type ServerDeps } from './app.js';

export interface Running {
  url: string;
  platform: Platform;
  close(): Promise<void>;
}

export async function serve(config: Config, options: { quiet?: boolean; server?: Omit<ServerDeps, 'platform' | 'logger'> } = {}): Promise<Running> {
  const logger = createLogger({ level: options.quiet ? 'warn' : config.logLevel }, { service: 'dfix' });
  // which OS or executor limit ended a model-running process, and restarts: for the operator
  const platform = await Platform.open(config, { onEvent: (event, data) => logger.warn({ event, ...data }, 'executor') });
  const app = await build({ platform, logger, ...options.server });
  const address = await app.listen({ host: config.host, port: config.port });
  const tick = setInterval(() => {
    try {
      platform.ctx.ledger.tick();
    } catch (e) {
      logger.error({ code: (e as { code?: string }).code }, 'ledger tick failed');
    }
  }, 30_000);
  tick.unref();
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(tick);
      await app.close(); // stops accepting; waits for requests in flight
      platform.ctx.ledger.checkpoint();
      await platform.close();
    })());
  return { url: address, platform, close };
}
