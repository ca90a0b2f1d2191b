package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

const reapplyPath = "/v1/organization/reapply"

type reapplyJSON struct {
	Version int64    `json:"version"`
	Changed []string `json:"changed"`
}

// approvedCompany is a user whose seed-001 application (the unified form) was approved.
func (d *docFixture) approvedCompany(t *testing.T) docUser {
	t.Helper()
	u := d.newUser(t, kyc.RoleUser)
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, d.unifiedForm(t, u)), http.StatusOK, CodeCompanyAccepted, "")
	d.queued(t)
	d.move(t, u.AccountID, kyc.StatePendingReview, "")
	d.move(t, u.AccountID, kyc.StateApproved, "")
	return u
}

// authStatus=1 on an APPROVED company: locked fields and bad documents are refused naming
// the field and leave nothing; a modification writes a new version at once, keeps the
// first, checks its new document in full and is audited with the changed names only.
func TestReapplyModify(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedCompany(t)
	corrupt := licPNG[:len(licPNG)-30] // a PNG's header, not a whole PNG
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   int
		field  string
	}{
		{"email is locked", map[string]any{"authStatus": 1, "emailOrMobile": "other@example.com"}, 400, 1006, "emailOrMobile"},
		{"registration number is locked", map[string]any{"authStatus": "1", "organizationRegNo": "91320100MA1000002L"}, 400, 1006, "organizationRegNo"},
		{"a new document that fails the checks", map[string]any{"authStatus": 1, "organizationRegImg": d.upload(t, u.Token, "organizationRegImg", corrupt)}, 400, 1006, "organizationRegImg"},
		{"a bad legal ID number", map[string]any{"authStatus": 1, "legalIdentityCard": "110105194912310021"}, 400, 1006, "legalIdentityCard"},
		{"an unknown key", map[string]any{"authStatus": 1, "organizationRegImg": "uploads/" + u.AccountID + "/licence/none"}, 400, 1006, "organizationRegImg"},
		{"a bad authStatus", map[string]any{"authStatus": 2}, 400, 1006, "authStatus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := d.snapshot(t, u.AccountID)
			wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, tt.body), tt.status, tt.code, tt.field)
			d.wantUnchanged(t, u.AccountID, before)
			if v := d.profiles(t, u.AccountID); len(v) != 1 {
				t.Errorf("%d profile versions after a refusal, want 1", len(v))
			}
		})
	}
	// Re-applying is for rejected companies.
	w := d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 0, "name": "镇江市图书馆"})
	if e := wantEnvelope(t, w, http.StatusConflict, 1021, ""); !strings.Contains(e.Msg, "authStatus=1") {
		t.Errorf("message %q does not say to modify with authStatus=1", e.Msg)
	}

	before := d.account(t, u.AccountID)
	newLic := filechecktest.PNGWithMetadata(filechecktest.PNG(90, 60))
	body := map[string]any{"authStatus": 1, "name": "镇江市图书馆", "address": "江苏省镇江市润州区1号",
		"emailOrMobile": "t4x0@ebaoquan.org", "organizationRegImg": d.upload(t, u.Token, "organizationRegImg", newLic)}
	e := wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, body), http.StatusOK, CodeOK, "")
	var got reapplyJSON
	if err := json.Unmarshal(e.Data, &got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"address", "name", "organizationRegImg"}; got.Version != 2 || !slices.Equal(got.Changed, want) {
		t.Errorf("answer %+v, want version 2 changing %q", got, want)
	}
	a := d.account(t, u.AccountID)
	if a.State != kyc.StateApproved || a.Organization != "镇江市图书馆" || a.IDNumber != before.IDNumber || a.ProfileVersion != 2 || a.Attempts != before.Attempts {
		t.Errorf("account after the modification: %+v", a)
	}
	lic := a.Documents["licence"]
	if lic.Key == before.Documents["licence"].Key || lic.Check != "ok" {
		t.Errorf("licence %+v, want a new, checked document", lic)
	}
	if lic.Size >= int64(len(newLic)) {
		t.Errorf("licence stored with %d bytes, want its metadata (%d bytes with it) stripped", lic.Size, len(newLic))
	}
	versions := d.profiles(t, u.AccountID)
	if len(versions) != 2 || versions[0].Fields["name"] != "镇江图书馆" || versions[1].Fields["name"] != "镇江市图书馆" ||
		!slices.Equal(versions[1].Changed, got.Changed) || versions[1].Fields["organizationRegImg"] != lic.Key {
		t.Errorf("versions %+v", versions)
	}
	// The earlier version's licence is kept: the version still names it.
	if !d.stored(t, before.Documents["licence"].Key) {
		t.Error("the first version's licence was deleted")
	}
	trail, err := d.store.ListAudit(t.Context(), u.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's clock stands still, so the records do not sort by time: find it.
	i := slices.IndexFunc(trail, func(r kyc.AuditRecord) bool { return r.Action == kyc.ActionModify })
	if i < 0 {
		t.Fatalf("no %q record in %+v", kyc.ActionModify, trail)
	}
	last := trail[i]
	if last.Action != kyc.ActionModify || last.From != kyc.StateApproved || last.To != kyc.StateApproved ||
		last.Reason != "changed: address,name,organizationRegImg" || last.Actor != u.ID {
		t.Errorf("audit record %+v", last)
	}
	if q := d.queued(t); len(q) != 0 {
		t.Errorf("a modification queued %+v", q)
	}

	// The same values again change nothing and write nothing.
	snap := d.snapshot(t, u.AccountID)
	e = wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "name": "镇江市图书馆"}), http.StatusOK, CodeOK, "")
	if err := json.Unmarshal(e.Data, &got); err != nil || got.Version != 2 || len(got.Changed) != 0 {
		t.Errorf("unchanged modification answered %s", e.Data)
	}
	d.wantUnchanged(t, u.AccountID, snap)
}

// authStatus=0 on a REJECTED company re-applies: a new submission keeping the documents it
// does not replace; every other state is 409 saying why, and nothing is written.
func TestReapplyRejected(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	// Nothing to re-apply yet.
	before := d.snapshot(t, u.AccountID)
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 0}), http.StatusConflict, 1021, "")
	d.wantUnchanged(t, u.AccountID, before)

	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, d.unifiedForm(t, u)), http.StatusOK, CodeCompanyAccepted, "")
	first := d.wantSubmitted(t, u.AccountID, 1)
	for _, state := range []kyc.State{kyc.StateSubmitted, kyc.StatePendingReview} {
		if state != kyc.StateSubmitted {
			d.move(t, u.AccountID, state, "")
		}
		before := d.snapshot(t, u.AccountID)
		w := d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 0, "name": "镇江市图书馆"})
		if e := wantEnvelope(t, w, http.StatusConflict, 1021, ""); !strings.Contains(e.Msg, "under review") {
			t.Errorf("%s: message %q does not say it is under review", state, e.Msg)
		}
		d.wantUnchanged(t, u.AccountID, before)
	}
	d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
	before = d.snapshot(t, u.AccountID)
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "name": "镇江市图书馆"}), http.StatusConflict, 1021, "")
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"emailOrMobile": "other@example.com"}), http.StatusBadRequest, 1006, "emailOrMobile")
	d.wantUnchanged(t, u.AccountID, before)

	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": "0", "name": "镇江市图书馆"}), http.StatusOK, CodeCompanyAccepted, "")
	a := d.wantSubmitted(t, u.AccountID, 2)
	if a.Organization != "镇江市图书馆" || a.ProfileVersion != 2 || a.Documents["licence"].Key != first.Documents["licence"].Key {
		t.Errorf("re-application %+v: want the new name, version 2, the licence kept", a)
	}
	if v := d.profiles(t, u.AccountID); len(v) != 2 || v[1].Fields["name"] != "镇江市图书馆" || v[0].Fields["name"] != "镇江图书馆" {
		t.Errorf("versions %+v", v)
	}

	// A document the rejection asks for anew must come anew.
	d.move(t, u.AccountID, kyc.StatePendingReview, "")
	rej := d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
	rej.ReuploadSlots = []string{"licence"}
	if _, err := d.store.Transition(t.Context(), kyc.Transition{Account: rej, FromState: rej.State, FromVersion: rej.Version,
		Audit: kyc.AuditRecord{AccountID: rej.ID, At: d.clock.Now(), Actor: "test", Action: "transition", From: rej.State, To: rej.State}}); err != nil {
		t.Fatal(err)
	}
	before = d.snapshot(t, u.AccountID)
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 0}), http.StatusBadRequest, 997, "organizationRegImg")
	d.wantUnchanged(t, u.AccountID, before)
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token,
		map[string]any{"organizationRegImg": d.upload(t, u.Token, "organizationRegImg", filechecktest.PNG(91, 60))}), http.StatusOK, CodeCompanyAccepted, "")
	d.wantSubmitted(t, u.AccountID, 3)
}

// GET /v1/organization/seal: 404 while the company has no seal, then 302 to the one it
// uploaded (the generated one is stored in the same slot).
func TestOrganizationSeal(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	wantEnvelope(t, d.call(t, http.MethodGet, orgPath+"/seal", u.Token, nil), http.StatusNotFound, 1015, "")
	form := d.unifiedForm(t, u)
	sealPNG := filechecktest.TransparentPNG(180, 180)
	form["signImg"] = d.upload(t, u.Token, "signImg", sealPNG)
	wantEnvelope(t, d.call(t, http.MethodPost, orgPath, u.Token, form), http.StatusOK, CodeCompanyAccepted, "")
	w := d.call(t, http.MethodGet, orgPath+"/seal", u.Token, nil)
	if w.Code != http.StatusFound {
		t.Fatalf("GET seal = %d %s, want 302", w.Code, w.Body)
	}
	resp, body := fetch(t, w.Header().Get("Location"))
	if resp.StatusCode != http.StatusOK || string(body) != string(sealPNG) {
		t.Errorf("the seal's URL answered %d with %d bytes, want the uploaded seal", resp.StatusCode, len(body))
	}
	if v := d.organization(t, u); !v.Seal {
		t.Error("GET /v1/organization says no seal")
	}
}

// A rename redraws a generated seal: the modification drops it and asks the seal function
// for a new one in the same write; a modification that keeps the name keeps it.
func TestReapplyRenameRedrawsGeneratedSeal(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedCompany(t)
	a := d.account(t, u.AccountID)
	tr, err := kyc.SealGenerated(a, kyc.Document{Key: "accounts/" + a.ID + "/signImg/drawn", ContentType: "image/png", Size: 10, Check: "ok"}, d.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.store.Transition(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	wanted := func() bool {
		ids, err := d.store.ListSealsWanted(t.Context(), 100)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(ids, a.ID)
	}
	if wanted() {
		t.Fatal("a seal is wanted before the rename")
	}
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "address": "镇江市京口区1号"}), http.StatusOK, CodeOK, "")
	if _, ok := d.account(t, a.ID).Documents[kyc.SlotSeal]; !ok || wanted() {
		t.Fatal("a modification that keeps the name dropped the seal")
	}
	wantEnvelope(t, d.call(t, http.MethodPost, reapplyPath, u.Token, map[string]any{"authStatus": 1, "name": "镇江新图书馆"}), http.StatusOK, CodeOK, "")
	if _, ok := d.account(t, a.ID).Documents[kyc.SlotSeal]; ok {
		t.Error("the renamed company keeps the seal with its old name")
	}
	if !wanted() {
		t.Error("the rename did not ask for a new seal")
	}
}

// Seed 001's multipart form on /reapply: a modification's new document as a file is
// checked in full before it is accepted (a corrupt one is refused naming its field and
// leaves nothing); a re-application after a rejection takes files too.
func TestReapplyMultipart(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedCompany(t)
	before := d.snapshot(t, u.AccountID)
	body, ct := multipartBody(t, map[string]string{"authStatus": "1"}, formFile{"organizationRegImg", "licence.png", "image/png", licPNG[:len(licPNG)-30]})
	wantEnvelope(t, d.callRaw(t, http.MethodPost, reapplyPath, u.Token, ct, body), http.StatusBadRequest, 1006, "organizationRegImg")
	d.wantUnchanged(t, u.AccountID, before)

	newLic := filechecktest.PNG(90, 64)
	body, ct = multipartBody(t, map[string]string{"authStatus": "1"}, formFile{"organizationRegImg", "licence.png", "image/png", newLic})
	e := wantEnvelope(t, d.callRaw(t, http.MethodPost, reapplyPath, u.Token, ct, body), http.StatusOK, CodeOK, "")
	if !strings.Contains(string(e.Data), `"organizationRegImg"`) {
		t.Errorf("modification answered %s, want organizationRegImg among the changed fields", e.Data)
	}
	a := d.account(t, u.AccountID)
	d.wantDocument(t, a, "licence", "image/png", newLic)
	if v := d.profiles(t, a.ID); len(v) != 2 || v[1].Fields["organizationRegImg"] != a.Documents["licence"].Key {
		t.Errorf("profile versions %+v, want a second naming the new licence", v)
	}

	// Rejected, it re-applies with a file.
	d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
	relic := filechecktest.PNG(92, 64)
	body, ct = multipartBody(t, map[string]string{"authStatus": "0"}, formFile{"organizationRegImg", "licence.png", "image/png", relic})
	wantEnvelope(t, d.callRaw(t, http.MethodPost, reapplyPath, u.Token, ct, body), http.StatusOK, CodeCompanyAccepted, "")
	d.wantDocument(t, d.account(t, u.AccountID), "licence", "image/png", relic)
}
