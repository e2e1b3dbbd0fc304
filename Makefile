# cloudbase-mcp: `make demo` runs a real MCP session against the sandbox;
# `make test` runs vet and every test (race detector on, end-to-end included).

GO       ?= go
BIN      := bin/cloudbase-mcp
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

.PHONY: all build demo test vet fmt bench bench-hosted emulator clean snapshots docs docs-check conformance fuzz-short

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/cloudbase-mcp

demo: build
	./$(BIN) demo

vet:
	$(GO) vet ./...

test: vet docs-check
	$(GO) test -race -count=1 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# Rewrite the tool schema snapshots after an intended schema change.
snapshots:
	UPDATE_SNAPSHOTS=1 $(GO) test ./plugins/cloudrun/ -run TestToolSchemaSnapshots

# Regenerate the README's configuration table and tools section from the code.
docs:
	UPDATE_DOCS=1 $(GO) test ./internal/docs/ -run TestReadmeMatchesCode

docs-check:
	$(GO) test -count=1 ./internal/docs/

bench: build
	$(GO) run ./bench/compare -bin $(BIN) -go $(GO) $(BENCHFLAGS)
	$(GO) run ./bench/hosted -bin $(BIN)

# Hosted mode alone: 100 clients × 20 calls against two instances (bench/HOSTED.md).
bench-hosted: build
	$(GO) run ./bench/hosted -bin $(BIN)

# Real MCP clients nobody here wrote: the official TypeScript SDK client and
# the MCP Inspector CLI (installed from the npm registry into conformance/);
# hosted mode (Streamable HTTP) with the TypeScript SDK's and the Go SDK's
# HTTP client transports (conformance/gohttp, a module of its own).
conformance: build
	cd conformance && npm ci --no-audit --no-fund --loglevel=error
	cd conformance && node run.mjs ../$(BIN) && ./inspector.sh ../$(BIN)
	cd conformance && node http.mjs ../$(BIN)
	cd conformance/gohttp && $(GO) run . ../../$(BIN)

# Every fuzz target for FUZZTIME (default 10s) each; the seed corpora also run in make test.
fuzz-short:
	./scripts/fuzz-short

emulator: build
	./$(BIN) emulator --addr 127.0.0.1:8787

clean:
	rm -rf bin
