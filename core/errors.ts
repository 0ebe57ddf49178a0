// The coded error base every area shares. A code names one failure; its message is fixed,
// so nothing an attacker controls (a row value, model output, a stack) can ride along in
// the text a client sees. Each area declares its codes with `defineErrors`, which also
// enters them in the registry that docs/errors.md is checked against.

/** What kind of failure a code is; the server maps kinds to HTTP statuses in one place. */
export type ErrorKind =
  | 'invalid' // the caller's input is malformed (400)
  | 'unauthenticated' // no or bad credentials (401)
  | 'forbidden' // wrong role or no right (403)
  | 'not_found' // unknown, or not the caller's to see (404)
  | 'conflict' // wrong state (409)
  | 'refused' // refused by policy (422)
  | 'limited' // quota or rate (429)
  | 'unavailable' // a component is down or overloaded (503)
  | 'internal'; // a bug (500)

export interface ErrorSpec {
  readonly kind: ErrorKind;
  readonly message: string;
}

const registry = new Map<string, ErrorSpec>();

/** Declares an area's codes and enters them in the registry. Codes must be unique. */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): T {
  for (const [code, spec] of Object.entries(specs)) {
    if (!/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(code)) throw new Error(`bad error code name ${code}`);
    const known = registry.get(code);
    if (known && known !== spec) throw new Error(`error code ${code} declared twice`);
    registry.set(code, spec);
  }
  return specs;
}

/** Every code declared so far (the areas' modules must have been imported). */
export function registeredErrors(): ReadonlyMap<string, ErrorSpec> {
  return registry;
}

export interface AppErrorOptions {
  /** The underlying error, for logs only; never shown to a client. */
  cause?: unknown;
  /**
   * Names of platform-owned things (a catalog field, a flag, a rule id) that help the
   * caller; never a value from data, model output or a secret.
   */
  detail?: string;
}

export class AppError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly kind: ErrorKind;
  readonly detail: string | undefined;

  constructor(code: Code, spec: ErrorSpec, options: AppErrorOptions = {}) {
    super(spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.kind = spec.kind;
    this.detail = options.detail;
  }
}

/** Builds the error constructor of one area: `fail('CODE', { detail })`. */
export function errorFactory<const T extends Record<string, ErrorSpec>>(specs: T) {
  return (code: keyof T & string, options?: AppErrorOptions): AppError<keyof T & string> =>
    new AppError(code, specs[code] as ErrorSpec, options);
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export const CORE_ERRORS = defineErrors({
  CONFIG_INVALID: { kind: 'invalid', message: 'The configuration is invalid.' },
  INTERNAL_ERROR: { kind: 'internal', message: 'Internal error.' },
});

export const coreError = errorFactory(CORE_ERRORS);

/** The child-process channel (core/child.ts). */
export const CHANNEL_ERRORS = defineErrors({
  CHANNEL_MESSAGE_INVALID: { kind: 'internal', message: 'A message between the platform and a child process could not be parsed.' },
  CHANNEL_DEADLINE: { kind: 'unavailable', message: 'A child process did not answer in time.' },
  CHANNEL_CLOSED: { kind: 'unavailable', message: 'A child process is not running.' },
});

/** Confinement of child processes (core/confinement.ts). */
export const CONFINEMENT_ERRORS = defineErrors({
  CONFINEMENT_UNAVAILABLE: { kind: 'unavailable', message: 'The configured confinement of child processes cannot be established here; nothing was started.' },
});
