# Local stand-in for prom/prometheus, made from Debian 12's prometheus package (test/docker/run.sh
# builds it where Docker Hub cannot be reached). Same contract as the official image as far as
# docker/compose.yaml uses it: the binary as ENTRYPOINT (compose passes the flags), non-root, a
# writable /prometheus for the TSDB.
ARG DEBIAN_IMAGE=mana-ai-debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
