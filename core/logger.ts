// The one pino logger factory. Logs carry identifiers and decisions, never values: any
// field that could hold rows, scores, model source, keys or ciphertexts is redacted.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths redacted wherever they appear (one level deep and at the top). */
const REDACTED_KEYS = [
  'authorization',
  'apiKey',
  'key',
  'secret',
  'privateKey',
  'rows',
  'values',
  'scores',
  'outputs',
  'source',
  'features',
  'ciphertexts',
  'body',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
];

export interface LoggerSettings {
  level: string;
  /** File descriptor to write to; 2 (stderr) keeps stdout free for command output. */
  fd?: number;
  /** A stream instead of a descriptor (tests). */
  stream?: DestinationStream;
}

export function createLogger(settings: LoggerSettings, bindings: Record<string, string> = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { ...bindings },
  };
  return pino(options, settings.stream ?? pino.destination({ fd: settings.fd ?? 2, sync: true }));
}
