// The HTTP API (API.md). build() returns the app without listening, so tests use inject().
// Every route validates its input with a zod schema before the handler runs; one error
// handler turns every failure into { code, message, requestId } with the status of its kind.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError, isAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { randomId } from '../core/random.js';
import type { Platform } from '../sandbox/platform.js';
import type { Org, OrgKind } from '../sandbox/state.js';
import { authenticateKey } from '../sandbox/orgs.js';
import { consoleRoutes } from './console.js';
import { serverError, STATUS } from './errors.js';
import { parseJsonBody } from './json.js';
import { limitRate } from './rate-limit.js';
import { admittedRoutes } from './routes/admitted.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { listRoutes } from './routes/lists.js';
import { oversightRoutes } from './routes/oversight.js';
import { usageRoutes } from './routes/usage.js';
import { encryptionRoutes } from './routes/encryption.js';
import { bankRoutes, channelRoutes, fintechRoutes } from './routes/members.js';
import { publicRoutes } from './routes/public.js';
import { regulatorRoutes } from './routes/regulator.js';
import { webhookRoutes } from './routes/webhooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    org: Org | null;
    /** The key is one rotated away, in its grace period (sandbox/orgs.ts, authenticateKey). */
    keyInGrace: boolean;
  }
}

export type App = FastifyInstance;

export interface ServerDeps {
  platform: Platform;
  logger?: Logger;
  /** Requests a second per organisation, all its API keys together (per address before authentication). */
  ratePerSecond?: number;
  rateBurst?: number;
  bodyLimit?: number;
  /** Serve HTTPS with this PEM certificate (chain) and key (fastify's own https option). */
  https?: { cert: Buffer; key: Buffer };
}

export const SERVER_DEFAULTS = Object.freeze({ ratePerSecond: 500, rateBurst: 1000, bodyLimit: 1024 * 1024 });

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim();
}

/** Registers a group of routes for some kinds of organisation, with its own auth hook. */
export function audience(kinds: readonly OrgKind[] | 'any', register: (app: FastifyInstance) => void) {
  return async (app: FastifyInstance, opts: { platform: Platform }) => {
    app.addHook('onRequest', async (req) => {
      const { org, inGrace } = authenticateKey(opts.platform.ctx, bearer(req));
      if (kinds !== 'any' && !kinds.includes(org.kind)) throw new AppError('ROLE_FORBIDDEN', { kind: 'forbidden', message: 'This kind of organisation may not do this.' });
      req.org = org;
      req.keyInGrace = inGrace;
    });
    register(app);
  };
}

/** Codes whose detail is always platform-owned (a schema path, a rule, a flag): safe to return. */
const NAMED_DETAIL = new Set(['REQUEST_INVALID', 'RUN_BAD_REQUEST', 'ORG_DUPLICATE', 'ACCESS_TERMS_REQUIRED', 'MODEL_STATE', 'CONSENT_STATE', 'BUDGET_REFRESH_INVALID', 'WEBHOOK_URL_REFUSED']);

/**
 * Where a request broke its schema, and which rule: "body/subjects/3: too_big". Path
 * segments that are not plain names (they could be keys a client chose) are shown as "*".
 */
function validationDetail(err: FastifyError): string {
  const first = (err.validation ?? [])[0] as { instancePath?: string; keyword?: string } | undefined;
  const where = (first?.instancePath ?? '').split('/').filter(Boolean).map((p) => (/^[A-Za-z0-9_]{1,40}$/.test(p) ? p : '*'));
  const rule = /^[a-z_]{1,40}$/.test(first?.keyword ?? '') ? first?.keyword : 'invalid';
  return `${[err.validationContext ?? 'request', ...where].join('/')}: ${rule}`;
}

const SUCCESS: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted: running; ask GET /v1/runs/{id} again at availableAt' };

/** jsonSchemaTransform, and a description for each success answer that has none (OpenAPI requires one). */
const describedAnswers: typeof jsonSchemaTransform = (input) => {
  const out = jsonSchemaTransform(input);
  const response = (out.schema as { response?: Record<string, { description?: string }> }).response ?? {};
  for (const [status, r] of Object.entries(response)) if (SUCCESS[status] && !r.description) r.description = SUCCESS[status];
  return out;
};

export async function build(deps: ServerDeps): Promise<FastifyInstance> {
  const settings = { ...SERVER_DEFAULTS, ...Object.fromEntries(Object.entries(deps).filter(([, v]) => v !== undefined)) } as Required<Omit<ServerDeps, 'logger'>> & ServerDeps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as unknown as FastifyBaseLogger } : { logger: false }),
    bodyLimit: settings.bodyLimit,
    keepAliveTimeout: 5000,
    return503OnClosing: false, // answered below, in the platform's error format
    genReqId: () => randomId(8, 'hex'),
    ...(deps.https ? { https: { cert: deps.https.cert, key: deps.https.key } } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('org', null);
  app.decorateRequest('keyInGrace', false);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  await limitRate(app, { platform: deps.platform, perSecond: settings.ratePerSecond, burst: settings.rateBurst, bearer });

  // Graceful shutdown: requests in flight finish, and their connections close after the
  // response instead of being kept alive past the server.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw serverError('SERVER_SHUTTING_DOWN');
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    let e: AppError;
    if (isAppError(err)) e = err;
    else if ((err as FastifyError).validation) e = serverError('REQUEST_INVALID', { detail: validationDetail(err as FastifyError) });
    else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = serverError('REQUEST_TOO_LARGE');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = serverError('REQUEST_UNSUPPORTED_MEDIA');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY') e = serverError('REQUEST_MALFORMED_JSON');
    else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) e = serverError('REQUEST_INVALID');
    else {
      req.log.error({ err: { type: (err as Error).name, code: (err as FastifyError).code } }, 'unexpected error');
      e = new AppError('INTERNAL_ERROR', { kind: 'internal', message: 'Internal error.' });
    }
    if (e.kind === 'internal') req.log.error({ code: e.code }, 'internal error');
    else if (e.detail) req.log.info({ code: e.code, detail: e.detail }, 'refused');
    // a detail names platform-owned things (a field path and the rule it broke), never a value sent
    const detail = e.detail && NAMED_DETAIL.has(e.code) ? { detail: e.detail } : {};
    void reply.status(STATUS[e.kind]).send({ code: e.code, message: e.message, ...detail, requestId: req.id });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'ROUTE_UNKNOWN', message: 'No such route.', requestId: req.id });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'DFIX Sandbox API', version: '1.0.0', description: 'Credit-scoring models on government data that nobody outside the platform may see.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: describedAnswers,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const opts = { platform: deps.platform };
  await app.register(publicRoutes, opts);
  await app.register(consoleRoutes);
  await app.register(audience('any', admittedRoutes(deps.platform)), opts);
  await app.register(audience('any', listRoutes(deps.platform)), opts);
  await app.register(audience('any', encryptionRoutes(deps.platform)), opts);
  await app.register(audience('any', apiKeyRoutes(deps.platform)), opts);
  await app.register(audience('any', webhookRoutes(deps.platform)), opts);
  await app.register(audience(['regulator'], regulatorRoutes(deps.platform)), opts);
  await app.register(audience(['regulator'], oversightRoutes(deps.platform)), opts);
  await app.register(audience(['fintech'], fintechRoutes(deps.platform)), opts);
  await app.register(audience(['bank'], bankRoutes(deps.platform)), opts);
  await app.register(audience(['channel'], channelRoutes(deps.platform)), opts);
  await app.register(audience(['channel'], usageRoutes(deps.platform)), opts);
  return app as unknown as FastifyInstance;
}
