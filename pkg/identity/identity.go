// Package identity checks a person's identity factors with an identity provider: name and
// ID number (two factors, seed 003's verification) and, with the mobile, three (seed 004).
// The provider is a port with two adapters: Sandbox, deterministic, the local default and
// the tests' provider, and HTTP, a real vendor's API configured by endpoint, key and
// secret. Neither logs or returns the values it was given.
package identity

import (
	"context"
	"strings"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// The port is kyc's (kyc.IdentityProvider), so that app and the services name it without
// importing this package; these names keep the adapters' code and tests short.

// Factors are the values a check compares. Mobile is empty for a two-factor check.
type Factors = kyc.IdentityFactors

// Kinds of check, as factor records name them.
const (
	KindTwo   = kyc.FactorTwo
	KindThree = kyc.FactorThree
)

// Result is a provider's verdict on a set of factors.
type Result = kyc.FactorResult

const (
	Match    = kyc.FactorMatch
	Mismatch = kyc.FactorMismatch
)

// Answer is what a provider said: the verdict, the provider's name for the factor record,
// and for a mismatch a machine-readable reason ("name_id_mismatch", "mobile_not_owner").
type Answer = kyc.IdentityAnswer

// Reasons of a mismatch.
const (
	ReasonNameID = "name_id_mismatch"
	ReasonMobile = "mobile_not_owner"
)

// ErrUnavailable is a provider that could not answer (down, timing out, refusing our
// credentials, answering nonsense): the caller answers 503 / 1050 and records no failed
// check, since the person's factors were not judged.
var ErrUnavailable = kyc.ErrIdentityUnavailable

// Provider checks factors.
type Provider = kyc.IdentityProvider

// Sandbox is the deterministic provider of API.md: a name ending in 假 does not match its
// ID number; a mobile ending in 0000 does not belong to the named person; everything else
// matches. Callers validate formats first (a malformed ID number never reaches a provider).
type Sandbox struct{}

// SandboxMismatchSuffix ends the names the sandbox says do not match their ID number.
const SandboxMismatchSuffix = "假"

// SandboxName is the provider name factor records carry for the sandbox.
const SandboxName = "sandbox"

// Check answers by the sandbox's rules.
func (Sandbox) Check(ctx context.Context, f Factors) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	switch {
	case strings.HasSuffix(f.Name, SandboxMismatchSuffix):
		return Answer{Result: Mismatch, Provider: SandboxName, Reason: ReasonNameID}, nil
	case f.Mobile != "" && strings.HasSuffix(f.Mobile, "0000"):
		return Answer{Result: Mismatch, Provider: SandboxName, Reason: ReasonMobile}, nil
	}
	return Answer{Result: Match, Provider: SandboxName}, nil
}
