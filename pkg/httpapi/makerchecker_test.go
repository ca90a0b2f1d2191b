package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// Maker-checker: a user who is later made a reviewer (or admin) cannot approve or reject
// their own account, through any decision route; another reviewer still can.
func TestReviewerCannotDecideOwnAccount(t *testing.T) {
	d := newDocFixture(t)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	d.pending(t, a)
	for _, role := range []string{"reviewer", "admin"} {
		if _, err := operatorUsers(d.svc).SetRole(t.Context(), users.Operator("test"), a.ID, role); err != nil {
			t.Fatalf("SetRole %s: %v", role, err)
		}
		token := d.session(t, a.ID, time.Hour)
		wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), token, nil), http.StatusForbidden, 1020, "")
		wantEnvelope(t, d.call(t, http.MethodPost, rejectPath(a.AccountID), token, map[string]any{"reason": "looks fine to me", "reject_type": "RETRY"}),
			http.StatusForbidden, 1020, "")
		if got := d.account(t, a.AccountID); got.State != kyc.StatePendingReview {
			t.Fatalf("as %s: own decision left the account %s, want PENDING_REVIEW", role, got.State)
		}
	}
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
}

// The session token is read from ?auth_token= on the five routes API.md names (document
// downloads and the confirmation sample) and on the seal's, a document download too (a
// 302 a plain link must reach), and on no other route, e.g. the profile or the
// reviewer's detail with a full ID number.
func TestQueryTokenOnlyOnDownloads(t *testing.T) {
	want := map[string]bool{"download-confirmation-file": true, "down-auth-licence": true, "down-auth-confirmation": true,
		"download-auth-front-of-id": true, "download-auth-back-of-id": true, "organization-seal": true}
	for _, rt := range Routes() {
		if rt.QueryToken != want[rt.Name] {
			t.Errorf("route %s: QueryToken %v, want %v", rt.Name, rt.QueryToken, want[rt.Name])
		}
	}
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	d.pending(t, a)
	for _, path := range []string{"/v1/user/me", "/v1/account", detailPath(a.AccountID), personalListPath} {
		wantEnvelope(t, d.call(t, http.MethodGet, path+"?auth_token="+rev.Token, "", nil), http.StatusUnauthorized, 999, "")
	}
	w := d.call(t, http.MethodGet, "/v1/cms/account/"+a.AccountID+"/downloadAuthFrontOfID?auth_token="+rev.Token, "", nil)
	if w.Code != http.StatusFound {
		t.Errorf("download with ?auth_token=: status %d, want 302: %s", w.Code, w.Body)
	}
}
