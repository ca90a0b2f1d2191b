package payout

import (
	"fmt"
	"time"
)

// Provider names of Config.
const (
	ProviderSandbox = "sandbox"
	ProviderHTTP    = "http"
)

// Config selects and configures a provider. pkg/app is meant to fill it from the
// environment (PAYOUT_PROVIDER, PAYOUT_FILE, PAYOUT_URL, PAYOUT_KEY, PAYOUT_SECRET), the
// one place that reads it.
type Config struct {
	Provider string // ProviderSandbox (default) or ProviderHTTP
	File     string // the sandbox's file; DefaultSandboxFile if empty
	URL      string // the HTTP provider's endpoint
	Key      string
	Secret   string
}

// New is the provider c names. now is the sandbox's clock (time.Now if nil).
func New(c Config, now func() time.Time) (Provider, error) {
	switch c.Provider {
	case "", ProviderSandbox:
		return NewSandbox(c.File, now), nil
	case ProviderHTTP:
		h, err := NewHTTP(HTTPConfig{Endpoint: c.URL, Key: c.Key, Secret: c.Secret}, nil)
		if err != nil {
			return nil, fmt.Errorf("PAYOUT_URL: %w", err)
		}
		return h, nil
	}
	return nil, fmt.Errorf("payout: PAYOUT_PROVIDER must be sandbox or http, not %q", c.Provider)
}
