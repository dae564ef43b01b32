# PostgreSQL 15 with pg_cron for the compose stack (docker/compose.yaml). pg_cron runs
# mana_ai.tick() every minute and the daily retention jobs that `mana-ai migrate` schedules.
# Build context: docker/ (nothing is copied in). POSTGRES_IMAGE: the official image by default; `make
# test-docker` passes a stand-in made from Debian 12's postgresql-15 (test/docker/base/postgres.Dockerfile).
ARG POSTGRES_IMAGE=postgres:15-bookworm
FROM ${POSTGRES_IMAGE}
# The official image carries the PGDG apt repository, which ships postgresql-15-cron; Debian 12's own
# archive has the package too (pg_cron 1.4.2), which the stand-in uses.
RUN apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}-cron" \
 && rm -rf /var/lib/apt/lists/*
# Settings as server flags rather than an edit of postgresql.conf.sample: flags apply to an existing
# data volume too, not only to the first initdb. cron.* need a restart to change (docs/platform.md §1).
#   shared_preload_libraries=pg_cron   pg_cron's launcher starts with the server
#   cron.database_name=mana_sync       the database migrate creates the extension in (POSTGRES_DB)
#   cron.use_background_workers=on     jobs run in background workers: no libpq login, no cron.host,
#                                      and the NOTIFY sent from tick() reaches the listeners
#   max_worker_processes=16            background workers count against it (default 8): the launcher,
#                                      each running job, parallel query and logical replication workers
CMD ["postgres", \
     "-c", "shared_preload_libraries=pg_cron", \
     "-c", "cron.database_name=mana_sync", \
     "-c", "cron.use_background_workers=on", \
     "-c", "max_worker_processes=16"]
