GO ?= go

.PHONY: dev test lint chromium build migrate bench bench-short bench-split faults faults-short fmt fuzz

## dev: the whole system in one process (embedded Temporal + UI, worker, gateway, mail sink)
dev:
	$(GO) run ./internal/cmd/dev

## test: lint, then every test against the real Temporal server, MariaDB, SMTP, HTTP and headless Chromium
test: lint chromium
	$(GO) test -count=1 -timeout 25m ./...

## lint: vet, workflow determinism, formatting, and no Temporal server in the production binaries
lint:
	$(GO) vet ./...
	$(GO) tool workflowcheck ./workflows/...
	@out=$$(gofmt -l activities gateway internal worker workflows); \
		if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	@if $(GO) list -deps ./gateway ./worker | grep -q '^go.temporal.io/server'; then \
		echo "gateway/worker link go.temporal.io/server: keep it in internal/devtemporal"; exit 1; fi

## chromium: Debian's Chromium for the page tests (installed once, from Debian's packages)
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## bench: load a dev stack of its own (a process of its own), 3 alternating rounds of every phase with the
## CPU of Gatehouse + MariaDB per unit of work (about 15 minutes); JSON report in bench/results/
bench:
	$(GO) run ./internal/cmd/bench

## bench-short: the same, one round of 3-second phases (under 2 minutes): a sanity check, not a figure
bench-short:
	$(GO) run ./internal/cmd/bench -short

## bench-split: the same phases against the production shape (Temporal server, worker and gateway as processes of
## their own), each process's CPU and peak RSS reported
bench-split:
	$(GO) run ./internal/cmd/bench -split

## faults: the fault suite (own MariaDB, Temporal, 2 workers, 2 gateways; kills under load); report in faults/results/
faults:
	$(GO) run ./internal/cmd/faults

## faults-short: the fault suite's CI variant (about 90 s of load, every kill once)
faults-short:
	$(GO) run ./internal/cmd/faults -short

## build: production binaries into bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./gateway ./worker ./internal/cmd/migrate

## migrate: apply schema migrations to GATEHOUSE_MYSQL_DSN
migrate:
	$(GO) run ./internal/cmd/migrate

## fuzz: every Fuzz target in the repo for FUZZTIME each (not part of make test). Targets are found
## by grep; seeds and failing inputs are in each package's testdata/fuzz. The first run of a package
## whose tests use internal/testkit builds the Temporal server with fuzz instrumentation (slow once).
FUZZTIME ?= 10s
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' activities gateway internal worker workflows | sort | \
	while read -r f; do dir=./$$(dirname $$f); \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$dir $$fn ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$dir || exit 1; \
		done; \
	done

fmt:
	gofmt -w activities gateway internal worker workflows
