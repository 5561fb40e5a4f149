// Posts events to one webhook, in order, from a bounded queue of its own: a slow or dead webhook
// holds back nobody else (not the data path, which only queues, nor the other webhooks), and it
// costs at most `queueLimit` events of memory. Each event is tried `retry.attempts` times with
// exponential backoff, each POST bounded by `timeoutMs`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertEvent } from './alert-event.js';
import { logAlert } from './alert-log.js';
import { retryDelayMs, worthRetrying, WEBHOOK_RETRY, type RetrySettings } from './retry-schedule.js';
import type { WebhookTarget } from './webhook-target.js';

export interface SenderOptions {
  timeoutMs: number;
  retry: RetrySettings;
  queueLimit: number;
}

export const SENDER_DEFAULTS: SenderOptions = { timeoutMs: 5_000, retry: WEBHOOK_RETRY, queueLimit: 1_000 };

type Outcome = { status: number } | { status: undefined; error: string };

export class WebhookSender {
  private readonly queue: AlertEvent[] = [];
  private draining = false;
  private readonly stopping = new AbortController();
  private droppedInRow = 0;

  constructor(
    private readonly target: WebhookTarget,
    private readonly options: SenderOptions = SENDER_DEFAULTS,
  ) {}

  /** Queues an event; returns at once. When the queue is full the oldest waiting event is dropped. */
  send(event: AlertEvent): void {
    if (this.stopping.signal.aborted) return;
    if (this.queue.length >= this.options.queueLimit) {
      const dropped = this.queue.shift()!;
      if (this.droppedInRow++ === 0) {
        logAlert('warn', `webhook ${this.target.label}: ${this.options.queueLimit} events wait already; dropping the oldest`, {
          event: dropped.event,
          subject: dropped.subject,
        });
      }
    }
    this.queue.push(event);
    if (!this.draining) void this.drain();
  }

  /** Events waiting (the one being posted excluded). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Abandons the queue and cuts the POST under way: stopping the gateway waits for no webhook. */
  stop(): void {
    this.stopping.abort();
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stopping.signal.aborted) await this.deliver(this.queue.shift()!);
      if (this.droppedInRow > 0) {
        logAlert('warn', `webhook ${this.target.label}: ${this.droppedInRow} events were dropped while its queue was full`);
        this.droppedInRow = 0;
      }
    } finally {
      this.draining = false;
    }
  }

  private async deliver(event: AlertEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.post(body);
      if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) return;
      if (this.stopping.signal.aborted) return;
      const why = outcome.status === undefined ? outcome.error : `HTTP ${outcome.status}`;
      const delay = worthRetrying(outcome.status) ? retryDelayMs(attempt + 1, this.options.retry) : undefined;
      if (delay === undefined) {
        logAlert('error', `webhook ${this.target.label}: gave up on ${event.event} ${event.subject} after ${attempt} attempt(s): ${why}`);
        return;
      }
      try {
        await sleep(delay, undefined, { signal: this.stopping.signal });
      } catch {
        return; // stopped
      }
    }
  }

  private async post(body: string): Promise<Outcome> {
    try {
      const res = await fetch(this.target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'objstore-gateway-alerts',
          ...(this.target.authorization === undefined ? {} : { Authorization: this.target.authorization }),
        },
        body,
        redirect: 'manual', // the event goes where it was configured to, nowhere else
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      await res.body?.cancel().catch(() => undefined); // the answer's body is not read: free the connection
      return { status: res.status };
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const name = (err as Error).name;
      const error = name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      return { status: undefined, error };
    }
  }
}
