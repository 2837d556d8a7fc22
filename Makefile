.PHONY: help serve test build bench fuzz

help: ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

serve: ## run the broker with embedded defaults
	go run ./cmd/herald serve

test: ## every check and test (same as .ci/run)
	./scripts/test.sh

build: ## build bin/herald
	go build -o bin/herald ./cmd/herald

bench: build ## benchmark a broker started here (durable store in a temp dir)
	./scripts/bench.sh

fuzz: ## fuzz the wire parsers for 60s each
	FUZZTIME=60s ./scripts/test.sh
