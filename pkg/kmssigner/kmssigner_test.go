package kmssigner_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// TestKMSOnMoto runs the KMS signer's calls against moto_server's KMS: GetPublicKey gives a
// P-256 key, Sign with MessageType DIGEST is accepted and KMS's own Verify accepts the
// answer, a key of the wrong kind is refused up front, and a digest of another hash is
// refused before any call.
//
// The signature is not checked with crypto/ecdsa over the digest: moto (5.2) hashes a
// DIGEST message again, so its signature is over SHA-256(digest), where real KMS signs the
// digest as given (LOCAL-EMULATORS.md). The test accepts either form and says which it
// saw; the whole-chain check with openssl uses the file signer (pkg/ca's tests).
func TestKMSOnMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	client := testenv.MotoKMS(t)
	newKey := func(spec types.KeySpec, usage types.KeyUsageType) string {
		return testenv.KMSKey(t, client, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage, Description: aws.String("ca (test)")})
	}
	keyID := newKey(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	// moto signs the same with MessageType RAW as with DIGEST, so the request itself is
	// checked for DIGEST; the call still goes to moto.
	rec := &recorder{API: client}
	signer, err := kmssigner.NewKMS(ctx, rec, keyID)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := signer.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("Public() = %T, want an ECDSA P-256 key", signer.Public())
	}

	digest := sha256.Sum256([]byte("tbsCertificate"))
	for name, s := range map[string]crypto.Signer{"bare": signer, "with context": signer.WithContext(ctx)} {
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("%s: Sign: %v", name, err)
		}
		if in := rec.last; in == nil || in.MessageType != types.MessageTypeDigest || in.SigningAlgorithm != types.SigningAlgorithmSpecEcdsaSha256 || aws.ToString(in.KeyId) != keyID {
			t.Fatalf("%s: Sign sent %+v, want MessageType DIGEST, ECDSA_SHA_256 and key %s", name, in, keyID)
		}
		rec.last = nil
		verified, err := client.Verify(ctx, &kms.VerifyInput{
			KeyId: aws.String(keyID), Message: digest[:], MessageType: types.MessageTypeDigest,
			Signature: sig, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
		})
		if err != nil || !verified.SignatureValid {
			t.Fatalf("%s: KMS Verify of the signer's signature: %v, %v", name, verified, err)
		}
		// The public key the signer reports is the one that made the signature (over the
		// digest on real KMS, over its hash on moto).
		rehashed := sha256.Sum256(digest[:])
		switch {
		case ecdsa.VerifyASN1(pub, digest[:], sig):
			t.Logf("%s: the signature is over the digest as given (as on real KMS)", name)
		case ecdsa.VerifyASN1(pub, rehashed[:], sig):
			t.Logf("%s: the signature is over SHA-256(digest): moto's DIGEST trap", name)
		default:
			t.Fatalf("%s: the signature verifies under Public() neither over the digest nor over its hash", name)
		}
	}

	if _, err := signer.Sign(rand.Reader, make([]byte, 48), crypto.SHA384); err == nil {
		t.Error("a SHA-384 digest was signed with ECDSA_SHA_256")
	}
	if _, err := signer.Sign(rand.Reader, digest[:16], crypto.SHA256); err == nil {
		t.Error("a short digest was signed")
	}
	for _, k := range []struct {
		spec  types.KeySpec
		usage types.KeyUsageType
	}{
		{types.KeySpecRsa2048, types.KeyUsageTypeSignVerify},
		{types.KeySpecEccNistP384, types.KeyUsageTypeSignVerify},
		{types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt},
	} {
		if _, err := kmssigner.NewKMS(ctx, client, newKey(k.spec, k.usage)); err == nil {
			t.Errorf("NewKMS accepted a %s %s key", k.spec, k.usage)
		}
	}
	if _, err := kmssigner.NewKMS(ctx, client, "alias/none"); err == nil {
		t.Error("NewKMS accepted a key that does not exist")
	}
}

// recorder passes calls to KMS and keeps the last Sign request.
type recorder struct {
	kmssigner.API
	last *kms.SignInput
}

func (r *recorder) Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error) {
	r.last = in
	return r.API.Sign(ctx, in, optFns...)
}

// TestFile: the file signer's key is created 0600 on first use and reused after, its
// signatures verify with crypto/ecdsa, and a key file open to others is refused.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ca.key")
	s, err := kmssigner.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", fi, err)
	}
	digest := sha256.Sum256([]byte("tbsCertificate"))
	sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pub := s.Public().(*ecdsa.PublicKey)
	if pub.Curve != elliptic.P256() || !ecdsa.VerifyASN1(pub, digest[:], sig) {
		t.Fatal("the file signer's signature does not verify")
	}
	other := sha256.Sum256([]byte("another"))
	if ecdsa.VerifyASN1(pub, other[:], sig) {
		t.Fatal("the signature verifies over another digest")
	}

	again, err := kmssigner.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Public().(*ecdsa.PublicKey).Equal(pub) {
		t.Fatal("reopening the key file gave another key")
	}
	if fresh, err := kmssigner.OpenFile(filepath.Join(t.TempDir(), "ca.key")); err != nil || fresh.Public().(*ecdsa.PublicKey).Equal(pub) {
		t.Fatalf("a new key file gave the same key (%v)", err)
	}

	// Opened for the first time by several processes at once: one key for all.
	shared := filepath.Join(t.TempDir(), "shared.key")
	keys := make([]*ecdsa.PublicKey, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			s, err := kmssigner.OpenFile(shared)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = s.Public().(*ecdsa.PublicKey)
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k == nil || !k.Equal(keys[0]) {
			t.Fatal("concurrent first opens of one key file gave different keys")
		}
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := kmssigner.OpenFile(path); err == nil {
		t.Error("a key file readable by its group was accepted")
	}
	garbage := filepath.Join(t.TempDir(), "garbage.key")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kmssigner.OpenFile(garbage); err == nil {
		t.Error("a key file without a PEM key was accepted")
	}
}
