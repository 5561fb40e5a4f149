// The events the gateway reports by webhook, and the JSON each one is posted as. Pure.

export type AlertKind =
  | 'node_down'
  | 'node_dead'
  | 'node_up'
  | 'file_unreadable'
  | 'disk_fill'
  | 'heal_queue_stalled'
  | 'database_unreachable'
  | 'database_back';

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** Fixed per kind, so a receiver can route on it without knowing every kind. */
export const SEVERITY: Record<AlertKind, AlertSeverity> = {
  node_down: 'warning', // the parity units cover it; reads decode, the healer waits NODE_DEAD_AFTER_MS
  node_dead: 'critical', // its chunks are being rebuilt elsewhere: redundancy is lost meanwhile
  node_up: 'info',
  file_unreadable: 'critical',
  disk_fill: 'warning',
  heal_queue_stalled: 'warning',
  database_unreachable: 'critical',
  database_back: 'info',
};

/** What the code that notices something says about it. */
export interface AlertInput {
  event: AlertKind;
  /** What the event is about, the key of the rate limit with `event`: a node address, "database", ... */
  subject: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The JSON body of a webhook POST (and of the log line). */
export interface AlertEvent {
  event: AlertKind;
  severity: AlertSeverity;
  subject: string;
  message: string;
  /** When it was noticed (ISO 8601, UTC). */
  at: string;
  /** Which gateway noticed it: host:pid. */
  gateway: string;
  /** Events of this kind and subject noticed since the previous one sent and not sent (rate limit). */
  suppressed: number;
  details: Record<string, unknown>;
}

export function alertEvent(input: AlertInput, at: Date, gateway: string): AlertEvent {
  return {
    event: input.event,
    severity: SEVERITY[input.event],
    subject: input.subject,
    message: input.message,
    at: at.toISOString(),
    gateway,
    suppressed: 0,
    details: input.details ?? {},
  };
}
