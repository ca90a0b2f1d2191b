package kmsbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/realname-kyc/realname/pkg/kmsbox"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// TestBoxOnMoto seals and opens through moto_server's KMS: the calls the box makes are
// ones KMS accepts, the encryption context binds a secret to its endpoint, and another
// key cannot open it.
func TestBoxOnMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client := testenv.MotoKMS(t)
	newKey := func() string {
		return testenv.KMSKey(t, client, &kms.CreateKeyInput{Description: aws.String("webhook secrets (test)")})
	}
	box, other := kmsbox.New(client, newKey()), kmsbox.New(client, newKey())
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal(ctx, "ep1", []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if string(sealed) == secret || len(sealed) == 0 {
		t.Fatal("sealed secret is the secret")
	}
	got, err := box.Open(ctx, "ep1", sealed)
	if err != nil || string(got) != secret {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := box.Open(ctx, "ep2", sealed); err == nil {
		t.Error("a secret sealed for ep1 opened for ep2")
	}
	if _, err := other.Open(ctx, "ep1", sealed); err == nil {
		t.Error("a secret sealed under one key opened under another")
	}
}
