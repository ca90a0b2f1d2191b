package localrun_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/localrun"
)

// The emulated mode wires the same AWS adapters the Lambdas use against DynamoDB Local,
// fauxqs and a VersityGW process; health through the runner proves all three answer
// with the runner's credentials (never the developer's AWS ones).
func TestEmulatedModeServesHealth(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "not-the-emulators-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-emulators-secret")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := localrun.Start(ctx, localrun.Options{Dir: t.TempDir(), APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Emulated: true, Version: "t", Out: io.Discard, Getenv: envOf()})
	if err != nil {
		t.Fatalf("emulated runner did not start: %v", err)
	}
	defer r.Close()
	if r.Services.Backends.Store != "dynamodb (DynamoDB Local)" {
		t.Fatalf("backends = %+v", r.Services.Backends)
	}
	resp, err := http.Get(r.APIURL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		ErrorCode int `json:"error_code"`
		Data      struct {
			Store string `json:"store"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || env.ErrorCode != 1000 || env.Data.Store != "ok" {
		t.Fatalf("health = %d %+v", resp.StatusCode, env)
	}
	if err := r.Services.Docs.Ping(ctx); err != nil {
		t.Fatalf("S3 emulator: %v", err)
	}
	if err := r.Services.Queue.Ping(ctx); err != nil {
		t.Fatalf("SQS emulator: %v", err)
	}
}
