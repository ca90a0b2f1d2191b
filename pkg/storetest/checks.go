package storetest

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// The review worker counts an attempt and reads the account in one write, only while the
// submission is current, and the counts end with the submission.
func testBeginCheck(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)
	_, _, err := s.BeginCheck(ctx, a.ID, a.Version)
	wantCode(t, "BeginCheck of an UNVERIFIED account", err, kyc.ECONFLICT)
	_, _, err = s.BeginCheck(ctx, AccountID(99), 1)
	wantCode(t, "BeginCheck of no account", err, kyc.ENOTFOUND)

	sub := mustSubmit(t, s, a, 10)
	_, _, err = s.BeginCheck(ctx, a.ID, sub.Version-1)
	wantCode(t, "BeginCheck of a stale version", err, kyc.ECONFLICT)
	for i := int64(1); i <= 3; i++ {
		got, counts, err := s.BeginCheck(ctx, a.ID, sub.Version)
		if err != nil {
			t.Fatalf("BeginCheck %d: %v", i, err)
		}
		wantSame(t, "BeginCheck account", sub, got)
		if counts != (kyc.CheckCounts{Attempts: i, EndedWithoutVerdict: i - 1}) {
			t.Errorf("BeginCheck %d counts %+v", i, counts)
		}
		if err := s.EndCheckWithoutVerdict(ctx, a.ID, sub.Version); err != nil {
			t.Fatalf("EndCheckWithoutVerdict: %v", err)
		}
	}
	// The counts are not the account's: reads and transitions ignore them.
	checkAccount(t, s, sub)
	pend := mustApply(t, s, next(sub, kyc.StatePendingReview, 11))
	wantCode(t, "EndCheckWithoutVerdict after the decision", s.EndCheckWithoutVerdict(ctx, a.ID, sub.Version), kyc.ECONFLICT)
	checkAccount(t, s, pend)
	// A resubmission starts at none.
	rej := mustApply(t, s, next(pend, kyc.StateRejected, 12))
	again := mustSubmit(t, s, rej, 13)
	if _, counts, err := s.BeginCheck(ctx, a.ID, again.Version); err != nil || counts != (kyc.CheckCounts{Attempts: 1}) {
		t.Errorf("BeginCheck of a resubmission: %+v, %v; want one attempt", counts, err)
	}
}

// CheckInputs reads the identity's holder and a company's current profile in one call.
func testCheckInputs(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	p := create(t, s, 1, kyc.PersonalAccount)
	if owner, prof, err := s.CheckInputs(ctx, p); err != nil || owner != "" || prof != nil {
		t.Errorf("CheckInputs of an account nobody's identity is claimed for = %q, %v, %v", owner, prof, err)
	}
	holder := mustApply(t, s, next(mustPending(t, s, p, 10), kyc.StateApproved, 11))
	other := create(t, s, 2, kyc.PersonalAccount)
	other.IDNumber = holder.IDNumber
	if owner, _, err := s.CheckInputs(ctx, other); err != nil || owner != holder.ID {
		t.Errorf("CheckInputs owner = %q, %v; want %s", owner, err, holder.ID)
	}

	c := create(t, s, 3, kyc.CompanyAccount)
	v1 := profileAt(c, 1, 10, "镇江图书馆")
	c1 := mustApply(t, s, withProfile(next(c, kyc.StateSubmitted, 10), v1))
	v2 := profileAt(c1, 2, 11, "镇江市图书馆")
	c2 := mustApply(t, s, withProfile(next(c1, kyc.StateSubmitted, 11), v2))
	owner, prof, err := s.CheckInputs(ctx, c2)
	if err != nil || owner != "" {
		t.Fatalf("CheckInputs of a company = %q, %v", owner, err)
	}
	wantSame(t, "CheckInputs profile", v2, prof)
	c2.ProfileVersion = 7
	if _, _, err := s.CheckInputs(ctx, c2); err == nil {
		t.Error("CheckInputs of a profile version never written: no error")
	}
}

// The reapply route reads the account, its current profile and upload records in one call.
func testAccountProfileAndUploads(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	c := create(t, s, 1, kyc.CompanyAccount)
	up := newUpload(1)
	putUploads(t, s, up)
	got, prof, ups, err := s.GetAccountProfileAndUploads(ctx, c.ID, []string{up.Key}, At(1))
	if err != nil || prof != nil {
		t.Fatalf("GetAccountProfileAndUploads without a profile = %v, %v", prof, err)
	}
	wantSame(t, "GetAccountProfileAndUploads account", c, got)
	wantSame(t, "GetAccountProfileAndUploads uploads", map[string]kyc.Upload{up.Key: up}, ups)

	v1 := profileAt(c, 1, 10, "镇江图书馆")
	c1 := mustApply(t, s, withProfile(next(c, kyc.StateSubmitted, 10), v1))
	v2 := profileAt(c1, 2, 11, "镇江市图书馆")
	v2.Changed = []string{"name"}
	c2 := mustApply(t, s, withProfile(next(c1, kyc.StatePendingReview, 11), v2))
	c3 := mustApply(t, s, next(c2, kyc.StateApproved, 12)) // no new version
	got, prof, _, err = s.GetAccountProfileAndUploads(ctx, c.ID, nil, At(1))
	if err != nil {
		t.Fatalf("GetAccountProfileAndUploads: %v", err)
	}
	wantSame(t, "GetAccountProfileAndUploads account", c3, got)
	wantSame(t, "GetAccountProfileAndUploads profile", v2, prof)
	// The copy is not a version.
	wantProfiles(t, s, c3, []kyc.ProfileVersion{*v1, *v2})
	if _, _, _, err := s.GetAccountProfileAndUploads(ctx, AccountID(9), nil, At(1)); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("GetAccountProfileAndUploads of no account: %v", err)
	}
}
