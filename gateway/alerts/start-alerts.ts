// Alerting as the gateway runs it: the service, the watcher, and what the rest of the gateway calls.
import { hostname } from 'node:os';
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { AlertSettings } from '../config.js';
import type { RepairStore } from '../metadata/repair-store.js';
import { logAlert } from './alert-log.js';
import { AlertWatcher } from './alert-watcher.js';
import { Alerts } from './alerts.js';
import { probeDatabase } from './database-probe.js';

export interface RunningAlerts {
  /** For the download path: a read found too few readable chunks. Returns at once. */
  unreadableRead: (fileId: string, message: string) => void;
  stop(): void;
}

export function startAlerts(
  settings: AlertSettings,
  deps: { registry: NodeRegistry; repair: RepairStore; databaseUrl: string },
): RunningAlerts {
  const alerts = new Alerts({ webhooks: settings.webhooks, repeatMs: settings.repeatMs, gateway: `${hostname()}:${process.pid}` });
  const watcher = new AlertWatcher(
    {
      alerts,
      nodes: deps.registry,
      redundancy: () => deps.repair.alertFigures(),
      probeDatabase: (timeoutMs) => probeDatabase(deps.databaseUrl, timeoutMs),
    },
    settings,
  );
  watcher.start();
  const to = settings.webhooks.length === 0 ? 'the log only (no ALERT_WEBHOOK_URLS)' : `the log and ${settings.webhooks.map((w) => w.label).join(', ')}`;
  logAlert('info', `alerts go to ${to}`);
  return {
    unreadableRead: (fileId, message) => watcher.unreadableRead(fileId, message),
    stop() {
      watcher.stop();
      alerts.stop();
    },
  };
}
