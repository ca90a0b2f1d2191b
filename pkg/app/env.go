package app

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Adapter names one of the outside systems a function may use.
type Adapter string

// The adapters. Each is made by the Provide function of its package (dynamo, s3docs,
// s3presign, sqsqueue, snssms), which a function's main names.
const (
	AdapterStore     Adapter = "store"     // DynamoDB (kyc.Store)
	AdapterDocs      Adapter = "docs"      // S3 objects (kyc.Documents); gives a Presigner too
	AdapterPresigner Adapter = "presigner" // S3 presigned URLs only, without the S3 client
	AdapterQueue     Adapter = "queue"     // SQS (kyc.Queue)
	AdapterSMS       Adapter = "sms"       // SNS (kyc.SMSSender)
	AdapterSeal      Adapter = "seal"      // the seal drawer (pkg/seal and its 1.5 MB font)
	// Webhooks (issue 13).
	AdapterWebhookQueue Adapter = "webhookqueue" // SQS webhook queue (Services.WebhookQueue)
	AdapterSecrets      Adapter = "secrets"      // KMS sealing endpoint secrets (webhook.SecretBox)
	// Identity factors (issue 14).
	AdapterIdentity Adapter = "identity" // the identity provider (kyc.IdentityProvider)
	// Certificates (issue 15).
	AdapterCA Adapter = "ca" // the CA: its signing key and the sealer of generated keys (Services.CA)
	// Bank verification (issue 15).
	AdapterPayout Adapter = "payout" // the payout provider (Services.Payouts), only the function that pays
)

// Env is what a function is built from: the configuration, the SDK configuration, the
// settings and the adapters its main provided.
//
// The adapters are not made here: pkg/app imports no adapter package, and each adapter
// package has a Provide that builds its adapter from an Env. A function's main names the
// providers of the adapters its routes use, so its binary imports those SDK service
// packages and no other (a Go binary runs the init of, and keeps the tables of, every
// package it imports, reachable or not). The function table says which adapters each
// function has; lambdafn checks the main provided them before it starts, and the tests
// build each route with exactly those (Only), so a constructor that uses another fails.
type Env struct {
	Config Config
	AWS    aws.Config
	Services
}

// Provider adds one adapter to an Env.
type Provider func(*Env) error

// NewEnv prepares c's settings and SDK configuration and runs the providers; no client is
// made except by a provider.
func NewEnv(c Config, providers ...Provider) (*Env, error) {
	awsCfg, err := AWSConfig(c, os.Getenv)
	if err != nil {
		return nil, err
	}
	e := &Env{Config: c, AWS: awsCfg, Services: Services{
		Clock:               kyc.SystemClock{},
		IDs:                 kyc.RandomIDs{},
		Log:                 NewLogger(os.Stderr, c.LogLevel),
		Version:             c.Version,
		TokenTTL:            c.TokenTTL,
		MaxAttempts:         c.MaxAttempts,
		UploadGrantsPerHour: c.UploadGrantsPerHour,
		ReconcileAfter:      c.ReconcileAfter,
		VerifyPolicy:        c.VerifyPolicy,

		RequireBankVerification: c.RequireBankVerification,
	}}
	// A function without bank verification runs without the secret; the bank functions
	// refuse to start without it (httpapi's constructors).
	if secret, err := c.BankSecret(); err == nil {
		e.BankSecret = secret
	}
	for _, p := range providers {
		if err := p(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// EnvOf is an Env whose adapters are svc's, already made (the local runner's, a test's).
// A Docs that was given signs too, as on Lambda.
func EnvOf(svc *Services) *Env {
	e := &Env{Services: *svc}
	if e.Presigner == nil && e.Docs != nil {
		e.Presigner = e.Docs
	}
	return e
}

// Only returns a copy of e with only the named adapters, as a function whose main
// provided those would have.
func (e *Env) Only(adapters ...Adapter) *Env {
	c := *e
	keep := func(a Adapter) bool { return slices.Contains(adapters, a) }
	if !keep(AdapterStore) {
		c.Store = nil
	}
	if !keep(AdapterDocs) {
		c.Docs = nil
		if !keep(AdapterPresigner) {
			c.Presigner = nil
		}
	}
	if !keep(AdapterQueue) {
		c.Queue = nil
	}
	if !keep(AdapterSMS) {
		c.SMS = nil
	}
	if !keep(AdapterSeal) {
		c.DrawSeal = nil
	}
	if !keep(AdapterWebhookQueue) {
		c.WebhookQueue = nil
	}
	if !keep(AdapterSecrets) {
		c.Secrets = nil
	}
	if !keep(AdapterIdentity) {
		c.Identity = nil
	}
	if !keep(AdapterCA) {
		c.CA = nil
	}
	if !keep(AdapterPayout) {
		c.Payouts = nil
	}
	return &c
}

// Require fails, naming them, if any of the adapters is missing: a function whose main
// forgot a provider fails its init rather than its first request.
func (e *Env) Require(adapters ...Adapter) error {
	var missing []error
	for _, a := range adapters {
		if !e.has(a) {
			missing = append(missing, fmt.Errorf("no %s adapter: its package's Provide is not in main", a))
		}
	}
	return errors.Join(missing...)
}

func (e *Env) has(a Adapter) bool {
	switch a {
	case AdapterStore:
		return e.Store != nil
	case AdapterDocs:
		return e.Docs != nil
	case AdapterPresigner:
		return e.Presigner != nil
	case AdapterQueue:
		return e.Queue != nil
	case AdapterSMS:
		return e.SMS != nil
	case AdapterSeal:
		return e.DrawSeal != nil
	case AdapterWebhookQueue:
		return e.WebhookQueue != nil
	case AdapterSecrets:
		return e.Secrets != nil
	case AdapterIdentity:
		return e.Identity != nil
	case AdapterCA:
		return e.CA != nil
	case AdapterPayout:
		return e.Payouts != nil
	}
	return false
}
