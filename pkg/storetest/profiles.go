package storetest

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// profileAt is version v of a company profile of a, written at minute.
func profileAt(a kyc.Account, v int64, minute int, name string) *kyc.ProfileVersion {
	return &kyc.ProfileVersion{AccountID: a.ID, Version: v, At: At(minute), Actor: a.OwnerID,
		Fields: map[string]string{"name": name, "legalIdentityCard": "test-legal-id-1", "organizationRegImg": "accounts/" + a.ID + "/licence/1"}}
}

// withProfile is tr writing p, the account naming it as its latest.
func withProfile(tr kyc.Transition, p *kyc.ProfileVersion) kyc.Transition {
	tr.Profile = p
	tr.Account.ProfileVersion = p.Version
	return tr
}

func wantProfiles(t *testing.T, s kyc.Store, acct kyc.Account, want []kyc.ProfileVersion) {
	t.Helper()
	got, versions, err := s.GetAccountAndProfiles(t.Context(), acct.ID)
	if err != nil {
		t.Fatalf("GetAccountAndProfiles: %v", err)
	}
	wantSame(t, "GetAccountAndProfiles account", acct, got)
	wantSame(t, "GetAccountAndProfiles versions", want, versions)
}

// Versions are written with the account's transition, kept, and read back oldest first
// with the account; the audit trail is not among them, nor they among it.
func testProfileVersions(t *testing.T, s kyc.Store) {
	a := create(t, s, 1, kyc.CompanyAccount)
	wantProfiles(t, s, a, nil)

	v1 := profileAt(a, 1, 10, "镇江图书馆")
	tr := withProfile(next(a, kyc.StateSubmitted, 10), v1)
	tr.Account.Attempts, tr.Account.SubmittedAt = 1, At(10)
	a1 := mustApply(t, s, tr)
	if a1.ProfileVersion != 1 {
		t.Errorf("ProfileVersion = %d, want 1", a1.ProfileVersion)
	}
	checkAccount(t, s, a1)
	wantProfiles(t, s, a1, []kyc.ProfileVersion{*v1})

	v2 := profileAt(a1, 2, 11, "镇江市图书馆")
	v2.Changed = []string{"name"}
	a2 := mustApply(t, s, withProfile(next(a1, kyc.StatePendingReview, 11), v2))
	wantProfiles(t, s, a2, []kyc.ProfileVersion{*v1, *v2})
	// A transition without a profile keeps the versions and the account's number.
	a3 := mustApply(t, s, next(a2, kyc.StateApproved, 12))
	if a3.ProfileVersion != 2 {
		t.Errorf("ProfileVersion after a transition without a profile = %d, want 2", a3.ProfileVersion)
	}
	wantProfiles(t, s, a3, []kyc.ProfileVersion{*v1, *v2})
	trail, err := s.ListAudit(t.Context(), a.ID)
	if err != nil || len(trail) != 3 {
		t.Fatalf("ListAudit = %d records (%v), want the 3 transitions only", len(trail), err)
	}
	// The reviewer's detail reads the three together.
	got, records, versions, err := s.GetAccountAuditAndProfiles(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("GetAccountAuditAndProfiles: %v", err)
	}
	wantSame(t, "GetAccountAuditAndProfiles account", a3, got)
	wantSame(t, "GetAccountAuditAndProfiles audit", trail, records)
	wantSame(t, "GetAccountAuditAndProfiles versions", []kyc.ProfileVersion{*v1, *v2}, versions)
}

// A transition that is refused writes no version, and a version is never overwritten.
func testProfileRefused(t *testing.T, s kyc.Store) {
	a := create(t, s, 1, kyc.CompanyAccount)
	v1 := profileAt(a, 1, 10, "镇江图书馆")
	a1 := mustApply(t, s, withProfile(next(a, kyc.StateSubmitted, 10), v1))

	stale := withProfile(next(a, kyc.StateSubmitted, 11), profileAt(a, 2, 11, "stale"))
	_, err := s.Transition(t.Context(), stale)
	wantCode(t, "Transition from a stale version", err, kyc.ECONFLICT)
	wantProfiles(t, s, a1, []kyc.ProfileVersion{*v1})

	again := withProfile(next(a1, kyc.StatePendingReview, 12), profileAt(a1, 1, 12, "overwrite"))
	if _, err := s.Transition(t.Context(), again); err == nil {
		t.Fatal("Transition writing an existing profile version succeeded")
	}
	wantProfiles(t, s, a1, []kyc.ProfileVersion{*v1})
}

func testProfileMissing(t *testing.T, s kyc.Store) {
	_, _, err := s.GetAccountAndProfiles(t.Context(), AccountID(99))
	wantCode(t, "GetAccountAndProfiles of no account", err, kyc.ENOTFOUND)
	_, _, _, err = s.GetAccountAuditAndProfiles(t.Context(), AccountID(99))
	wantCode(t, "GetAccountAuditAndProfiles of no account", err, kyc.ENOTFOUND)
}
