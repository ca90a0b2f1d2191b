package ca_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/secretbox"
)

// The local key file box is the local Sealer.
var _ ca.Sealer = (*secretbox.FileBox)(nil)

var caSubject = pkix.Name{CommonName: "Realname Test CA", Organization: []string{"Realname KYC"}, Country: []string{"CN"}}

const (
	personName = "张三"
	personID   = "11010519491231002X"
	companyID  = "91350100M000100Y43"
)

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

// fixture is a CA on a file key, its certificate in dir/ca.pem.
type fixture struct {
	dir  string
	auth *ca.Authority
	box  *secretbox.FileBox
	salt []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := ca.Bootstrap(t.Context(), ca.FileRootStore{Path: filepath.Join(dir, "ca.der")}, signer, caSubject, t0)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		t.Fatal(err)
	}
	salt := bytes.Repeat([]byte{7}, 32)
	auth, err := ca.New(root, signer, box, ca.Config{IdentifierSalt: salt, CRLURL: "https://kyc.example/v1/ca/crl", IssuerURL: "https://kyc.example/v1/ca/cert"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, auth: auth, box: box, salt: salt}
	f.write(t, "ca.pem", auth.CertificatePEM())
	return f
}

func (f *fixture) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *fixture) issue(t *testing.T, req ca.Request) (*ca.Issued, *x509.Certificate) {
	t.Helper()
	issued, err := f.auth.Issue(t.Context(), req, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(issued.DER)
	if err != nil {
		t.Fatal(err)
	}
	return issued, cert
}

// openssl runs the openssl command line (the independent verifier) in dir.
func openssl(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustOpenSSL(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := openssl(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func person() ca.Subject {
	return ca.Subject{Kind: ca.Person, Name: personName, Identifier: personID}
}

func TestCACertificate(t *testing.T) {
	f := newFixture(t)
	root := f.auth.Certificate()
	if got := mustOpenSSL(t, f.dir, "verify", "-CAfile", "ca.pem", "ca.pem"); !strings.Contains(got, "ca.pem: OK") {
		t.Fatalf("openssl verify of the self-signed CA certificate: %s", got)
	}
	text := mustOpenSSL(t, f.dir, "x509", "-in", "ca.pem", "-noout", "-text")
	for _, want := range []string{"CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign", "Subject Key Identifier", "CN = Realname Test CA"} {
		if !strings.Contains(text, want) {
			t.Errorf("CA certificate lacks %q:\n%s", want, text)
		}
	}
	if !root.NotAfter.Equal(root.NotBefore.AddDate(10, 0, 0)) || !root.NotBefore.Equal(t0.Add(-ca.RootBackdate)) {
		t.Errorf("CA validity %s to %s, want 10 years from %s", root.NotBefore, root.NotAfter, t0)
	}

	// Bootstrap again, and twice at once: the stored certificate, not a new one.
	signer, err := kmssigner.OpenFile(filepath.Join(f.dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	store := ca.FileRootStore{Path: filepath.Join(f.dir, "ca.der")}
	again, err := ca.Bootstrap(t.Context(), store, signer, caSubject, t0.Add(time.Hour))
	if err != nil || !bytes.Equal(again, root.Raw) {
		t.Fatalf("a second Bootstrap made another certificate (%v)", err)
	}
	fresh := ca.FileRootStore{Path: filepath.Join(t.TempDir(), "ca.der")}
	var wg sync.WaitGroup
	results := make([][]byte, 8)
	for i := range results {
		wg.Go(func() {
			der, err := ca.Bootstrap(t.Context(), fresh, signer, caSubject, t0)
			if err != nil {
				t.Error(err)
			}
			results[i] = der
		})
	}
	wg.Wait()
	for _, der := range results[1:] {
		if !bytes.Equal(der, results[0]) {
			t.Fatal("concurrent Bootstraps returned different CA certificates")
		}
	}

	other, err := kmssigner.OpenFile(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Bootstrap(t.Context(), store, other, caSubject, t0); err == nil {
		t.Error("Bootstrap accepted a stored CA certificate of another key")
	}
	if _, err := ca.New(root.Raw, other, f.box, ca.Config{IdentifierSalt: f.salt}); err == nil {
		t.Error("New accepted a signer that is not the CA certificate's key")
	}
	if _, err := ca.New(root.Raw, signer, f.box, ca.Config{IdentifierSalt: f.salt[:16]}); err == nil {
		t.Error("New accepted a 16-byte identifier salt")
	}
}

func TestIssueGeneratedKey(t *testing.T) {
	f := newFixture(t)
	issued, cert := f.issue(t, ca.Request{Subject: person()})
	f.write(t, "cert.pem", issued.PEM())

	if got := mustOpenSSL(t, f.dir, "verify", "-CAfile", "ca.pem", "cert.pem"); !strings.Contains(got, "cert.pem: OK") {
		t.Fatalf("openssl verify: %s", got)
	}
	text := mustOpenSSL(t, f.dir, "x509", "-in", "cert.pem", "-noout", "-text", "-nameopt", "utf8")
	for _, want := range []string{
		"Version: 3 (0x2)", "CA:FALSE", "Digital Signature, Non Repudiation", "1.3.6.1.5.5.7.3.36",
		"X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier", "Subject: CN=" + personName,
		"https://kyc.example/v1/ca/crl", "CA Issuers - URI:https://kyc.example/v1/ca/cert",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("certificate lacks %q:\n%s", want, text)
		}
	}

	if cert.Subject.CommonName != personName || cert.Subject.SerialNumber != ca.IdentifierHash(f.salt, ca.Person, personID) || len(cert.Subject.Organization) != 0 {
		t.Errorf("subject %+v", cert.Subject)
	}
	if len(cert.Subject.SerialNumber) != 64 || cert.Subject.SerialNumber == ca.IdentifierHash(bytes.Repeat([]byte{8}, 32), ca.Person, personID) {
		t.Errorf("identifier hash %q does not depend on the salt or is not 64 hex digits", cert.Subject.SerialNumber)
	}
	for _, form := range []string{personID, strings.ToLower(personID), fmt.Sprintf("%x", personID)} {
		if bytes.Contains(issued.DER, []byte(form)) || bytes.Contains(issued.PEM(), []byte(form)) || strings.Contains(text, form) {
			t.Errorf("the identifier appears in the certificate as %q", form)
		}
	}
	if issued.Serial.Sign() <= 0 || issued.Serial.BitLen() > 128 || cert.SerialNumber.Cmp(issued.Serial) != 0 {
		t.Errorf("serial %s", issued.Serial)
	}
	if !cert.NotBefore.Equal(t0.Add(time.Hour)) || !cert.NotAfter.Equal(cert.NotBefore.AddDate(1, 0, 0)) {
		t.Errorf("validity %s to %s, want 1 year from %s", cert.NotBefore, cert.NotAfter, t0.Add(time.Hour))
	}
	if !bytes.Equal(cert.AuthorityKeyId, f.auth.Certificate().SubjectKeyId) || len(cert.SubjectKeyId) != 20 {
		t.Errorf("AKI %x (CA SKI %x), SKI %x", cert.AuthorityKeyId, f.auth.Certificate().SubjectKeyId, cert.SubjectKeyId)
	}

	// The private key is only sealed, opens to the certificate's key with the right box
	// and label, and with nothing else.
	if len(issued.SealedKey) == 0 {
		t.Fatal("no sealed key")
	}
	key, err := f.auth.OpenKey(t.Context(), issued.Serial, issued.SealedKey)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Public().(*ecdsa.PublicKey).Equal(cert.PublicKey) {
		t.Fatal("the sealed key is not the certificate's key")
	}
	if _, err := x509.ParsePKCS8PrivateKey(issued.SealedKey); err == nil {
		t.Fatal("the sealed key parses as a plain PKCS #8 key")
	}
	second, _ := f.issue(t, ca.Request{Subject: person()})
	if second.Serial.Cmp(issued.Serial) == 0 {
		t.Fatal("two certificates with one serial")
	}
	if _, err := f.auth.OpenKey(t.Context(), second.Serial, issued.SealedKey); err == nil {
		t.Error("a key sealed for one certificate opened for another")
	}
	otherBox, err := secretbox.Open(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := kmssigner.OpenFile(filepath.Join(f.dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	withOtherBox, err := ca.New(f.auth.Certificate().Raw, signer, otherBox, ca.Config{IdentifierSalt: f.salt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withOtherBox.OpenKey(t.Context(), issued.Serial, issued.SealedKey); err == nil {
		t.Error("a sealed key opened under another key file")
	}
}

// TestVerifierCanFail: openssl refuses a certificate of another CA, so its OK above means
// something.
func TestVerifierCanFail(t *testing.T) {
	f, g := newFixture(t), newFixture(t)
	issued, _ := g.issue(t, ca.Request{Subject: person()})
	f.write(t, "foreign.pem", issued.PEM())
	if out, err := openssl(t, f.dir, "verify", "-CAfile", "ca.pem", "foreign.pem"); err == nil {
		t.Fatalf("openssl verified another CA's certificate: %s", out)
	}
}

func TestIssueCompany(t *testing.T) {
	f := newFixture(t)
	issued, cert := f.issue(t, ca.Request{Subject: ca.Subject{Kind: ca.Company, Name: "福州某某科技有限公司", Identifier: companyID}})
	f.write(t, "cert.pem", issued.PEM())
	mustOpenSSL(t, f.dir, "verify", "-CAfile", "ca.pem", "cert.pem")
	if cert.Subject.CommonName != "福州某某科技有限公司" || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != "福州某某科技有限公司" {
		t.Errorf("subject %+v", cert.Subject)
	}
	if bytes.Contains(issued.DER, []byte(companyID)) {
		t.Error("the credit code appears in the certificate")
	}
	// A person and a company with the same identifier string never share a hash.
	if ca.IdentifierHash(f.salt, ca.Company, companyID) == ca.IdentifierHash(f.salt, ca.Person, companyID) {
		t.Error("the identifier hash does not depend on the subject kind")
	}
	if cert.Subject.SerialNumber != ca.IdentifierHash(f.salt, ca.Company, strings.ToLower(companyID)) {
		t.Error("the identifier hash depends on the letters' case")
	}
}

func TestIssueFromCSR(t *testing.T) {
	f := newFixture(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "Mallory", SerialNumber: personID},
		DNSNames: []string{"bank.example"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	for name, csr := range map[string][]byte{"PEM": csrPEM, "DER": csrDER} {
		issued, cert := f.issue(t, ca.Request{Subject: person(), CSR: csr})
		if issued.SealedKey != nil {
			t.Errorf("%s: a sealed key for a CSR's certificate", name)
		}
		if !key.PublicKey.Equal(cert.PublicKey) {
			t.Errorf("%s: the certificate is not for the CSR's key", name)
		}
		if cert.Subject.CommonName != personName || cert.Subject.SerialNumber != ca.IdentifierHash(f.salt, ca.Person, personID) || len(cert.DNSNames) != 0 {
			t.Errorf("%s: the CSR's subject or names were taken: %+v %v", name, cert.Subject, cert.DNSNames)
		}
		f.write(t, "csr-cert.pem", issued.PEM())
		mustOpenSSL(t, f.dir, "verify", "-CAfile", "ca.pem", "csr-cert.pem")
	}

	// A CSR made by openssl itself, with an RSA key.
	mustOpenSSL(t, f.dir, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "req.key", "-subj", "/CN=whoever", "-out", "req.csr")
	csr, err := os.ReadFile(filepath.Join(f.dir, "req.csr"))
	if err != nil {
		t.Fatal(err)
	}
	issued, _ := f.issue(t, ca.Request{Subject: person(), CSR: csr})
	f.write(t, "rsa-cert.pem", issued.PEM())
	mustOpenSSL(t, f.dir, "verify", "-CAfile", "ca.pem", "rsa-cert.pem")
	// The certificate and openssl's private key belong together.
	certMod := mustOpenSSL(t, f.dir, "x509", "-in", "rsa-cert.pem", "-noout", "-modulus")
	keyMod := mustOpenSSL(t, f.dir, "rsa", "-in", "req.key", "-noout", "-modulus")
	if certMod != keyMod {
		t.Error("the certificate is not for the key of openssl's CSR")
	}

	// Refused: a bad signature, not a CSR, a weak key, a key of another kind than P-256 or RSA.
	bad := bytes.Clone(csrDER)
	bad[len(bad)-3] ^= 0x01 // inside the signature's last integer
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakCSR, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, weak)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384CSR, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, p384)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edCSR, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, edKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, csr := range map[string][]byte{
		"bad signature": bad,
		"ECDSA P-384":   p384CSR,
		"Ed25519":       edCSR,
		"certificate":   f.auth.CertificatePEM(),
		"garbage":       []byte("not a csr"),
		"RSA 1024":      weakCSR,
	} {
		_, err := f.auth.Issue(t.Context(), ca.Request{Subject: person(), CSR: csr}, t0.Add(time.Hour))
		if !errors.Is(err, ca.ErrBadRequest) {
			t.Errorf("%s: Issue = %v, want ErrBadRequest", name, err)
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t)
	for name, s := range map[string]ca.Subject{
		"no kind":       {Name: personName, Identifier: personID},
		"no name":       {Kind: ca.Person, Identifier: personID},
		"long name":     {Kind: ca.Person, Name: strings.Repeat("张", 65), Identifier: personID},
		"control":       {Kind: ca.Person, Name: "张\n三", Identifier: personID},
		"spaces":        {Kind: ca.Person, Name: " 张三", Identifier: personID},
		"no identifier": {Kind: ca.Person, Name: personName},
	} {
		if _, err := f.auth.Issue(t.Context(), ca.Request{Subject: s}, t0.Add(time.Hour)); !errors.Is(err, ca.ErrBadRequest) {
			t.Errorf("%s: Issue = %v, want ErrBadRequest", name, err)
		}
	}
	// A certificate may not outlive the CA certificate, nor start before it.
	late := f.auth.Certificate().NotAfter.AddDate(0, -6, 0)
	if _, err := f.auth.Issue(t.Context(), ca.Request{Subject: person()}, late); err == nil {
		t.Error("issued a certificate that outlives the CA certificate")
	}
	if _, err := f.auth.Issue(t.Context(), ca.Request{Subject: person()}, t0.Add(-ca.RootBackdate-time.Second)); err == nil {
		t.Error("issued a certificate that starts before the CA certificate")
	}
}

// opensslSerial is how openssl prints a serial in a CRL: upper-case hex, whole bytes.
func opensslSerial(n *big.Int) string {
	s := fmt.Sprintf("%X", n)
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

func TestCRL(t *testing.T) {
	f := newFixture(t)
	revoked, _ := f.issue(t, ca.Request{Subject: person()})
	kept, _ := f.issue(t, ca.Request{Subject: person()})
	f.write(t, "revoked.pem", revoked.PEM())
	f.write(t, "kept.pem", kept.PEM())

	at := t0.Add(2 * time.Hour)
	crl1, err := f.auth.CRL(t.Context(), nil, []ca.Revoked{{Serial: revoked.Serial, At: at, Reason: ca.AffiliationChanged}}, at)
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, "crl.pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl1}))
	if got := mustOpenSSL(t, f.dir, "crl", "-in", "crl.pem", "-CAfile", "ca.pem", "-noout"); !strings.Contains(got, "verify OK") {
		t.Fatalf("openssl crl: %s", got)
	}
	text := mustOpenSSL(t, f.dir, "crl", "-in", "crl.pem", "-noout", "-text")
	if !strings.Contains(text, "Serial Number: "+opensslSerial(revoked.Serial)) || strings.Contains(text, opensslSerial(kept.Serial)) {
		t.Errorf("the CRL does not list exactly the revoked serial %s:\n%s", opensslSerial(revoked.Serial), text)
	}
	for _, want := range []string{"X509v3 CRL Number: \n                1\n", "Affiliation Changed", "X509v3 Authority Key Identifier"} {
		if !strings.Contains(text, want) {
			t.Errorf("the CRL lacks %q:\n%s", want, text)
		}
	}
	// openssl's own revocation check: the revoked certificate fails, the other passes.
	if out, err := openssl(t, f.dir, "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "crl.pem", "revoked.pem"); err == nil || !strings.Contains(out, "revoked") {
		t.Errorf("openssl accepted a revoked certificate: %v\n%s", err, out)
	}
	mustOpenSSL(t, f.dir, "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "crl.pem", "kept.pem")

	// The next CRL's number is one more, whatever is listed.
	crl2, err := f.auth.CRL(t.Context(), crl1, []ca.Revoked{
		{Serial: revoked.Serial, At: at, Reason: ca.AffiliationChanged},
		{Serial: kept.Serial, At: at.Add(time.Hour), Reason: ca.CessationOfOperation},
	}, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseRevocationList(crl2)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Number.Cmp(big.NewInt(2)) != 0 || len(parsed.RevokedCertificateEntries) != 2 || !parsed.NextUpdate.Equal(at.Add(time.Hour).Add(ca.DefaultCRLValidity)) {
		t.Errorf("second CRL: number %s, %d entries, next update %s", parsed.Number, len(parsed.RevokedCertificateEntries), parsed.NextUpdate)
	}
	f.write(t, "crl2.der", crl2)
	if text := mustOpenSSL(t, f.dir, "crl", "-inform", "DER", "-in", "crl2.der", "-CAfile", "ca.pem", "-noout", "-text"); !strings.Contains(text, "verify OK") ||
		!strings.Contains(text, "X509v3 CRL Number: \n                2\n") || !strings.Contains(text, opensslSerial(kept.Serial)) {
		t.Errorf("second CRL:\n%s", text)
	}

	// The stored CRL gives back its entries, for the next one.
	entries, err := f.auth.Entries(crl2)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Serial.Cmp(revoked.Serial) != 0 || !entries[0].At.Equal(at) || entries[0].Reason != ca.AffiliationChanged ||
		entries[1].Serial.Cmp(kept.Serial) != 0 || entries[1].Reason != ca.CessationOfOperation {
		t.Errorf("Entries = %+v", entries)
	}

	// Another CA's CRL cannot set the numbering, and openssl refuses it under this CA.
	g := newFixture(t)
	foreign, err := g.auth.CRL(t.Context(), nil, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.CRL(t.Context(), foreign, nil, at); err == nil {
		t.Error("a CRL numbered after another CA's CRL")
	}
	f.write(t, "foreign.der", foreign)
	if _, err := f.auth.Entries(foreign); err == nil {
		t.Error("Entries read another CA's CRL")
	}
	if out, err := openssl(t, f.dir, "crl", "-inform", "DER", "-in", "foreign.der", "-CAfile", "ca.pem", "-noout"); err == nil && strings.Contains(out, "verify OK") {
		t.Errorf("openssl verified another CA's CRL: %s", out)
	}
	if _, err := f.auth.CRL(t.Context(), nil, []ca.Revoked{{Serial: big.NewInt(0), At: at}}, at); err == nil {
		t.Error("a CRL entry with serial 0")
	}
}

// The signer bound to a request's context must be used; a cancelled context fails a
// signer that honours it. (The file signer ignores contexts; this checks the Authority
// asks for one.)
type ctxSigner struct {
	crypto.Signer
	ctx context.Context
}

func (s ctxSigner) WithContext(ctx context.Context) crypto.Signer { return ctxSigner{s.Signer, ctx} }

func (s ctxSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if s.ctx == nil {
		return nil, errors.New("signed without a request context")
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	return s.Signer.Sign(r, d, o)
}

func TestSignerContext(t *testing.T) {
	f := newFixture(t)
	signer, err := kmssigner.OpenFile(filepath.Join(f.dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ca.New(f.auth.Certificate().Raw, ctxSigner{Signer: signer}, f.box, ca.Config{IdentifierSalt: f.salt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Issue(t.Context(), ca.Request{Subject: person()}, t0.Add(time.Hour)); err != nil {
		t.Fatalf("Issue did not sign with the request's context: %v", err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := auth.Issue(cancelled, ca.Request{Subject: person()}, t0.Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("Issue under a cancelled context = %v", err)
	}
	if _, err := auth.CRL(cancelled, nil, nil, t0.Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("CRL under a cancelled context = %v", err)
	}
}

// FuzzIssueCSR: whatever arrives as a CSR, Issue answers with a certificate for a CSR
// whose signature verifies or with ErrBadRequest, never with a panic or another error.
func FuzzIssueCSR(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(csr)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"))
	dir := f.TempDir()
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		f.Fatal(err)
	}
	root, err := ca.NewRoot(f.Context(), signer, caSubject, t0)
	if err != nil {
		f.Fatal(err)
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		f.Fatal(err)
	}
	auth, err := ca.New(root, signer, box, ca.Config{IdentifierSalt: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return // no CSR: the platform generates the key
		}
		issued, err := auth.Issue(t.Context(), ca.Request{Subject: person(), CSR: data}, t0.Add(time.Hour))
		if err != nil {
			if !errors.Is(err, ca.ErrBadRequest) {
				t.Fatalf("Issue = %v, want ErrBadRequest", err)
			}
			return
		}
		if issued.SealedKey != nil {
			t.Fatal("a sealed key for a CSR's certificate")
		}
	})
}
