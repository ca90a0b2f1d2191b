package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/realname-kyc/realname/pkg/awsconf"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kmsclient"
)

// MotoKMS starts moto_server for the test (stopped when it ends) and returns the KMS
// client the product would build, pointed at it: the KMS code's tests run on moto
// (LOCAL-EMULATORS.md, with its DIGEST trap).
func MotoKMS(t testing.TB) *kms.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proc, err := emulators.StartMoto(ctx)
	if err != nil {
		t.Fatalf("moto: %v", err)
	}
	t.Cleanup(proc.Stop)
	cfg, err := awsconf.Endpoint{URL: proc.Endpoint}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return kmsclient.New(cfg, proc.Endpoint)
}

// KMSKey creates a key in client as in describes it (a symmetric encryption key when its
// spec and usage are left out) and returns its id.
func KMSKey(t testing.TB, client *kms.Client, in *kms.CreateKeyInput) string {
	t.Helper()
	out, err := client.CreateKey(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}
