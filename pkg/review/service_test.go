package review_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
)

// Every adapter of pkg/kyc's ports is what the package's constructors take.
var (
	_ review.ServiceStore    = kyc.Store(nil)
	_ review.WorkerStore     = kyc.Store(nil)
	_ review.ReconcilerStore = kyc.Store(nil)
	_ review.WorkerDocs      = kyc.Documents(nil)
	_ review.ReconcilerQueue = kyc.Queue(nil)
)

func (f *fixture) service() *review.Service {
	return review.NewService(review.ServiceDeps{Store: f.store, Clock: f.clock, Log: f.logger})
}

// pending is an account the worker has moved to PENDING_REVIEW.
func (f *fixture) pending(t *testing.T) kyc.Account {
	t.Helper()
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	if failed := handle(t, f.worker(), messageFor(t, "m-"+a.ID, a)); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v", failed)
	}
	got := f.account(t, a.ID)
	if got.State != kyc.StatePendingReview {
		t.Fatalf("setup: %s is %s %q, want PENDING_REVIEW", a.ID, got.State, got.Reasons)
	}
	return got
}

// The reviewer service over the real store: the list masks ID numbers and is oldest
// first, the detail shows them in full and audits the read, and decisions are
// transitions that only one reviewer wins.
func TestServiceReviewsPendingAccounts(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	ctx := t.Context()
	r := f.reviewer(t, review.Reviewer{UserID: "reviewer-1", Role: kyc.RoleReviewer, RequestID: "req-1"})

	first := f.pending(t)
	f.clock.Advance(time.Minute)
	second := f.pending(t)

	page, err := svc.ListPending(ctx, r, kyc.PersonalAccount, "", "")
	if err != nil {
		t.Fatalf("ListPending: %v", err)
	}
	if page.Total != 2 || len(page.Items) != 2 || page.Items[0].ID != first.ID || page.Items[1].ID != second.ID {
		t.Fatalf("ListPending = %+v, want %s then %s of 2", page, first.ID, second.ID)
	}
	if got := page.Items[0].IDNumber; got != idcheck.MaskID(first.IDNumber) || got == first.IDNumber {
		t.Errorf("listed ID number %q, want it masked", got)
	}
	if page, err := svc.ListPending(ctx, r, kyc.CompanyAccount, "", ""); err != nil || len(page.Items) != 0 {
		t.Errorf("company list = %+v, %v; want empty", page, err)
	}
	for _, tt := range []struct{ limit, cursor string }{{"0", ""}, {"x", ""}, {"", "not-a-cursor"}} {
		if _, err := svc.ListPending(ctx, r, kyc.PersonalAccount, tt.limit, tt.cursor); !kyc.IsCode(err, kyc.EINVALID) {
			t.Errorf("ListPending(limit %q, cursor %q) = %v, want EINVALID", tt.limit, tt.cursor, err)
		}
	}

	f.clock.Advance(time.Minute)
	d, err := svc.Detail(ctx, r, first.ID)
	if err != nil {
		t.Fatalf("Detail: %v", err)
	}
	if d.IDNumber != first.IDNumber || d.State != string(kyc.StatePendingReview) || len(d.Documents) != 2 ||
		d.Documents[0].Slot != "backOfID" || d.Documents[0].Check != "ok" {
		t.Errorf("Detail = %+v, want the full ID number, PENDING_REVIEW and both checked documents in slot order", d)
	}
	trail := f.audit(t, first.ID)
	if len(d.Audit) != 3 || len(trail) != 3 {
		t.Fatalf("detail shows %d records, store has %d; want submit, automated_checks and read", len(d.Audit), len(trail))
	}
	if read := d.Audit[2]; read.Action != "read" || read.Actor != r.UserID || read.RequestID != r.RequestID || !read.At.Equal(f.clock.Now()) {
		t.Errorf("read record shown = %+v, want reviewer-1's read of req-1 at %v", read, f.clock.Now())
	}
	if countAction(trail, "read") != 1 {
		t.Errorf("stored trail %+v, want one read record", trail)
	}
	if _, err := svc.Detail(ctx, r, "acct-does-not-exist"); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("Detail of an unknown account = %v, want ENOTFOUND", err)
	}

	if _, err := svc.Approve(ctx, r, first.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if got := f.account(t, first.ID); got.State != kyc.StateApproved || !got.UpdatedAt.Equal(f.clock.Now()) {
		t.Errorf("after Approve: %s updated %v, want APPROVED at %v", got.State, got.UpdatedAt, f.clock.Now())
	}
	if _, err := svc.Approve(ctx, r, first.ID); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Errorf("second Approve = %v, want ECONFLICT", err)
	}
	if err := svc.Reject(ctx, r, first.ID, review.RejectInput{Reason: "blurred"}); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Errorf("Reject of an approved account = %v, want ECONFLICT", err)
	}
	if !strings.Contains(f.log.String(), "review decision") || strings.Contains(f.log.String(), first.IDNumber) {
		t.Errorf("the decision is not logged, or the log shows the ID number: %s", f.log.String())
	}

	if err := svc.Reject(ctx, r, second.ID, review.RejectInput{Reason: "blurred", Documents: []string{"selfie"}}); !kyc.IsCode(err, kyc.EINVALID) {
		t.Errorf("Reject with an unknown slot = %v, want EINVALID", err)
	}
	if got := f.account(t, second.ID); got.State != kyc.StatePendingReview || got.Version != second.Version {
		t.Fatalf("a refused rejection changed the account: %s v%d", got.State, got.Version)
	}
	in := review.RejectInput{Reason: "photo blurred", RejectType: "retry", Documents: []string{"frontOfID"}}
	if err := svc.Reject(ctx, r, second.ID, in); err != nil {
		t.Fatalf("Reject: %v", err)
	}
	got := f.account(t, second.ID)
	if got.State != kyc.StateRejected || got.RejectType != kyc.RejectRetry || !slices.Equal(got.Reasons, []string{"photo blurred"}) ||
		!slices.Equal(got.ReuploadSlots, []string{"frontOfID"}) {
		t.Errorf("after Reject: %s %q %q %q, want REJECTED RETRY [photo blurred] [frontOfID]", got.State, got.RejectType, got.Reasons, got.ReuploadSlots)
	}
	if page, err := svc.ListPending(ctx, r, kyc.PersonalAccount, "", ""); err != nil || len(page.Items) != 0 || page.Total != 0 {
		t.Errorf("ListPending after both decisions = %+v, %v; want empty", page, err)
	}
}

// reviewer is r with a live session in f's store, as the route's middleware would give
// it: reads are audited on the condition that the session is live.
func (f *fixture) reviewer(t *testing.T, r review.Reviewer) review.Reviewer {
	t.Helper()
	r.TokenHash = "session-of-" + r.UserID
	s := kyc.Session{TokenHash: r.TokenHash, UserID: r.UserID, AccountID: "own-account-of-" + r.UserID, Role: r.Role,
		CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Hour)}
	if err := f.store.PutSession(t.Context(), s); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	return r
}
