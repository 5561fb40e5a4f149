// The one way the alerting code writes to the log, so that moving to a structured logger is a
// change of this file only.

export type AlertLogLevel = 'error' | 'warn' | 'info';

export function logAlert(level: AlertLogLevel, message: string, fields?: Record<string, unknown>): void {
  const line = fields === undefined ? `gateway: ${message}` : `gateway: ${message} ${JSON.stringify(fields)}`;
  console[level](line);
}
