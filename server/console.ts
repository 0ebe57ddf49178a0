// The web console (console/, built by `npm run build` into dist/console/): `GET /` answers
// the app's page, `/assets/*` its hashed files (@fastify/static, in this plugin only). The
// console talks to the API from the same origin with the organisation's key in the
// Authorization header; the headers below keep the page from loading anything from
// elsewhere or being framed.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectRoot } from '../core/fs.js';

export const CONSOLE_DIR = path.join(projectRoot(), 'dist', 'console');

// ECharts draws on canvas and sets element styles from script (allowed by style-src
// 'self'); nothing inline, nothing from another origin.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function secure(reply: FastifyReply): void {
  void reply.header('content-security-policy', CSP);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
}

export async function consoleRoutes(app: FastifyInstance, opts: { dir?: string } = {}): Promise<void> {
  const dir = opts.dir ?? CONSOLE_DIR;
  const indexFile = path.join(dir, 'index.html');
  const built = fs.existsSync(indexFile);
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    secure(reply);
    void reply.header('cache-control', 'no-store');
    if (!built) return reply.status(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build`.\n');
    return reply.type('text/html; charset=utf-8').send(fs.readFileSync(indexFile));
  });
  if (built && fs.existsSync(path.join(dir, 'assets'))) {
    await app.register(fastifyStatic, {
      root: path.join(dir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      // the file names carry content hashes
      immutable: true,
      maxAge: '365d',
      setHeaders: (reply) => secure(reply),
    });
  }
}
