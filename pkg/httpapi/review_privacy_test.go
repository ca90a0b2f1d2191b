package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Issue 11: the reviewer lists show phones and names masked (138****5678, 张*), never in
// full; the detail view has them in full.
func TestReviewListsMaskPhoneAndName(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	p := d.newApplicant(t, kyc.PersonalAccount, 0) // 张三
	c := d.newApplicant(t, kyc.CompanyAccount, 4)  // contact 联系人欧阳娜娜
	d.pending(t, p)
	d.pending(t, c)

	l, raw := d.list(t, personalListPath, rev.Token, nil)
	if len(l.Data) != 1 || l.Data[0]["name"] != "张*" || l.Data[0]["tel"] != "139****0000" {
		t.Errorf("personal list %s, want name 张* and tel 139****0000", raw)
	}
	if strings.Contains(raw, p.name) || strings.Contains(raw, p.tel) {
		t.Errorf("the personal list shows a full name or phone: %s", raw)
	}
	l, raw = d.list(t, companyListPath, rev.Token, nil)
	if len(l.Data) != 1 || l.Data[0]["name"] != "联*****娜" || l.Data[0]["tel"] != "139****0004" || l.Data[0]["organization"] != c.organization {
		t.Errorf("company list %s, want name 联*****娜, tel 139****0004 and the organization in full", raw)
	}
	if strings.Contains(raw, c.name) || strings.Contains(raw, c.tel) {
		t.Errorf("the company list shows a full name or phone: %s", raw)
	}
	dt, _ := d.detail(t, rev.Token, p.AccountID, "req-detail")
	if dt.Name != p.name || dt.Tel != p.tel || dt.IDNumber != p.idNumber {
		t.Errorf("detail shows %q %q %q, want the full values", dt.Name, dt.Tel, dt.IDNumber)
	}
}

// Issue 11: each list page writes one audit record under the reviewer who read it,
// naming the list (account type), the accounts shown and the request; an empty page too,
// since that write is what proves the session live (issue 10).
func TestReviewListReadsAudited(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a, b := d.newApplicant(t, kyc.PersonalAccount, 1), d.newApplicant(t, kyc.PersonalAccount, 2)
	d.pending(t, a)
	d.clock.Advance(time.Minute)
	d.pending(t, b)

	first, _ := d.list(t, personalListPath, rev.Token, url.Values{"limit": {"1"}})
	for reqID, path := range map[string]string{
		"req-empty":  companyListPath,
		"req-page-1": personalListPath + "?limit=1",
		"req-page-2": personalListPath + "?limit=1&cursor=" + url.QueryEscape(first.NextCursor),
	} {
		if w := d.rvCall(t, http.MethodGet, path, rev.Token, reqID, nil); w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
		}
	}

	recs, err := d.store.ListActorAudit(t.Context(), rev.ID)
	if err != nil {
		t.Fatal(err)
	}
	byReq := map[string]kyc.ActorAuditRecord{}
	for _, r := range recs {
		subject := string(kyc.PersonalAccount)
		if r.RequestID == "req-empty" {
			subject = string(kyc.CompanyAccount)
		}
		if r.Actor != rev.ID || r.ActorRole != kyc.RoleReviewer || r.Action != kyc.ActionListRead || r.Subject != subject || !r.At.Equal(d.clock.Now()) {
			t.Errorf("record %+v, want the reviewer's list_read of %s at %v", r, subject, d.clock.Now())
		}
		byReq[r.RequestID] = r
	}
	if len(recs) != 4 {
		t.Errorf("%d records %+v, want 4: two pages of 1, the helper's page and the empty company list", len(recs), recs)
	}
	if r, ok := byReq["req-empty"]; !ok || len(r.AccountIDs) != 0 {
		t.Errorf("the empty page's record %+v, want one naming no account", r)
	}
	if r := byReq["req-page-1"]; !slices.Equal(r.AccountIDs, []string{a.AccountID}) {
		t.Errorf("page 1's record names %v, want [%s]", r.AccountIDs, a.AccountID)
	}
	if r := byReq["req-page-2"]; !slices.Equal(r.AccountIDs, []string{b.AccountID}) {
		t.Errorf("page 2's record names %v, want [%s]", r.AccountIDs, b.AccountID)
	}
}

// Issue 11: when a newer submission is approved, the documents of the earlier attempts
// are deleted; the approved set, the account's avatar and the audit trail are kept. The
// whole flow on VersityGW and dynoxide: submit, reject, re-upload, resubmit, approve.
func TestReviewApprovalDeletesEarlierAttempts(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 3)
	avatar := d.upload(t, a.Token, "portrait", filechecktest.PNG(40, 40))
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/portrait", a.Token, map[string]string{"key": avatar}), http.StatusOK, CodeOK, "")
	firstAttempt := d.pending(t, a).Documents

	w := d.call(t, http.MethodPost, rejectPath(a.AccountID), rev.Token, map[string]any{"reason": "照片模糊", "reject_type": "RETRY", "documents": []string{"frontOfID"}})
	wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	d.clock.Advance(time.Minute)
	d.submit(t, a, filechecktest.PNG(64, 44))
	d.rvWork(t)
	second := d.account(t, a.AccountID)
	if second.State != kyc.StatePendingReview || second.Attempts != 2 {
		t.Fatalf("after resubmitting: %s, attempt %d", second.State, second.Attempts)
	}
	for slot, doc := range firstAttempt {
		if second.Documents[slot].Key == doc.Key || !d.stored(t, doc.Key) {
			t.Fatalf("setup: the first attempt's %s must be stored under a key of its own", slot)
		}
	}
	trail, err := d.store.ListAudit(t.Context(), a.AccountID)
	if err != nil {
		t.Fatal(err)
	}

	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	for slot, doc := range firstAttempt {
		if d.stored(t, doc.Key) {
			t.Errorf("the first attempt's %s (%s) is still stored after the approval", slot, doc.Key)
		}
	}
	approved := d.account(t, a.AccountID)
	for slot, doc := range approved.Documents {
		if !d.stored(t, doc.Key) {
			t.Errorf("the approved %s (%s) was deleted", slot, doc.Key)
		}
	}
	u, err := d.store.GetUser(t.Context(), a.ID)
	if err != nil || u.Portrait == "" || !d.stored(t, u.Portrait) {
		t.Errorf("the avatar %q is gone (%v)", u.Portrait, err)
	}
	after, err := d.store.ListAudit(t.Context(), a.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range after {
		actions = append(actions, r.Action)
	}
	if len(after) != len(trail)+1 || !slices.Contains(actions, kyc.ActionApprove) || !slices.Contains(actions, kyc.ActionReject) ||
		slicesCount(actions, kyc.ActionSubmit) != 2 {
		t.Errorf("trail after the approval %v, want the %d records before (two submissions, the rejection) and the approval", actions, len(trail))
	}
}

func slicesCount(s []string, v string) int {
	n := 0
	for _, e := range s {
		if e == v {
			n++
		}
	}
	return n
}

// stored reports whether the bucket holds key.
func (d *docFixture) stored(t *testing.T, key string) bool {
	t.Helper()
	_, err := d.svc.Docs.Head(t.Context(), key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return false
	} else if err != nil {
		t.Fatalf("Head %s: %v", key, err)
	}
	return true
}
