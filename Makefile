# store-platform: the top-level entry points. See README.md.
#   make deps         Debian packages the build and tests need
#   make tools        helm, kubectl, etcd, kube-* and kwok built from Go modules (cached)
#   make              the orchestrator binary
#   make test         every test suite, ending with "N passed, N failed"
#   make cluster-up   the local control plane (KWOK), kubeconfig in .cluster/kubeconfig
#   make cluster-down stop it and remove every trace
#   make bench / chaos  benchmarks (docs/benchmarks.md) / fault injection
#   make dev          the platform on this machine: http://127.0.0.1:8080
#   make up / down    the platform on a kind cluster (needs Docker)
SHELL := /bin/bash
ROOT := $(abspath .)
TOOLS_BIN = $(shell $(ROOT)/scripts/tools.sh --dir)

# Test suites, in the order they run: executables printing TAP "ok"/"not ok" lines.
SUITES = $(sort $(wildcard tests/lint/[0-9]*.sh)) \
	$(sort $(wildcard tests/cluster/[0-9]*.sh)) \
	$(sort $(wildcard tests/charts/[0-9]*.sh)) \
	$(sort $(wildcard tests/images/[0-9]*.sh)) \
	$(sort $(wildcard tests/store/[0-9]*.sh)) \
	$(sort $(wildcard tests/medusa/[0-9]*.sh)) \
	$(sort $(wildcard tests/platform/[0-9]*.sh)) \
	$(if $(wildcard orchestrator/Makefile),orchestrator/tests/unit/run.sh) \
	$(if $(wildcard orchestrator/fuzz/run.sh),orchestrator/fuzz/run.sh) \
	$(sort $(wildcard tests/integration/[0-9]*.sh)) \
	$(sort $(wildcard tests/api/[0-9]*.sh)) \
	$(sort $(wildcard tests/chaos/[0-9]*.sh)) \
	$(sort $(wildcard tests/browser/[0-9]*.sh))

.PHONY: all deps tools dashboard orchestrator images test test-only cluster-up cluster-down lint dev up down bench chaos fuzz

all: orchestrator

deps:
	@scripts/deps.sh

tools: deps
	@scripts/tools.sh >/dev/null

# The dashboard's bundle (dashboard/dist), compiled into the orchestrator binary.
dashboard:
	@if command -v npm >/dev/null; then \
		cd dashboard && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build; \
	else echo "dashboard: npm not found, building the orchestrator without the dashboard" >&2; fi

orchestrator: deps dashboard
	@$(MAKE) -s -C orchestrator

# The container images (WooCommerce shop and MariaDB, Medusa and PostgreSQL, orchestrator) from
# images/*/Dockerfile, built here on a
# local Debian base with buildah, each only when its inputs changed; IMAGES_LOAD=SOCKET imports
# them into that containerd. `scripts/images.sh --list` names them.
images: deps tools dashboard
	@scripts/images.sh $(if $(IMAGES_LOAD),--load $(IMAGES_LOAD))

cluster-up: tools
	@scripts/cluster-up.sh

cluster-down:
	@scripts/cluster-down.sh

# Everything CI runs. Brings up what the tests need first (idempotent).
test: deps tools orchestrator cluster-up
	@if [ "$${STORE_REAL_NODE:-1}" != 0 ]; then \
		scripts/images.sh --load "$(ROOT)/.cluster/node/containerd/containerd.sock" || \
			echo "make test: the images did not build or load; the suites that need them will say so" >&2; fi
	@tests/run.sh $(SUITES)

# The suites alone, against whatever is already up.
test-only:
	@tests/run.sh $(SUITES)

# The platform on this machine: control plane, chart RBAC, orchestrator on :8080.
dev: tools orchestrator
	@scripts/dev.sh

# A real cluster with kind (machines with Docker only).
up:
	@scripts/kind-up.sh

down:
	@scripts/kind-down.sh

# Provisioning throughput against a plain-helm loop, API latency, memory: docs/benchmarks.md.
bench: orchestrator cluster-up
	@scripts/bench.sh

# The fault-injection suites, more rounds than make test runs (CHAOS_ROUNDS, default 5).
chaos: orchestrator cluster-up
	@CHAOS_ROUNDS=$${CHAOS_ROUNDS:-5} tests/run.sh $(sort $(wildcard tests/chaos/[0-9]*.sh))

# A longer libFuzzer run of the API's request parsing (FUZZ_SECONDS, default 300).
fuzz: deps
	@$(MAKE) -s -C orchestrator fuzz

lint: deps
	@tests/lint/010-shellcheck.sh | grep -v '^ok' || true
	@if [ -f orchestrator/Makefile ]; then $(MAKE) -s -C orchestrator lint; fi
