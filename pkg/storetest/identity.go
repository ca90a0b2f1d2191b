package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// sharedID is the synthetic ID number the identity tests give several accounts at once.
const sharedID = "test-id-shared"

// pendingWithID creates account n of typ with the given ID number and moves it to
// PENDING_REVIEW at minute submittedAt.
func pendingWithID(t *testing.T, s kyc.Store, n int, typ kyc.AccountType, idNumber string, submittedAt int) kyc.Account {
	t.Helper()
	a := NewAccount(n, typ)
	a.IDNumber = idNumber
	if _, err := s.CreateUser(t.Context(), NewUser(n), a); err != nil {
		t.Fatalf("CreateUser %d: %v", n, err)
	}
	a.Version = 1
	return mustPending(t, s, a, submittedAt)
}

// wantOwner fails unless the identity (typ, idNumber) is held by accountID ("" for none).
func wantOwner(t *testing.T, s kyc.Store, typ kyc.AccountType, idNumber, accountID string) {
	t.Helper()
	got, err := s.IdentityOwner(t.Context(), typ, idNumber)
	if accountID == "" {
		wantCode(t, fmt.Sprintf("IdentityOwner(%s, %q) of an unclaimed identity", typ, idNumber), err, kyc.ENOTFOUND)
		return
	}
	if err != nil || got != accountID {
		t.Errorf("IdentityOwner(%s, %q): %q, %v; want %q", typ, idNumber, got, err, accountID)
	}
}

// wantIdentityTaken fails unless err is the refusal of an approval whose identity another
// account holds.
func wantIdentityTaken(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, kyc.ECONFLICT)
	if msg := kyc.ErrorMessage(err); err != nil && !strings.Contains(msg, "identity already verified on another account") {
		t.Errorf("%s: message %q does not say the identity is already verified on another account", what, msg)
	}
}

// pendingTotal is the maintained count of PENDING_REVIEW accounts of typ.
func pendingTotal(t *testing.T, s kyc.Store, typ kyc.AccountType) int64 {
	t.Helper()
	page, err := s.ListPending(t.Context(), typ, 1, "")
	if err != nil {
		t.Fatalf("ListPending %s: %v", typ, err)
	}
	return page.Total
}

func auditCount(t *testing.T, s kyc.Store, accountID string) int {
	t.Helper()
	recs, err := s.ListAudit(t.Context(), accountID)
	if err != nil {
		t.Fatalf("ListAudit %s: %v", accountID, err)
	}
	return len(recs)
}

func testIdentityClaim(t *testing.T, s kyc.Store) {
	a := pendingWithID(t, s, 1, kyc.PersonalAccount, sharedID, 10)
	// Submitted and pending accounts claim nothing.
	wantOwner(t, s, kyc.PersonalAccount, sharedID, "")
	mustApply(t, s, next(a, kyc.StateApproved, 20))
	wantOwner(t, s, kyc.PersonalAccount, sharedID, a.ID)
	// Other numbers and the other type are not claimed.
	wantOwner(t, s, kyc.PersonalAccount, sharedID+"-other", "")
	wantOwner(t, s, kyc.CompanyAccount, sharedID, "")
	wantOwner(t, s, kyc.PersonalAccount, "", "")
}

func testIdentityTaken(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := pendingWithID(t, s, 1, kyc.PersonalAccount, sharedID, 10)
	b := pendingWithID(t, s, 2, kyc.PersonalAccount, sharedID, 11)
	mustApply(t, s, next(a, kyc.StateApproved, 20))
	trailB := auditCount(t, s, b.ID)
	total := pendingTotal(t, s, kyc.PersonalAccount)

	_, err := s.Transition(ctx, next(b, kyc.StateApproved, 21))
	wantIdentityTaken(t, "approving a second account with an approved ID number", err)

	// Nothing of the refused transition was written.
	checkAccount(t, s, b)
	if n := auditCount(t, s, b.ID); n != trailB {
		t.Errorf("ListAudit after a refused approval: %d records, want %d", n, trailB)
	}
	if got := pendingTotal(t, s, kyc.PersonalAccount); got != total {
		t.Errorf("pending Total after a refused approval: %d, want %d", got, total)
	}
	checkPending(t, s, kyc.PersonalAccount, 10, []kyc.Account{b})
	wantOwner(t, s, kyc.PersonalAccount, sharedID, a.ID)

	// The duplicate can still be rejected: only an approval claims.
	reject := next(b, kyc.StateRejected, 22)
	reject.Account.RejectType = kyc.RejectFinal
	reject.Account.Reasons = []string{"duplicate_identity"}
	mustApply(t, s, reject)
	wantOwner(t, s, kyc.PersonalAccount, sharedID, a.ID)
}

func testIdentityPerType(t *testing.T, s kyc.Store) {
	p := pendingWithID(t, s, 1, kyc.PersonalAccount, sharedID, 10)
	c := pendingWithID(t, s, 2, kyc.CompanyAccount, sharedID, 11)
	mustApply(t, s, next(p, kyc.StateApproved, 20))
	mustApply(t, s, next(c, kyc.StateApproved, 21))
	wantOwner(t, s, kyc.PersonalAccount, sharedID, p.ID)
	wantOwner(t, s, kyc.CompanyAccount, sharedID, c.ID)
}

func testIdentityEmpty(t *testing.T, s kyc.Store) {
	a := pendingWithID(t, s, 1, kyc.PersonalAccount, "", 10)
	b := pendingWithID(t, s, 2, kyc.PersonalAccount, "", 11)
	mustApply(t, s, next(a, kyc.StateApproved, 20))
	mustApply(t, s, next(b, kyc.StateApproved, 21))
	wantOwner(t, s, kyc.PersonalAccount, "", "")
}

// testIdentityRelease: an APPROVED account that leaves APPROVED gives its identity up, and
// one that changes identity while APPROVED moves its claim; a change that keeps the
// identity keeps the claim.
func testIdentityRelease(t *testing.T, s kyc.Store) {
	a := pendingWithID(t, s, 1, kyc.PersonalAccount, sharedID, 10)
	a = mustApply(t, s, next(a, kyc.StateApproved, 20))

	// A modification that keeps the identity keeps the claim.
	modify := next(a, kyc.StateApproved, 21)
	modify.Account.Address = "2 Test Road"
	a = mustApply(t, s, modify)
	wantOwner(t, s, kyc.PersonalAccount, sharedID, a.ID)

	// A change of type and number moves it.
	change := next(a, kyc.StateApproved, 22)
	change.Account.Type = kyc.CompanyAccount
	change.Account.IDNumber = sharedID + "-company"
	a = mustApply(t, s, change)
	wantOwner(t, s, kyc.PersonalAccount, sharedID, "")
	wantOwner(t, s, kyc.CompanyAccount, sharedID+"-company", a.ID)

	// Leaving APPROVED releases it, and another account may then be approved with it.
	leave := next(a, kyc.StateSubmitted, 23)
	leave.Account.SubmittedAt = At(23)
	mustApply(t, s, leave)
	wantOwner(t, s, kyc.CompanyAccount, sharedID+"-company", "")
	b := pendingWithID(t, s, 2, kyc.CompanyAccount, sharedID+"-company", 30)
	mustApply(t, s, next(b, kyc.StateApproved, 31))
	wantOwner(t, s, kyc.CompanyAccount, sharedID+"-company", b.ID)
}

// testIdentityConcurrent: 20 accounts with one ID number approved at once; exactly one wins.
func testIdentityConcurrent(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	const n = 20
	accounts := make([]kyc.Account, n)
	for i := range n {
		accounts[i] = pendingWithID(t, s, i+1, kyc.CompanyAccount, sharedID, 10+i)
	}
	errs := concurrently(n, func(i int) error {
		_, err := s.Transition(ctx, next(accounts[i], kyc.StateApproved, 100))
		return err
	})
	c := codes(errs)
	if c[""] != 1 || c[kyc.ECONFLICT] != n-1 {
		t.Fatalf("%d concurrent approvals of one ID number on different accounts: results by code %v, want 1 success and %d %q", n, c, n-1, kyc.ECONFLICT)
	}
	var winner kyc.Account
	var losers []kyc.Account
	for i, err := range errs {
		if err == nil {
			winner = accounts[i]
			continue
		}
		wantIdentityTaken(t, "losing concurrent approval", err)
		losers = append(losers, accounts[i])
	}
	wantOwner(t, s, kyc.CompanyAccount, sharedID, winner.ID)
	approved := next(winner, kyc.StateApproved, 100).Account
	approved.Version = winner.Version + 1
	checkAccount(t, s, approved)
	for _, l := range losers {
		checkAccount(t, s, l)
	}
	checkPending(t, s, kyc.CompanyAccount, 100, losers)
}
