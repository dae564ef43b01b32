# Local stand-in for postgres:15-bookworm, made from Debian 12's own postgresql-15 (test/docker/run.sh
# builds it where Docker Hub cannot be reached). It keeps the part of the official image's contract
# that docker/postgres.Dockerfile and docker/compose.yaml use: PG_MAJOR, the server binaries on PATH,
# PGDATA=/var/lib/postgresql/data, first-start initialisation from POSTGRES_USER/POSTGRES_PASSWORD/
# POSTGRES_DB (postgres-entrypoint.sh), the server running as `postgres`, fast shutdown on stop.
ARG DEBIAN_IMAGE=mana-ai-debian:bookworm
FROM ${DEBIAN_IMAGE}
ENV PG_MAJOR=15
# No packaged cluster: the entrypoint makes one in PGDATA on first start.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
