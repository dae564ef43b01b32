# The mana-ai listener image: `serve` by default, `migrate` as a one-shot (docker/compose.yaml).
# Build from the repository root:  docker build -f docker/listener.Dockerfile -t mana-ai-runner .
# Checked structurally by test/ts/docker/configs.test.ts (make test); built and run by `make test-docker`
# (test/docker/), which passes NODE_IMAGE=a stand-in made from Debian packages where Docker Hub is out
# of reach. Any image with node >= 20.18.1 and npm on PATH, a user `node` and apt-get works.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, compile src/ to dist/ ------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# --ignore-scripts: `prepare` would build with source maps before src/ is even copied; we build once,
# below, without them. No production dependency has an install script (only esbuild, a dev dep of tsx).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run build -- --sourceMap false

# --- runtime: production dependencies, compiled code, SQL sources ----------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to node and reaps zombies (see the ENTRYPOINT note).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3067
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the TypeScript build, and TypeScript is a dev dependency that is not
# installed here; dist/ comes from the build stage instead.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# migrate reads sql/ next to dist/ (src/db/migrate.ts: SQL_DIR = ../../sql/); /health reads package.json.
COPY sql ./sql
COPY bin ./bin
# Files stay root-owned and read-only to the process; the app writes nothing to disk (logs go to stdout).
USER node
EXPOSE 3067
# No curl in slim images: node's fetch. Exit 0 only for a 2xx from GET /health within 4 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3067)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Signals: the CLI installs its own SIGTERM/SIGINT handlers (src/cli/main.ts) and shuts down within
# MANA_AI_SHUTDOWN_GRACE_MS (default 8 s, below the runtime's 10 s SIGKILL). Node as PID 1 would still
# get SIGTERM once those handlers exist, but the kernel drops signals with default handling for PID 1:
# a SIGTERM during boot (before the handlers) or a SIGHUP/SIGQUIT would be ignored, and nobody would
# reap zombies. tini is PID 1 instead and forwards the signal to node; `docker run --init` is then
# unnecessary.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/mana-ai.js"]
CMD ["serve"]
