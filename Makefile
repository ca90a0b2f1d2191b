# realname: build, run and test. `make run` and `make test` work on a fresh machine: they
# install what they need (npm emulators, Go tools) into the git-ignored .cache/ folder,
# and a second run reuses it.

SHELL := /bin/bash
GO ?= go
CACHE := $(CURDIR)/.cache
NPM_DIR := $(CACHE)/npm
GOBIN_DIR := $(CACHE)/bin
STATICCHECK := $(GOBIN_DIR)/staticcheck
STATICCHECK_VERSION := v0.8.2
VERSITYGW := $(GOBIN_DIR)/versitygw
VERSITYGW_VERSION := v1.8.0
TOOLS_STAMP := $(NPM_DIR)/.installed
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Lambda functions: LogicalId:folder under functions/. A test checks this list against
# template.yaml and the Go function table.
FUNCTIONS := \
	HealthFunction:health \
	ReviewWorkerFunction:review-worker \
	GrantRoleFunction:grant-role \
	SendSMSCodeFunction:sms-code \
	RegisterFunction:register \
	LoginFunction:login \
	LogoutFunction:logout \
	ResetPasswordFunction:password-reset \
	MeFunction:me \
	SetUserRoleFunction:admin-set-role

LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags="-s -w"
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/manual

.PHONY: all build run run-emulated test test-go lint fmt vet staticcheck tools tools-emulated bench clean help deploy
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

## ---- tools (installed into .cache/, reused) ----
tools: $(TOOLS_STAMP) $(STATICCHECK) ## install the npm emulators and Go tools into .cache/

$(TOOLS_STAMP): tools/package.json tools/package-lock.json
	@mkdir -p $(NPM_DIR)
	cp tools/package.json tools/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STATICCHECK):
	GOBIN=$(GOBIN_DIR) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(VERSITYGW):
	GOBIN=$(GOBIN_DIR) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

tools-emulated: tools $(VERSITYGW) ## also the VersityGW binary for make run-emulated

## ---- run ----
run: ## run the product locally on embedded backends (data in .local/)
	$(GO) run ./cmd/realname-local -version $(VERSION)

run-emulated: tools-emulated ## run locally on DynamoDB Local, fauxqs and a VersityGW process
	PATH=$(GOBIN_DIR):$$PATH $(GO) run ./cmd/realname-local -emulated -version $(VERSION)

## ---- test ----
test: tools-emulated lint test-go ## every test: lint, unit, contract suites on the emulators, consistency, binaries

test-go:
	$(GO) test -count=1 -timeout 15m ./...

lint: fmt vet staticcheck ## gofmt, go vet, staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

bench: tools ## performance report (see README, Performance)
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

## ---- build (SAM calls build-<LogicalId> with ARTIFACTS_DIR) ----
build: $(addprefix build-,$(foreach f,$(FUNCTIONS),$(firstword $(subst :, ,$(f))))) ## build every function for Lambda (arm64)

define build_function
build-$(1):
	@mkdir -p $$(ARTIFACTS_DIR)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $$(GO) build $$(LAMBDA_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
.PHONY: build-$(1)
endef
$(foreach f,$(FUNCTIONS),$(eval $(call build_function,$(firstword $(subst :, ,$(f))),$(lastword $(subst :, ,$(f))))))

deploy: ## sam build && sam deploy (needs the SAM CLI and AWS credentials)
	sam build && sam deploy

clean: ## remove build output and local data (keeps the tool cache)
	rm -rf .aws-sam bin .local
