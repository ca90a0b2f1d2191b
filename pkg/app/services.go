// Package app reads the configuration from the environment and wires the services every
// Lambda function and the local runner share. It is the one place that reads the
// environment.
package app

import (
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
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
}

// Backends names the kind of each backend, for /v1/health and the runner's banner.
type Backends struct {
	Store     string `json:"store"`
	Documents string `json:"documents"`
	Queue     string `json:"queue"`
	SMS       string `json:"sms"`
}
