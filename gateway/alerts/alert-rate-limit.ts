// Repeated events are sent once per window: the first event of a kind and subject goes out, the
// ones after it within `windowMs` are held back, and when the window ends the last one held back
// goes out, counting the others. So a flapping node costs two events per window, and the last
// event a receiver got still says how the node is. Pure: the caller passes the time.
import type { AlertEvent } from './alert-event.js';

interface KeyState {
  sentAt: number;
  held: AlertEvent | undefined; // the latest event held back in this window
  heldCount: number;
}

export class AlertRateLimit {
  private readonly keys = new Map<string, KeyState>();

  /** `windowMs` 0: every event goes out. */
  constructor(private readonly windowMs: number) {}

  private static key(e: AlertEvent): string {
    return `${e.event}\u0000${e.subject}`;
  }

  /** The event to send now, or undefined when it is held back. */
  offer(event: AlertEvent, now: number): AlertEvent | undefined {
    if (this.windowMs <= 0) return event;
    const key = AlertRateLimit.key(event);
    const state = this.keys.get(key);
    if (state === undefined || now - state.sentAt >= this.windowMs) {
      // A window that ended with an event held back (not flushed yet) counts it in this one.
      const suppressed = state?.held ? state.heldCount : 0;
      this.keys.set(key, { sentAt: now, held: undefined, heldCount: 0 });
      return { ...event, suppressed: event.suppressed + suppressed };
    }
    state.held = event;
    state.heldCount += 1;
    return undefined;
  }

  /**
   * The held-back events whose window has ended, oldest first, each counting the events of its key
   * left out (itself excluded); their key starts a new window. Keys idle for a window are dropped,
   * so the map stays as small as the set of recent subjects.
   */
  due(now: number): AlertEvent[] {
    const out: AlertEvent[] = [];
    for (const [key, state] of this.keys) {
      if (now - state.sentAt < this.windowMs) continue;
      if (state.held === undefined) {
        this.keys.delete(key);
        continue;
      }
      out.push({ ...state.held, suppressed: state.held.suppressed + state.heldCount - 1 });
      this.keys.set(key, { sentAt: now, held: undefined, heldCount: 0 });
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Keys tracked now (for tests of the bound). */
  get size(): number {
    return this.keys.size;
  }
}
