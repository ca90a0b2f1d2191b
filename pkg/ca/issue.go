package ca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind is what a certificate's subject is.
type Kind string

// Subject kinds.
const (
	Person  Kind = "person"
	Company Kind = "company"
)

// maxNameRunes is X.520's upper bound of a common name (ub-common-name).
const maxNameRunes = 64

// oidDocumentSigning is id-kp-documentSigning (RFC 9336): the key signs documents, which
// is what a real-name certificate is for.
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// ErrBadRequest marks a request the caller must correct: a bad name, identifier or CSR.
// The HTTP layer maps it to a 4xx.
var ErrBadRequest = errors.New("ca: bad certificate request")

// Subject is the verified identity a certificate is issued to.
type Subject struct {
	Kind Kind
	// Name is the verified name: a person's name or a company's registered name.
	Name string
	// Identifier is the ID number or unified social credit code; only IdentifierHash of
	// it is in the certificate.
	Identifier string
}

// Request asks for a certificate.
type Request struct {
	Subject Subject
	// CSR, when not empty, is a PKCS #10 request (PEM or DER) whose public key the
	// certificate certifies; when empty the platform generates the key pair.
	CSR []byte
}

// Issued is an issued certificate.
type Issued struct {
	Serial    *big.Int
	DER       []byte
	NotBefore time.Time
	NotAfter  time.Time
	// SealedKey is the generated private key sealed under KeyLabel(Serial); nil when the
	// key came from a CSR. Store it; never return it to a caller.
	SealedKey []byte
}

// PEM returns the certificate as PEM.
func (c *Issued) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})
}

// KeyLabel is the label a certificate's generated private key is sealed under: the key
// opens only for the certificate it was made for.
func KeyLabel(serial *big.Int) string { return "certificate-key:" + SerialHex(serial) }

// IdentifierHash is the subject serialNumber of a certificate for an identifier: the
// lower-case hex HMAC-SHA256, under salt, of the kind, a NUL byte and the identifier
// (upper-cased, since an ID number's check character X and a credit code's letters may
// be written either way). 64 characters, X.520's bound for serialNumber.
func IdentifierHash(salt []byte, kind Kind, identifier string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(identifier))))
	return hex.EncodeToString(m.Sum(nil))
}

func checkSubject(s Subject) error {
	if s.Kind != Person && s.Kind != Company {
		return fmt.Errorf("%w: subject kind %q", ErrBadRequest, s.Kind)
	}
	if s.Name == "" || !utf8.ValidString(s.Name) || utf8.RuneCountInString(s.Name) > maxNameRunes || strings.TrimSpace(s.Name) != s.Name {
		return fmt.Errorf("%w: the name must be 1 to %d characters of UTF-8 without surrounding spaces", ErrBadRequest, maxNameRunes)
	}
	for _, r := range s.Name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: the name holds a control character", ErrBadRequest)
		}
	}
	if strings.TrimSpace(s.Identifier) == "" {
		return fmt.Errorf("%w: no identifier", ErrBadRequest)
	}
	return nil
}

// Issue issues a certificate for req at now. With a CSR it certifies the CSR's public
// key once the CSR's signature verifies (ErrBadRequest otherwise); without one it
// generates an ECDSA P-256 key pair and seals the private key. The account's state
// (APPROVED) and the one-certificate-per-account rule are the caller's to check.
func (a *Authority) Issue(ctx context.Context, req Request, now time.Time) (*Issued, error) {
	if err := checkSubject(req.Subject); err != nil {
		return nil, err
	}
	var (
		pub       crypto.PublicKey
		generated *ecdsa.PrivateKey
	)
	if len(req.CSR) > 0 {
		var err error
		if pub, err = CheckCSR(req.CSR); err != nil {
			return nil, err
		}
	} else {
		var err error
		if generated, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, fmt.Errorf("ca: generate subject key: %w", err)
		}
		pub = &generated.PublicKey
	}

	notBefore := now.UTC().Truncate(time.Second)
	notAfter := notBefore.AddDate(CertValidityYears, 0, 0)
	if notBefore.Before(a.cert.NotBefore) || notAfter.After(a.cert.NotAfter) {
		return nil, fmt.Errorf("ca: a certificate from %s to %s would fall outside the CA certificate's validity (%s to %s); renew the CA certificate",
			notBefore.Format(time.RFC3339), notAfter.Format(time.RFC3339), a.cert.NotBefore.Format(time.RFC3339), a.cert.NotAfter.Format(time.RFC3339))
	}
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	ski, err := keyID(pub)
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{
		CommonName:   req.Subject.Name,
		SerialNumber: IdentifierHash(a.cfg.IdentifierSalt, req.Subject.Kind, req.Subject.Identifier),
	}
	if req.Subject.Kind == Company {
		subject.Organization = []string{req.Subject.Name}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidDocumentSigning},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski,
		AuthorityKeyId:        a.cert.SubjectKeyId,
	}
	if a.cfg.CRLURL != "" {
		tmpl.CRLDistributionPoints = []string{a.cfg.CRLURL}
	}
	if a.cfg.IssuerURL != "" {
		tmpl.IssuingCertificateURL = []string{a.cfg.IssuerURL}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, pub, a.signerFor(ctx))
	if err != nil {
		return nil, fmt.Errorf("ca: sign certificate %s: %w", SerialHex(serial), err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parse certificate %s: %w", SerialHex(serial), err)
	}
	if err := cert.CheckSignatureFrom(a.cert); err != nil {
		return nil, fmt.Errorf("ca: certificate %s does not verify under the CA certificate: %w", SerialHex(serial), err)
	}

	issued := &Issued{Serial: serial, DER: der, NotBefore: notBefore, NotAfter: notAfter}
	if generated != nil {
		pkcs8, err := x509.MarshalPKCS8PrivateKey(generated)
		if err != nil {
			return nil, fmt.Errorf("ca: marshal subject key of %s: %w", SerialHex(serial), err)
		}
		issued.SealedKey, err = a.sealer.Seal(ctx, KeyLabel(serial), pkcs8)
		clear(pkcs8)
		if err != nil {
			return nil, fmt.Errorf("ca: seal subject key of %s: %w", SerialHex(serial), err)
		}
	}
	return issued, nil
}

// OpenKey opens the sealed private key of the certificate with serial, for the
// platform's own use (signing on its subject's behalf); never return it to a caller.
func (a *Authority) OpenKey(ctx context.Context, serial *big.Int, sealed []byte) (crypto.Signer, error) {
	pkcs8, err := a.sealer.Open(ctx, KeyLabel(serial), sealed)
	if err != nil {
		return nil, fmt.Errorf("ca: open subject key of %s: %w", SerialHex(serial), err)
	}
	defer clear(pkcs8)
	key, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("ca: parse subject key of %s: %w", SerialHex(serial), err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("ca: subject key of %s is a %T", SerialHex(serial), key)
	}
	return s, nil
}

// CheckCSR parses a PEM or DER PKCS #10 request, checks its signature (the requester
// holds the private key) and that its key is of an accepted kind: ECDSA P-256 or RSA of
// 2048 to 8192 bits (what a relying party's verifier is sure to handle). It returns the
// public key; nothing else of the CSR (subject, extensions) is used. Its errors wrap
// ErrBadRequest and say what is wrong with the CSR without quoting it.
func CheckCSR(data []byte) (crypto.PublicKey, error) {
	der := data
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("%w: PEM block %q is not a certificate request", ErrBadRequest, block.Type)
		}
		der = block.Bytes
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: not a PKCS #10 certificate request", ErrBadRequest)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: the CSR's signature does not verify", ErrBadRequest)
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA keys must be P-256", ErrBadRequest)
		}
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return nil, fmt.Errorf("%w: RSA keys must be 2048 to 8192 bits, not %d", ErrBadRequest, n)
		}
	default:
		return nil, fmt.Errorf("%w: the CSR's key must be ECDSA P-256 or RSA of at least 2048 bits", ErrBadRequest)
	}
	return csr.PublicKey, nil
}
