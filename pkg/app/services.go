// Package app reads the configuration from the environment (the one place that reads it)
// and makes the adapters: Env hands a function's constructor the DynamoDB store, S3
// documents, SQS queue or SNS sender it asks for, each made on first use, so a function
// builds and links only the clients it uses.
package app

import (
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/password"
)

// Services are the wired ports plus what handlers need to know about them.
type Services struct {
	Store kyc.Store
	Docs  kyc.Documents
	Queue kyc.Queue
	SMS   kyc.SMSSender
	Clock kyc.Clock
	IDs   kyc.IDs
	Log   *slog.Logger

	// Version is the build's version, reported by /v1/health.
	Version string
	// Backends names the implementation of each port ("dynamodb", "embedded", ...).
	Backends Backends
	// TokenTTL is how long a session token lives.
	TokenTTL time.Duration
	// MaxAttempts is how many submissions an account may make.
	MaxAttempts int
	// ReconcileAfter is how long an account may stay SUBMITTED before the reconciler
	// queues it again.
	ReconcileAfter time.Duration
	// PasswordParams are the argon2id parameters of new hashes; zero means OWASP's.
	// Tests and benchmarks set cheaper ones.
	PasswordParams password.Params
}

// Backends names the kind of each backend, for /v1/health and the runner's banner.
type Backends struct {
	Store     string `json:"store"`
	Documents string `json:"documents"`
	Queue     string `json:"queue"`
	SMS       string `json:"sms"`
}
