# pladmed-swift. `make run` serves on port 5000 with the embedded store; `make test` runs the whole suite.
# Both install what they need (Debian packages, the PyPI test oracles in .venv/) when it is missing.

SWIFT ?= swift
PORT ?= 5000
COMPOSE ?= docker compose

.PHONY: run test build release fmt prerequisites venv bench-warts bench-ingest bench-compare bench-cluster bench-socketio tsan conformance start stop logs debug clean

run: prerequisites
	$(SWIFT) build --product pladmed
	PORT=$(PORT) PLADMED_SWAGGER_UI_DIR=$(CURDIR)/.build/swagger-ui $$($(SWIFT) build --show-bin-path)/pladmed serve

# The live peers, Schemathesis, the cluster (Redis, SecantusDB, three servers, nginx, probes) and the operating tools
# (Prometheus, Chromium, chronyd) and the real probe software (three backends side by side, cron firing once a
# minute: about five minutes) run after the rest, on their own: each is whole servers' worth of load on this
# 2-core machine. The official protocol suites run alone, before the cluster and the operating tools (a Chromium
# winding down is load too), as their timing (300/200 ms heartbeats, one message read per event) wants an idle machine.
test: venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest --skip 'LivePeer|Schemathesis|OperatingTools|ClusterTests|RealProbe'
	$(SWIFT) test --skip-build --disable-xctest --filter 'LivePeerOriginal|Schemathesis'
	$(SWIFT) test --skip-build --disable-xctest --filter 'LivePeerProtocolSuites'
	$(SWIFT) test --skip-build --disable-xctest --filter 'ClusterTests'
	$(SWIFT) test --skip-build --disable-xctest --filter 'OperatingTools'
	$(SWIFT) test --skip-build --disable-xctest --filter 'RealProbe'
	$(MAKE) tsan

build: prerequisites
	$(SWIFT) build

release: prerequisites
	$(SWIFT) build -c release --product pladmed

# Benchmarks print figures; they are not tests.
bench-warts: prerequisites
	$(SWIFT) build -c release --product pladmed-bench
	$$($(SWIFT) build -c release --show-bin-path)/pladmed-bench warts Fixtures/warts

# On MongoDB the figures are SecantusDB's (no mongod here): it rewrites the whole operation document on every
# result, about 11 results/s, so fewer probes there keep each ack within the client's 10 s timeout.
bench-ingest: venv
	$(SWIFT) build -c release --product pladmed-bench
	$$($(SWIFT) build -c release --show-bin-path)/pladmed-bench ingest
	$$($(SWIFT) build -c release --show-bin-path)/pladmed-bench ingest --store mongo --probes 10 --results 4 --samples 50

# The Socket.IO and probe tests under ThreadSanitizer, in their own build folder; any race fails the run.
tsan: venv
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS="suppressions=$(CURDIR)/.tsan-suppressions exitcode=66" \
		$(SWIFT) test --skip-build --disable-xctest --sanitize=thread --scratch-path .build-tsan --filter 'SocketIO|ProbeFlow|ProbeRegistry|ClusterProbeHub'

# The conformance suite against a running backend (development mode: the run wipes it), e.g.
#   make conformance URL=http://localhost:5000 SUPERUSER_CMD='.build/debug/pladmed superuser create {email} {password}'
# PROFILE=original judges by the original's behaviour; ARGS passes more flags (--only, --skip, --junit, --json, --seed).
URL ?= http://localhost:$(PORT)
PROFILE ?= strict
conformance: prerequisites
	$(SWIFT) build --product pladmed-conformance
	$$($(SWIFT) build --show-bin-path)/pladmed-conformance --base-url '$(URL)' --profile $(PROFILE) \
		$(if $(SUPERUSER_CMD),--create-superuser '$(SUPERUSER_CMD)') $(ARGS)

# Ours (release, SQLite) beside the original backend and a bare Hummingbird route, measured by one client in one run:
# GET /probes, /users/me, /operations/me, dispatch latency and ingest; prints the ratios (docs/PERFORMANCE.md).
bench-compare: venv
	$(SWIFT) build -c release --product pladmed
	$(SWIFT) build -c release --product socketio-echo
	$(SWIFT) build -c release --product pladmed-bench
	$$($(SWIFT) build -c release --show-bin-path)/pladmed-bench compare --root $(CURDIR)

# Three instances joined by Redis beside a single one, all on one SecantusDB (release): dispatch within and across
# instances, results/s, and 3 x 5,000 idle probes with each instance's memory (README, "Several instances").
bench-cluster: venv
	$(SWIFT) build -c release --product pladmed
	$(SWIFT) build -c release --product pladmed-bench
	$$($(SWIFT) build -c release --show-bin-path)/pladmed-bench cluster --root $(CURDIR)

bench-socketio: prerequisites
	$(SWIFT) build -c release --product pladmed-bench
	$$($(SWIFT) build -c release --show-bin-path)/pladmed-bench socketio

fmt:
	$(SWIFT) format --in-place --recursive --configuration .swift-format Package.swift Sources Tests

prerequisites:
	@scripts/prerequisites.sh

venv:
	@scripts/prerequisites.sh --venv

# Docker (needs a Docker engine; see docker-compose.yml).
# The certificate nginx serves comes from PLADMED_TLS_DIR (deploy/tls by default): a self-signed pair is made there
# once when it holds none (README, "TLS").
PLADMED_TLS_DIR ?= deploy/tls
PLADMED_FRONTEND_DIR ?= deploy/frontend
start:
	@scripts/tls_certificate.sh $(PLADMED_TLS_DIR)
	@mkdir -p $(PLADMED_FRONTEND_DIR)
	PLADMED_TLS_DIR=$(abspath $(PLADMED_TLS_DIR)) PLADMED_FRONTEND_DIR=$(abspath $(PLADMED_FRONTEND_DIR)) $(COMPOSE) up -d --build

stop:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f server1 server2 server3 nginx

debug:
	LOG_LEVEL=debug $(COMPOSE) up --build server1 server2 server3 nginx

clean:
	rm -rf .build .venv
