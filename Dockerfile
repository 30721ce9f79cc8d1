# The grader image: `docker build -t sockgrade .`, then
#   docker run --rm -v "$PWD:/work" sockgrade batch submissions --out class
# See docs/batch.md. Student programs run inside this container, as the unprivileged "node"
# user; what they need to run must be in the image (Python 3 and Node.js 20 here: extend
# the last stage with a compiler or runtime for other languages).

# --- build: compile the TypeScript engine and the assignments' tests to dist/ -------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the package's "prepare" would build before the sources are copied.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY grader grader
COPY assignments assignments
RUN npm run build

# --- the image -----------------------------------------------------------------------------
FROM node:20-bookworm-slim
# python3: Python submissions. bubblewrap (or unshare, which needs iproute2's ip to bring the
# loopback up): a network namespace per submission, used when the container may create one;
# otherwise sockgrade says so and uses free ports. dnsutils: dig, the real DNS client, to
# check the dns-client setup by hand. tini: a PID 1 that reaps the orphans a student's
# program leaves, so the leftover-process check sees no zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 bubblewrap iproute2 dnsutils tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/sockgrade
COPY package.json package-lock.json ./
# Runtime dependencies only (typescript and @types/node are among them: a TypeScript
# submission without node_modules builds with bin/tools/tsc, the grader's tsc and types).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist dist
COPY bin bin
COPY assignments assignments
COPY templates templates
COPY starter starter
RUN ln -s /opt/sockgrade/bin/sockgrade.js /usr/local/bin/sockgrade \
 && mkdir -p /work && chown node:node /work
USER node
WORKDIR /work
ENTRYPOINT ["tini", "--", "sockgrade"]
CMD ["--help"]
