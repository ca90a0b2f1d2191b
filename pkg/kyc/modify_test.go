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

// A renamed company's generated seal is drawn again; an uploaded seal, or a modification
// that keeps the name, keeps the seal it has.
func TestModifyRenameRedrawsGeneratedSeal(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	by := Actor{ID: "user-1", Role: RoleUser}
	generated := Document{Slot: SlotSeal, Key: "accounts/a/signImg/1", Generated: true}
	uploaded := Document{Slot: SlotSeal, Key: "accounts/a/signImg/2"}
	for _, c := range []struct {
		name     string
		seal     Document
		newName  string
		wantSeal bool // the seal stays on the account
	}{
		{"generated, renamed", generated, "乙公司", false},
		{"generated, same name", generated, "甲公司", true},
		{"uploaded, renamed", uploaded, "乙公司", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Account{ID: "a", Type: CompanyAccount, State: StateApproved, Organization: "甲公司", Version: 3,
				Documents: map[string]Document{SlotSeal: c.seal, "licence": {Slot: "licence", Key: "k"}}}
			tr, err := Modify(a, Modification{Organization: c.newName, Changed: []string{"name"}}, by, at)
			if err != nil {
				t.Fatal(err)
			}
			_, kept := tr.Account.Documents[SlotSeal]
			if kept != c.wantSeal || tr.WantSeal == c.wantSeal {
				t.Errorf("seal kept %v, seal wanted %v; want kept %v", kept, tr.WantSeal, c.wantSeal)
			}
			if _, ok := a.Documents[SlotSeal]; !ok {
				t.Error("Modify changed the account it was given")
			}
		})
	}
}

func TestSealGeneratedIsMarked(t *testing.T) {
	a := Account{ID: "a", Type: CompanyAccount, State: StateApproved}
	tr, err := SealGenerated(a, Document{Key: "accounts/a/signImg/1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := tr.Account.Documents[SlotSeal]; !d.Generated || d.Slot != SlotSeal {
		t.Errorf("generated seal %+v", d)
	}
}
