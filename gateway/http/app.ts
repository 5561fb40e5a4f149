// The express application: authentication, routes, a JSON 404 for anything else, and the error handler.
import express from 'express';
import type { ChunkDeleter } from '../cluster/chunk-deleter.js';
import type { Metadata } from '../metadata/metadata.js';
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { UploadService } from '../files/upload-service.js';
import type { DownloadService } from '../files/download-service.js';
import { adminRouter } from './admin-routes.js';
import { repairRouter } from './repair-routes.js';
import type { RepairStore } from '../metadata/repair-store.js';
import type { Rebalancer } from '../cluster/rebalancer.js';
import { notFound } from './api-error.js';
import { quoted } from './request-parsing.js';
import { errorHandler } from './error-handler.js';
import { filesRouter } from './files-routes.js';
import { healthRouter } from './health-route.js';
import { keysRouter } from './keys-routes.js';
import type { AccessKeys } from '../auth/access-keys.js';
import type { UploadSlots } from './upload-slots.js';
import type { ApiTokens } from '../auth/api-tokens.js';
import { authenticateRest, requireScope, type RestAuthOptions } from './rest-auth.js';
import { tokensRouter } from './tokens-routes.js';
import { requestContext } from './request-context.js';
import { statusRouter } from './status-routes.js';
import { historyRouter } from './history-route.js';
import type { History } from '../ops/history.js';
import { consistencyRouter } from './consistency-routes.js';
import type { ConsistencyChecker } from '../cluster/consistency-check.js';
import type { ConsistencyStore } from '../metadata/consistency-store.js';
import type { ObjectStore } from '../metadata/object-store.js';
import { consoleRouter, type ConsoleSettings } from './console-routes.js';
import { entriesRouter } from './entries-routes.js';
import { whoamiRouter } from './whoami-route.js';
import { metricsRouter } from './metrics-route.js';
import { restRequestMetrics } from '../metrics/http-metrics.js';

export function createApp(deps: {
  metadata: Metadata;
  registry: NodeRegistry;
  uploads: UploadService;
  uploadSlots: UploadSlots;
  downloads: DownloadService;
  deleter: ChunkDeleter;
  repair: RepairStore;
  rebalancer: Rebalancer;
  healer: { nudge(): void };
  accessKeys: AccessKeys;
  apiTokens: ApiTokens;
  status: () => Promise<unknown>;
  history: History;
  consistency: { checker: ConsistencyChecker; store: ConsistencyStore };
  auth: Omit<RestAuthOptions, 'tokens' | 'keys'>;
  rebalanceOnJoin: boolean;
  nodes: { full: number; quorum: number };
  /** The web console: what /console/config.json tells the page; S3 buckets for its listings. */
  console: { settings: () => ConsoleSettings; objects: ObjectStore };
}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // ETags are the files' SHA-256, set explicitly
  app.use(requestContext());
  app.use(restRequestMetrics()); // before authentication: the requests it refuses count too
  // Before any route and any body parser: strangers are turned away before a byte of a body is read.
  app.use(authenticateRest({ ...deps.auth, tokens: deps.apiTokens, keys: deps.accessKeys }));
  app.use('/admin', requireScope('admin'));
  app.use(filesRouter(deps));
  app.use(
    adminRouter(deps.registry, {
      joined: (address) => {
        if (deps.rebalanceOnJoin) void deps.rebalancer.start(`node ${address} joined`).catch(() => undefined);
      },
      holdings: () => deps.metadata.nodeHoldings(),
    }),
  );
  app.use(
    repairRouter({ repair: deps.repair, metadata: deps.metadata, registry: deps.registry, rebalancer: deps.rebalancer, queued: () => deps.healer.nudge() }),
  );
  app.use(keysRouter(deps.accessKeys));
  app.use(tokensRouter(deps.apiTokens));
  app.use(statusRouter(deps.status));
  app.use(historyRouter(deps.history));
  app.use(consistencyRouter(deps.consistency.checker, deps.consistency.store));
  app.use(healthRouter(deps.metadata, deps.registry, deps.nodes));
  app.use(whoamiRouter());
  app.use(entriesRouter({ pool: deps.metadata.pool, objects: deps.console.objects, registry: deps.registry }));
  app.use(consoleRouter(deps.console.settings));
  app.use(metricsRouter({ metricsAuth: deps.auth.metricsAuth }));
  app.use((req) => {
    throw notFound(`no route for ${req.method} ${quoted(req.path, 200)}`);
  });
  app.use(errorHandler);
  return app;
}
