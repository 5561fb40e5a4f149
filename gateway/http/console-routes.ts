// The web console (source in gateway/console, built by `npm run build` into dist/console): its files
// at /console/, and /console/config.json, what the page needs to know of this gateway. Both are open
// (gateway/auth/rest-access.ts): the page holds no data, and whatever it then fetches needs
// credentials as usual.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';
import { hostnameOf } from '../s3/console-cors.js';
import { ApiError } from './api-error.js';

/** What the page is told: whether it needs credentials, where the S3 API is, the limits it shows. */
export interface ConsoleSettings {
  auth: boolean;
  scheme: 'http' | 'https';
  s3Port: number;
  region: string;
  maxFileSize: number;
  healthIntervalMs: number;
}

/** dist/console, beside dist/gateway (this file is dist/gateway/http/console-routes.js). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The page may load only its own files and talk only to this gateway's two APIs; no frame may hold
 * it (its buttons delete things). Pure.
 */
export function consoleSecurityHeaders(host: string | undefined, settings: Pick<ConsoleSettings, 'scheme' | 's3Port'>): Record<string, string> {
  const name = hostnameOf(host);
  const s3 = name ? ` ${settings.scheme}://${name}:${settings.s3Port}` : '';
  return {
    'Content-Security-Policy':
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${s3}; ` +
      `form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}

export function consoleRouter(settings: () => ConsoleSettings, dir = CONSOLE_DIR): Router {
  const router = Router();
  const secure = (res: Response, host: string | undefined): void => {
    for (const [name, value] of Object.entries(consoleSecurityHeaders(host, settings()))) res.setHeader(name, value);
  };

  router.get('/console/config.json', (_req, res) => {
    const s = settings();
    res.set('Cache-Control', 'no-store').json({
      auth: s.auth,
      s3_port: s.s3Port,
      region: s.region,
      max_file_size: s.maxFileSize,
      health_interval_ms: s.healthIntervalMs,
    });
  });
  router.get('/console', (req, res, next) => {
    // Only the exact path: /console/ is the page (its files are named from there).
    if (req.path !== '/console') return next();
    res.redirect(301, '/console/');
  });
  router.use('/console', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(join(dir, 'index.html'))) throw new ApiError(503, 'ConsoleNotBuilt', 'the web console was not built: run npm run build');
    secure(res, req.headers.host);
    next();
  });
  // Files are revalidated on every load (no-cache with an ETag): a new build shows at once.
  router.use('/console', express.static(dir, { index: 'index.html', redirect: false, fallthrough: true, cacheControl: true, maxAge: 0, dotfiles: 'ignore' }));
  return router;
}
