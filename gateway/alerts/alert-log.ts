// The one way the alerting code writes to the log (the process's structured logger).
import { log } from '../../proto/log.js';

export type AlertLogLevel = 'error' | 'warn' | 'info';

export function logAlert(level: AlertLogLevel, message: string, fields?: Record<string, unknown>): void {
  log[level](message, fields);
}
