package httpapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

const orgPath = "/v1/organization"

// The company form's files: each differs from the others and from the seed-000 ones.
var (
	codePNG  = filechecktest.PNG(81, 60)
	taxPNG   = filechecktest.PNG(82, 60)
	legalFPN = filechecktest.PNG(64, 42)
	legalBPN = filechecktest.PNG(64, 43)
	orgUSCC  = idchecktest.USCC("91350100M000100Y4")
	legalNo  = idchecktest.ResidentID("44052418800101001")
)

// multiForm uploads the documents of a multi-certificate enterprise (licence, organization
// code and tax certificates, the legal person's ID card) and returns seed 001's form.
func (d *docFixture) multiForm(t *testing.T, u docUser) map[string]any {
	t.Helper()
	return map[string]any{
		"emailOrMobile": "t4x0@ebaoquan.org", "name": "镇江（京口）图书馆有限公司", "organizationType": 0, "identificationType": "0",
		"organizationRegNo": "110108000000016", "organizationRegImg": d.upload(t, u.Token, "organizationRegImg", licPNG),
		"organizationCode": "D2143569X", "organizationCodeImg": d.upload(t, u.Token, "organizationCodeImg", codePNG),
		"taxCertificateImg": d.upload(t, u.Token, "taxCertificateImg", taxPNG),
		"legalName":         "杨明", "legalIdentityCard": legalNo, "legalMobile": "13912345678",
		"legalIdentityFrontImg": d.upload(t, u.Token, "legalIdentityFrontImg", legalFPN),
		"legalIdentityBackImg":  d.upload(t, u.Token, "legalIdentityBackImg", legalBPN),
	}
}

// unifiedForm uploads a licence and returns the smallest form: a unified-certificate
// enterprise.
func (d *docFixture) unifiedForm(t *testing.T, u docUser) map[string]any {
	t.Helper()
	return map[string]any{
		"emailOrMobile": "t4x0@ebaoquan.org", "name": "镇江图书馆", "organizationType": "0", "identificationType": 1,
		"organizationRegNo": orgUSCC, "organizationRegImg": d.upload(t, u.Token, "organizationRegImg", licPNG), "legalName": "杨明",
	}
}

func (d *docFixture) profiles(t *testing.T, accountID string) []kyc.ProfileVersion {
	t.Helper()
	_, versions, err := d.store.GetAccountAndProfiles(t.Context(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

type orgView struct {
	State     kyc.State
	Version   int64
	Profile   map[string]string
	Documents map[string]bool
	Seal      bool
}

func (d *docFixture) organization(t *testing.T, u docUser) orgView {
	t.Helper()
	e := wantEnvelope(t, d.call(t, http.MethodGet, orgPath, u.Token, nil), http.StatusOK, CodeOK, "")
	var v orgView
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatalf("GET %s data %s: %v", orgPath, e.Data, err)
	}
	return v
}

func TestApplyOrganizationMultiCertificate(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	if v := d.organization(t, u); v.Version != 0 || v.Profile != nil || v.State != kyc.StateUnverified {
		t.Errorf("before applying: %+v, want version 0, no profile, UNVERIFIED", v)
	}
	w := d.call(t, http.MethodPost, orgPath, u.Token, d.multiForm(t, u))
	wantEnvelope(t, w, http.StatusOK, CodeCompanyAccepted, "")
	a := d.wantSubmitted(t, u.AccountID, 1)
	if a.Type != kyc.CompanyAccount || a.IDNumber != "110108000000016" || a.Organization != "镇江（京口）图书馆有限公司" || a.ProfileVersion != 1 {
		t.Errorf("account %s %q %q profile %d", a.Type, a.IDNumber, a.Organization, a.ProfileVersion)
	}
	// The licence keeps seed 000's slot; no confirmation file is asked for.
	d.wantDocument(t, a, "licence", "image/png", licPNG)
	d.wantDocument(t, a, "organizationCodeImg", "image/png", codePNG)
	d.wantDocument(t, a, "taxCertificateImg", "image/png", taxPNG)
	d.wantDocument(t, a, "legalIdentityFrontImg", "image/png", legalFPN)
	d.wantDocument(t, a, "legalIdentityBackImg", "image/png", legalBPN)
	if len(a.Documents) != 5 {
		t.Errorf("documents %v, want the five sent", a.Documents)
	}

	versions := d.profiles(t, a.ID)
	if len(versions) != 1 || versions[0].Version != 1 || versions[0].Actor != u.ID {
		t.Fatalf("profile versions %+v, want version 1 by the user", versions)
	}
	f := versions[0].Fields
	if f["legalIdentityCard"] != legalNo || f["organizationCode"] != "D2143569X" || f["identificationType"] != "0" {
		t.Errorf("stored profile %v", f)
	}
	// The document fields name the stored objects, not the used-up upload keys.
	if f["organizationRegImg"] != a.Documents["licence"].Key || f["taxCertificateImg"] != a.Documents["taxCertificateImg"].Key {
		t.Errorf("stored document fields %q %q, want the documents' keys", f["organizationRegImg"], f["taxCertificateImg"])
	}

	v := d.organization(t, u)
	if v.State != kyc.StateSubmitted || v.Version != 1 || v.Seal || v.Profile["legalName"] != "杨明" || v.Profile["legalMobile"] != "13912345678" {
		t.Errorf("GET %s = %+v", orgPath, v)
	}
	if _, leaked := v.Profile["organizationRegImg"]; leaked {
		t.Errorf("the profile shows a document field (an object key): %v", v.Profile)
	}
	if !v.Documents["licence"] || !v.Documents["legalIdentityBackImg"] || v.Documents["signImg"] || len(v.Documents) != 7 {
		t.Errorf("documents %v, want every slot, the five sent present", v.Documents)
	}
}

func TestApplyOrganizationRefusalsLeaveNothing(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	other := d.newUser(t, kyc.RoleUser)
	tests := []struct {
		name   string
		change func(m map[string]any)
		status int
		code   int
		field  string
	}{
		{"no legal person", func(m map[string]any) { delete(m, "legalName") }, 400, 997, "legalName"},
		{"no organization code certificate", func(m map[string]any) { delete(m, "organizationCodeImg") }, 400, 997, "organizationCodeImg"},
		{"bad registration number", func(m map[string]any) { m["organizationRegNo"] = "110108000000017" }, 400, 1006, "organizationRegNo"},
		{"bad legal ID number", func(m map[string]any) { m["legalIdentityCard"] = "110105194912310021" }, 400, 1006, "legalIdentityCard"},
		{"unknown key", func(m map[string]any) { m["taxCertificateImg"] = "uploads/" + u.AccountID + "/taxCertificateImg/none" }, 400, 1006, "taxCertificateImg"},
		{"key of another slot", func(m map[string]any) { m["taxCertificateImg"] = m["organizationCodeImg"] }, 400, 1006, "taxCertificateImg"},
		{"another user's licence", func(m map[string]any) {
			m["organizationRegImg"] = d.upload(t, other.Token, "organizationRegImg", licPNG)
		}, 403, 1020, "organizationRegImg"},
	}
	// A refused request uses up no key, so one set of uploads serves every case.
	base := d.multiForm(t, u)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := maps.Clone(base)
			tt.change(form)
			before := d.snapshot(t, u.AccountID)
			w := d.call(t, http.MethodPost, orgPath, u.Token, form)
			wantEnvelope(t, w, tt.status, tt.code, tt.field)
			d.wantUnchanged(t, u.AccountID, before)
			if v := d.profiles(t, u.AccountID); len(v) != 0 {
				t.Errorf("profile versions %+v after a refusal, want none", v)
			}
		})
	} // The keys refused above were not used up: the form is accepted with them.
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, base), http.StatusOK, CodeCompanyAccepted, "")
	d.wantSubmitted(t, u.AccountID, 1)
}

func TestApplyOrganizationState(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, d.unifiedForm(t, u)), http.StatusOK, CodeCompanyAccepted, "")
	d.wantSubmitted(t, u.AccountID, 1)

	// Under review: applying again is refused and leaves nothing.
	d.move(t, u.AccountID, kyc.StatePendingReview, "")
	before := d.snapshot(t, u.AccountID)
	w := d.call(t, http.MethodPost, orgPath, u.Token, d.unifiedForm(t, u))
	wantEnvelope(t, w, http.StatusConflict, 1021, "")
	d.wantUnchanged(t, u.AccountID, before)

	// After a RETRY rejection the full form is sent again: the next version is written,
	// the first kept.
	d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
	form := d.unifiedForm(t, u)
	form["name"] = "镇江市图书馆"
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, form), http.StatusOK, CodeCompanyAccepted, "")
	a := d.wantSubmitted(t, u.AccountID, 2)
	versions := d.profiles(t, u.AccountID)
	if len(versions) != 2 || versions[0].Fields["name"] != "镇江图书馆" || versions[1].Fields["name"] != "镇江市图书馆" || a.ProfileVersion != 2 {
		t.Errorf("versions %+v, account profile %d; want 1 and 2 kept, 2 current", versions, a.ProfileVersion)
	}
	if !strings.Contains(d.organization(t, u).Profile["name"], "市") {
		t.Errorf("GET %s does not show the current version", orgPath)
	}
}

// A submission undone because the queue refused its message leaves its profile version in
// the history (it was written with the submission); the account still names the latest
// stored version, so the next application writes the one after instead of failing on it.
func TestApplyOrganizationAfterQueueFailure(t *testing.T) {
	d := newDocFixture(t)
	tq := &toggleQueue{Queue: d.svc.Queue}
	d.svc.Queue = tq
	d.mux = muxOf(t, d.svc)
	u := d.newUser(t, kyc.RoleUser)
	form := d.unifiedForm(t, u)
	tq.fail.Store(true)
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, form), 500, 1050, "")
	tq.fail.Store(false)
	if a := d.account(t, u.AccountID); a.State != kyc.StateUnverified || a.Attempts != 0 {
		t.Errorf("account after the failure: %s, %d attempts; want UNVERIFIED, 0", a.State, a.Attempts)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, form), http.StatusOK, CodeCompanyAccepted, "")
	a := d.wantSubmitted(t, u.AccountID, 1)
	if v := d.profiles(t, u.AccountID); len(v) != 2 || a.ProfileVersion != 2 {
		t.Errorf("versions %d, account names %d; want the undone 1 kept and 2 current", len(v), a.ProfileVersion)
	}
}

// The reviewer's detail lists a company's profile versions with every field.
func TestReviewerDetailShowsProfileVersions(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	rev := d.newUser(t, kyc.RoleReviewer)
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, d.multiForm(t, u)), http.StatusOK, CodeCompanyAccepted, "")
	d.queued(t)
	e := wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/account/"+u.AccountID, rev.Token, nil), http.StatusOK, CodeOK, "")
	var detail struct {
		Profiles []struct {
			Version int64
			Actor   string
			Fields  map[string]string
		}
	}
	if err := json.Unmarshal(e.Data, &detail); err != nil {
		t.Fatal(err)
	}
	if len(detail.Profiles) != 1 || detail.Profiles[0].Version != 1 || detail.Profiles[0].Actor != u.ID ||
		detail.Profiles[0].Fields["legalIdentityCard"] != legalNo || detail.Profiles[0].Fields["organizationCode"] != "D2143569X" {
		t.Errorf("detail profiles %+v, want version 1 with every field", detail.Profiles)
	}
}

// Seed 001's multipart form: documents as files, checked in full and stored like uploads;
// a file that fails its checks is refused naming its field and leaves nothing; a file
// may stand beside upload keys for the other documents.
func TestOrganizationMultipart(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	values := map[string]string{"emailOrMobile": "t4x0@ebaoquan.org", "name": "镇江（京口）图书馆有限公司", "organizationType": "0",
		"identificationType": "1", "organizationRegNo": orgUSCC, "legalName": "杨明"}

	// A corrupt licence: 400 naming organizationRegImg, nothing stored, nothing counted.
	before := d.snapshot(t, u.AccountID)
	body, ct := multipartBody(t, values, formFile{"organizationRegImg", "licence.png", "image/png", licPNG[:len(licPNG)-30]})
	w := d.callRaw(t, http.MethodPost, orgPath, u.Token, ct, body)
	wantEnvelope(t, w, http.StatusBadRequest, 1006, "organizationRegImg")
	d.wantUnchanged(t, u.AccountID, before)
	if keys := objects(t, accountPrefix(u.AccountID)); len(keys) != 0 {
		t.Fatalf("a refused multipart form left %v", keys)
	}

	values["legalIdentityFrontImg"] = d.upload(t, u.Token, "legalIdentityFrontImg", legalFPN)
	body, ct = multipartBody(t, values,
		formFile{"organizationRegImg", "licence.png", "image/png", licPNG}, formFile{"legalIdentityBackImg", "back.png", "image/png", legalBPN})
	wantEnvelope(t, d.callRaw(t, http.MethodPost, orgPath, u.Token, ct, body), http.StatusOK, CodeCompanyAccepted, "")
	a := d.wantSubmitted(t, u.AccountID, 1)
	d.wantDocument(t, a, "licence", "image/png", licPNG)
	d.wantDocument(t, a, "legalIdentityFrontImg", "image/png", legalFPN)
	d.wantDocument(t, a, "legalIdentityBackImg", "image/png", legalBPN)
	v := d.profiles(t, a.ID)
	if len(v) != 1 || v[0].Fields["organizationRegImg"] != a.Documents["licence"].Key || v[0].Fields["legalIdentityBackImg"] != a.Documents["legalIdentityBackImg"].Key {
		t.Errorf("profile version %+v, want the stored documents' keys", v)
	}
}
