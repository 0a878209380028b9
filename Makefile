# sanshen — `make help` lists the targets.
.DEFAULT_GOAL := help
GO ?= go

help: ## list the targets
	@grep -E '^[a-z/]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run everything in one process (sanshen all)
	$(GO) run ./cmd/sanshen all

build: ## build ./sanshen
	$(GO) build -o sanshen ./cmd/sanshen

test: ## run the tests (needs PostgreSQL; see README)
	$(GO) test -count=1 ./...

test/race: ## run the tests with the race detector, as CI does
	$(GO) test -race -count=1 ./...

verify: lint test/race ## everything CI checks

lint: ## gofmt, go mod tidy -diff and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	@$(GO) mod tidy -diff || (echo "go.mod or go.sum is not tidy: run go mod tidy and commit what it changes"; exit 1)
	$(GO) vet ./...

browser: ## the browser tests' full matrix: every page for every role at 390 and 1280 px (CI checks each page once, at 390)
	SANSHEN_BROWSER_MATRIX=full $(GO) test -count=1 -timeout 30m -run 'Browser|Phone|Session' ./services/api/web

bench: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

chaos: ## the fault suite, in full: 2,000 drafts, 72 faults, about 20 minutes (docs/reliability.md)
	$(GO) run ./cmd/chaos

chaos/short: ## the fault suite's short form, as CI runs it (about 3 minutes)
	$(GO) run ./cmd/chaos -short

screenshots: ## regenerate the README's screenshots in docs/screenshots (browser tests, about 3 minutes)
	bash scripts/screenshots.sh

ci: ## run CI as it runs on a fresh clone
	bash .ci/run

.PHONY: help run build test test/race verify lint bench browser chaos chaos/short screenshots ci
