# syntax=docker/dockerfile:1
# zapflow service image: build with dev dependencies, run with production ones only, as a non-root user.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 ships prebuilt binaries; the toolchain is there for platforms it has none for.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY examples ./examples
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
# --v8-pool-size=1: one V8 background thread instead of four. On the two cores the service is sized for, the
# four competed with the request thread while turns ran: webhook acks' p99 1.93× a bare receiver's with them,
# 1.36× with one, for the same CPU a turn (bench/README.md). `zapflow serve` would start itself again with it
# on two cores anyway; set here, it needs no second start. On a larger machine, override NODE_OPTIONS.
ENV NODE_ENV=production PORT=3000 ZAPFLOW_DATA_DIR=/var/lib/zapflow NODE_OPTIONS=--v8-pool-size=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY data/datasets ./data/datasets
RUN mkdir -p /var/lib/zapflow && chown node:node /var/lib/zapflow
# Train the embedded model once, at build time: it is cached under node_modules/.cache, so start-up loads it
# in milliseconds instead of retraining in every container (the node user cannot write there).
RUN node dist/src/cli/main.js eval --input data/datasets/typification-dev.jsonl --json > /dev/null
USER node
EXPOSE 3000
VOLUME ["/var/lib/zapflow"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM from `docker stop` triggers the graceful shutdown (stop intake, finish or hand back runs, close storage).
CMD ["node", "dist/src/cli/main.js", "serve"]
