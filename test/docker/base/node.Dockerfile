# Local stand-in for node:20-bookworm-slim, made from Debian packages only (test/docker/run.sh builds
# it where Docker Hub cannot be reached). Debian 13's nodejs is 20.19 (bookworm's 18 is below the
# package's engines); Debian's npm package does not configure in a minbase root, so npm comes from
# npm's registry as its package tarball (fetched by `npm pack` on the host, passed in the context).
# Same contract as the official image: node and npm on PATH, user `node` (uid 1000), apt usable.
ARG DEBIAN_IMAGE=mana-ai-debian:trixie
FROM ${DEBIAN_IMAGE}
# extra-ca/: the CA certificates the host added to its trust store (/usr/local/share/ca-certificates,
# often none), so that npm reaches the registry through the same TLS-inspecting egress as the host.
# The official image has no such step; a build there needs none where the registry is reached directly.
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && update-ca-certificates >/dev/null
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY npm.tgz /tmp/npm.tgz
RUN mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm /tmp/npm.tgz \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
