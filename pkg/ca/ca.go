package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Validity periods (DOMAIN.md, Certificates).
const (
	RootValidityYears = 10
	CertValidityYears = 1
	// RootBackdate is how long before its creation the CA certificate starts.
	RootBackdate = time.Hour
	// DefaultCRLValidity is how long a CRL is current when Config.CRLValidity is zero.
	DefaultCRLValidity = 7 * 24 * time.Hour
)

// MinSaltBytes is the shortest identifier salt accepted: an HMAC key of 256 bits.
const MinSaltBytes = 32

// Sealer encrypts a generated private key for storage and decrypts it again. The label
// is authenticated with the ciphertext (AEAD additional data, a KMS encryption context),
// so a sealed key opens only under the label it was sealed with. pkg/ca/kmsseal
// (KMS data keys) and pkg/secretbox's FileBox (a local key file) are Sealers.
type Sealer interface {
	Seal(ctx context.Context, label string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, label string, sealed []byte) ([]byte, error)
}

// Config is the CA's configuration.
type Config struct {
	// IdentifierSalt is the secret HMAC key of IdentifierHash (at least MinSaltBytes).
	IdentifierSalt []byte
	// CRLURL, when set, is put in issued certificates as their CRL distribution point
	// (the public GET /v1/ca/crl).
	CRLURL string
	// IssuerURL, when set, is put in issued certificates as the CA issuers access method
	// (the public GET /v1/ca/cert).
	IssuerURL string
	// CRLValidity is how long a CRL is current (nextUpdate - thisUpdate); 0 means
	// DefaultCRLValidity.
	CRLValidity time.Duration
}

// Authority issues certificates and CRLs under one CA certificate and its key.
type Authority struct {
	cert   *x509.Certificate
	signer crypto.Signer
	sealer Sealer
	cfg    Config
}

// New returns the authority of the CA certificate root (DER), whose key is signer.
// sealer seals the private keys it generates. It fails when signer's public key is not
// the certificate's, or the certificate is not a CA that may sign certificates and CRLs.
func New(root []byte, signer crypto.Signer, sealer Sealer, cfg Config) (*Authority, error) {
	cert, err := x509.ParseCertificate(root)
	if err != nil {
		return nil, fmt.Errorf("ca: parse CA certificate: %w", err)
	}
	if err := matchesKey(cert, signer); err != nil {
		return nil, err
	}
	if !cert.IsCA || cert.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		return nil, errors.New("ca: the CA certificate may not sign certificates and CRLs")
	}
	if len(cert.SubjectKeyId) == 0 {
		// Issued certificates and CRLs name the CA by it (authority key identifier).
		return nil, errors.New("ca: the CA certificate has no subject key identifier")
	}
	if len(cfg.IdentifierSalt) < MinSaltBytes {
		return nil, fmt.Errorf("ca: identifier salt is %d bytes, want at least %d", len(cfg.IdentifierSalt), MinSaltBytes)
	}
	if sealer == nil {
		return nil, errors.New("ca: no sealer for generated private keys")
	}
	if cfg.CRLValidity == 0 {
		cfg.CRLValidity = DefaultCRLValidity
	}
	if cfg.CRLValidity < 0 {
		return nil, fmt.Errorf("ca: CRL validity %s is negative", cfg.CRLValidity)
	}
	return &Authority{cert: cert, signer: signer, sealer: sealer, cfg: cfg}, nil
}

func matchesKey(cert *x509.Certificate, signer crypto.Signer) error {
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("ca: the CA certificate is not for the signer's key")
	}
	return nil
}

// Certificate returns the parsed CA certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// CertificatePEM returns the CA certificate as PEM, as GET /v1/ca/cert serves it.
func (a *Authority) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.cert.Raw})
}

// contextSigner is a signer that can run its calls under a request's context
// (kmssigner.KMS).
type contextSigner interface {
	WithContext(ctx context.Context) crypto.Signer
}

func (a *Authority) signerFor(ctx context.Context) crypto.Signer {
	if cs, ok := a.signer.(contextSigner); ok {
		return cs.WithContext(ctx)
	}
	return a.signer
}

// NewRoot creates the self-signed CA certificate (DER) for signer's key: CA:TRUE,
// pathlen 0, keyCertSign + cRLSign, valid RootValidityYears from RootBackdate before now.
func NewRoot(ctx context.Context, signer crypto.Signer, subject pkix.Name, now time.Time) ([]byte, error) {
	if subject.CommonName == "" {
		return nil, errors.New("ca: the CA subject needs a common name")
	}
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	ski, err := keyID(signer.Public())
	if err != nil {
		return nil, err
	}
	// Backdated by RootBackdate: a function whose clock is a little behind the one that
	// bootstrapped must still be able to issue at once.
	notBefore := now.UTC().Truncate(time.Second).Add(-RootBackdate)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(RootValidityYears, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // pathlen 0: it signs end-entity certificates only
		SubjectKeyId:          ski,
	}
	s := signer
	if cs, ok := signer.(contextSigner); ok {
		s = cs.WithContext(ctx)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), s)
	if err != nil {
		return nil, fmt.Errorf("ca: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parse new CA certificate: %w", err)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		return nil, fmt.Errorf("ca: the new CA certificate's signature does not verify (a signer that hashes twice?): %w", err)
	}
	return der, nil
}

// NewSerial returns a certificate serial number: 16 random bytes as a positive integer.
func NewSerial() (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("ca: random serial: %w", err)
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// SerialHex is the lower-case hex form of a serial, the certificate's key in records
// and in KeyLabel.
func SerialHex(serial *big.Int) string { return fmt.Sprintf("%x", serial) }

// keyID is the RFC 7093 (method 1) key identifier of pub: the leftmost 160 bits of the
// SHA-256 of its subjectPublicKey bit string.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("ca: marshal public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("ca: parse public key: %w", err)
	}
	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}
