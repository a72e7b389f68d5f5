# syntax=docker/dockerfile:1
# Tessera's production image: compiled JavaScript and production dependencies only, run as an
# unprivileged user by node itself (PID 1 receives SIGTERM and drains; see docs/operations.md).
# scripts/build-release.ts performs the same steps without Docker and is tested (test/release).
# Pin the base by digest too (node:<version>-trixie-slim@sha256:…) in your registry mirror.

ARG NODE_VERSION=24.21.0

# ---- build: all dependencies, TypeScript → dist/ -------------------------------------------
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /build
# Manifests first: the npm ci layer is reused until the lock file changes. The preinstall hook
# runs scripts/node24.sh, which finds node 24 here and does nothing else.
COPY package.json package-lock.json ./
COPY scripts/node24.sh scripts/build.ts scripts/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.events.json ./
COPY src src
COPY adapters adapters
COPY keys keys
# The `tessera` CLI's launcher (plain JavaScript); it runs the compiled CLI in dist/.
COPY bin/tessera.js bin/cli-entry.js bin/
RUN npm run build

# ---- deps: production dependencies only ---------------------------------------------------
FROM node:${NODE_VERSION}-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no registry code runs at build time (no dependency needs a native build).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-trixie-slim AS runtime
# The package managers are not needed to run Tessera: fewer files, fewer CVEs to triage.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /app/data && chown 1000:1000 /app/data \
 && ln -s /app/bin/tessera.js /usr/local/bin/tessera
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    TESSERA_DATA_DIR=/app/data
COPY --from=deps --chown=0:0 /app/package.json ./package.json
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /build/dist ./dist
# `tessera` on PATH (linked above): `docker exec <container> tessera init` runs the CLI with the
# container's environment, so it sees the server's store and secrets.
COPY --from=build --chown=0:0 /build/bin ./bin
# uid:gid of the image's `node` user, numeric so Kubernetes' runAsNonRoot can verify it.
# The code is owned by root and read-only to this user; only /app/data is writable.
USER 1000:1000
EXPOSE 3000
# The embedded SQLite store lives here; production deployments use MONGODB_URI instead.
VOLUME ["/app/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js"]
# Exec form, node itself as PID 1 (the base image's entrypoint execs it): SIGTERM reaches
# Tessera's handler, which drains in-flight requests and exits 0.
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
