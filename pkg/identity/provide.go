package identity

import (
	"fmt"

	"github.com/realname-kyc/realname/pkg/app"
)

// Provide gives e the identity provider IDENTITY_PROVIDER names: the sandbox (the local
// default), or the vendor's HTTP API at IDENTITY_URL with IDENTITY_KEY and
// IDENTITY_SECRET, which LoadConfig has required already. An endpoint NewHTTP refuses
// (not https, not absolute) fails the function's init.
func Provide(e *app.Env) error {
	p, err := FromConfig(e.Config)
	if err != nil {
		return err
	}
	e.Identity = p
	e.Backends.Identity = e.Config.IdentityProvider
	return nil
}

// FromConfig is the provider c names (the local runner's and Provide's).
func FromConfig(c app.Config) (Provider, error) {
	switch c.IdentityProvider {
	case "", app.IdentitySandbox:
		return Sandbox{}, nil
	case app.IdentityHTTP:
		h, err := NewHTTP(HTTPConfig{Endpoint: c.IdentityURL, Key: c.IdentityKey, Secret: c.IdentitySecret}, nil)
		if err != nil {
			return nil, fmt.Errorf("IDENTITY_URL: %w", err)
		}
		return h, nil
	}
	return nil, fmt.Errorf("identity: IDENTITY_PROVIDER must be sandbox or http, not %q", c.IdentityProvider)
}
