// Package identity checks a person's identity factors with an identity provider: name and
// ID number (two factors, seed 003's verification) and, with the mobile, three (seed 004).
// The provider is a port with two adapters: Sandbox, deterministic, the local default and
// the tests' provider, and HTTP, a real vendor's API configured by endpoint, key and
// secret. Neither logs or returns the values it was given.
package identity

import (
	"context"
	"errors"
	"strings"
)

// Factors are the values a check compares. Mobile is empty for a two-factor check.
type Factors struct {
	Name     string
	IDNumber string
	Mobile   string
}

// Kind names the check the factors make: "two" (name + ID number) or "three" (and mobile).
func (f Factors) Kind() string {
	if f.Mobile == "" {
		return KindTwo
	}
	return KindThree
}

// Kinds of check, as factor records name them.
const (
	KindTwo   = "two_factor"
	KindThree = "three_factor"
)

// Result is a provider's verdict on a set of factors.
type Result string

const (
	Match    Result = "match"
	Mismatch Result = "mismatch"
)

// Answer is what a provider said: the verdict, the provider's name for the factor record,
// and for a mismatch a machine-readable reason ("name_id_mismatch", "mobile_not_owner").
type Answer struct {
	Result   Result
	Provider string
	Reason   string
}

// Reasons of a mismatch.
const (
	ReasonNameID = "name_id_mismatch"
	ReasonMobile = "mobile_not_owner"
)

// ErrUnavailable is a provider that could not answer (down, timing out, refusing our
// credentials, answering nonsense): the caller answers 503 / 1050 and records no failed
// check, since the person's factors were not judged.
var ErrUnavailable = errors.New("identity: provider unavailable")

// Provider checks factors.
type Provider interface {
	Check(ctx context.Context, f Factors) (Answer, error)
}

// Sandbox is the deterministic provider of API.md: a name ending in 假 does not match its
// ID number; a mobile ending in 0000 does not belong to the named person; everything else
// matches. Callers validate formats first (a malformed ID number never reaches a provider).
type Sandbox struct{}

// SandboxName is the provider name factor records carry for the sandbox.
const SandboxName = "sandbox"

// Check answers by the sandbox's rules.
func (Sandbox) Check(ctx context.Context, f Factors) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	switch {
	case strings.HasSuffix(f.Name, "假"):
		return Answer{Result: Mismatch, Provider: SandboxName, Reason: ReasonNameID}, nil
	case f.Mobile != "" && strings.HasSuffix(f.Mobile, "0000"):
		return Answer{Result: Mismatch, Provider: SandboxName, Reason: ReasonMobile}, nil
	}
	return Answer{Result: Match, Provider: SandboxName}, nil
}
