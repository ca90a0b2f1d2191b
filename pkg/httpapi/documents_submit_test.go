package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

const (
	personalPath = "/v1/cms/account/uploadPersonalLicence"
	companyPath  = "/v1/cms/account/uploadCompanyLicense"
)

// wantDocument checks that slot of the stored account is a server-chosen key under
// accounts/<id>/<slot>/ holding want.
func (d *docFixture) wantDocument(t *testing.T, a kyc.Account, slot, contentType string, want []byte) {
	t.Helper()
	doc, ok := a.Documents[slot]
	if !ok {
		t.Fatalf("no %s document: %+v", slot, a.Documents)
	}
	if !strings.HasPrefix(doc.Key, accountPrefix(a.ID)+slot+"/") || doc.Slot != slot || doc.ContentType != contentType || doc.Size != int64(len(want)) {
		t.Errorf("%s document %+v, want %s of %d bytes under %s%s/", slot, doc, contentType, len(want), accountPrefix(a.ID), slot)
	}
	body, info, err := d.svc.Docs.Get(t.Context(), doc.Key)
	if err != nil {
		t.Fatalf("Get %s: %v", slot, err)
	}
	defer body.Close()
	got, _ := io.ReadAll(body)
	if !bytes.Equal(got, want) || info.ContentType != contentType {
		t.Errorf("%s stored as %s, %d bytes; want %s, the %d bytes sent", slot, info.ContentType, len(got), contentType, len(want))
	}
}

// wantSubmitted checks the account after an accepted submission: SUBMITTED, attempts as
// given, and exactly one review message naming it at its new version.
func (d *docFixture) wantSubmitted(t *testing.T, id string, attempts int) kyc.Account {
	t.Helper()
	a := d.account(t, id)
	if a.State != kyc.StateSubmitted || a.Attempts != attempts || a.RejectType != "" || len(a.Reasons) != 0 || !a.SubmittedAt.Equal(d.clock.Now()) {
		t.Errorf("account %s: state %s, attempts %d, reject %q %q, submitted %v; want SUBMITTED, %d, none, now", id, a.State, a.Attempts, a.RejectType, a.Reasons, a.SubmittedAt, attempts)
	}
	q := d.queued(t)
	if len(q) != 1 || q[0] != (kyc.ReviewMessage{AccountID: id, Version: a.Version}) {
		t.Errorf("queued %+v, want one message {%s %d}", q, id, a.Version)
	}
	return a
}

func TestSubmitPersonalWithKeys(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	body := d.personalKeys(t, u)
	body["ID_number"] = " " + strings.ToLower(goodID) + " " // trimmed, x normalised
	w := d.call(t, http.MethodPost, personalPath, u.Token, body)
	if e := wantEnvelope(t, w, 200, CodePersonalAccepted, ""); len(e.Data) != 0 {
		t.Errorf("data = %s, want none", e.Data)
	}
	a := d.wantSubmitted(t, u.AccountID, 1)
	if a.Type != kyc.PersonalAccount || a.IDNumber != goodID || a.Name != "张三" {
		t.Errorf("account %s %q %q", a.Type, a.IDNumber, a.Name)
	}
	if len(a.Documents) != 2 {
		t.Errorf("documents %+v, want frontOfID and backOfID", a.Documents)
	}
	d.wantDocument(t, a, "frontOfID", "image/png", frontPNG)
	d.wantDocument(t, a, "backOfID", "image/png", backPNG)
	if objs := objects(t, accountPrefix(a.ID)); len(objs) != 2 {
		t.Errorf("objects under the account: %q, want the two documents", objs)
	}
	trail, err := d.store.ListAudit(t.Context(), a.ID)
	if err != nil || len(trail) == 0 {
		t.Fatalf("audit: %v, %v", trail, err)
	}
	// Records of one instant (the test clock stands still) may list in any order.
	if i := slices.IndexFunc(trail, func(r kyc.AuditRecord) bool { return r.Action == "submit" }); i < 0 ||
		trail[i].Actor != u.ID || trail[i].From != kyc.StateUnverified || trail[i].To != kyc.StateSubmitted {
		t.Errorf("audit trail %+v, want the user's submit", trail)
	}

	// The seed's form encoding takes the same fields.
	v := d.newUser(t, kyc.RoleUser)
	keys := d.personalKeys(t, v)
	form := "ID_number=" + goodID + "&frontOfID=" + keys["frontOfID"] + "&backOfID=" + keys["backOfID"]
	wantEnvelope(t, d.callRaw(t, http.MethodPost, personalPath, v.Token, "application/x-www-form-urlencoded", strings.NewReader(form)), 200, CodePersonalAccepted, "")
	d.wantSubmitted(t, v.AccountID, 1)
}

func TestSubmitCompanyWithKeys(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	body := map[string]string{"organization": "某某科技(深圳)有限公司", "organizationRegNo": goodUSCC,
		"licence": d.upload(t, u.Token, "licence", confPDF), "confirmation": d.upload(t, u.Token, "confirmation", licPNG)}
	wantEnvelope(t, d.call(t, http.MethodPost, companyPath, u.Token, body), 200, CodeCompanyAccepted, "")
	a := d.wantSubmitted(t, u.AccountID, 1)
	if a.Type != kyc.CompanyAccount || a.Organization != "某某科技（深圳）有限公司" || a.IDNumber != goodUSCC {
		t.Errorf("account %s %q %q", a.Type, a.Organization, a.IDNumber)
	}
	d.wantDocument(t, a, "licence", "application/pdf", confPDF)
	d.wantDocument(t, a, "confirmation", "image/png", licPNG)
	if v, _ := d.accountView(t, u.Token); v.Type != "company_account" {
		t.Errorf("GET /v1/account type %q", v.Type)
	}
	// Seed 000's company fills the versioned profile of seed 001 with what it has.
	versions := d.profiles(t, a.ID)
	if len(versions) != 1 {
		t.Fatalf("profile versions %+v, want one", versions)
	}
	f := versions[0].Fields
	if versions[0].Version != 1 || a.ProfileVersion != 1 || f["name"] != "某某科技（深圳）有限公司" || f["organizationRegNo"] != goodUSCC ||
		f["identificationType"] != "1" || f["organizationType"] != "0" || f["organizationRegImg"] != a.Documents["licence"].Key || f["confirmation"] != a.Documents["confirmation"].Key {
		t.Errorf("profile version %+v of account at profile version %d", versions[0], a.ProfileVersion)
	}
	if f["form"] != "seed000" {
		t.Errorf("the version does not say it is seed 000's: %+v", f)
	}
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/organization", u.Token, nil), http.StatusOK, CodeOK, "")
	// Too little of seed 001's form to modify from: reapply answers as before.
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/organization/reapply", u.Token, map[string]any{"authStatus": 0, "name": "某某科技有限公司"}), http.StatusConflict, 1021, "")
}

// Refused submissions with upload keys: the code, the field, and nothing left behind. The
// bad key is the second document where possible, so the first one has been copied to
// accounts/ by the time the second is refused and must have been removed again.
func TestSubmitKeysRefused(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	other := d.newUser(t, kyc.RoleUser)
	front := d.upload(t, u.Token, "frontOfID", frontPNG)
	back := d.upload(t, u.Token, "backOfID", backPNG)

	tests := []struct {
		name         string
		front, back  string
		status, code int
		field        string
	}{
		{"back never uploaded", front, d.grant(t, u.Token, "backOfID", "image/png", len(backPNG)).Key, 400, 1006, "backOfID"},
		{"front never uploaded", d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG)).Key, back, 400, 1006, "frontOfID"},
		{"key never issued", front, "uploads/" + u.AccountID + "/backOfID/made-up", 400, 1006, "backOfID"},
		{"not an upload key", front, "accounts/" + u.AccountID + "/backOfID/x", 400, 1006, "backOfID"},
		{"another user's key", front, d.upload(t, other.Token, "backOfID", backPNG), 403, 1020, "backOfID"},
		{"backOfID key as frontOfID", back, back, 400, 1006, "frontOfID"},
		{"frontOfID key as backOfID", front, front, 400, 1006, "backOfID"},
		{"portrait key as backOfID", front, d.upload(t, u.Token, "portrait", filechecktest.PNG(20, 20)), 400, 1006, "backOfID"},
		// Uploaded, but as another type than announced would be refused by the store;
		// here the object exists yet differs from the record (written behind the API).
		{"object differs from the record", front, d.mismatched(t, u), 400, 1006, "backOfID"},
		// The store pins only the declared type: HTML sent as image/png is caught by content.
		{"HTML uploaded as image/png", front, d.disguised(t, u), 415, 1024, "backOfID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := d.snapshot(t, u.AccountID)
			w := d.call(t, http.MethodPost, personalPath, u.Token, map[string]string{"ID_number": goodID, "frontOfID": tt.front, "backOfID": tt.back})
			wantEnvelope(t, w, tt.status, tt.code, tt.field)
			d.wantUnchanged(t, u.AccountID, before)
		})
	}

	// After all that, the good keys still work.
	wantEnvelope(t, d.call(t, http.MethodPost, personalPath, u.Token, map[string]string{"ID_number": goodID, "frontOfID": front, "backOfID": back}), 200, CodePersonalAccepted, "")
	d.wantSubmitted(t, u.AccountID, 1)
}

// mismatched returns a recorded backOfID upload whose object was written with another
// length than the record says.
func (d *docFixture) mismatched(t *testing.T, u docUser) string {
	t.Helper()
	g := d.grant(t, u.Token, "backOfID", "image/png", len(backPNG))
	if err := d.svc.Docs.Put(t.Context(), g.Key, "image/png", bytes.NewReader(frontPNG[:len(frontPNG)-1])); err != nil {
		t.Fatal(err)
	}
	return g.Key
}

// disguised returns a recorded backOfID upload holding HTML, PUT through the presigned URL
// with the announced type and length.
func (d *docFixture) disguised(t *testing.T, u docUser) string {
	t.Helper()
	html := []byte("<html><body><script>alert(1)</script></body></html>")
	g := d.grant(t, u.Token, "backOfID", "image/png", len(html))
	if code := put(t, g, html, nil); code != http.StatusOK {
		t.Fatalf("PUT of the disguised file = %d", code)
	}
	return g.Key
}

// Refused fields: the code and field of each, and nothing left behind. The documents are
// good, so only the field is at fault.
func TestSubmitFieldsRefused(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	front := d.upload(t, u.Token, "frontOfID", frontPNG)
	back := d.upload(t, u.Token, "backOfID", backPNG)
	lic := d.upload(t, u.Token, "licence", licPNG)
	conf := d.upload(t, u.Token, "confirmation", confPDF)
	personal := func(id string) map[string]string {
		return map[string]string{"ID_number": id, "frontOfID": front, "backOfID": back}
	}
	company := func(org, reg string) map[string]string {
		return map[string]string{"organization": org, "organizationRegNo": reg, "licence": lic, "confirmation": conf}
	}
	without := func(m map[string]string, k string) map[string]string { delete(m, k); return m }
	with := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }

	tests := []struct {
		name         string
		path         string
		body         map[string]string
		status, code int
		field        string
	}{
		{"ID check digit", personalPath, personal(idchecktest.WrongCheck(goodID, "0123456789X")), 400, 1006, "ID_number"},
		{"ID Feb 30", personalPath, personal(idchecktest.ResidentID("11010520000230123")), 400, 1006, "ID_number"},
		{"ID born in the future", personalPath, personal(idchecktest.ResidentID("11010520260601123")), 400, 1006, "ID_number"}, // the fixture's clock is 2026-03-01
		{"ID of 15 digits", personalPath, personal("110105491231002"), 400, 1006, "ID_number"},
		{"ID in full-width digits", personalPath, personal(fullWidth(goodID)), 400, 1006, "ID_number"},
		{"ID with an inner space", personalPath, personal(goodID[:6] + " " + goodID[6:]), 400, 1006, "ID_number"},
		{"ID province 99", personalPath, personal(idchecktest.ResidentID("99010519491231002")), 400, 1006, "ID_number"},
		{"name of digits", personalPath, with(personal(goodID), "name", "12345"), 400, 1006, "name"},
		{"ID missing", personalPath, without(personal(goodID), "ID_number"), 400, 997, "ID_number"},
		{"ID blank", personalPath, personal("  "), 400, 997, "ID_number"},
		{"frontOfID missing", personalPath, without(personal(goodID), "frontOfID"), 400, 997, "frontOfID"},
		{"backOfID missing", personalPath, without(personal(goodID), "backOfID"), 400, 997, "backOfID"},
		{"company name only digits", companyPath, company("1234567", goodUSCC), 400, 1006, "organization"},
		{"company name only punctuation", companyPath, company("（）-.", goodUSCC), 400, 1006, "organization"},
		{"bad USCC", companyPath, company("某某科技有限公司", idchecktest.WrongCheck(goodUSCC, idchecktest.USCCChars)), 400, 1006, "organizationRegNo"},
		{"USCC with a letter it never uses", companyPath, company("某某科技有限公司", "91350100M000100YI"+goodUSCC[17:]), 400, 1006, "organizationRegNo"},
		{"organizationRegNo missing", companyPath, without(company("某某科技有限公司", goodUSCC), "organizationRegNo"), 400, 997, "organizationRegNo"},
		{"organizationRegNo blank", companyPath, company("某某科技有限公司", "  "), 400, 997, "organizationRegNo"},
		{"USCC with letters in the division code", companyPath, company("某某科技有限公司", "9135A100M000100Y4Y"), 400, 1006, "organizationRegNo"},
		{"USCC of an unknown registration authority", companyPath, company("某某科技有限公司", idchecktest.USCCAnyStructure("B1350100M000100Y4")), 400, 1006, "organizationRegNo"},
		{"USCC type the authority does not assign", companyPath, company("某某科技有限公司", idchecktest.USCCAnyStructure("94350100M000100Y4")), 400, 1006, "organizationRegNo"},
		{"15-digit registration number", companyPath, company("某某科技有限公司", "110108000000016"), 400, 1006, "organizationRegNo"},
		{"organization missing", companyPath, without(company("x", goodUSCC), "organization"), 400, 997, "organization"},
		{"licence missing", companyPath, without(company("某某科技有限公司", goodUSCC), "licence"), 400, 997, "licence"},
		{"confirmation missing", companyPath, without(company("某某科技有限公司", goodUSCC), "confirmation"), 400, 997, "confirmation"},
		{"ID card keys on the company route", companyPath, with(with(company("某某科技有限公司", goodUSCC), "licence", front), "confirmation", back), 400, 1006, "licence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := d.snapshot(t, u.AccountID)
			wantEnvelope(t, d.call(t, http.MethodPost, tt.path, u.Token, tt.body), tt.status, tt.code, tt.field)
			d.wantUnchanged(t, u.AccountID, before)
		})
	}
	t.Run("not logged in", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodPost, personalPath, "", personal(goodID)), 401, 999, "")
	})
	t.Run("not JSON", func(t *testing.T) {
		before := d.snapshot(t, u.AccountID)
		wantEnvelope(t, d.callRaw(t, http.MethodPost, personalPath, u.Token, "application/json", strings.NewReader(`{"ID_number": [1]}`)), 400, 1006, "ID_number")
		wantEnvelope(t, d.callRaw(t, http.MethodPost, personalPath, u.Token, "text/plain", strings.NewReader("hello")), 400, 1006, "body")
		d.wantUnchanged(t, u.AccountID, before)
	})
}

// The state rules of DOMAIN.md: no submission while one is under review or after a final
// rejection; a RETRY rejection allows another, which counts.
func TestSubmitStates(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	d.submitPersonal(t, u)
	first := d.wantSubmitted(t, u.AccountID, 1)

	refused := func(t *testing.T, status, code int) {
		t.Helper()
		body := d.personalKeys(t, u)
		before := d.snapshot(t, u.AccountID)
		wantEnvelope(t, d.call(t, http.MethodPost, personalPath, u.Token, body), status, code, "")
		d.wantUnchanged(t, u.AccountID, before)
	}
	t.Run("while SUBMITTED", func(t *testing.T) { refused(t, 409, 1021) })
	t.Run("while PENDING_REVIEW", func(t *testing.T) {
		d.move(t, u.AccountID, kyc.StatePendingReview, "")
		refused(t, 409, 1021)
	})
	t.Run("as a company while PENDING_REVIEW", func(t *testing.T) {
		before := d.snapshot(t, u.AccountID)
		body := map[string]string{"organization": "某某科技有限公司", "organizationRegNo": goodUSCC, "licence": "uploads/x", "confirmation": "uploads/y"}
		wantEnvelope(t, d.call(t, http.MethodPost, companyPath, u.Token, body), 409, 1021, "")
		d.wantUnchanged(t, u.AccountID, before)
	})
	t.Run("after a RETRY rejection", func(t *testing.T) {
		d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
		d.submitPersonal(t, u)
		a := d.wantSubmitted(t, u.AccountID, 2)
		if a.Documents["frontOfID"].Key == first.Documents["frontOfID"].Key {
			t.Errorf("resubmission kept the old document key")
		}
		d.wantDocument(t, a, "frontOfID", "image/png", frontPNG)
	})
	t.Run("a personal account cannot resubmit as a company", func(t *testing.T) {
		d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
		before := d.snapshot(t, u.AccountID)
		// The company-only slots are not even handed out any more (the licence is, for a
		// change into an enterprise), and the route refuses.
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/uploads", u.Token, map[string]any{"slot": "confirmation", "content_type": "image/png", "content_length": 10}), 400, 1006, "slot")
		body := map[string]string{"organization": "某某科技有限公司", "organizationRegNo": goodUSCC, "licence": "uploads/x", "confirmation": "uploads/y"}
		wantEnvelope(t, d.call(t, http.MethodPost, companyPath, u.Token, body), 409, 1021, "")
		d.wantUnchanged(t, u.AccountID, before)
	})
	t.Run("after a FINAL rejection", func(t *testing.T) {
		d.submitPersonal(t, u)
		d.wantSubmitted(t, u.AccountID, 3)
		d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectFinal)
		refused(t, 409, 1021)
	})
	t.Run("after approval", func(t *testing.T) {
		v := d.newUser(t, kyc.RoleUser)
		d.submitPersonal(t, v)
		d.queued(t)
		d.move(t, v.AccountID, kyc.StatePendingReview, "")
		d.move(t, v.AccountID, kyc.StateApproved, "")
		body := d.personalKeys(t, v)
		before := d.snapshot(t, v.AccountID)
		wantEnvelope(t, d.call(t, http.MethodPost, personalPath, v.Token, body), 409, 1021, "")
		d.wantUnchanged(t, v.AccountID, before)
	})
}

// Five accepted submissions use up MaxAttempts (5); the sixth is 429 / 1022.
func TestSubmitAttemptsLimit(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	for i := 1; i <= d.svc.MaxAttempts; i++ {
		d.submitPersonal(t, u)
		d.wantSubmitted(t, u.AccountID, i)
		d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
	}
	body := d.personalKeys(t, u)
	before := d.snapshot(t, u.AccountID)
	if before.account.Attempts != 5 {
		t.Fatalf("attempts = %d, want 5", before.account.Attempts)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, personalPath, u.Token, body), 429, 1022, "")
	d.wantUnchanged(t, u.AccountID, before)
	if v, _ := d.accountView(t, u.Token); v.Attempts != 5 || v.MaxAttempts != 5 {
		t.Errorf("account view attempts %d/%d, want 5/5", v.Attempts, v.MaxAttempts)
	}
}

// The seed's multipart form: the files themselves, checked by content.
func TestSubmitMultipart(t *testing.T) {
	d := newDocFixture(t)
	send := func(t *testing.T, path string, u docUser, values map[string]string, files ...formFile) *httptest.ResponseRecorder {
		t.Helper()
		body, ct := multipartBody(t, values, files...)
		return d.callRaw(t, http.MethodPost, path, u.Token, ct, body)
	}

	t.Run("personal, two PNGs", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		w := send(t, personalPath, u, map[string]string{"ID_number": goodID, "name": "李四"},
			formFile{"frontOfID", "front.png", "image/png", frontPNG}, formFile{"backOfID", "back.png", "image/png", backPNG})
		wantEnvelope(t, w, 200, CodePersonalAccepted, "")
		a := d.wantSubmitted(t, u.AccountID, 1)
		d.wantDocument(t, a, "frontOfID", "image/png", frontPNG)
		d.wantDocument(t, a, "backOfID", "image/png", backPNG)
		if a.Name != "李四" || a.IDNumber != goodID {
			t.Errorf("account %q %q", a.Name, a.IDNumber)
		}
	})
	t.Run("personal, type from content not from the part", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		jpg, gif := filechecktest.JPEG(30, 20), filechecktest.GIF(30, 20)
		w := send(t, personalPath, u, map[string]string{"ID_number": goodID},
			formFile{"frontOfID", "front.png", "image/png", jpg}, formFile{"backOfID", "back", "application/octet-stream", gif})
		wantEnvelope(t, w, 200, CodePersonalAccepted, "")
		a := d.wantSubmitted(t, u.AccountID, 1)
		d.wantDocument(t, a, "frontOfID", "image/jpeg", jpg)
		d.wantDocument(t, a, "backOfID", "image/gif", gif)
	})
	t.Run("company, PNG licence and PDF confirmation", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		w := send(t, companyPath, u, map[string]string{"organization": "某某科技有限公司", "organizationRegNo": goodUSCC},
			formFile{"licence", "licence.png", "image/png", licPNG}, formFile{"confirmation", "confirmation.pdf", "application/pdf", confPDF})
		wantEnvelope(t, w, 200, CodeCompanyAccepted, "")
		a := d.wantSubmitted(t, u.AccountID, 1)
		if a.Type != kyc.CompanyAccount {
			t.Errorf("type %s, want company_account", a.Type)
		}
		d.wantDocument(t, a, "licence", "image/png", licPNG)
		d.wantDocument(t, a, "confirmation", "application/pdf", confPDF)
		if v, _ := d.accountView(t, u.Token); v.Type != "company_account" || v.State != "SUBMITTED" {
			t.Errorf("GET /v1/account: %+v", v)
		}
	})

	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	bigFront := append(bytes.Clone(frontPNG), make([]byte, 2<<20+1-len(frontPNG))...)
	huge := make([]byte, 6<<20)
	refusals := []struct {
		name         string
		path         string
		values       map[string]string
		files        []formFile
		status, code int
		field        string
	}{
		{"file over the slot limit", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}, {"backOfID", "back.png", "image/png", bigFront}}, 413, 1023, "backOfID"},
		{"HTML named .png", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}, {"backOfID", "back.png", "image/png", html}}, 415, 1024, "backOfID"},
		{"SVG named .png", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}, {"backOfID", "back.png", "image/png", backPNG}}, 415, 1024, "frontOfID"},
		{"PDF as an ID card", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}, {"backOfID", "back.pdf", "application/pdf", confPDF}}, 415, 1024, "backOfID"},
		{"truncated PNG", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}, {"backOfID", "back.png", "image/png", backPNG[:len(backPNG)/2]}}, 400, 1006, "backOfID"},
		{"empty file", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}, {"backOfID", "back.png", "image/png", nil}}, 415, 1024, "backOfID"},
		{"file missing", personalPath, map[string]string{"ID_number": goodID},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}}, 400, 997, "backOfID"},
		{"bad ID number", personalPath, map[string]string{"ID_number": idchecktest.WrongCheck(goodID, "0123456789X")},
			[]formFile{{"frontOfID", "front.png", "image/png", frontPNG}, {"backOfID", "back.png", "image/png", backPNG}}, 400, 1006, "ID_number"},
		{"PDF with JavaScript", companyPath, map[string]string{"organization": "某某科技有限公司", "organizationRegNo": goodUSCC},
			[]formFile{{"licence", "l.png", "image/png", licPNG}, {"confirmation", "c.pdf", "application/pdf", filechecktest.PDF("/OpenAction 3 0 R", "<< /S /JavaScript /JS (app.alert(1)) >>")}}, 400, 1006, "confirmation"},
		{"body over 10 MB", companyPath, map[string]string{"organization": "某某科技有限公司", "organizationRegNo": goodUSCC},
			[]formFile{{"licence", "l.png", "image/png", huge}, {"confirmation", "c.png", "image/png", huge}}, 413, 1023, "body"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			u := d.newUser(t, kyc.RoleUser)
			before := d.snapshot(t, u.AccountID)
			w := send(t, tt.path, u, tt.values, tt.files...)
			wantEnvelope(t, w, tt.status, tt.code, tt.field)
			d.wantUnchanged(t, u.AccountID, before)
		})
	}

	t.Run("text field over 4 KB", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		before := d.snapshot(t, u.AccountID)
		w := send(t, personalPath, u, map[string]string{"ID_number": goodID, "name": strings.Repeat("a", 4<<10+1)},
			formFile{"frontOfID", "front.png", "image/png", frontPNG}, formFile{"backOfID", "back.png", "image/png", backPNG})
		wantEnvelope(t, w, 400, 1006, "name")
		d.wantUnchanged(t, u.AccountID, before)
	})
	t.Run("files the route does not take are ignored", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		w := send(t, personalPath, u, map[string]string{"ID_number": goodID},
			formFile{"frontOfID", "front.png", "image/png", frontPNG}, formFile{"licence", "l.png", "image/png", licPNG},
			formFile{"backOfID", "back.png", "image/png", backPNG}, formFile{"", "x.png", "image/png", licPNG})
		wantEnvelope(t, w, 200, CodePersonalAccepted, "")
		if a := d.wantSubmitted(t, u.AccountID, 1); len(a.Documents) != 2 {
			t.Errorf("documents %+v, want only the ID card's", a.Documents)
		}
	})

	t.Run("malformed multipart", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		before := d.snapshot(t, u.AccountID)
		w := d.callRaw(t, http.MethodPost, personalPath, u.Token, "multipart/form-data; boundary=xyz", strings.NewReader("--xyz\r\nContent-Disposition: form-data; name=\"frontOfID\"; filename=\"a\"\r\n\r\nabc"))
		wantEnvelope(t, w, 400, 1006, "body")
		w = d.callRaw(t, http.MethodPost, personalPath, u.Token, "multipart/form-data", strings.NewReader("x"))
		wantEnvelope(t, w, 400, 1006, "body")
		d.wantUnchanged(t, u.AccountID, before)
	})
}

// If the review queue refuses the message, the client gets 500 / 1050 without internals,
// the account is back as it was (attempt not counted), and the documents written are gone.
func TestSubmitQueueFailure(t *testing.T) {
	d := newDocFixture(t)
	tq := &toggleQueue{Queue: d.svc.Queue}
	d.svc.Queue = tq
	d.mux = muxOf(t, d.svc)

	t.Run("first submission", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		body := d.personalKeys(t, u)
		tq.fail.Store(true)
		w := d.call(t, http.MethodPost, personalPath, u.Token, body)
		tq.fail.Store(false)
		e := wantEnvelope(t, w, 500, 1050, "")
		if strings.Contains(w.Body.String(), "sqs") || strings.Contains(w.Body.String(), "internal.example") || len(e.Data) != 0 {
			t.Errorf("500 leaks internals: %s", w.Body)
		}
		if !strings.Contains(d.log.String(), "queue submission") {
			t.Errorf("the operator's log lacks the cause:\n%s", d.log)
		}
		a := d.account(t, u.AccountID)
		if a.State != kyc.StateUnverified || a.Attempts != 0 || len(a.Documents) != 0 || a.IDNumber != "" {
			t.Errorf("account after the failure: %+v, want UNVERIFIED as before", a)
		}
		if got := objects(t, accountPrefix(u.AccountID)); len(got) != 0 {
			t.Errorf("objects left: %q", got)
		}
		if q := d.queued(t); len(q) != 0 {
			t.Errorf("queued %+v", q)
		}
		trail, _ := d.store.ListAudit(t.Context(), u.AccountID)
		// Both records carry the test clock's one instant, so their order is not fixed.
		submit := slices.IndexFunc(trail, func(r kyc.AuditRecord) bool { return r.Action == "submit" })
		undone := slices.IndexFunc(trail, func(r kyc.AuditRecord) bool { return r.Action == "submit_undone" })
		if len(trail) != 2 || submit < 0 || undone < 0 || trail[undone].From != kyc.StateSubmitted || trail[undone].To != kyc.StateUnverified {
			t.Errorf("audit trail %+v, want submit and submit_undone", trail)
		}

		// The same keys work once the queue is back, and this is attempt 1.
		wantEnvelope(t, d.call(t, http.MethodPost, personalPath, u.Token, body), 200, CodePersonalAccepted, "")
		d.wantSubmitted(t, u.AccountID, 1)
	})

	t.Run("resubmission after RETRY", func(t *testing.T) {
		u := d.newUser(t, kyc.RoleUser)
		d.submitPersonal(t, u)
		d.queued(t)
		d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
		body := d.personalKeys(t, u)
		before := d.snapshot(t, u.AccountID)
		tq.fail.Store(true)
		w := d.call(t, http.MethodPost, personalPath, u.Token, body)
		tq.fail.Store(false)
		wantEnvelope(t, w, 500, 1050, "")
		a := d.account(t, u.AccountID)
		b := before.account
		// Two transitions later only the version and the update time differ.
		a.Version, a.UpdatedAt, b.Version = 0, b.UpdatedAt, 0
		if !equalJSON(a, b) {
			t.Errorf("account after the failure:\n %+v\nwant as before:\n %+v", a, b)
		}
		if got := objects(t, accountPrefix(u.AccountID)); !equalJSON(got, before.objects) {
			t.Errorf("objects %q, want %q (the new copies deleted, the old documents kept)", got, before.objects)
		}
		if q := d.queued(t); len(q) != 0 {
			t.Errorf("queued %+v", q)
		}
	})
}
