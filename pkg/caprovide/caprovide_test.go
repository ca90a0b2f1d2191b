package caprovide_test

import (
	"context"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/awsconf"
	"github.com/realname-kyc/realname/pkg/caprovide"
	"github.com/realname-kyc/realname/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Provide makes no call: a function holding the CA starts without reaching KMS or the
// table (issue 10's start target), and the CA is made on the first request that signs.
// Here KMS is a closed port: Provide succeeds at once, each Get fails naming the cause
// and is tried again by the next.
func TestProvideMakesTheCAOnFirstUse(t *testing.T) {
	e := &app.Env{Config: app.Config{CAKeyID: "alias/ca", CertKeysKeyID: "alias/cert-keys", KMSEndpoint: "http://127.0.0.1:1"},
		AWS: awsconf.Static("us-east-1", "local", "local", "")}
	e.Store = testenv.Store(t)
	start := time.Now()
	if err := caprovide.Provide(e); err != nil {
		t.Fatalf("Provide: %v", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("Provide took %s: it reached for KMS", took)
	}
	if err := e.Require(app.AdapterCA); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		_, err := e.CA.Get(ctx)
		cancel()
		if err == nil {
			t.Fatal("a CA made with KMS unreachable")
		}
	}
	if err := caprovide.Provide(&app.Env{Config: app.Config{CAKeyID: "alias/ca"}}); err == nil {
		t.Error("Provide without CERT_KEYS_KMS_KEY_ID succeeded")
	}
}
