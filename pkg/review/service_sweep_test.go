package review_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
)

// sweepSetup is a PENDING_REVIEW account whose slot folders also hold an earlier
// attempt's documents (keys of the layout pkg/submission writes), and a portrait in a
// folder of its own, all in the gateway's bucket.
type sweepSetup struct {
	acct     kyc.Account
	earlier  []string // earlier attempts' documents
	portrait string
}

func (f *fixture) sweepSetup(t *testing.T) sweepSetup {
	t.Helper()
	a := f.pendingPerson(t, "张三", "13800005678")
	s := sweepSetup{acct: a, portrait: "accounts/" + a.ID + "/portrait/avatar-1"}
	for _, slot := range []string{"frontOfID", "backOfID"} {
		s.earlier = append(s.earlier, "accounts/"+a.ID+"/"+slot+"/earlier-attempt-1", "accounts/"+a.ID+"/"+slot+"/earlier-attempt-2")
	}
	for _, k := range append([]string{s.portrait}, s.earlier...) {
		if err := docsOf(t).Put(t.Context(), k, "image/png", bytes.NewReader(frontPNG)); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	return s
}

func (f *fixture) exists(t *testing.T, key string) bool {
	t.Helper()
	_, err := docsOf(t).Head(t.Context(), key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return false
	} else if err != nil {
		t.Fatalf("Head %s: %v", key, err)
	}
	return true
}

// Issue 11: approving deletes the documents of the account's earlier attempts and keeps
// the approved ones, the account's other files (the avatar) and the audit trail.
func TestApproveDeletesEarlierAttempts(t *testing.T) {
	f := newFixture(t)
	s := f.sweepSetup(t)
	svc := review.NewService(review.ServiceDeps{Store: f.store, Objects: docsOf(t), Clock: f.clock, Log: f.logger})
	trail := f.audit(t, s.acct.ID)

	if _, err := svc.Approve(t.Context(), review.Reviewer{UserID: "reviewer-1", Role: kyc.RoleReviewer}, s.acct.ID); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	for _, k := range s.earlier {
		if f.exists(t, k) {
			t.Errorf("earlier attempt's %s is still stored", k)
		}
	}
	for slot, d := range s.acct.Documents {
		if !f.exists(t, d.Key) {
			t.Errorf("the approved %s (%s) was deleted", slot, d.Key)
		}
	}
	if !f.exists(t, s.portrait) {
		t.Errorf("the avatar %s was deleted", s.portrait)
	}
	after := f.audit(t, s.acct.ID)
	if len(after) != len(trail)+1 || countAction(after, kyc.ActionApprove) != 1 {
		t.Errorf("trail after approval = %+v, want the %d records before and the approval", after, len(trail))
	}
	if log := f.log.String(); strings.Contains(log, "earlier-attempt") || strings.Contains(log, s.acct.IDNumber) {
		t.Errorf("the log names object keys or the ID number: %s", log)
	}
}

// failingDeletes is the gateway's bucket refusing every delete.
type failingDeletes struct{ kyc.Documents }

func (failingDeletes) Delete(context.Context, string) error {
	return errors.New("injected: delete refused")
}

// A sweep that fails does not undo the approval (the transition is the commit point): the
// approval succeeds, the failure is logged, and the documents stay for a later sweep.
func TestApproveSurvivesFailedSweep(t *testing.T) {
	f := newFixture(t)
	s := f.sweepSetup(t)
	svc := review.NewService(review.ServiceDeps{Store: f.store, Objects: failingDeletes{docsOf(t)}, Clock: f.clock, Log: f.logger})
	if _, err := svc.Approve(t.Context(), review.Reviewer{UserID: "reviewer-1", Role: kyc.RoleReviewer}, s.acct.ID); err != nil {
		t.Fatalf("Approve with failing deletes: %v", err)
	}
	if got := f.account(t, s.acct.ID); got.State != kyc.StateApproved {
		t.Errorf("account is %s, want APPROVED", got.State)
	}
	if !f.exists(t, s.earlier[0]) {
		t.Errorf("%s is gone though every delete failed", s.earlier[0])
	}
	if !strings.Contains(f.log.String(), "could not delete an earlier attempt's document") {
		t.Errorf("the failed delete is not logged: %s", f.log.String())
	}
}

// A refused approval (here a second one) deletes nothing.
func TestRefusedApprovalDeletesNothing(t *testing.T) {
	f := newFixture(t)
	s := f.sweepSetup(t)
	next := f.account(t, s.acct.ID)
	next.State = kyc.StateRejected
	next.RejectType = kyc.RejectRetry
	if _, err := f.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: s.acct.State, FromVersion: s.acct.Version,
		Audit: kyc.AuditRecord{Actor: "reviewer-2", ActorRole: kyc.RoleReviewer, Action: kyc.ActionReject, From: s.acct.State, To: kyc.StateRejected}}); err != nil {
		t.Fatalf("reject: %v", err)
	}
	svc := review.NewService(review.ServiceDeps{Store: f.store, Objects: docsOf(t), Clock: f.clock, Log: f.logger})
	if _, err := svc.Approve(t.Context(), review.Reviewer{UserID: "reviewer-1", Role: kyc.RoleReviewer}, s.acct.ID); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Fatalf("Approve of a rejected account = %v, want ECONFLICT", err)
	}
	for _, k := range s.earlier {
		if !f.exists(t, k) {
			t.Errorf("%s was deleted by a refused approval", k)
		}
	}
}

// A company that needs the bank's verdict too is swept at the reviewer's approval, which
// keeps it PENDING_REVIEW: the bank's verdict may approve it later from a function
// without the document store.
func TestApproveAwaitingBankDeletesEarlierAttempts(t *testing.T) {
	f := newFixture(t)
	s := f.sweepSetup(t)
	a, err := f.store.GetAccount(t.Context(), s.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := a
	next.BankRequired = true
	if _, err := f.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: f.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: a.State}}); err != nil {
		t.Fatal(err)
	}
	svc := review.NewService(review.ServiceDeps{Store: f.store, Objects: docsOf(t), Clock: f.clock, Log: f.logger})
	state, err := svc.Approve(t.Context(), review.Reviewer{UserID: "reviewer-1", Role: kyc.RoleReviewer}, s.acct.ID)
	if err != nil || state != kyc.StatePendingReview {
		t.Fatalf("Approve: %s, %v; want PENDING_REVIEW awaiting the bank", state, err)
	}
	for _, k := range s.earlier {
		if f.exists(t, k) {
			t.Errorf("earlier attempt's %s is still stored", k)
		}
	}
	for slot, d := range s.acct.Documents {
		if !f.exists(t, d.Key) {
			t.Errorf("the approved %s (%s) was deleted", slot, d.Key)
		}
	}
}
