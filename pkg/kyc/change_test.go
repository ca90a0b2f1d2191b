package kyc

import (
	"testing"
	"time"
)

func TestChangeDecisions(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	person := Account{ID: "a1", OwnerID: "u1", Type: PersonalAccount, State: StateApproved, Name: "P", IDNumber: "id-1", Version: 7,
		Documents: map[string]Document{"frontOfID": {Slot: "frontOfID", Key: "k1"}}}
	change := EnterpriseChange{AccountID: "a1", Pending: true, CorpName: "Co", VerifiedNumber: "uscc-1", RegAddress: "Road 1",
		Documents: map[string]Document{"licence": {Slot: "licence", Key: "k2"}}}
	reviewer := Actor{ID: "r1", Role: RoleReviewer, AccountID: "ra"}
	with := func(f func(*Account, *EnterpriseChange, *Actor)) (Account, EnterpriseChange, Actor) {
		a, c, by := person, change, reviewer
		f(&a, &c, &by)
		return a, c, by
	}
	tests := []struct {
		name string
		f    func(*Account, *EnterpriseChange, *Actor)
		want string
	}{
		{"pending change of an approved person", func(*Account, *EnterpriseChange, *Actor) {}, ""},
		{"own account", func(_ *Account, _ *EnterpriseChange, by *Actor) { by.AccountID = "a1" }, EFORBIDDEN},
		{"own user", func(_ *Account, _ *EnterpriseChange, by *Actor) { by.ID = "u1" }, EFORBIDDEN},
		{"no pending change", func(_ *Account, c *EnterpriseChange, _ *Actor) { c.Pending = false }, ECONFLICT},
		{"another account's change", func(_ *Account, c *EnterpriseChange, _ *Actor) { c.AccountID = "a2" }, ECONFLICT},
		{"company account", func(a *Account, _ *EnterpriseChange, _ *Actor) { a.Type = CompanyAccount }, ECONFLICT},
		{"not approved", func(a *Account, _ *EnterpriseChange, _ *Actor) { a.State = StateSubmitted }, ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, c, by := with(tt.f)
			tr, err := ApproveChange(a, c, by, at)
			if ErrorCode(err) != tt.want {
				t.Fatalf("ApproveChange: %v, want code %q", err, tt.want)
			}
			if _, err := RejectChange(a, c, by, at, "unreadable"); ErrorCode(err) != tt.want {
				t.Fatalf("RejectChange: %v, want code %q", err, tt.want)
			}
			if err != nil {
				return
			}
			n := tr.Account
			if n.Type != CompanyAccount || n.State != StateApproved || n.IDNumber != "uscc-1" || n.Organization != "Co" || n.Address != "Road 1" ||
				len(n.Documents) != 2 || !n.UpdatedAt.Equal(at) || tr.FromState != StateApproved || tr.FromVersion != 7 ||
				tr.Audit.Action != ActionApproveChange || tr.Audit.Actor != "r1" || tr.Audit.AccountID != "a1" ||
				tr.FromType != PersonalAccount || tr.FromIDNumber != a.IDNumber {
				t.Errorf("approval %+v", tr)
			}
			if a.Documents["licence"].Key != "" || a.Type != PersonalAccount {
				t.Errorf("ApproveChange changed its input: %+v", a)
			}
		})
	}

	rt, err := RejectChange(person, change, reviewer, at, "unreadable")
	if err != nil {
		t.Fatal(err)
	}
	if rt.Account.Type != PersonalAccount || rt.Account.IDNumber != "id-1" || rt.Account.State != StateApproved || len(rt.Account.Documents) != 1 ||
		rt.Audit.Action != ActionRejectChange || rt.Audit.Reason != "unreadable" || rt.FromVersion != 7 {
		t.Errorf("rejection %+v, want the account as it was, audited", rt)
	}
}
