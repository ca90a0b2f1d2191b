// Package kmssigner holds the platform CA's signing key behind crypto.Signer, so that
// pkg/ca signs with x509.CreateCertificate and x509.CreateRevocationList the same way
// wherever the key lives:
//
//   - KMS: on AWS, an asymmetric ECC_NIST_P256 / SIGN_VERIFY key in AWS KMS. The private
//     key never leaves KMS; Sign sends the SHA-256 digest with MessageType DIGEST and
//     SigningAlgorithm ECDSA_SHA_256, and KMS answers with the DER (ASN.1) ECDSA signature
//     that crypto.Signer promises. Public is read once, with GetPublicKey, when the signer
//     is built, and checked to be a P-256 signing key.
//   - File: locally, an ECDSA P-256 key in a PEM (PKCS #8) file, created with mode 0600 on
//     first use and reused after, like the local runner's other key files under .local/.
//     It must never hold a real CA's key.
//
// crypto.Signer has no context argument. KMS.Sign therefore runs each call under its own
// timeout; KMS.WithContext binds a request's context instead, and pkg/ca uses it when the
// signer offers it.
package kmssigner

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// API is the part of the KMS client the signer calls; *kms.Client is one.
type API interface {
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

// DefaultTimeout bounds one Sign call made without a context (through crypto.Signer).
const DefaultTimeout = 10 * time.Second

// KMS is a crypto.Signer whose private key is an AWS KMS asymmetric key.
type KMS struct {
	client API
	keyID  string
	pub    *ecdsa.PublicKey
	ctx    context.Context // nil: each Sign gets context.Background with DefaultTimeout
}

var _ crypto.Signer = (*KMS)(nil)

// NewKMS returns the signer of keyID (id, ARN or alias), after reading its public key and
// checking that it is an ECC_NIST_P256 key for signing with ECDSA_SHA_256: a key of
// another kind fails here, at start-up, not at the first certificate.
func NewKMS(ctx context.Context, client API, keyID string) (*KMS, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("kmssigner: get public key of %s: %w", keyID, err)
	}
	// The key spec is not compared: moto (5.2) leaves KeySpec empty (it fills only the
	// deprecated CustomerMasterKeySpec). The parsed public key below being ECDSA on P-256
	// is the same check, on what KMS actually holds.
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, fmt.Errorf("kmssigner: key %s is for %s, want %s", keyID, out.KeyUsage, types.KeyUsageTypeSignVerify)
	}
	if !hasAlgorithm(out.SigningAlgorithms, types.SigningAlgorithmSpecEcdsaSha256) {
		return nil, fmt.Errorf("kmssigner: key %s does not offer %s", keyID, types.SigningAlgorithmSpecEcdsaSha256)
	}
	// GetPublicKey answers with a DER SubjectPublicKeyInfo.
	parsed, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kmssigner: parse public key of %s: %w", keyID, err)
	}
	pub, ok := parsed.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("kmssigner: public key of %s is %T, want an ECDSA P-256 key", keyID, parsed)
	}
	return &KMS{client: client, keyID: keyID, pub: pub}, nil
}

func hasAlgorithm(algs []types.SigningAlgorithmSpec, want types.SigningAlgorithmSpec) bool {
	for _, a := range algs {
		if a == want {
			return true
		}
	}
	return false
}

// Public returns the key's ECDSA P-256 public key.
func (s *KMS) Public() crypto.PublicKey { return s.pub }

// KeyID returns the KMS key the signer uses.
func (s *KMS) KeyID() string { return s.keyID }

// WithContext returns a signer over the same key whose KMS calls run under ctx (a
// request's deadline and cancellation), for one certificate or CRL.
func (s *KMS) WithContext(ctx context.Context) crypto.Signer {
	c := *s
	c.ctx = ctx
	return &c
}

// Sign signs a SHA-256 digest with ECDSA_SHA_256 and returns the ASN.1 DER signature.
// rand is unused: KMS draws its own randomness.
func (s *KMS) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return nil, errors.New("kmssigner: only SHA-256 digests can be signed with ECDSA_SHA_256")
	}
	if len(digest) != crypto.SHA256.Size() {
		return nil, fmt.Errorf("kmssigner: digest is %d bytes, want %d", len(digest), crypto.SHA256.Size())
	}
	ctx := s.ctx
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), DefaultTimeout)
		defer cancel()
	}
	out, err := s.client.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(s.keyID),
		Message:          digest,
		MessageType:      types.MessageTypeDigest, // the digest as given; KMS must not hash again
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("kmssigner: sign with %s: %w", s.keyID, err)
	}
	return out.Signature, nil
}
