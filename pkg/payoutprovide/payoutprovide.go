// Package payoutprovide gives a function the payout provider of bank verification
// (issue 15): pkg/payout's sandbox or HTTP adapter, as PAYOUT_PROVIDER names it. It is a
// package of its own, as pkg/caprovide is, because pkg/app holds the port's type
// (Services.Payouts) and so pkg/payout cannot import pkg/app. Only the function that
// starts verifications (and pays) names it in its main.
package payoutprovide

import (
	"fmt"
	"net/url"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/payout"
)

// Provide gives e the payout provider of its configuration: the sandbox (the local
// default, writing PAYOUT_FILE) or the payment provider's API at PAYOUT_URL with
// PAYOUT_KEY and PAYOUT_SECRET, which LoadConfig has required already. An endpoint
// NewHTTP refuses fails the function's init.
func Provide(e *app.Env) error {
	p, name, err := FromConfig(e.Config)
	if err != nil {
		return err
	}
	e.Payouts = p
	e.Backends.Payout = name
	return nil
}

// FromConfig is the provider c names and its name (the local runner's and Provide's).
func FromConfig(c app.Config) (payout.Provider, string, error) {
	p, err := payout.New(payout.Config{Provider: c.PayoutProvider, File: c.PayoutFile, URL: c.PayoutURL, Key: c.PayoutKey, Secret: c.PayoutSecret}, nil)
	if err != nil {
		return nil, "", fmt.Errorf("payout: %w", err)
	}
	name := payout.SandboxName
	if c.PayoutProvider == app.PayoutHTTP {
		if u, err := url.Parse(c.PayoutURL); err == nil {
			name = u.Hostname()
		}
	}
	return p, name, nil
}
