package storetest

import (
	"fmt"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func readRecord(accountID string, minute int, actor string) kyc.AuditRecord {
	return kyc.AuditRecord{
		AccountID: accountID,
		At:        At(minute),
		Actor:     actor,
		ActorRole: kyc.RoleReviewer,
		Action:    "read",
		Reason:    "review",
		RequestID: fmt.Sprintf("req-%s-%d-%s", accountID, minute, actor),
	}
}

func testAuditOrder(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)
	b := create(t, s, 2, kyc.PersonalAccount)

	// Appended out of order; two of a's records share an instant.
	appended := []kyc.AuditRecord{
		readRecord(a.ID, 30, "reviewer-1"),
		readRecord(a.ID, 10, "reviewer-1"),
		readRecord(b.ID, 10, "reviewer-2"),
		readRecord(a.ID, 20, "reviewer-1"),
		readRecord(a.ID, 20, "reviewer-2"),
	}
	appended[4].Action = "download"
	for _, r := range appended {
		if err := s.AppendAudit(ctx, r); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	// A transition in between lands in the trail by its own time.
	tr := next(a, kyc.StateSubmitted, 25)
	tr.Account.SubmittedAt = At(25)
	applied := mustApply(t, s, tr)

	got, err := s.ListAudit(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	want := []kyc.AuditRecord{appended[1], appended[3], appended[4], tr.Audit, appended[0]}
	if len(got) != len(want) {
		t.Fatalf("ListAudit: %d records, want %d (equal times must not overwrite each other)", len(got), len(want))
	}
	// The two records at minute 20 may come in either order.
	if got[1].Actor != want[1].Actor {
		got[1], got[2] = got[2], got[1]
	}
	wantSame(t, "ListAudit", want, got)

	// The detail view's one read gives the account as GetAccount does and the same trail.
	acct, trail, err := s.GetAccountAndAudit(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetAccountAndAudit: %v", err)
	}
	wantSame(t, "GetAccountAndAudit account", applied, acct)
	if len(trail) == len(want) && trail[1].Actor != want[1].Actor {
		trail[1], trail[2] = trail[2], trail[1]
	}
	wantSame(t, "GetAccountAndAudit trail", want, trail)

	gotB, err := s.ListAudit(ctx, b.ID)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	wantSame(t, "ListAudit of the other account", []kyc.AuditRecord{appended[2]}, gotB)

	// Appending is append-only: the same record twice is two records.
	if err := s.AppendAudit(ctx, appended[2]); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	gotB, err = s.ListAudit(ctx, b.ID)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	wantSame(t, "ListAudit after appending an identical record", []kyc.AuditRecord{appended[2], appended[2]}, gotB)
}

func testAuditEmpty(t *testing.T, s kyc.Store) {
	a := create(t, s, 1, kyc.PersonalAccount)
	for _, id := range []string{a.ID, AccountID(2)} {
		got, err := s.ListAudit(t.Context(), id)
		if err != nil {
			t.Errorf("ListAudit %s without records: %v, want no error", id, err)
		}
		wantSame(t, "ListAudit "+id+" without records", nil, got)
	}
	// Records of one account are not found under a prefix of its id.
	if err := s.AppendAudit(t.Context(), readRecord(a.ID+"x", 1, "reviewer-1")); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	got, err := s.ListAudit(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("ListAudit %s: %v", a.ID, err)
	}
	wantSame(t, "ListAudit "+a.ID+" next to records of "+a.ID+"x", nil, got)

	// An account without records reads with an empty trail; records without an account
	// are no account.
	acct, trail, err := s.GetAccountAndAudit(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("GetAccountAndAudit %s: %v", a.ID, err)
	}
	wantSame(t, "GetAccountAndAudit account", a, acct)
	wantSame(t, "GetAccountAndAudit trail without records", nil, trail)
	_, _, err = s.GetAccountAndAudit(t.Context(), a.ID+"x")
	wantCode(t, "GetAccountAndAudit of records without an account", err, kyc.ENOTFOUND)
	_, _, err = s.GetAccountAndAudit(t.Context(), "")
	wantCode(t, "GetAccountAndAudit of an empty id", err, kyc.ENOTFOUND)
}
