# cloudbase-mcp: `make demo` runs a real MCP session against the sandbox;
# `make test` runs vet and every test (race detector on, end-to-end included).

GO       ?= go
BIN      := bin/cloudbase-mcp
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

.PHONY: all build demo test vet vet-cross fmt bench bench-hosted emulator clean snapshots docs docs-check conformance fuzz-short dist

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/cloudbase-mcp

demo: build
	./$(BIN) demo

vet:
	$(GO) vet ./...

# Every release target type-checks (tests included), not just this machine's.
# CGO off and -trimpath as in the release builds, so those reuse what vet compiled.
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
vet-cross:
	@for p in $(PLATFORMS); do echo "go vet ./... for $$p"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet -trimpath ./... || exit 1; done

# -p 4: the suites wait on child processes and loopback sockets more than they
# compute, so four packages at once fill a 2-core machine (75 s -> under 60 s).
test: vet docs-check
	$(GO) test -race -count=1 -p 4 ./...

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

# Real MCP clients nobody here wrote: the official TypeScript SDK client, the
# MCP Inspector CLI and Claude Code (from the npm registry into conformance/),
# and the official Go SDK client at both protocol eras (its own module in
# conformance/gosdk, fetched from the Go module proxy); hosted mode (Streamable
# HTTP) with the TypeScript SDK's and the Go SDK's HTTP client transports
# (conformance/gohttp, a module of its own). Needs the registries.
conformance: build
	cd conformance && npm ci --no-audit --no-fund --loglevel=error
	cd conformance && node run.mjs ../$(BIN) && ./inspector.sh ../$(BIN)
	cd conformance/gosdk && $(GO) run . ../../$(BIN)
	cd conformance && ./claude.sh ../$(BIN)
	cd conformance && node http.mjs ../$(BIN)
	cd conformance/gohttp && $(GO) run . ../../$(BIN)

# Release artifacts from a snapshot, nothing published: GoReleaser (pinned in
# tools/goreleaser/go.mod) builds archives and checksums for $(PLATFORMS)
# into dist/; tools/npmdist packs the npm packages into dist/npm/;
# tools/distcheck checks them (static, versions, checksums, the container
# image as a chroot); npm/npx-test.mjs installs the tarballs and runs
# `npx -y @cloudbase-mcp/cloudbase-mcp` as a host would. The version is
# server.json's, marked as a snapshot of the commit. Needs the registries.
DIST_VERSION ?= $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' server.json)
DIST_COMMIT  ?= g$(shell git rev-parse --short HEAD)
DIST_DATE    ?= $(shell git log -1 --format=%cI)
DIST_EPOCH   ?= $(shell git log -1 --format=%ct)
GORELEASER   := $(GO) tool -modfile=tools/goreleaser/go.mod goreleaser

dist: vet-cross
	DIST_VERSION=$(DIST_VERSION) DIST_COMMIT=$(DIST_COMMIT) DIST_DATE=$(DIST_DATE) DIST_EPOCH=$(DIST_EPOCH) \
		$(GORELEASER) release --snapshot --clean
	$(GO) run ./tools/npmdist
	$(GO) run ./tools/distcheck
	node npm/npx-test.mjs dist/npm

# Every fuzz target for FUZZTIME (default 10s) each; the seed corpora also run in make test.
fuzz-short:
	./scripts/fuzz-short

emulator: build
	./$(BIN) emulator --addr 127.0.0.1:8787

clean:
	rm -rf bin dist
