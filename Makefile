# mana-ai runner. `make` lists the targets. Tests and benchmarks run in throwaway clusters.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.PHONY: help setup deps build typecheck run test test-sql test-ts clean

WITH_CLUSTER := test/support/with-cluster.sh
TS_TESTS = $(shell find test/ts -name '*.test.ts' | sort)

help: ## list targets (the default)
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install apt packages (PostgreSQL 15, pg_cron, pgTAP, pg_prove) if missing
	@test/support/install-deps.sh

setup: deps ## install everything: apt packages and npm ci (which also builds dist/)
	npm ci

build: ## compile src/ to dist/
	npm run build

typecheck: ## tsc --noEmit over src, test and bench
	npx tsc -p tsconfig.json

run: ## the whole product here: deps, dev cluster in .dev/pg, migrate, demo data, fake LLM, listener (Ctrl-C stops all; RESET=1 starts over)
	@test/support/install-deps.sh
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci; fi
	@[ -f dist/cli/main.js ] || npm run build
	@node --import tsx src/dev/run.ts $(if $(RESET),--reset)

test: ## everything CI runs: typecheck, bench-smoke, schema-check, pgTAP, node:test, in fresh throwaway clusters
	$(MAKE) typecheck
	$(MAKE) --no-print-directory bench-smoke
	$(WITH_CLUSTER) $(MAKE) --no-print-directory schema-check-run test-sql test-ts

test-sql: ## pgTAP files under test/sql via pg_prove (needs a cluster: use `make test`)
	test/support/prepare-test-db.sh
	pg_prove --recurse --ext .sql test/sql

test-ts: ## node:test files under test/ts (needs a cluster: use `make test`)
	test/support/prepare-test-db.sh --template-only
	node --import tsx --import ./test/support/leak-guard.ts --test --test-concurrency=2 $(TS_TESTS)

.PHONY: bench bench-smoke
bench: ## benchmarks B1-B7 side by side in a throwaway cluster (< 15 min); writes bench/results/latest.md and <date>-<n>cpu.md
	$(WITH_CLUSTER) node --import tsx bench/run.ts --scale=full

bench-smoke: ## the benchmarks at tiny sizes (< 60 s, targets not judged); `make test` runs it so they cannot rot
	$(WITH_CLUSTER) node --import tsx bench/run.ts --scale=smoke

.PHONY: test-chaos test-chaos-run
# test/chaos (make test-chaos only) and test/ts/chaos (the fast subset, also run by make test).
CHAOS_TESTS = $(shell find test/chaos test/ts/chaos -name '*.test.ts' | sort)

test-chaos: ## reliability suite (kill -9, Postgres restarts, LLM faults, fuzz, crypto abuse, RLS, HTTP, 3 listeners) in a throwaway cluster, ~3.5 min; ends with a summary table
	npm run --silent build
	$(WITH_CLUSTER) $(MAKE) --no-print-directory test-chaos-run

# One file at a time (kills and restarts are timing-sensitive on 2 cores; node:test orders them by
# path); each appends its summary line to the file named by CHAOS_RESULTS, and
# test/ts/chaos/99-summary.test.ts, the last path, prints the table.
test-chaos-run:
	test/support/prepare-test-db.sh --template-only
	@results=$$(mktemp); CHAOS_RESULTS=$$results node --import tsx --import ./test/support/leak-guard.ts --test --test-concurrency=1 $(CHAOS_TESTS); rc=$$?; rm -f $$results; exit $$rc

clean: ## remove build output
	rm -rf dist

.PHONY: test-docker test-pg17
test-docker: ## images built from docker/ and run for real: docker run, compose, Prometheus (root; starts dockerd if needed; not in `make test`)
	test/docker/run.sh

test-pg17: ## pgTAP and node:test suites on PostgreSQL 17 in a cached Debian 13 chroot (root; not in `make test`)
	test/pg/run.sh 17

.PHONY: schema-dump schema-check schema-check-run
schema-dump: ## regenerate test/schema/schema.sql, every schema object of a freshly migrated database (commit it)
	$(WITH_CLUSTER) test/support/schema-dump.sh write

schema-check: ## fail when test/schema/schema.sql differs from a freshly migrated database (fix: make schema-dump)
	$(WITH_CLUSTER) test/support/schema-dump.sh check

# The check inside a cluster that is already running (make test's).
schema-check-run:
	test/support/schema-dump.sh check

.PHONY: test-ha
HA_TESTS = $(shell find test/ha -name '*.test.ts' | sort)

test-ha: ## failover under Patroni (etcd + 2 PostgreSQL nodes in a temp dir, 2 listeners; kill -9 and switchover, async and synchronous mode), ~3 min; ends with a table
	@test/support/install-ha-deps.sh
	npm run --silent build
	node --import tsx --import ./test/support/leak-guard.ts --test --test-concurrency=1 $(HA_TESTS)

.PHONY: test-pgbouncer test-pgbouncer-run
# The end-to-end listener suites (real app, fake LLM) plus the LISTEN/target tests, with the query pool
# through pgbouncer in transaction pooling mode and LISTEN on a direct connection.
PGBOUNCER_TESTS = $(shell find test/ts/e2e -name '*.test.ts' | sort) test/ts/db/target.test.ts

test-pgbouncer: ## the end-to-end listener suites with the query pool through pgbouncer (transaction pooling; LISTEN direct) in a throwaway cluster
	@test/support/install-ha-deps.sh
	$(WITH_CLUSTER) test/support/with-pgbouncer.sh $(MAKE) --no-print-directory test-pgbouncer-run

test-pgbouncer-run:
	test/support/prepare-test-db.sh --template-only
	node --import tsx --import ./test/support/leak-guard.ts --test --test-concurrency=2 $(PGBOUNCER_TESTS)
