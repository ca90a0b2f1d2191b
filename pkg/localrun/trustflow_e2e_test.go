package localrun_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/payout"
)

// Issue 15's "done when", through the local runner as `make run` wires it: an integrator
// verifies its person with the hosted three-factor page, creates a company administered by
// that person, the review worker checks it, the company proves its bank account with the
// sandbox's micro-payment and a reviewer approves it (either verdict alone leaves it
// waiting); the app then gets a certificate that openssl verifies against GET /v1/ca/cert,
// revokes it, and openssl reads its serial in GET /v1/ca/crl.
func TestRunnerTrustFlowEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is the independent verifier here and is not installed")
	}
	dir := t.TempDir()
	keepWorkingDir(t)
	var out bytes.Buffer
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-trust", Out: &out})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Close()
	smsOut := filepath.Join(dir, "outbox", "sms.jsonl")

	// An operator makes an admin, who creates the integrator's app.
	adm := newDocsClient(t, r.APIURL)
	const admPhone, pw = "13800138021", "a fine passphrase"
	adm.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": admPhone, "purpose": kyc.PurposeRegister}, 200, 1000)
	code, err := localsms.LastCode(smsOut, admPhone, kyc.PurposeRegister)
	if err != nil {
		t.Fatal(err)
	}
	adm.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": admPhone, "code": code, "password": pw}, 201, 1000)
	fn, _ := lambdafn.Lookup(lambdafn.GrantRole)
	resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/"+fn.LogicalID+"/invocations", "application/json",
		strings.NewReader(`{"phone":"`+admPhone+`","role":"admin"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var tok struct{ Token string }
	_ = json.Unmarshal(adm.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": admPhone, "password": pw}, 200, 1000).Data, &tok)
	adm.token = tok.Token
	var app struct {
		Key    string `json:"app_key"`
		Secret string `json:"app_secret"`
	}
	_ = json.Unmarshal(adm.json(http.MethodPost, "/v1/admin/apps", map[string]string{"name": "Trust Flow Platform"}, 201, 1000).Data, &app)

	integ := newDocsClient(t, r.APIURL)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.Key}, "client_secret": {app.Secret}}
	_, body := integ.do(http.MethodPost, "/v1/oauth/token", "application/x-www-form-urlencoded", []byte(form.Encode()))
	var access struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &access); err != nil || access.AccessToken == "" {
		t.Fatalf("token: %s", body)
	}
	integ.token = access.AccessToken

	// The person: created, then verified on the hosted page (SMS code, three factors).
	person := map[string]string{"name": "信任", "idNum": idchecktest.ResidentID("11010519900307123"), "mobile": "13800138022"}
	var created struct {
		AccountID string `json:"accountId"`
	}
	_ = json.Unmarshal(integ.json(http.MethodPost, "/v1/accounts/person", person, 201, 1000).Data, &created)
	admin := created.AccountID
	start := map[string]string{"accountId": admin, "returnUrl": "https://app.example/done"}
	for k, v := range person {
		start[k] = v
	}
	var hosted struct{ URL string }
	_ = json.Unmarshal(integ.json(http.MethodPost, "/v1/identify/person/3/async", start, 201, 1000).Data, &hosted)
	_, ticket, ok := strings.Cut(hosted.URL, "/v1/verify/")
	if !ok {
		t.Fatalf("hosted url %q", hosted.URL)
	}
	browser := newDocsClient(t, r.APIURL)
	browser.json(http.MethodPost, "/v1/verify/"+ticket+"/code", nil, 200, 1000)
	vcode, err := localsms.LastCode(smsOut, person["mobile"], kyc.PurposeVerify)
	if err != nil {
		t.Fatal(err)
	}
	browser.json(http.MethodPost, "/v1/verify/"+ticket+"/confirm", map[string]string{"code": vcode}, 200, 1000)
	if s := appAccountState(integ, admin); s != string(kyc.StateApproved) {
		t.Fatalf("the verified person is %s, want APPROVED", s)
	}

	// The company, with a licence uploaded for it before it exists.
	const companyName = "信任流程科技有限公司"
	org := map[string]any{"adminAccountId": admin, "emailOrMobile": "admin@example.com", "name": companyName,
		"organizationType": 0, "identificationType": 1, "organizationRegNo": idchecktest.USCC("91110108MA01ABCE2"),
		"organizationRegImg": integ.upload("organizationRegImg", "image/png", filechecktest.PNG(320, 200)), "legalName": "信任"}
	_ = json.Unmarshal(integ.json(http.MethodPost, "/v1/accounts/organization", org, 201, 1000).Data, &created)
	company := created.AccountID
	deadline := time.Now().Add(10 * time.Second)
	for appAccountState(integ, company) != string(kyc.StatePendingReview) {
		if time.Now().After(deadline) {
			t.Fatalf("the company is %s, want PENDING_REVIEW after the worker's checks; runner log:\n%s", appAccountState(integ, company), out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The bank verdict first: the sandbox pays a random amount, which the company reads
	// on its statement (here: the sandbox's file) and tells back.
	bank := "/v1/accounts/" + company + "/bank-verification"
	integ.json(http.MethodPost, bank, map[string]string{"bank_account_name": companyName, "bank_account_no": "6222 0202 0011 2233 445", "bank_name": "Example Bank"}, 200, 1000)
	lines, err := payout.ReadSandbox(filepath.Join(dir, "outbox", "payouts.jsonl"))
	if err != nil || len(lines) == 0 || lines[len(lines)-1].AccountID != company {
		t.Fatalf("sandbox payouts %+v (%v)", lines, err)
	}
	amount := lines[len(lines)-1].Amount
	wrong := "0.01"
	if amount == wrong {
		wrong = "0.02"
	}
	integ.json(http.MethodPost, bank+"/confirm", map[string]string{"amount": wrong}, 422, 1012)
	integ.json(http.MethodPost, bank+"/confirm", map[string]string{"amount": amount}, 200, 1000)
	if s := appAccountState(integ, company); s != string(kyc.StatePendingReview) {
		t.Fatalf("after the bank alone the company is %s, want PENDING_REVIEW", s)
	}
	// The reviewer's verdict second approves it.
	adm.json(http.MethodPost, "/v1/cms/account/"+company+"/authorizeAccount", nil, 200, 12001)
	if s := appAccountState(integ, company); s != string(kyc.StateApproved) {
		t.Fatalf("after both verdicts the company is %s, want APPROVED", s)
	}

	// The certificate, checked by openssl against the CA certificate.
	var cert struct {
		CertID string `json:"certId"`
		Serial string `json:"serial"`
		PEM    string `json:"pem"`
	}
	_ = json.Unmarshal(integ.json(http.MethodPost, "/v1/certs", map[string]string{"accountId": company}, 201, 1000).Data, &cert)
	_ = json.Unmarshal(integ.json(http.MethodGet, "/v1/certs/"+cert.CertID, nil, 200, 1000).Data, &cert)
	if _, crl := integ.do(http.MethodGet, "/v1/ca/crl", "", nil); len(crl) == 0 {
		t.Fatal("empty CRL")
	}
	resp, caPEM := integ.do(http.MethodGet, "/v1/ca/cert", "", nil)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(caPEM, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("GET /v1/ca/cert = %d %.80s", resp.StatusCode, caPEM)
	}
	caFile, certFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, []byte(cert.PEM), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := openssl(t, nil, "verify", "-CAfile", caFile, certFile); !strings.Contains(got, ": OK") {
		t.Fatalf("openssl verify: %s", got)
	}
	if subject := openssl(t, nil, "x509", "-in", certFile, "-noout", "-subject", "-nameopt", "utf8"); !strings.Contains(subject, companyName) {
		t.Errorf("subject %q, want the company's name", subject)
	}

	// Revoked, and listed in the CRL.
	integ.json(http.MethodPost, "/v1/certs/"+cert.CertID+"/revoke", map[string]string{"reason": "keyCompromise"}, 200, 1000)
	_, crl := integ.do(http.MethodGet, "/v1/ca/crl", "", nil)
	text := openssl(t, crl, "crl", "-inform", "DER", "-noout", "-text")
	if !strings.Contains(strings.ToUpper(strings.ReplaceAll(text, ":", "")), strings.ToUpper(strings.TrimLeft(cert.Serial, "0"))) {
		t.Errorf("the CRL does not list serial %s:\n%s", cert.Serial, text)
	}
}

// appAccountState is the state of the app's account id, as the app reads it.
func appAccountState(c *docsClient, id string) string {
	c.t.Helper()
	var a struct{ State string }
	_ = json.Unmarshal(c.json(http.MethodGet, "/v1/accounts/"+id, nil, 200, 1000).Data, &a)
	return a.State
}

// openssl runs openssl with stdin and returns what it printed; a failure stops the test.
func openssl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "openssl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
