package storetest

import (
	"fmt"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// checkAudit compares an account's trail with want, in order.
func checkAudit(t *testing.T, s kyc.Store, accountID string, want []kyc.AuditRecord) {
	t.Helper()
	got, err := s.ListAudit(t.Context(), accountID)
	if err != nil {
		t.Fatalf("ListAudit %s: %v", accountID, err)
	}
	wantSame(t, "ListAudit "+accountID, want, got)
}

func testTransitionApply(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)

	tr := next(a, kyc.StateSubmitted, 10)
	tr.Account.Attempts = 1
	tr.Account.SubmittedAt = At(10)
	tr.Account.Reasons = []string{"previous_reason"}
	tr.Account.ReuploadSlots = []string{"frontOfID", "backOfID"}
	tr.Account.Documents = map[string]kyc.Document{
		"frontOfID": {Slot: "frontOfID", Key: "docs/test-object-1", ContentType: "image/jpeg", Size: 2048, UploadedAt: At(8)},
		"backOfID":  {Slot: "backOfID", Key: "docs/test-object-2", ContentType: "image/png", Size: 4096, UploadedAt: At(9)},
	}
	tr.Audit.Reason = "submitted by owner"
	tr.Audit.Actor = a.OwnerID
	tr.Audit.ActorRole = kyc.RoleUser
	// The caller's Version is not what the store writes: FromVersion+1 is.
	tr.Account.Version = 42

	got, err := s.Transition(ctx, tr)
	if err != nil {
		t.Fatalf("Transition UNVERIFIED->SUBMITTED: %v", err)
	}
	want := cloneAccount(tr.Account)
	want.Version = a.Version + 1
	wantSame(t, "Transition result", want, got)
	checkAccount(t, s, want)
	checkAudit(t, s, a.ID, []kyc.AuditRecord{tr.Audit})

	// Reasons and slots can be cleared, documents replaced; the next audit record follows.
	tr2 := next(got, kyc.StatePendingReview, 11)
	tr2.Account.Reasons = nil
	tr2.Account.ReuploadSlots = nil
	delete(tr2.Account.Documents, "backOfID")
	// The review worker records its verdict on each document.
	tr2.Account.Documents["frontOfID"] = withCheck(tr2.Account.Documents["frontOfID"], "ok")
	got2, err := s.Transition(ctx, tr2)
	if err != nil {
		t.Fatalf("Transition SUBMITTED->PENDING_REVIEW: %v", err)
	}
	want2 := cloneAccount(tr2.Account)
	want2.Version = want.Version + 1
	wantSame(t, "second Transition result", want2, got2)
	checkAccount(t, s, want2)
	checkAudit(t, s, a.ID, []kyc.AuditRecord{tr.Audit, tr2.Audit})
}

func withCheck(d kyc.Document, check string) kyc.Document {
	d.Check = check
	return d
}

func testTransitionWrongState(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)
	for _, from := range []kyc.State{kyc.StateSubmitted, kyc.StatePendingReview, kyc.StateApproved, ""} {
		tr := next(a, kyc.StatePendingReview, 10)
		tr.FromState = from
		_, err := s.Transition(ctx, tr)
		wantCode(t, fmt.Sprintf("Transition from %q of an UNVERIFIED account", from), err, kyc.ECONFLICT)
	}
	checkAccount(t, s, a)
	checkAudit(t, s, a.ID, nil)
	page, err := s.ListPending(ctx, kyc.PersonalAccount, 10, "")
	if err != nil {
		t.Fatalf("ListPending: %v", err)
	}
	wantSame(t, "ListPending after refused transitions to PENDING_REVIEW", kyc.PendingPage{}, page)
}

func testTransitionStaleVersion(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)
	sub := mustSubmit(t, s, a, 10)

	for _, v := range []int64{a.Version, sub.Version + 1, 0} {
		tr := next(sub, kyc.StatePendingReview, 11)
		tr.FromVersion = v
		_, err := s.Transition(ctx, tr)
		wantCode(t, fmt.Sprintf("Transition at version %d while stored is %d", v, sub.Version), err, kyc.ECONFLICT)
	}
	// Replaying the transition that already happened is stale too.
	tr := next(a, kyc.StateSubmitted, 10)
	_, err := s.Transition(ctx, tr)
	wantCode(t, "replayed Transition", err, kyc.ECONFLICT)

	checkAccount(t, s, sub)
	// The trail holds the one transition that happened (mustSubmit's, made by next).
	checkAudit(t, s, a.ID, []kyc.AuditRecord{next(a, kyc.StateSubmitted, 10).Audit})
}

func testTransitionMissing(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	ghost := NewAccount(2, kyc.PersonalAccount)
	ghost.Version = 1
	_, err := s.Transition(ctx, next(ghost, kyc.StateSubmitted, 10))
	wantCode(t, "Transition of a missing account", err, kyc.ENOTFOUND)
	_, err = s.GetAccount(ctx, ghost.ID)
	wantCode(t, "GetAccount after Transition of a missing account", err, kyc.ENOTFOUND)
	checkAudit(t, s, ghost.ID, nil)
	list, err := s.ListSubmittedBefore(ctx, At(1000), 10)
	if err != nil {
		t.Fatalf("ListSubmittedBefore: %v", err)
	}
	wantSame(t, "ListSubmittedBefore after a refused transition", nil, list)
}

func testTransitionConcurrent(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	created := create(t, s, 1, kyc.CompanyAccount)
	a := mustSubmit(t, s, created, 10)
	const n = 50
	tr := next(a, kyc.StatePendingReview, 11)
	errs := concurrently(n, func(int) error {
		_, err := s.Transition(ctx, tr)
		return err
	})
	c := codes(errs)
	if c[""] != 1 || c[kyc.ECONFLICT] != n-1 {
		t.Fatalf("%d concurrent identical transitions: results by code %v, want 1 success and %d %q", n, c, n-1, kyc.ECONFLICT)
	}
	want := cloneAccount(tr.Account)
	want.Version = a.Version + 1
	checkAccount(t, s, want)
	// The submission and the one winning transition.
	checkAudit(t, s, a.ID, []kyc.AuditRecord{next(created, kyc.StateSubmitted, 10).Audit, tr.Audit})
	page, err := s.ListPending(ctx, kyc.CompanyAccount, 10, "")
	if err != nil {
		t.Fatalf("ListPending: %v", err)
	}
	wantSame(t, "ListPending after one winning transition", kyc.PendingPage{Accounts: []kyc.Account{want}, Total: 1}, page)
}

// testTransitionCreate: a Create transition writes an account that did not exist (an
// integrator's company, created SUBMITTED) with its bank fields; the same create again,
// or a create of an existing account, is ECONFLICT and changes nothing.
func testTransitionCreate(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	fresh := NewAccount(7, kyc.CompanyAccount)
	fresh.OwnerKind, fresh.OwnerID, fresh.AdminAccountID, fresh.BankRequired = kyc.OwnerIntegrator, "rnk_storetest", AccountID(8), true
	fresh.Version = 0
	tr := next(fresh, kyc.StateSubmitted, 10)
	tr.Account.SubmittedAt, tr.Account.Attempts = At(10), 1
	tr.Create = true
	created, err := s.Transition(ctx, tr)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.Version != 1 {
		t.Errorf("created at version %d, want 1", created.Version)
	}
	checkAccount(t, s, created)
	_, err = s.Transition(ctx, tr)
	wantCode(t, "the same create again", err, kyc.ECONFLICT)
	checkAccount(t, s, created)
	checkAudit(t, s, created.ID, []kyc.AuditRecord{tr.Audit})

	existing := create(t, s, 9, kyc.CompanyAccount)
	over := next(kyc.Account{ID: existing.ID, Type: kyc.CompanyAccount}, kyc.StateSubmitted, 11)
	over.Create = true
	_, err = s.Transition(ctx, over)
	wantCode(t, "a create over an existing account", err, kyc.ECONFLICT)
	checkAccount(t, s, existing)
}
