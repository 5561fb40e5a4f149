// The alerting service: turns what the watchers notice into events, holds back repeats, logs every
// event and hands it to each webhook's sender. emit() returns at once and never throws, so any code
// (the node registry's probes, the data path) may call it.
import { alertEvent, type AlertEvent, type AlertInput } from './alert-event.js';
import { logAlert, type AlertLogLevel } from './alert-log.js';
import { AlertRateLimit } from './alert-rate-limit.js';
import { SENDER_DEFAULTS, WebhookSender, type SenderOptions } from './webhook-sender.js';
import type { WebhookTarget } from './webhook-target.js';

export interface AlertSink {
  emit(input: AlertInput): void;
}

export interface AlertsOptions {
  webhooks: WebhookTarget[];
  /** ALERT_REPEAT_MS: one event per kind and subject in this window (0: no limit). */
  repeatMs: number;
  /** Who sends: host:pid. */
  gateway: string;
  sender?: SenderOptions;
}

const LEVEL: Record<AlertEvent['severity'], AlertLogLevel> = { critical: 'error', warning: 'warn', info: 'info' };

export class Alerts implements AlertSink {
  private readonly limit: AlertRateLimit;
  private readonly senders: WebhookSender[];

  constructor(private readonly options: AlertsOptions) {
    this.limit = new AlertRateLimit(options.repeatMs);
    this.senders = options.webhooks.map((w) => new WebhookSender(w, options.sender ?? SENDER_DEFAULTS));
  }

  emit(input: AlertInput): void {
    try {
      const event = alertEvent(input, new Date(), this.options.gateway);
      const out = this.limit.offer(event, Date.now());
      if (out === undefined) {
        logAlert(LEVEL[event.severity], `alert ${event.event} ${event.subject}: ${event.message} (a repeat within ALERT_REPEAT_MS: held back)`);
        return;
      }
      this.publish(out);
    } catch (err) {
      logAlert('error', `alert ${input.event} ${input.subject} could not be handled: ${(err as Error).message}`);
    }
  }

  /** Sends the repeats held back whose window has ended (the watcher calls this at each poll). */
  flushRepeats(): void {
    for (const event of this.limit.due(Date.now())) this.publish(event);
  }

  stop(): void {
    for (const s of this.senders) s.stop();
  }

  private publish(event: AlertEvent): void {
    const repeats = event.suppressed > 0 ? ` (${event.suppressed} repeat(s) held back before it)` : '';
    logAlert(LEVEL[event.severity], `alert ${event.event} ${event.subject}: ${event.message}${repeats}`, {
      severity: event.severity,
      at: event.at,
      details: event.details,
    });
    for (const s of this.senders) s.send(event);
  }
}
