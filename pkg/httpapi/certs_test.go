package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// approve gives the stored account a verified name and ID number and moves it to APPROVED,
// as a reviewer's decision or a three-factor match would.
func (d *docFixture) approve(t *testing.T, id, name, idNumber string) {
	t.Helper()
	a := d.account(t, id)
	next := a
	next.Name, next.IDNumber, next.State = name, idNumber, kyc.StateApproved
	if _, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: id, At: d.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: kyc.StateApproved}}); err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
}

type certData struct {
	AccountID string `json:"accountId"`
	CertID    string `json:"certId"`
	Serial    string `json:"serial"`
	Subject   string `json:"subject"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
	Status    string `json:"status"`
	PEM       string `json:"pem"`
}

func certOf(t *testing.T, e envelopeJSON) certData {
	t.Helper()
	var c certData
	if err := json.Unmarshal(e.Data, &c); err != nil {
		t.Fatalf("data %s: %v", e.Data, err)
	}
	return c
}

// raw fetches a public CA route and checks its media type.
func (d *docFixture) raw(t *testing.T, path, contentType string) []byte {
	t.Helper()
	w := d.call(t, http.MethodGet, path, "", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentType {
		t.Fatalf("GET %s: %d %q, want 200 %s: %s", path, w.Code, w.Header().Get("Content-Type"), contentType, w.Body)
	}
	return w.Body.Bytes()
}

func runOpenSSL(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// crlSerials is the lower-case hex serials openssl lists in a DER CRL.
func crlText(t *testing.T, der []byte) string {
	t.Helper()
	text := runOpenSSL(t, der, "crl", "-inform", "DER", "-text", "-noout")
	return strings.ToLower(strings.ReplaceAll(text, ":", ""))
}

// listsSerial reports whether openssl's CRL text (crlText) lists serial: openssl pads a
// serial to whole bytes ("0a28…"), ca.SerialHex does not ("a28…").
func listsSerial(text, serial string) bool {
	return regexp.MustCompile(`serial number 0*` + regexp.QuoteMeta(strings.TrimLeft(serial, "0")) + `\b`).MatchString(text)
}

// noSealedKey fails if an answer carries the stored sealed key in any common encoding.
func noSealedKey(t *testing.T, sealed []byte, bodies ...[]byte) {
	t.Helper()
	if len(sealed) == 0 {
		t.Fatal("the record has no sealed key: a generated key must be stored sealed")
	}
	for _, b := range bodies {
		for _, enc := range [][]byte{sealed, []byte(base64.StdEncoding.EncodeToString(sealed)), []byte(hex.EncodeToString(sealed)), []byte(base64.RawURLEncoding.EncodeToString(sealed))} {
			if bytes.Contains(b, enc[:min(len(enc), 24)]) {
				t.Fatalf("an answer carries the sealed key: %s", b)
			}
		}
	}
}

func TestCertificatesThroughHTTP(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	other := d.newUser(t, kyc.RoleUser)
	admin := d.newUser(t, kyc.RoleAdmin)

	// Not APPROVED yet: 409 / 1021.
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID}), http.StatusConflict, 1021, "")
	d.approve(t, u.AccountID, "张三", "11010519491231002X")
	// Another user's account: 404 / 1015, as an account that does not exist.
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", other.Token, map[string]string{"accountId": u.AccountID}), http.StatusNotFound, 1015, "")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": "no-such-account"}), http.StatusNotFound, 1015, "")

	applied := d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID})
	a := certOf(t, wantEnvelope(t, applied, http.StatusCreated, CodeOK, ""))
	if a.AccountID != u.AccountID || a.CertID == "" {
		t.Fatalf("applied %+v", a)
	}
	// One live certificate: a second apply is 409 naming it.
	again := d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID})
	if e := wantEnvelope(t, again, http.StatusConflict, 1021, ""); !strings.Contains(string(e.Data), a.CertID) {
		t.Fatalf("second apply data %s, want the live certId %s", e.Data, a.CertID)
	}

	got := d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, u.Token, nil)
	c := certOf(t, wantEnvelope(t, got, http.StatusOK, CodeOK, ""))
	if c.CertID != a.CertID || c.Status != "ISSUED" || c.Subject != "张三" || c.Serial == "" || c.NotBefore == "" || c.NotAfter == "" {
		t.Fatalf("certificate %+v", c)
	}
	if strings.Contains(c.PEM, "11010519491231002X") || strings.Contains(got.Body.String(), "11010519491231002X") {
		t.Fatal("the ID number is in the answer")
	}
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, other.Token, nil), http.StatusNotFound, 1015, "")

	// A relying party: the CA certificate from GET /v1/ca/cert verifies the certificate.
	caPEM := d.raw(t, "/v1/ca/cert", "application/x-pem-file")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	at := strconv.FormatInt(d.clock.Now().Unix(), 10)
	if out := runOpenSSL(t, []byte(c.PEM), "verify", "-attime", at, "-CAfile", caFile); !strings.Contains(out, "OK") {
		t.Fatalf("openssl verify: %s", out)
	}
	// The CRL before any revocation: signed by the CA, listing nothing.
	crl := d.raw(t, "/v1/ca/crl", "application/pkix-crl")
	if text := crlText(t, crl); listsSerial(text, c.Serial) {
		t.Fatalf("the CRL lists %s before its revocation", c.Serial)
	}

	// Revocation: another user cannot (404); the owner can, once.
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", other.Token, map[string]string{"reason": "keyCompromise"}), http.StatusNotFound, 1015, "")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", u.Token, map[string]string{"reason": "stolen"}), http.StatusBadRequest, 1006, "reason")
	rev := d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", u.Token, map[string]string{"reason": "keyCompromise"})
	if r := certOf(t, wantEnvelope(t, rev, http.StatusOK, CodeOK, "")); r.Status != "REVOKED" {
		t.Fatalf("revoked %+v", r)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", u.Token, map[string]string{"reason": "keyCompromise"}), http.StatusConflict, 1021, "")
	if r := certOf(t, wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, u.Token, nil), http.StatusOK, CodeOK, "")); r.Status != "REVOKED" {
		t.Fatalf("after revocation %+v", r)
	}
	crl = d.raw(t, "/v1/ca/crl", "application/pkix-crl")
	text := crlText(t, crl)
	if !listsSerial(text, c.Serial) || !strings.Contains(text, "key compromise") {
		t.Fatalf("the CRL does not list %s (key compromise):\n%s", c.Serial, text)
	}
	if out := runOpenSSL(t, crl, "crl", "-inform", "DER", "-CAfile", caFile, "-noout"); !strings.Contains(out, "verify OK") {
		t.Fatalf("openssl crl: %s", out)
	}

	// Revoked: the account may apply again; an admin may revoke anyone's, and the CRL
	// keeps the first serial.
	second := certOf(t, wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID}), http.StatusCreated, CodeOK, ""))
	s2 := certOf(t, wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+second.CertID, u.Token, nil), http.StatusOK, CodeOK, ""))
	adminRev := d.call(t, http.MethodPost, "/v1/certs/"+second.CertID+"/revoke", admin.Token, map[string]string{"reason": "superseded"})
	wantEnvelope(t, adminRev, http.StatusOK, CodeOK, "")
	text = crlText(t, d.raw(t, "/v1/ca/crl", "application/pkix-crl"))
	for _, serial := range []string{c.Serial, s2.Serial} {
		if !listsSerial(text, serial) {
			t.Fatalf("the CRL misses %s:\n%s", serial, text)
		}
	}

	// Each issue and revocation wrote its event to the outbox in its own transaction:
	// ids and status only.
	ds := d.store.(*dynamo.Store)
	for id, want := range map[string]string{"evt_certificate_issued_" + a.CertID: "ISSUED", "evt_certificate_revoked_" + a.CertID: "REVOKED",
		"evt_certificate_issued_" + second.CertID: "ISSUED", "evt_certificate_revoked_" + second.CertID: "REVOKED"} {
		ev, err := ds.GetOutbox(t.Context(), id)
		if err != nil {
			t.Fatalf("outbox %s: %v", id, err)
		}
		var body struct {
			Data map[string]string `json:"data"`
		}
		if err := json.Unmarshal(ev.Body, &body); err != nil || body.Data["status"] != want || body.Data["account_id"] != u.AccountID || len(body.Data) != 3 {
			t.Fatalf("outbox %s: %s (%v), want status %s and ids only", id, ev.Body, err, want)
		}
	}

	// The sealed key is stored and in no answer.
	rec, err := d.store.(certs.Store).GetCert(t.Context(), a.CertID)
	if err != nil {
		t.Fatal(err)
	}
	noSealedKey(t, rec.SealedKey, applied.Body.Bytes(), again.Body.Bytes(), got.Body.Bytes(), rev.Body.Bytes(), adminRev.Body.Bytes(), caPEM, crl)
}

func TestCertificatesIntegrator(t *testing.T) {
	d := newDocFixture(t)
	app1, app2 := d.newApp(t), d.newApp(t)
	tok1, tok2 := d.appToken(t, app1), d.appToken(t, app2)
	acct := d.createPerson(t, tok1, personBody("11010519491231002X"))
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", tok1, map[string]string{"accountId": acct}), http.StatusConflict, 1021, "")
	d.approve(t, acct, "张三", "11010519491231002X")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", tok2, map[string]string{"accountId": acct}), http.StatusNotFound, 1015, "")
	user := d.newUser(t, kyc.RoleUser)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", user.Token, map[string]string{"accountId": acct}), http.StatusNotFound, 1015, "")

	a := certOf(t, wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", tok1, map[string]string{"accountId": acct}), http.StatusCreated, CodeOK, ""))
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, tok1, nil), http.StatusOK, CodeOK, "")
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, tok2, nil), http.StatusNotFound, 1015, "")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", tok1, nil), http.StatusBadRequest, 997, "reason")
	cessation := map[string]string{"reason": "cessationOfOperation"}
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", tok2, cessation), http.StatusNotFound, 1015, "")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+a.CertID+"/revoke", tok1, cessation), http.StatusOK, CodeOK, "")
}

// TestCertificatesConcurrentApply: applies at once store one certificate; the others are
// 409 naming it.
func TestCertificatesConcurrentApply(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	d.approve(t, u.AccountID, "李四", "110105194912310029")
	const n = 8
	answers := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID})
		}()
	}
	wg.Wait()
	var issued string
	for _, w := range answers {
		if w.Code == http.StatusCreated {
			if issued != "" {
				t.Fatal("two applies at once both issued a certificate")
			}
			issued = certOf(t, wantEnvelope(t, w, http.StatusCreated, CodeOK, "")).CertID
		}
	}
	if issued == "" {
		t.Fatal("no apply issued a certificate")
	}
	for _, w := range answers {
		if w.Code != http.StatusCreated {
			if e := wantEnvelope(t, w, http.StatusConflict, 1021, ""); !strings.Contains(string(e.Data), issued) {
				t.Fatalf("refused apply data %s, want %s", e.Data, issued)
			}
		}
	}
}

// TestCertificateFromCSR: a CSR made by openssl gets a certificate for its key, with the
// platform's subject, that openssl verifies; no private key is stored. A CSR with a broken
// signature or a key of another kind is 400 / 1006 naming csr, and issues nothing.
func TestCertificateFromCSR(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	d.approve(t, u.AccountID, "张三", "11010519491231002X")
	dir := t.TempDir()
	keyFile, csrFile := filepath.Join(dir, "req.key"), filepath.Join(dir, "req.csr")
	runOpenSSL(t, nil, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", keyFile, "-subj", "/CN=Mallory/O=Someone Else", "-addext", "subjectAltName=DNS:bank.example", "-out", csrFile)
	csr, err := os.ReadFile(csrFile)
	if err != nil {
		t.Fatal(err)
	}

	// Refused first: a broken signature, a P-384 key, not a CSR. Nothing is issued.
	block, _ := pem.Decode(csr)
	broken := bytes.Clone(block.Bytes)
	broken[len(broken)-3] ^= 0x01 // inside the signature
	p384 := filepath.Join(dir, "p384.csr")
	runOpenSSL(t, nil, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
		"-keyout", filepath.Join(dir, "p384.key"), "-subj", "/CN=x", "-out", p384)
	p384CSR, err := os.ReadFile(p384)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"broken signature": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: broken})),
		"P-384 key":        string(p384CSR),
		"not a CSR":        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
	} {
		w := d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID, "csr": bad})
		if e := wantEnvelope(t, w, http.StatusBadRequest, 1006, "csr"); strings.Contains(e.Msg, "AAAA") {
			t.Errorf("%s: the message quotes the CSR: %q", name, e.Msg)
		}
	}

	a := certOf(t, wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID, "csr": string(csr)}), http.StatusCreated, CodeOK, ""))
	c := certOf(t, wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, u.Token, nil), http.StatusOK, CodeOK, ""))
	certFile, caFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(certFile, []byte(c.PEM), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, d.raw(t, "/v1/ca/cert", "application/x-pem-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := strconv.FormatInt(d.clock.Now().Unix(), 10)
	if out := runOpenSSL(t, nil, "verify", "-attime", at, "-CAfile", caFile, certFile); !strings.Contains(out, "OK") {
		t.Fatalf("openssl verify: %s", out)
	}
	// The certificate is for openssl's key, and its subject is the platform's, not the CSR's.
	certPub := runOpenSSL(t, nil, "x509", "-in", certFile, "-noout", "-pubkey")
	keyPub := runOpenSSL(t, nil, "pkey", "-in", keyFile, "-pubout")
	if certPub != keyPub {
		t.Fatalf("the certificate's key\n%s\nis not the CSR's\n%s", certPub, keyPub)
	}
	text := runOpenSSL(t, nil, "x509", "-in", certFile, "-noout", "-text")
	if strings.Contains(text, "Mallory") || strings.Contains(text, "Someone Else") || strings.Contains(text, "bank.example") || !strings.Contains(text, "CN") {
		t.Fatalf("the CSR's subject or extensions were taken:\n%s", text)
	}
	if c.Subject != "张三" {
		t.Fatalf("subject %q, want the verified name", c.Subject)
	}
	rec, err := d.store.(certs.Store).GetCert(t.Context(), a.CertID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.SealedKey) != 0 || rec.Source != "csr" {
		t.Fatalf("record from a CSR: %d bytes of sealed key, source %q; want none and csr", len(rec.SealedKey), rec.Source)
	}
}

// certRecord reads the stored certificate id.
func (d *docFixture) certRecord(t *testing.T, id string) certs.Record {
	t.Helper()
	r, err := d.store.(certs.Store).GetCert(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLegalChangeRevokesCertificate: a modification of an approved company's name or legal
// person revokes its live certificate in the modification's own transaction; the next
// CRL (signed lazily by GET /v1/ca/crl, which has the CA key the reapply function lacks)
// lists it. A modification of other fields, or one refused, revokes nothing.
func TestLegalChangeRevokesCertificate(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedCompany(t)
	apply := func() (certData, certs.Record) {
		t.Helper()
		a := certOf(t, wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs", u.Token, map[string]string{"accountId": u.AccountID}), http.StatusCreated, CodeOK, ""))
		c := certOf(t, wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+a.CertID, u.Token, nil), http.StatusOK, CodeOK, ""))
		return c, d.certRecord(t, a.CertID)
	}
	c1, _ := apply()
	if c1.Subject != "镇江图书馆" {
		t.Fatalf("subject %q, want the company's name", c1.Subject)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, d.raw(t, "/v1/ca/cert", "application/x-pem-file"), 0o600); err != nil {
		t.Fatal(err)
	}

	// A legal change written as if the account had no live certificate (a certificate
	// issued after the read) is refused whole: nothing of the modification is stored.
	a := d.account(t, u.AccountID)
	raced := a
	raced.Organization = "别的名字"
	_, err := d.store.Transition(t.Context(), kyc.Transition{Account: raced, FromState: a.State, FromVersion: a.Version,
		Audit:      kyc.AuditRecord{AccountID: a.ID, At: d.clock.Now(), Actor: "test", Action: kyc.ActionModify, From: a.State, To: a.State},
		RevokeCert: &kyc.CertRevocation{Reason: int(ca.AffiliationChanged)}})
	if !kyc.IsCode(err, kyc.ECONFLICT) || d.account(t, u.AccountID).Version != a.Version {
		t.Fatalf("a legal change blind to the live certificate: %v, want ECONFLICT and nothing written", err)
	}

	// Not a legal change: the address. Refused: a name change with a bad legal ID number.
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "address": "江苏省镇江市润州区1号"}), http.StatusOK, CodeOK, "")
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "name": "镇江市图书馆", "legalIdentityCard": "110105194912310021"}),
		http.StatusBadRequest, 1006, "legalIdentityCard")
	if r := d.certRecord(t, c1.CertID); r.Status != certs.Issued {
		t.Fatalf("after a modification of the address and a refused one: %s, want ISSUED", r.Status)
	}

	// The name: revoked, with the modification.
	e := wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "name": "镇江市图书馆"}), http.StatusOK, CodeOK, "")
	if !strings.Contains(string(e.Data), `"name"`) {
		t.Fatalf("modification %s", e.Data)
	}
	if v := certOf(t, wantEnvelope(t, d.call(t, http.MethodGet, "/v1/certs/"+c1.CertID, u.Token, nil), http.StatusOK, CodeOK, "")); v.Status != "REVOKED" {
		t.Fatalf("after the name's change: %s, want REVOKED", v.Status)
	}
	if r := d.certRecord(t, c1.CertID); r.Reason != ca.AffiliationChanged || r.RevokedAt.IsZero() {
		t.Fatalf("revoked record %+v, want reason affiliationChanged and a time", r)
	}
	ev, err := d.store.(*dynamo.Store).GetOutbox(t.Context(), "evt_certificate_revoked_"+c1.CertID)
	// The first CRL is signed here, with the pending revocation in it.
	if err != nil || !strings.Contains(string(ev.Body), `"REVOKED"`) {
		t.Fatalf("certificate.revoked event: %s, %v", ev.Body, err)
	}
	crl := d.raw(t, "/v1/ca/crl", "application/pkix-crl")
	text := crlText(t, crl)
	if !listsSerial(text, c1.Serial) || !strings.Contains(text, "affiliation changed") {
		t.Fatalf("the CRL does not list %s (affiliation changed):\n%s", c1.Serial, text)
	}
	if out := runOpenSSL(t, crl, "crl", "-inform", "DER", "-CAfile", caFile, "-noout"); !strings.Contains(out, "verify OK") {
		t.Fatalf("openssl crl: %s", out)
	}

	// The guard went with it: the account applies again, under its new name; a change of
	// the legal person revokes that one too, and the CRL keeps both.
	c2, _ := apply()
	if c2.Subject != "镇江市图书馆" {
		t.Fatalf("subject %q, want the new name", c2.Subject)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "legalName": "杨光"}), http.StatusOK, CodeOK, "")
	if r := d.certRecord(t, c2.CertID); r.Status != certs.Revoked {
		t.Fatalf("after the legal person's change: %s, want REVOKED", r.Status)
	}
	// A revocation over the route before any CRL read signs the pending one in too.
	c3, _ := apply()
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/certs/"+c3.CertID+"/revoke", u.Token, map[string]string{"reason": "superseded"}), http.StatusOK, CodeOK, "")
	if st, err := d.store.(certs.Store).LoadCRL(t.Context()); err != nil || len(st.Pending) != 0 || !listsSerial(crlText(t, st.DER), c2.Serial) {
		t.Fatalf("after the route's revocation: pending %+v, %v; want the pending serial in the stored CRL", st.Pending, err)
	}
	text = crlText(t, d.raw(t, "/v1/ca/crl", "application/pkix-crl"))
	for _, serial := range []string{c1.Serial, c2.Serial, c3.Serial} {
		if !listsSerial(text, serial) {
			t.Fatalf("the CRL misses %s:\n%s", serial, text)
		}
	}
	// Nothing is left pending once a CRL lists it.
	if st, err := d.store.(certs.Store).LoadCRL(t.Context()); err != nil || len(st.Pending) != 0 {
		t.Fatalf("CRL state after serving %+v, %v: want nothing pending", st.Pending, err)
	}
}
