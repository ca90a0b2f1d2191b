package certs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newService is the local configuration: a file CA key, a file sealer, the store on dynoxide.
func newService(t *testing.T) (*certs.Service, string) {
	t.Helper()
	dir := t.TempDir()
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		t.Fatal(err)
	}
	store := testenv.Store(t)
	ctx := context.Background()
	root, err := ca.Bootstrap(ctx, store, signer, pkix.Name{CommonName: "realname test CA"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A second bootstrap loads the stored certificate instead of making another.
	again, err := ca.Bootstrap(ctx, store, signer, pkix.Name{CommonName: "realname test CA"}, time.Now())
	if err != nil || !bytes.Equal(root, again) {
		t.Fatalf("second bootstrap: %v, same=%v", err, bytes.Equal(root, again))
	}
	auth, err := ca.New(root, signer, box, ca.Config{IdentifierSalt: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, auth.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &certs.Service{Store: store, CA: auth, NewID: newID}, caFile
}

func approved(id string) kyc.Account {
	return kyc.Account{ID: id, Type: kyc.PersonalAccount, Name: "张三", IDNumber: "11010519491231002X", State: kyc.StateApproved}
}

func openssl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestIssueVerifyRevoke(t *testing.T) {
	s, caFile := newService(t)
	ctx := context.Background()
	r, err := s.Apply(ctx, approved("acct-1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Store.GetCert(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != certs.Issued || got.AccountID != "acct-1" || got.Subject != "张三" || len(got.SealedKey) == 0 || got.Serial != r.Serial {
		t.Fatalf("stored %+v", got)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: got.DER})
	if out := openssl(t, certPEM, "verify", "-CAfile", caFile); !strings.Contains(out, "OK") {
		t.Fatalf("verify: %s", out)
	}
	// The raw ID number is never in the certificate.
	if bytes.Contains(got.DER, []byte("11010519491231002X")) {
		t.Fatal("ID number in the certificate")
	}

	// One live certificate: a second apply names the first.
	_, err = s.Apply(ctx, approved("acct-1"))
	var ke *kyc.Error
	if !kyc.IsCode(err, kyc.ECONFLICT) || !asKyc(err, &ke) || ke.Data["certId"] != r.ID {
		t.Fatalf("second apply: %v", err)
	}

	if _, err := s.Revoke(ctx, r.ID, ca.KeyCompromise); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, r.ID, ca.KeyCompromise); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Fatalf("second revoke: %v", err)
	}
	crl, err := s.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text := openssl(t, crl, "crl", "-inform", "DER", "-text", "-noout")
	if !strings.Contains(strings.ToLower(strings.ReplaceAll(text, ":", "")), strings.TrimLeft(r.Serial, "0")) {
		t.Fatalf("CRL does not list %s:\n%s", r.Serial, text)
	}
	openssl(t, crl, "crl", "-inform", "DER", "-CAfile", caFile, "-noout")

	// Revoked: the account may apply again, and a second revocation keeps the first listed.
	r2, err := s.Apply(ctx, approved("acct-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, r2.ID, ca.Superseded); err != nil {
		t.Fatal(err)
	}
	crl, _ = s.CRL(ctx)
	text = strings.ToLower(strings.ReplaceAll(openssl(t, crl, "crl", "-inform", "DER", "-text", "-noout"), ":", ""))
	for _, serial := range []string{r.Serial, r2.Serial} {
		if !strings.Contains(text, strings.TrimLeft(serial, "0")) {
			t.Fatalf("CRL misses %s", serial)
		}
	}
}

func asKyc(err error, out **kyc.Error) bool {
	e, ok := err.(*kyc.Error)
	*out = e
	return ok
}

func TestNotApproved(t *testing.T) {
	s, _ := newService(t)
	a := approved("acct-2")
	a.State = kyc.StateSubmitted
	if _, err := s.Apply(context.Background(), a); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Fatalf("apply for a submitted account: %v", err)
	}
}

func TestConcurrentAppliesIssueOne(t *testing.T) {
	s, _ := newService(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Apply(context.Background(), approved("acct-3"))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !kyc.IsCode(err, kyc.ECONFLICT):
			t.Fatalf("apply: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d applies stored a certificate, want 1", ok)
	}
}

func TestFirstCRLIsEmpty(t *testing.T) {
	s, caFile := newService(t)
	crl, err := s.CRL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	openssl(t, crl, "crl", "-inform", "DER", "-CAfile", caFile, "-noout")
}
