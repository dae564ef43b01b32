# Docker Compose v2 from Debian 13's docker-compose package (Debian 12 has only the Python 1.29),
# run as a container against the host's engine: test/docker/run.sh mounts the socket and the
# repository at its own path, so compose resolves the file's relative paths as on the host.
ARG DEBIAN_IMAGE=mana-ai-debian:trixie
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker-compose \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["docker-compose"]
