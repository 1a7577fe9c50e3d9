# runway: the production image for Cloud Run.
#
# Plain Dockerfile syntax on purpose (no BuildKit-only features such as
# RUN --mount, heredocs or COPY --link): it builds with `docker build`, with
# buildah/podman and with Cloud Build's default builder alike.
#
#   docker build --build-arg GIT_SHA=$(git rev-parse HEAD) -t runway .
#   docker run --rm -e DATABASE_URL=postgres://... -e API_KEY_PEPPER=... -p 8080:8080 runway
#
# The image runs in production unless told otherwise (ENVIRONMENT=production):
# it needs DATABASE_URL and a method of authentication, and it never uses the
# public development pepper or makes a development key (NODE_ENV=production).
#
# It runs on distroless nodejs24 as the non-root user 65532;
# docs/container-image.md has the measurements behind that choice.

ARG NODE_IMAGE=node:24-slim
ARG DISTROLESS_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# ---- build: install every dependency, bundle the server into dist/ ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false
# Manifests first, so the dependency layer is reused when only sources change.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && test -f dist/server.js \
 && test -f dist/migrate.js

# ---- runtime: distroless nodejs24, non-root ----------------------------------
FROM ${DISTROLESS_IMAGE} AS runtime
ARG GIT_SHA=unknown
ARG APP_VERSION=0.0.0
LABEL org.opencontainers.image.title="runway" \
      org.opencontainers.image.description="runway HTTP API for Cloud Run" \
      org.opencontainers.image.revision="${GIT_SHA}" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
# V8's young generation capped at 16 MB semi-spaces: under load V8 otherwise
# grows it to 128 MB: ~75 MB more RSS, with no gain in throughput
# (docs/performance.md).
ENV NODE_ENV=production \
    ENVIRONMENT=production \
    PORT=8080 \
    NODE_OPTIONS=--max-semi-space-size=16
# The bundle needs no node_modules: only the code, the SQL migrations (read by
# dist/migrate.js from ../drizzle) and package.json ("type": "module").
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
# V8's code cache made by this image's own node (the build stage's node may
# differ in patch version, and a mismatched cache is ignored). Exec form: there
# is no shell in distroless. Runs as root here, so the cache is written before
# the switch to the read-only, unprivileged runtime user.
USER 0
RUN ["/nodejs/bin/node", "dist/server.js", "--warm-compile-cache"]
# The :nonroot base already runs as 65532; saying so keeps it explicit for
# scanners and for anyone who swaps the base tag.
USER 65532:65532
EXPOSE 8080
# For local `docker run` only: Cloud Run ignores HEALTHCHECK and uses the
# startup and liveness probes from deploy/cloudrun/service.yaml. Exec form with
# the image's own node, as there is no shell.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The base's ENTRYPOINT is ["/nodejs/bin/node"]: node is PID 1 and gets
# SIGTERM directly. A migration job runs the same image with args dist/migrate.js.
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["dist/server.js"]
