// ALERT_WEBHOOK_URLS: where events are posted. Pure.

export interface WebhookTarget {
  /** The URL posted to, without user and password. */
  url: string;
  /** "Basic ..." when the configured URL carried user:password@ (fetch refuses such URLs). */
  authorization: string | undefined;
  /** scheme://host:port only: what logs show (a path or query may hold a secret). */
  label: string;
}

export const MAX_WEBHOOKS = 16;

/** The targets of a comma list, or the problem with it (for ConfigError). */
export function parseWebhookUrls(raw: string | undefined): { targets: WebhookTarget[]; problem?: string } {
  const entries = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length > MAX_WEBHOOKS) return { targets: [], problem: `holds ${entries.length} URLs, at most ${MAX_WEBHOOKS} are allowed` };
  const targets: WebhookTarget[] = [];
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return { targets: [], problem: `entry ${JSON.stringify(entry.slice(0, 200))} is not a URL` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { targets: [], problem: `entry with scheme ${JSON.stringify(url.protocol)} is not an http:// or https:// URL` };
    }
    if (!url.hostname) return { targets: [], problem: `entry ${JSON.stringify(url.origin)} names no host` };
    let authorization: string | undefined;
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    url.hash = '';
    if (!targets.some((t) => t.url === url.href)) targets.push({ url: url.href, authorization, label: url.origin });
  }
  return { targets };
}
