// Package app reads the configuration from the environment (the one place that reads it)
// and holds what a function is built from: the SDK configuration, the settings, and the
// adapters its main provides (Env). It imports no adapter: each adapter package provides
// itself, so a function links only the SDK clients it uses.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/password"
	"github.com/realname-kyc/realname/pkg/payout"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Services are the adapters a function was given and the settings its services take.
// A nil adapter is one the function does not use.
type Services struct {
	Store kyc.Store
	Docs  kyc.Documents
	// Presigner signs document URLs: Docs itself where Docs is given, else a signer
	// without the S3 client.
	Presigner kyc.Presigner
	Queue     kyc.Queue
	SMS       kyc.SMSSender
	// DrawSeal draws a company's seal (pkg/seal, whose font only the seal function links).
	DrawSeal func(companyName string) ([]byte, error)
	// WebhookQueue is the webhook queue (events to fan out, deliveries to attempt);
	// Secrets seals endpoint secrets. WebhookOptions relax the SSRF guard (the local
	// runner only: loopback over http).
	WebhookQueue   DelayedQueue
	Secrets        webhook.SecretBox
	WebhookOptions webhook.Options
	// Identity checks identity factors (issue 14): the sandbox or a vendor's API.
	Identity kyc.IdentityProvider
	// CA is the platform certificate authority (issue 15): pkg/caprovide on AWS (KMS),
	// the local runner's key files locally.
	CA *ca.Lazy
	// Payouts pays bank verification amounts (issue 15): pkg/payout's sandbox or HTTP
	// adapter (pkg/payoutprovide); only the start function has it.
	Payouts payout.Provider
	// BankSecret is the bank verification amount secret (Config.BankSecret); nil when
	// not configured.
	BankSecret []byte
	// VerifyPolicy is PolicyDocuments or PolicyFactors (VERIFY_POLICY).
	VerifyPolicy string
	// RequireBankVerification is REQUIRE_BANK_VERIFICATION.
	RequireBankVerification bool
	Clock                   kyc.Clock
	IDs                     kyc.IDs
	Log                     *slog.Logger

	// Version is the build's version, reported by /v1/health.
	Version string
	// Backends names the implementation of each port ("dynamodb", "embedded", ...).
	Backends Backends
	// TokenTTL is how long a session token lives.
	TokenTTL time.Duration
	// MaxAttempts is how many submissions an account may make.
	MaxAttempts int
	// UploadGrantsPerHour is how many upload grants one user gets per clock hour.
	UploadGrantsPerHour int
	// ReconcileAfter is how long an account may stay SUBMITTED before the reconciler
	// queues it again.
	ReconcileAfter time.Duration
	// PasswordParams are the argon2id parameters of new hashes; zero means OWASP's.
	// Tests and benchmarks set cheaper ones.
	PasswordParams password.Params
}

// DelayedQueue sends a message delivered after a delay of up to 15 minutes (the webhook
// queue; sqsqueue.Queue is one).
type DelayedQueue interface {
	SendDelayed(ctx context.Context, body string, delay time.Duration) error
}

// Backends names the kind of each backend, for /v1/health and the runner's banner.
type Backends struct {
	Store     string `json:"store"`
	Documents string `json:"documents"`
	Queue     string `json:"queue"`
	SMS       string `json:"sms"`
	Seal      string `json:"seal,omitempty"`
	Identity  string `json:"identity,omitempty"`
	// Payout is the payout provider's name ("sandbox", or the payment provider's host),
	// also the provider of the factors bank verifications record.
	Payout string `json:"payout,omitempty"`
}
