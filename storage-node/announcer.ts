// Self-registration: the node tells the gateway (JOIN_URL) where to reach it, at start and then
// every interval, so that a gateway that lost or never had it (a new node, a wiped database, a node
// removed by mistake) picks it up again. Re-announcing a known address changes nothing there.
// Failures are retried forever and logged once per change of outcome, not once per attempt.
import { postJson } from './post-json.js';

/** Deadline of one announcement: the gateway probes the node back (up to 3 s) before it answers. */
export const ANNOUNCE_TIMEOUT_MS = 10_000;

export interface AnnouncerOptions {
  joinUrl: string;
  address: string;
  intervalMs: number;
  timeoutMs?: number;
  /** The cluster token: the gateway lets a node that holds it register itself (and do nothing else). */
  clusterToken?: string;
  /** GATEWAY_CA: verifies an https joinUrl instead of the system's CAs. */
  ca?: Buffer;
  log: (line: string) => void;
}

/** One announcement's outcome: `key` changes when the outcome does; `line` says it to a person. */
interface Outcome {
  key: string;
  line: string;
}

export class Announcer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastKey: string | undefined;

  constructor(private readonly options: AnnouncerOptions) {}

  /** Announces now, then `intervalMs` after each announcement ends. */
  start(): void {
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    void this.announce().then((outcome) => {
      if (outcome.key !== this.lastKey) this.options.log(outcome.line);
      this.lastKey = outcome.key;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
      this.timer.unref();
    });
  }

  private async announce(): Promise<Outcome> {
    const { joinUrl, address } = this.options;
    const target = `${joinUrl}/admin/nodes`;
    const retry = `; retrying every ${this.options.intervalMs} ms`;
    try {
      const res = await postJson(target, { address }, {
        ca: this.options.ca,
        timeoutMs: this.options.timeoutMs ?? ANNOUNCE_TIMEOUT_MS,
        headers: this.options.clusterToken ? { Authorization: `Bearer ${this.options.clusterToken}` } : {},
      });
      const text = res.text;
      let body: { id?: unknown; error?: unknown; code?: unknown } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Not our gateway, or a proxy's error page: the status says enough.
      }
      if (res.status >= 200 && res.status < 300) {
        return { key: `ok ${String(body.id)}`, line: `announced ${address} to ${target}: registered as node ${String(body.id)} (${res.status})` };
      }
      const why = typeof body.error === 'string' ? `${String(body.code)}: ${body.error}` : text.slice(0, 200);
      return { key: `refused ${res.status} ${String(body.code)}`, line: `announcing ${address} to ${target} was refused with ${res.status} (${why})${retry}` };
    } catch (err) {
      const e = err as Error & { code?: string };
      const code = e.code ?? e.name;
      // The gateway's certificate was not trusted: say which setting names the CA.
      const hint = /CERT|SIGNATURE|ISSUER|ALTNAME/.test(code) ? ' (GATEWAY_CA names the CA that signed the gateway\'s certificate)' : '';
      const message = e.message + hint;
      return { key: `failed ${code}`, line: `announcing ${address} to ${target} failed: ${message}${retry}` };
    }
  }
}
