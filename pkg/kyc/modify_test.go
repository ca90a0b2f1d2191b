package kyc

import (
	"testing"
	"time"
)

func TestModify(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := Account{ID: "a1", Type: CompanyAccount, State: StateApproved, Version: 4, Organization: "Old", IDNumber: "uscc-1",
		Documents: map[string]Document{"licence": {Key: "k1"}, "signImg": {Key: "s1"}}}
	m := Modification{Organization: "New", Address: "Road 2", Documents: map[string]Document{"licence": {Key: "k2"}}, Changed: []string{"name", "organizationRegImg"}}
	tr, err := Modify(a, m, Actor{ID: "u1", Role: RoleUser}, at)
	if err != nil {
		t.Fatalf("Modify: %v", err)
	}
	n := tr.Account
	if n.State != StateApproved || n.Organization != "New" || n.Address != "Road 2" || n.IDNumber != "uscc-1" ||
		n.Documents["licence"].Key != "k2" || n.Documents["signImg"].Key != "s1" || tr.FromVersion != 4 || tr.FromState != StateApproved ||
		tr.Audit.Action != ActionModify || tr.Audit.Reason != "changed: name,organizationRegImg" || tr.Audit.From != StateApproved || tr.Audit.To != StateApproved {
		t.Errorf("Modify = %+v", tr)
	}
	if a.Documents["licence"].Key != "k1" {
		t.Error("Modify changed its input")
	}
	for _, bad := range []Account{{ID: "a", Type: CompanyAccount, State: StateRejected}, {ID: "a", Type: PersonalAccount, State: StateApproved}} {
		if _, err := Modify(bad, m, Actor{}, at); ErrorCode(err) != ECONFLICT {
			t.Errorf("Modify of %s %s: %v, want ECONFLICT", bad.State, bad.Type, err)
		}
	}
	if _, err := Modify(a, Modification{Organization: "Old"}, Actor{}, at); ErrorCode(err) != EINVALID {
		t.Errorf("Modify without changes: %v", err)
	}
}
