package kmsseal_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/ca/kmsseal"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// TestSealerOnMoto seals and opens through moto_server's KMS: the data-key calls are ones
// KMS accepts, a sealed key opens only under its label and its KMS key, and anything
// tampered with is refused. Then a CA using the sealer hands back only the sealed key,
// which opens to the certificate's key.
func TestSealerOnMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client := testenv.MotoKMS(t)
	newKey := func() string {
		return testenv.KMSKey(t, client, &kms.CreateKeyInput{Description: aws.String("certificate keys (test)")})
	}
	sealer, other := kmsseal.New(client, newKey()), kmsseal.New(client, newKey())

	secret := []byte("a PKCS #8 private key, say")
	sealed, err := sealer.Seal(ctx, "certificate-key:01", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed form holds the plaintext")
	}
	got, err := sealer.Open(ctx, "certificate-key:01", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, err := sealer.Seal(ctx, "certificate-key:01", secret)
	if err != nil || bytes.Equal(again[3:40], sealed[3:40]) {
		t.Errorf("two seals share a data key (%v)", err)
	}
	if _, err := sealer.Open(ctx, "certificate-key:02", sealed); err == nil {
		t.Error("a key sealed for one label opened for another")
	}
	if _, err := other.Open(ctx, "certificate-key:01", sealed); err == nil {
		t.Error("a key sealed under one KMS key opened under another")
	}
	for name, mutate := range map[string]func([]byte){
		"ciphertext": func(b []byte) { b[len(b)-1] ^= 1 },
		"data key":   func(b []byte) { b[10] ^= 1 },
		"version":    func(b []byte) { b[0] = 2 },
		"length":     func(b []byte) { b[1], b[2] = 0xff, 0xff },
	} {
		tampered := bytes.Clone(sealed)
		mutate(tampered)
		if _, err := sealer.Open(ctx, "certificate-key:01", tampered); err == nil {
			t.Errorf("a sealed key with a changed %s opened", name)
		}
	}

	// Through the CA: the CA signs with a file key (moto's signatures would not verify,
	// LOCAL-EMULATORS.md); the generated private key is sealed by KMS data keys.
	signer, err := kmssigner.OpenFile(filepath.Join(t.TempDir(), "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	root, err := ca.NewRoot(ctx, signer, pkix.Name{CommonName: "Realname Test CA"}, now)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ca.New(root, signer, sealer, ca.Config{IdentifierSalt: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	issued, err := auth.Issue(ctx, ca.Request{Subject: ca.Subject{Kind: ca.Person, Name: "张三", Identifier: "11010519491231002X"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(issued.DER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.OpenKey(ctx, issued.Serial, issued.SealedKey)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Public().(*ecdsa.PublicKey).Equal(cert.PublicKey) {
		t.Fatal("the KMS-sealed key is not the certificate's key")
	}
}
