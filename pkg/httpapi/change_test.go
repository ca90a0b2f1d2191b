package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

const changePath = "/v1/account/enterprise-change"

var certBackPNG = filechecktest.PNG(80, 61)

// approvedPerson is a user whose personal account is APPROVED (claiming no identity, so
// that several may exist in one test).
func (d *docFixture) approvedPerson(t *testing.T) docUser {
	t.Helper()
	return d.approvedPersonWithID(t, "")
}

// approvedPersonWithID is approvedPerson claiming the personal identity idNumber.
func (d *docFixture) approvedPersonWithID(t *testing.T, idNumber string) docUser {
	t.Helper()
	u := d.newUser(t, kyc.RoleUser)
	a := d.account(t, u.AccountID)
	next := a
	next.Type, next.State, next.IDNumber = kyc.PersonalAccount, kyc.StateApproved, idNumber
	if _, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: d.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: kyc.StateApproved}}); err != nil {
		t.Fatalf("approve %s: %v", a.ID, err)
	}
	return u
}

// changeBody uploads the four files of a change as u and returns the JSON request.
func (d *docFixture) changeBody(t *testing.T, u docUser) map[string]any {
	t.Helper()
	return map[string]any{
		"corp_name": "示例科技有限公司", "verified_number": goodUSCC, "identify_type": 1, "change_type": "1",
		"reg_country": "CN", "enterprise_person": map[string]string{"legel_name": "张三", "legel_id_number": goodID, "certifier_role": "legalPerson"},
		"verified_file_url": []string{
			d.upload(t, u.Token, "organizationRegImg", licPNG), d.upload(t, u.Token, "certificateBackImg", certBackPNG),
			d.upload(t, u.Token, "legalIdentityFrontImg", frontPNG), d.upload(t, u.Token, "legalIdentityBackImg", backPNG),
		},
	}
}

func (d *docFixture) change(t *testing.T, accountID string) kyc.EnterpriseChange {
	t.Helper()
	c, err := d.store.GetChange(t.Context(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantFailItems checks a 400 / 1025 listing exactly items.
func wantFailItems(t *testing.T, e envelopeJSON, items ...string) {
	t.Helper()
	var data struct {
		FailCheckItems []string `json:"fail_check_items"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil || !slices.Equal(data.FailCheckItems, items) {
		t.Errorf("data = %s, want fail_check_items %q", e.Data, items)
	}
}

// An APPROVED person's change is stored as pending with its four files copied under the
// account, which stays as it was; a second change while it waits is UNDER_REVIEW.
func TestEnterpriseChangeAccepted(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedPerson(t)
	before := d.account(t, u.AccountID)
	w := d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u))
	if e := wantEnvelope(t, w, 200, CodeOK, ""); string(e.Data) != `{"is_review":1}` {
		t.Errorf("data = %s, want {\"is_review\":1}", e.Data)
	}
	if a := d.account(t, u.AccountID); !reflect.DeepEqual(a, before) {
		t.Errorf("account changed by the change:\n got %+v\nwant %+v", a, before)
	}
	c := d.change(t, u.AccountID)
	if !c.Pending || c.Attempts != 1 || c.VerifiedNumber != goodUSCC || c.CorpName == "" || c.LegalIDNumber != goodID || c.SubmittedBy != u.ID {
		t.Errorf("stored change %+v", c)
	}
	for slot, data := range map[string][]byte{"licence": licPNG, "certificateBackImg": certBackPNG, "legalIdentityFrontImg": frontPNG, "legalIdentityBackImg": backPNG} {
		d.wantDocument(t, kyc.Account{ID: u.AccountID, Documents: c.Documents}, slot, "image/png", data)
	}
	if q := d.queued(t); len(q) != 0 {
		t.Errorf("queued %+v: a change goes to the reviewer, not the worker", q)
	}

	snap := d.snapshot(t, u.AccountID)
	e := wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u)), 400, 1025, "")
	wantFailItems(t, e, "UNDER_REVIEW")
	d.wantUnchanged(t, u.AccountID, snap)
	if got := d.change(t, u.AccountID); !reflect.DeepEqual(got, c) {
		t.Errorf("refused change replaced the pending one: %+v", got)
	}
}

// The seed's form encoding takes the same change: verified_file_url repeated in order.
func TestEnterpriseChangeForm(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedPerson(t)
	body := d.changeBody(t, u)
	form := url.Values{"corp_name": {"示例科技有限公司"}, "verified_number": {goodUSCC}, "identify_type": {"1"}, "change_type": {"1"},
		"enterprise_person.legel_name": {"张三"}, "enterprise_person.legel_id_number": {goodID},
		"verified_file_url": body["verified_file_url"].([]string)}
	w := d.callRaw(t, http.MethodPost, changePath, u.Token, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	wantEnvelope(t, w, 200, CodeOK, "")
	if c := d.change(t, u.AccountID); !c.Pending || c.LegalName != "张三" || len(c.Documents) != 4 {
		t.Errorf("stored change %+v", c)
	}
}

// Every unmet precondition is named at once, and nothing is stored or copied.
func TestEnterpriseChangePreconditions(t *testing.T) {
	d := newDocFixture(t)

	// A company account (a change approved earlier used every attempt) under review again.
	u := d.approvedPerson(t)
	acct := d.account(t, u.AccountID)
	c, err := d.store.PutChange(t.Context(), acct, kyc.EnterpriseChange{AccountID: acct.ID, VerifiedNumber: goodUSCC, Attempts: d.svc.MaxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	next := acct
	next.Type, next.IDNumber = kyc.CompanyAccount, goodUSCC
	if _, err := d.store.DecideChange(t.Context(), kyc.Transition{Account: next, FromState: acct.State, FromVersion: acct.Version,
		Audit: kyc.AuditRecord{AccountID: acct.ID, At: d.clock.Now(), Actor: "test", Action: "transition", From: acct.State, To: kyc.StateApproved}}, c); err != nil {
		t.Fatal(err)
	}
	d.move(t, u.AccountID, kyc.StateSubmitted, "")
	body := d.changeBody(t, u)
	snap := d.snapshot(t, u.AccountID)
	e := wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, body), 400, 1025, "")
	wantFailItems(t, e, "IS_ORG_ACCOUNT", "UNDER_REVIEW", "ATTEMPTS_EXCEEDED")
	d.wantUnchanged(t, u.AccountID, snap)
	if got := d.change(t, u.AccountID); got.Pending || got.Version != c.Version+1 {
		t.Errorf("refused request changed the stored change: %+v", got)
	}

	// A person not yet verified.
	v := d.newUser(t, kyc.RoleUser)
	snap = d.snapshot(t, v.AccountID)
	e = wantEnvelope(t, d.call(t, http.MethodPost, changePath, v.Token, d.changeBody(t, v)), 400, 1025, "")
	wantFailItems(t, e, "NOT_PERSONAL_APPROVED")
	d.wantUnchanged(t, v.AccountID, snap)
	if got := d.change(t, v.AccountID); got.AccountID != "" {
		t.Errorf("refused request stored %+v", got)
	}

	// Field errors come before preconditions and name the field.
	body = d.changeBody(t, v)
	delete(body, "verified_number")
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, v.Token, body), 400, 997, "verified_number")
	body["verified_number"] = "not a number"
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, v.Token, body), 400, 1006, "verified_number")
}

// A key of the wrong slot, of another user, or unknown is refused naming its position,
// and the files copied before it are deleted: nothing is left behind.
func TestEnterpriseChangeBadKeys(t *testing.T) {
	d := newDocFixture(t)
	u := d.approvedPerson(t)
	other := d.approvedPerson(t)
	tests := []struct {
		name   string
		pos    int
		key    func() string
		status int
		code   int
	}{
		{"wrong slot", 1, func() string { return d.upload(t, u.Token, "organizationRegImg", certBackPNG) }, 400, 1006},
		{"ID sides swapped", 3, func() string { return d.upload(t, u.Token, "legalIdentityFrontImg", backPNG) }, 400, 1006},
		{"another user's", 2, func() string { return d.upload(t, other.Token, "legalIdentityFrontImg", frontPNG) }, 403, 1020},
		{"unknown", 1, func() string { return "uploads/" + u.AccountID + "/certificateBackImg/nosuchupload" }, 400, 1006},
		{"not an upload key", 0, func() string { return "accounts/" + u.AccountID + "/licence/x" }, 400, 1006},
	}
	// A refused request marks no key used, so the good keys serve every case (and the
	// upload quota is not reached).
	body := d.changeBody(t, u)
	good := body["verified_file_url"].([]string)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := slices.Clone(good)
			files[tt.pos] = tt.key()
			body["verified_file_url"] = files
			snap := d.snapshot(t, u.AccountID)
			wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, body), tt.status, tt.code, "verified_file_url["+string(rune('0'+tt.pos))+"]")
			d.wantUnchanged(t, u.AccountID, snap)
			if got := d.change(t, u.AccountID); got.AccountID != "" {
				t.Errorf("refused request stored %+v", got)
			}
		})
	}

	// Another user's account named as customer_id.
	body["verified_file_url"] = good
	body["customer_id"] = other.AccountID
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, body), 403, 1020, "customer_id")
}

// A reviewer approves a change: the account becomes the APPROVED company account holding
// the company's number (the personal claim released), audited, the change decided. A
// second company with the same number is 409 / 1021, and nobody decides their own change.
func TestEnterpriseChangeApproved(t *testing.T) {
	d := newDocFixture(t)
	rv := d.rvUser(t, kyc.RoleReviewer, nil)
	u := d.approvedPersonWithID(t, goodID)
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u)), 200, CodeOK, "")

	// Maker-checker: the owner, even made a reviewer, cannot approve their own change.
	if _, err := d.store.ChangeUser(t.Context(), u.ID, func(x kyc.User) (kyc.User, bool, error) {
		x.Role = kyc.RoleReviewer
		return x, true, nil
	}); err != nil {
		t.Fatal(err)
	}
	own := d.session(t, u.ID, time.Hour)
	wantEnvelope(t, d.rvCall(t, http.MethodPost, "/v1/cms/account/"+u.AccountID+"/authorizeAccount", own, "req-own", nil), 403, 1020, "")

	c := d.change(t, u.AccountID)
	// The reviewers' company list shows the change as the company it asks to become.
	l, _ := d.list(t, companyListPath, rv.Token, nil)
	if len(l.Data) != 1 || l.Data[0]["id"] != u.AccountID || l.Data[0]["kind"] != "enterprise_change" ||
		l.Data[0]["type"] != "company_account" || l.Data[0]["organization"] != c.CorpName || l.TotalCount == nil || *l.TotalCount != 1 {
		t.Errorf("company list %+v, want the change", l)
	}
	// The reviewer's detail shows the change in full, with its documents.
	e := wantEnvelope(t, d.rvCall(t, http.MethodGet, detailPath(u.AccountID), rv.Token, "req-detail", nil), 200, CodeOK, "")
	var detail struct {
		Type   string `json:"type"`
		Change *struct {
			VerifiedNumber string `json:"verified_number"`
			LegalIDNumber  string `json:"legel_id_number"`
			Documents      []struct {
				Slot string `json:"slot"`
			} `json:"documents"`
		} `json:"enterprise_change"`
	}
	if err := json.Unmarshal(e.Data, &detail); err != nil || detail.Change == nil || detail.Type != string(kyc.PersonalAccount) ||
		detail.Change.VerifiedNumber != goodUSCC || detail.Change.LegalIDNumber != goodID || len(detail.Change.Documents) != 4 {
		t.Errorf("detail %s, want the personal account with its pending change and 4 documents", e.Data)
	}
	w := d.rvCall(t, http.MethodPost, "/v1/cms/account/"+u.AccountID+"/authorizeAccount", rv.Token, "req-approve", nil)
	if w.Code != 200 {
		t.Fatalf("approve: %d %s", w.Code, w.Body)
	}
	a := d.account(t, u.AccountID)
	if a.Type != kyc.CompanyAccount || a.State != kyc.StateApproved || a.IDNumber != goodUSCC || a.Organization != c.CorpName ||
		a.Documents["licence"] != c.Documents["licence"] || a.Documents["legalIdentityBackImg"] != c.Documents["legalIdentityBackImg"] {
		t.Errorf("account after approval %+v, want the APPROVED company of %+v", a, c)
	}
	if owner, err := d.store.IdentityOwner(t.Context(), kyc.CompanyAccount, goodUSCC); err != nil || owner != u.AccountID {
		t.Errorf("company identity owner %q, %v; want %s", owner, err, u.AccountID)
	}
	if _, err := d.store.IdentityOwner(t.Context(), kyc.PersonalAccount, goodID); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("personal identity still claimed: %v", err)
	}
	if got := d.change(t, u.AccountID); got.Pending {
		t.Errorf("change still pending after approval: %+v", got)
	}
	d.wantAudit(t, u.AccountID, kyc.AuditRecord{At: d.clock.Now(), Actor: rv.ID, ActorRole: kyc.RoleReviewer, Action: kyc.ActionApproveChange,
		From: kyc.StateApproved, To: kyc.StateApproved, RequestID: "req-approve"})

	// Another person asks with the same number: approving it is 409 / 1021, nothing moves.
	v := d.approvedPerson(t)
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, v.Token, d.changeBody(t, v)), 200, CodeOK, "")
	before, pending := d.account(t, v.AccountID), d.change(t, v.AccountID)
	wantEnvelope(t, d.rvCall(t, http.MethodPost, "/v1/cms/account/"+v.AccountID+"/authorizeAccount", rv.Token, "req-dup", nil), 409, 1021, "")
	if a := d.account(t, v.AccountID); !reflect.DeepEqual(a, before) {
		t.Errorf("refused approval changed the account: %+v", a)
	}
	if got := d.change(t, v.AccountID); !reflect.DeepEqual(got, pending) {
		t.Errorf("refused approval decided the change: %+v", got)
	}
}

// A reviewer rejects a change: the personal account is as it was (state, type, identity,
// documents), the change is no longer pending, the rejection audited with its reason, and
// the person may ask again.
func TestEnterpriseChangeRejected(t *testing.T) {
	d := newDocFixture(t)
	rv := d.rvUser(t, kyc.RoleReviewer, nil)
	u := d.approvedPersonWithID(t, goodID)
	before := d.account(t, u.AccountID)
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u)), 200, CodeOK, "")
	w := d.rvCall(t, http.MethodPost, "/v1/cms/account/"+u.AccountID+"/rejectAccount", rv.Token, "req-reject", map[string]string{"reason": "licence unreadable"})
	if w.Code != 200 {
		t.Fatalf("reject: %d %s", w.Code, w.Body)
	}
	a := d.account(t, u.AccountID)
	if a.Type != before.Type || a.State != before.State || a.IDNumber != before.IDNumber || a.Name != before.Name ||
		!reflect.DeepEqual(a.Documents, before.Documents) || a.Attempts != before.Attempts {
		t.Errorf("account after a rejected change %+v, want as before %+v", a, before)
	}
	if owner, err := d.store.IdentityOwner(t.Context(), kyc.PersonalAccount, goodID); err != nil || owner != u.AccountID {
		t.Errorf("personal identity owner %q, %v; want still %s", owner, err, u.AccountID)
	}
	if c := d.change(t, u.AccountID); c.Pending || c.Attempts != 1 {
		t.Errorf("change after rejection %+v, want decided, 1 attempt", c)
	}
	d.wantAudit(t, u.AccountID, kyc.AuditRecord{At: d.clock.Now(), Actor: rv.ID, ActorRole: kyc.RoleReviewer, Action: kyc.ActionRejectChange,
		From: kyc.StateApproved, To: kyc.StateApproved, Reason: "licence unreadable", RequestID: "req-reject"})
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u)), 200, CodeOK, "")
	if c := d.change(t, u.AccountID); !c.Pending || c.Attempts != 2 {
		t.Errorf("second change %+v, want pending, attempt 2", c)
	}
}

// Approving a change deletes the files of the account's earlier change attempts (as an
// approved submission deletes its earlier attempts'), and nothing else of the account.
func TestEnterpriseChangeApprovalDeletesEarlierAttempts(t *testing.T) {
	d := newDocFixture(t)
	rv := d.rvUser(t, kyc.RoleReviewer, nil)
	u := d.approvedPerson(t)
	portrait := d.upload(t, u.Token, "portrait", frontPNG)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/portrait", u.Token, map[string]string{"key": portrait}), 200, CodeOK, "")
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u)), 200, CodeOK, "")
	first := d.change(t, u.AccountID)
	wantEnvelope(t, d.rvCall(t, http.MethodPost, "/v1/cms/account/"+u.AccountID+"/rejectAccount", rv.Token, "req-reject",
		map[string]string{"reason": "licence unreadable"}), 200, CodeOK, "")
	for _, doc := range first.Documents {
		if !d.stored(t, doc.Key) {
			t.Fatalf("a rejected change's %s was deleted at the rejection", doc.Slot)
		}
	}
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, u.Token, d.changeBody(t, u)), 200, CodeOK, "")
	second := d.change(t, u.AccountID)
	wantEnvelope(t, d.rvCall(t, http.MethodPost, "/v1/cms/account/"+u.AccountID+"/authorizeAccount", rv.Token, "req-approve", nil), 200, CodePersonalAccepted, "")
	for _, doc := range first.Documents {
		if d.stored(t, doc.Key) {
			t.Errorf("the earlier change's %s is still stored after the approval", doc.Slot)
		}
	}
	for _, doc := range second.Documents {
		if !d.stored(t, doc.Key) {
			t.Errorf("the approved change's %s was deleted", doc.Slot)
		}
	}
	if got := objects(t, accountPrefix(u.AccountID)+"portrait/"); len(got) != 1 {
		t.Errorf("portrait folder %q after the approval, want the portrait kept", got)
	}
}
