# mcpwatch — make targets. `make test` runs every check this project can run on one machine.

GO ?= go
PKGS := ./...
GOFILES := $(shell git ls-files '*.go' 2>/dev/null)

.PHONY: all build test vet fmt-check unit race fuzz-smoke bench demo clean

all: build

build:
	$(GO) build -o bin/mcpwatch ./cmd/mcpwatch
	$(GO) build -o bin/asl-mcp-server ./cmd/asl-mcp-server

## test: formatting, vet, unit and integration tests (fuzz seed corpora included), race detector
## on the concurrent packages, and the end-to-end demo test.
test: fmt-check vet unit race

fmt-check:
	@out="$$(gofmt -l $(GOFILES))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

race:
	$(GO) test -count=1 -race ./internal/ingest/... ./internal/lake/... ./internal/detect/... ./internal/progress/... ./internal/scan/...

## fuzz-smoke: run every fuzz target briefly (not part of `make test`; seeds already run there).
fuzz-smoke:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
	    echo "== $$pkg $$t"; $(GO) test -run XXX -fuzz "^$$t$$" -fuzztime 20s -fuzzminimizetime 3s $$pkg || exit 1; \
	  done; \
	done

## bench: the benchmarks recorded in docs/benchmarks.md.
bench:
	$(GO) test -run XXX -bench . -benchmem $(PKGS)

demo:
	$(GO) run ./cmd/mcpwatch demo

clean:
	rm -rf bin mcpwatch-lake mcpwatch-demo
