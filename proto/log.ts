// The one logger of each process (pino): JSON lines with time, level, the process's role and
// identity, and the id of the request being served (from request-context.ts). Modules log through
// `log`; main.ts sets it up once its configuration is read (LOG_LEVEL). Values under keys that name
// secrets are replaced, whatever a caller passes.
import pino from 'pino';
import { currentRequestId } from './request-context.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL's value, or the problem with it. Pure. */
export function parseLogLevel(raw: string | undefined): { level: LogLevel; problem?: undefined } | { level?: undefined; problem: string } {
  const value = raw?.trim().toLowerCase() || 'info';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return { level: value as LogLevel };
  return { problem: `LOG_LEVEL=${JSON.stringify(raw)} must be one of ${LOG_LEVELS.join(', ')}` };
}

const SECRET_KEYS = ['authorization', 'token', 'secret', 'secretAccessKey', 'password', 'signature', 'clusterToken', 'apiToken'];

function createLogger(level: LogLevel, base: Record<string, unknown>): pino.Logger {
  return pino({
    level,
    base: { pid: process.pid, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const reqId = currentRequestId();
      return reqId ? { reqId } : {};
    },
    redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)], censor: '[redacted]' },
  });
}

let current = createLogger('info', { role: 'unset' });
let notices = current;

/** Sets up this process's logger: its role ('gateway', 'storage-node') and fields such as the node id. */
export function initLog(level: LogLevel, base: { role: string } & Record<string, unknown>): void {
  current = createLogger(level, base);
  notices = current.isLevelEnabled('info') ? current : createLogger('info', base);
}

type Fields = Record<string, unknown>;

/** `log.info('what happened', { details })`; an Error goes under `err` (pino prints its message and stack). */
export const log = {
  debug: (msg: string, fields: Fields = {}) => current.debug(fields, msg),
  info: (msg: string, fields: Fields = {}) => current.info(fields, msg),
  warn: (msg: string, fields: Fields = {}) => current.warn(fields, msg),
  error: (msg: string, fields: Fields = {}) => current.error(fields, msg),
  /**
   * An info line printed whatever LOG_LEVEL says: the start line that launchers and tests read the
   * port from, and credentials generated at this start, which are shown once and never again.
   */
  notice: (msg: string, fields: Fields = {}) => notices.info(fields, msg),
  isDebug: () => current.isLevelEnabled('debug'),
};
