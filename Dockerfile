# syntax=docker/dockerfile:1

# retryctl container image: `docker build -t retryctl .`
# (without Docker: scripts/image/build.sh, with buildah)
# The runtime stage holds exactly what the npm package ships (package.json
# "files"), installed with the locked production dependencies only.
# test/integration/image/image.test.ts builds it with buildah and runs it with podman;
# test/unit/ship/dockerfile.test.ts checks the invariants below.

# Build: compile TypeScript, then pack the package as `npm publish` would.
FROM node:24-trixie-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm pack --pack-destination /tmp \
 && mkdir /package \
 && tar -xzf /tmp/retryctl-*.tgz -C /package --strip-components=1

# Runtime: Node.js LTS (major pinned), production dependencies, no compiler, no sources.
FROM node:24-trixie-slim
LABEL org.opencontainers.image.title="retryctl" \
      org.opencontainers.image.description="GitOps reconciler for AWS Lambda retry behaviour" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY package-lock.json ./
COPY --from=build /package/package.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /package/ ./
# The `node` user of the base image, by number: Kubernetes' runAsNonRoot can
# only verify a numeric user. The files above stay root-owned, so read-only.
USER 1000:1000
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself, with no shell in between.
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
# /config is where a git-sync link (or a plain checkout) is mounted.
CMD ["run", "--dir", "/config"]
