package identity

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/app"
)

// Provide gives the sandbox by default and the HTTP adapter for IDENTITY_PROVIDER=http,
// and fails the function's init for an endpoint the adapter refuses (no signed request
// may leave in clear text).
func TestProvide(t *testing.T) {
	e := &app.Env{Config: app.Config{IdentityProvider: app.IdentitySandbox}}
	if err := Provide(e); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Identity.(Sandbox); !ok || e.Backends.Identity != app.IdentitySandbox || e.Require(app.AdapterIdentity) != nil {
		t.Errorf("sandbox: %T %q", e.Identity, e.Backends.Identity)
	}
	e = &app.Env{Config: app.Config{IdentityProvider: app.IdentityHTTP, IdentityURL: "https://identity.example.com", IdentityKey: "k", IdentitySecret: "s"}}
	if err := Provide(e); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Identity.(*HTTP); !ok {
		t.Errorf("http: %T", e.Identity)
	}
	for _, endpoint := range []string{"http://identity.example.com", "identity.example.com", ""} {
		e = &app.Env{Config: app.Config{IdentityProvider: app.IdentityHTTP, IdentityURL: endpoint, IdentityKey: "k", IdentitySecret: "s"}}
		if err := Provide(e); err == nil || e.Identity != nil {
			t.Errorf("endpoint %q: accepted (%v)", endpoint, err)
		}
	}
	if err := Provide(&app.Env{Config: app.Config{IdentityProvider: "vendor"}}); err == nil {
		t.Error("an unknown provider was accepted")
	}
}
