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
	FreezeUserFunction:freeze-user \
	ReconcilerFunction:reconciler \
	SendSMSCodeFunction:sms-code \
	RegisterFunction:register \
	LoginFunction:login \
	LogoutFunction:logout \
	ResetPasswordFunction:password-reset \
	MeFunction:me \
	SetUserRoleFunction:admin-set-role \
	CreateUploadFunction:uploads \
	SetPortraitFunction:portrait \
	GetAccountFunction:account \
	DownloadConfirmationFileFunction:download-confirmation-file \
	UploadCompanyLicenseFunction:upload-company-license \
	UploadPersonalLicenceFunction:upload-personal-licence \
	DownAuthLicenceFunction:down-auth-licence \
	DownAuthConfirmationFunction:down-auth-confirmation \
	DownloadAuthFrontOfIDFunction:download-auth-front-of-id \
	DownloadAuthBackOfIDFunction:download-auth-back-of-id \
	GetUnAuthoredCompanyAccountFunction:get-unauthored-company-account \
	GetUnAuthoredPersonalAccountFunction:get-unauthored-personal-account \
	GetAccountDetailFunction:account-detail \
	AuthorizeAccountFunction:authorize-account \
	RejectAccountFunction:reject-account \
	EnterpriseChangeFunction:enterprise-change \
	ApplyOrganizationFunction:organization-apply \
	GetOrganizationFunction:organization \
	ReapplyOrganizationFunction:organization-reapply \
	GetOrganizationSealFunction:organization-seal \
	SealFunction:seal \
	CreateWebhookFunction:webhooks-create \
	ListWebhooksFunction:webhooks-list \
	DeleteWebhookFunction:webhooks-delete \
	RotateWebhookFunction:webhooks-rotate \
	ListWebhookDeliveriesFunction:webhooks-deliveries \
	ReplayWebhookDeliveryFunction:webhooks-replay \
	WebhookWorkerFunction:webhook-worker \
	CreateAppFunction:admin-apps-create \
	RevokeAppFunction:admin-apps-revoke \
	IssueTokenFunction:oauth-token \
	CreatePersonFunction:accounts-person \
	CreateOrganizationAccountFunction:accounts-organization \
	GetIntegratorAccountFunction:accounts-get \
	VerifyIdentityFunction:verification \
	GetVerificationFunction:verification-get \
	SubmitQualificationFunction:qualification-submit \
	GetQualificationFunction:qualification \
	ListPendingQualificationsFunction:qualifications-pending \
	ApproveQualificationFunction:qualification-approve \
	RejectQualificationFunction:qualification-reject \
	StartHostedVerificationFunction:identify-start \
	GetHostedVerificationFunction:identify-get \
	HostedVerificationPageFunction:verify-page \
	HostedVerificationCodeFunction:verify-code \
	HostedVerificationConfirmFunction:verify-confirm \
	ApplyCertificateFunction:certs-apply \
	GetCertificateFunction:certs-get \
	RevokeCertificateFunction:certs-revoke \
	GetCACertificateFunction:ca-cert \
	GetCRLFunction:ca-crl \
	StartBankVerificationFunction:bank-verification-start \
	ConfirmBankVerificationFunction:bank-verification-confirm

LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags="-s -w"
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/manual

.PHONY: seal-font all build run run-emulated test test-go test-browser lint fmt vet staticcheck tools tools-emulated bench clean help deploy
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

SEAL_FONT_SOURCE := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf

# The seal font is committed (the Lambda build has no network); this rebuilds it from the
# Debian package, byte for byte the same while the package and tools/sealfont do not change.
seal-font: ## rebuild pkg/seal/font/droid-sans-fallback.sfg from Debian's fonts-droid-fallback
	test -f $(SEAL_FONT_SOURCE) || apt-get install -y --no-install-recommends fonts-droid-fallback
	$(GO) run ./tools/sealfont -font $(SEAL_FONT_SOURCE) -out pkg/seal/font/droid-sans-fallback.sfg

## ---- run ----
run: tools ## run the product locally: pkg/dynamo on dynoxide, embedded VersityGW, in-process queue (data in .local/)
	$(GO) run ./cmd/realname-local -version $(VERSION)

run-emulated: tools-emulated ## run locally on DynamoDB Local, fauxqs and a VersityGW process
	PATH=$(GOBIN_DIR):$$PATH $(GO) run ./cmd/realname-local -emulated -version $(VERSION)

## ---- test ----
test: tools-emulated lint test-go test-browser fuzz-smoke ## every test: lint, unit, contract suites on the emulators, consistency, binaries, browser, fuzz smoke

# The hosted verification page in a real browser (pkg/localrun's
# TestHostedVerificationInBrowser): Debian's chromium, installed with apt-get when missing
# (CI runs as root), driven by playwright-core from .cache/npm (tools/package.json).
# Screenshots go to .local/browsertest/.
test-browser: tools
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } || \
		{ echo "chromium is missing and this is not root: apt-get install chromium"; exit 1; }
	REALNAME_BROWSER_TEST=1 PLAYWRIGHT_NODE_PATH=$(NPM_DIR)/node_modules $(GO) test -count=1 -timeout 5m -run TestHostedVerificationInBrowser ./pkg/localrun

# Packages with concurrency (queues, runner, worker, stores) run under the race detector;
# the rest without it, since -race makes every test several times slower.
RACE_PKGS := ./pkg/localqueue ./pkg/sqsqueue ./pkg/queuetest ./pkg/localrun ./pkg/review ./pkg/dynamo ./pkg/storetest ./pkg/testenv ./pkg/emulators

# The enterprise routes' HTTP tests (issues 12 and 15: company form, reapply, enterprise
# change, integrator companies, bank verification) run once more on AWS's DynamoDB Local
# (testenv.EngineVar), not only on dynoxide.
ENTERPRISE_TESTS := Organization|Reapply|EnterpriseChange|IntegratorCompany|RequireBank|Bank|SubmitCompany

test-go:
	$(GO) test -count=1 -timeout 15m -race $(RACE_PKGS)
	$(GO) test -count=1 -timeout 15m $$($(GO) list ./... | grep -v -x -F $(foreach p,$(RACE_PKGS),-e github.com/realname-kyc/realname/$(patsubst ./%,%,$(p))))
	REALNAME_TEST_ENGINE=dynamodb-local $(GO) test -count=1 -timeout 10m -run '$(ENTERPRISE_TESTS)' ./pkg/httpapi

# Fuzzing: scripts/fuzz.sh finds every FuzzXxx (go test -list) and runs each in turn,
# printing its executions; a crash fails it. Go writes a crashing input to the package's
# testdata/fuzz/<FuzzXxx>/: commit it with the fix, so every later `go test` replays it.
# The fuzzers' cache of interesting inputs stays in .cache/fuzz.
FUZZTIME ?= 60s
.PHONY: fuzz fuzz-smoke

fuzz-smoke: tools-emulated ## every fuzz target for 3 s (part of make test)
	GO=$(GO) bash scripts/fuzz.sh 3s

fuzz: tools-emulated ## every fuzz target for FUZZTIME (default 60s) each
	GO=$(GO) bash scripts/fuzz.sh $(FUZZTIME)

lint: fmt vet staticcheck ## gofmt, go vet, staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

bench: tools ## performance report: worker throughput, reviewer list cost (cmd/bench), login latency, hashing
	@$(GO) run ./cmd/bench $(BENCH_FLAGS)
	@echo "## Login through the local runner (concurrency 8) and argon2id hashing"
	@$(GO) test -run '^$$' -bench 'LoginThroughRunner|Hash' -benchtime 200x ./pkg/localrun ./pkg/password

## ---- build (SAM calls build-<LogicalId> with ARTIFACTS_DIR) ----
build: $(addprefix build-,$(foreach f,$(FUNCTIONS),$(firstword $(subst :, ,$(f))))) ## build every function for Lambda (arm64)

define build_function
build-$(1):
	@mkdir -p $$(ARTIFACTS_DIR)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $$(GO) build $$(LAMBDA_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
.PHONY: build-$(1)
endef
$(foreach f,$(FUNCTIONS),$(eval $(call build_function,$(firstword $(subst :, ,$(f))),$(lastword $(subst :, ,$(f))))))

## ---- deploy ----
# `make deploy` builds and deploys samconfig.toml's [default] environment, `make deploy
# CONFIG_ENV=prod` its [prod] one. Once the stack is up it copies the platform's sample
# confirmation file, which GET /v1/cms/account/downloadConfirmationFile redirects to, to
# DEPLOY_CONFIRMATION_KEY (submission.ConfirmationKey) in the stack's documents bucket (its
# BucketName output). The copy overwrites the object with the same bytes, so deploying
# again is harmless. Needs the SAM CLI, the AWS CLI, and credentials that may deploy the
# stack, read its outputs, write the bucket and use its KMS key (kms:GenerateDataKey).
CONFIG_ENV ?= default
DEPLOY_CONFIRMATION_FILE := pkg/submission/assets/confirmation-sample.pdf
DEPLOY_CONFIRMATION_KEY := platform/confirmation-sample.pdf
# A setting of samconfig.toml for CONFIG_ENV: [<env>.deploy.parameters] wins over
# [<env>.global.parameters], as for sam deploy. Evaluated only when deploy runs.
samconfig_get = $(shell awk -v env='$(CONFIG_ENV)' -v key='$(1)' ' \
	/^[ \t]*\[/ { s = $$0; sub(/^[ \t]*\[/, "", s); sub(/\].*/, "", s); next } \
	{ k = $$0; sub(/=.*/, "", k); gsub(/[ \t]/, "", k) } \
	k == key && (s == env ".deploy.parameters" || s == env ".global.parameters") { \
		v = $$0; sub(/^[^=]*=[ \t]*"?/, "", v); sub(/"?[ \t]*$$/, "", v); val[s] = v } \
	END { v = val[env ".deploy.parameters"]; if (v == "") v = val[env ".global.parameters"]; print v }' samconfig.toml)
DEPLOY_STACK = $(call samconfig_get,stack_name)
DEPLOY_REGION = $(call samconfig_get,region)

deploy: ## sam build && sam deploy (CONFIG_ENV=prod for prod), then upload the sample confirmation file
	@if [ -z "$(DEPLOY_STACK)" ] || [ -z "$(DEPLOY_REGION)" ]; then \
		echo "samconfig.toml: no stack_name or region for the [$(CONFIG_ENV)] environment" >&2; exit 1; fi
	sam build --config-env $(CONFIG_ENV)
	sam deploy --config-env $(CONFIG_ENV)
	@bucket=$$(aws cloudformation describe-stacks --stack-name '$(DEPLOY_STACK)' --region '$(DEPLOY_REGION)' \
		--query "Stacks[0].Outputs[?OutputKey=='BucketName'].OutputValue" --output text) || exit 1; \
	if [ -z "$$bucket" ] || [ "$$bucket" = None ]; then \
		echo "stack $(DEPLOY_STACK) ($(DEPLOY_REGION)) has no BucketName output: was the change set executed?" >&2; exit 1; fi; \
	echo "aws s3 cp $(DEPLOY_CONFIRMATION_FILE) s3://$$bucket/$(DEPLOY_CONFIRMATION_KEY)"; \
	aws s3 cp '$(DEPLOY_CONFIRMATION_FILE)' "s3://$$bucket/$(DEPLOY_CONFIRMATION_KEY)" \
		--region '$(DEPLOY_REGION)' --content-type application/pdf --only-show-errors

clean: ## remove build output and local data (keeps the tool cache)
	rm -rf .aws-sam bin .local
