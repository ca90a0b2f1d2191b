package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
)

const orgAccountsPath = "/v1/accounts/organization"

// integratorCompanyForm is the smallest company form (a unified-certificate enterprise)
// with a licence the app uploaded for a company it is about to create.
func (d *docFixture) integratorCompanyForm(t *testing.T, tok, adminID string) map[string]any {
	t.Helper()
	return map[string]any{
		"adminAccountId": adminID, "emailOrMobile": "t4x0@ebaoquan.org", "name": "镇江（京口）图书馆有限公司", "organizationType": "0",
		"identificationType": 1, "organizationRegNo": orgUSCC, "organizationRegImg": d.appUpload(t, tok, "", "organizationRegImg", licPNG),
		"legalName": "杨明",
	}
}

// An integrator creates a company administered by its verified person, with documents it
// uploaded without an account; the company is SUBMITTED at once, with its profile, queued
// for review, owned by the app, and needs the bank verification as well as the reviewer.
func TestIntegratorCompanyAccount(t *testing.T) {
	d := newDocFixture(t)
	app := d.newApp(t)
	tok := d.appToken(t, app)
	admin := d.createPerson(t, tok, personBody(goodID))
	d.approve(t, admin, "张三", goodID)

	form := d.integratorCompanyForm(t, tok, admin)
	e := wantEnvelope(t, d.call(t, http.MethodPost, orgAccountsPath, tok, form), http.StatusCreated, CodeOK, "")
	var created struct {
		AccountID string `json:"accountId"`
		State     string `json:"state"`
	}
	if err := json.Unmarshal(e.Data, &created); err != nil || created.AccountID == "" || created.State != string(kyc.StateSubmitted) {
		t.Fatalf("created %s (%v)", e.Data, err)
	}
	a := d.account(t, created.AccountID)
	if a.State != kyc.StateSubmitted || a.Type != kyc.CompanyAccount || a.OwnerKind != kyc.OwnerIntegrator || a.OwnerID != app.AppKey ||
		a.AdminAccountID != admin || !a.BankRequired || a.Organization != "镇江（京口）图书馆有限公司" || a.IDNumber != orgUSCC || a.Attempts != 1 {
		t.Fatalf("stored account %+v", a)
	}
	d.wantDocument(t, a, "licence", "image/png", licPNG)
	if v := d.profiles(t, a.ID); len(v) != 1 || v[0].Version != 1 || v[0].Fields["organizationRegNo"] != orgUSCC {
		t.Errorf("profile versions %+v, want the first", v)
	}
	if q := d.queued(t); len(q) != 1 || q[0].AccountID != a.ID {
		t.Errorf("queued %+v, want the new account", q)
	}
	// The app reads it like its persons.
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/accounts/"+a.ID, tok, nil), http.StatusOK, CodeOK, "")
	// The same form again (an answer lost) names the account made the first time and
	// makes no second one.
	e = wantEnvelope(t, d.call(t, http.MethodPost, orgAccountsPath, tok, form), http.StatusConflict, 1007, "")
	if string(e.Data) != `{"accountId":"`+a.ID+`"}` {
		t.Errorf("the repeated create answered %s", e.Data)
	}
	if q := d.queued(t); len(q) != 0 {
		t.Errorf("the repeated create queued %+v", q)
	}
	if again := d.account(t, a.ID); again.Version != a.Version || again.Attempts != 1 {
		t.Errorf("the repeated create changed the account: %+v", again)
	}

	// The reviewer's approval waits for the bank; the bank's verdict then approves, once.
	d.move(t, a.ID, kyc.StatePendingReview, "")
	rv := d.newUser(t, kyc.RoleReviewer)
	e = wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.ID), rv.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	if string(e.Data) != `{"state":"PENDING_REVIEW","waiting_for":"bank_verification"}` {
		t.Errorf("approve answered %s", e.Data)
	}
	waiting := d.account(t, a.ID)
	if waiting.State != kyc.StatePendingReview || !waiting.ReviewApproved {
		t.Fatalf("after the reviewer: %s review approved %v", waiting.State, waiting.ReviewApproved)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.ID), rv.Token, nil), http.StatusConflict, 1021, "")
	e = wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/account/"+a.ID, rv.Token, nil), http.StatusOK, CodeOK, "")
	if !strings.Contains(string(e.Data), `"bank":{"required":true,"verified":false,"review_approved":true}`) {
		t.Errorf("the reviewer's detail does not say the account waits for the bank: %s", e.Data)
	}
	tr, changed := kyc.RecordBankVerified(waiting, d.clock.Now())
	if !changed {
		t.Fatal("bank verdict not recorded")
	}
	if _, err := d.store.Transition(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	if got := d.account(t, a.ID); got.State != kyc.StateApproved || !got.BankVerified {
		t.Fatalf("after the bank: %s bank verified %v", got.State, got.BankVerified)
	}
}

// Every refusal names its field and creates nothing: no account is queued.
func TestIntegratorCompanyAccountRefusals(t *testing.T) {
	d := newDocFixture(t)
	app, other := d.newApp(t), d.newApp(t)
	tok, otherTok := d.appToken(t, app), d.appToken(t, other)
	admin := d.createPerson(t, tok, personBody(goodID))
	d.approve(t, admin, "张三", goodID)
	unverified := d.createPerson(t, tok, personBody(legalNo))
	otherAdmin := d.createPerson(t, otherTok, personBody(goodID))
	d.approve(t, otherAdmin, "张三", goodID)
	user := d.newUser(t, kyc.RoleUser)

	form := d.integratorCompanyForm(t, tok, admin)
	with := func(k string, v any) map[string]any {
		f := map[string]any{}
		for key, val := range form {
			f[key] = val
		}
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	for _, c := range []struct {
		name         string
		tok          string
		body         map[string]any
		status, code int
		field        string
	}{
		{"no name", tok, with("name", nil), http.StatusBadRequest, 997, "name"},
		{"bad credit code", tok, with("organizationRegNo", "91350100M000100Y4X"), http.StatusBadRequest, 1006, "organizationRegNo"},
		{"no administrator", tok, with("adminAccountId", nil), http.StatusBadRequest, 997, "adminAccountId"},
		{"unknown administrator", tok, with("adminAccountId", "no-such-account"), http.StatusNotFound, 1015, ""},
		{"another app's administrator", tok, with("adminAccountId", otherAdmin), http.StatusNotFound, 1015, ""},
		{"unverified administrator", tok, with("adminAccountId", unverified), http.StatusConflict, 1021, ""},
		{"another app's upload", otherTok, with("adminAccountId", otherAdmin), http.StatusForbidden, 1020, "organizationRegImg"},
		{"not an upload key", tok, with("organizationRegImg", "accounts/x/licence/y"), http.StatusBadRequest, 1006, "organizationRegImg"},
		{"a user's token", user.Token, form, http.StatusUnauthorized, 999, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantEnvelope(t, d.call(t, http.MethodPost, orgAccountsPath, c.tok, c.body), c.status, c.code, c.field)
		})
	}
	if q := d.queued(t); len(q) != 0 {
		t.Errorf("refusals queued %+v", q)
	}
	// The form itself was fine: the refusals left its upload usable.
	wantEnvelope(t, d.call(t, http.MethodPost, orgAccountsPath, tok, form), http.StatusCreated, CodeOK, "")

}

// Under REQUIRE_BANK_VERIFICATION an app user's company waits for its bank verification
// after the reviewer's approval too; without it, the approval decides (the other tests).
func TestRequireBankVerificationForUsersCompanies(t *testing.T) {
	d := newDocFixture(t)
	d.svc.RequireBankVerification = true
	d.mux = muxOf(t, d.svc)
	u := d.newUser(t, kyc.RoleUser)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/organization", u.Token, d.unifiedForm(t, u)), http.StatusOK, CodeCompanyAccepted, "")
	if a := d.account(t, u.AccountID); !a.BankRequired {
		t.Fatalf("submitted company %+v, want BankRequired", a)
	}
	d.move(t, u.AccountID, kyc.StatePendingReview, "")
	rv := d.newUser(t, kyc.RoleReviewer)
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(u.AccountID), rv.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	if a := d.account(t, u.AccountID); a.State != kyc.StatePendingReview || !a.ReviewApproved {
		t.Fatalf("after the reviewer: %s, review approved %v", a.State, a.ReviewApproved)
	}
}

// An app's upload quota is per account, as a user's is: one account's full hour leaves
// the app's other accounts (and its companies to create) their own.
func TestIntegratorUploadQuotaPerAccount(t *testing.T) {
	d := newDocFixture(t)
	tok := d.appToken(t, d.newApp(t))
	one, two := d.createPerson(t, tok, personBody(goodID)), d.createPerson(t, tok, personBody(legalNo))
	grant := func(accountID string) *httptest.ResponseRecorder {
		body := map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": 1000}
		if accountID != "" {
			body["accountId"] = accountID
		}
		return d.call(t, http.MethodPost, "/v1/uploads", tok, body)
	}
	for range submission.UploadGrantsPerHour {
		wantEnvelope(t, grant(one), http.StatusOK, CodeOK, "")
	}
	wantEnvelope(t, grant(one), http.StatusTooManyRequests, 1022, "")
	wantEnvelope(t, grant(two), http.StatusOK, CodeOK, "")
	wantEnvelope(t, grant(""), http.StatusOK, CodeOK, "")
}
