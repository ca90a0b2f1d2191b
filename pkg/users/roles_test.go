package users_test

import (
	"errors"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// Role changes: nobody changes their own role, the last active admin cannot be demoted or
// frozen, and every change is an audit record naming who made it.
func TestRoleChangeRules(t *testing.T) {
	e := newEnv(t)
	e.register(t, phoneA, goodPW)
	e.register(t, phoneB, goodPW)
	a, b := e.user(t, phoneA), e.user(t, phoneB)
	op := users.Operator("req-1")

	if _, err := e.service.SetRoleByPhone(t.Context(), op, phoneA, "admin"); err != nil {
		t.Fatalf("GrantRole of the first admin: %v", err)
	}
	admin := users.Actor{ID: a.ID, Role: kyc.RoleAdmin, RequestID: "req-2"}
	_, err := e.service.SetRole(t.Context(), admin, a.ID, "user")
	if kyc.ErrorCode(err) != kyc.ECONFLICT || reason(err) != "own_role" {
		t.Errorf("an admin demoting themselves: %v, want conflict own_role", err)
	}
	_, err = e.service.SetRoleByPhone(t.Context(), op, phoneA, "reviewer")
	if kyc.ErrorCode(err) != kyc.ECONFLICT || reason(err) != "last_admin" {
		t.Errorf("the operator demoting the last admin: %v, want conflict last_admin", err)
	}
	_, err = e.service.SetFrozenByPhone(t.Context(), op, phoneA, true)
	if kyc.ErrorCode(err) != kyc.ECONFLICT || reason(err) != "last_admin" {
		t.Errorf("freezing the last admin: %v, want conflict last_admin", err)
	}
	if u := e.user(t, phoneA); u.Role != kyc.RoleAdmin || u.Frozen {
		t.Errorf("the refused changes changed the admin: %+v", u)
	}

	e.clock.Advance(time.Minute) // the trail is in time order
	if _, err := e.service.SetRole(t.Context(), admin, b.ID, "admin"); err != nil {
		t.Fatalf("an admin making a second admin: %v", err)
	}
	second := users.Actor{ID: b.ID, Role: kyc.RoleAdmin}
	if _, err := e.service.SetRole(t.Context(), second, a.ID, "reviewer"); err != nil {
		t.Errorf("demoting one of two admins: %v", err)
	}
	_, err = e.service.SetRole(t.Context(), admin, b.ID, "user")
	if kyc.ErrorCode(err) != kyc.ECONFLICT || reason(err) != "last_admin" {
		t.Errorf("demoting the admin left: %v, want conflict last_admin", err)
	}

	trail := func(u kyc.User) []kyc.AuditRecord {
		t.Helper()
		recs, err := e.store.ListAudit(t.Context(), u.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	gotA := trail(a)
	want := []struct{ actor, action, reason string }{
		{"operator", users.ActionRoleSet, "user->admin"},
		{b.ID, users.ActionRoleSet, "admin->reviewer"},
	}
	if len(gotA) != len(want) {
		t.Fatalf("A's trail has %d records, want %d: %+v", len(gotA), len(want), gotA)
	}
	for i, w := range want {
		r := gotA[i]
		if r.Actor != w.actor || r.Action != w.action || r.Reason != w.reason {
			t.Errorf("A's record %d: %+v, want actor %s action %s reason %s", i, r, w.actor, w.action, w.reason)
		}
	}
	if gotA[0].RequestID != "req-1" {
		t.Errorf("the GrantRole record's request id %q", gotA[0].RequestID)
	}
	if gotB := trail(b); len(gotB) != 1 || gotB[0].Actor != a.ID || gotB[0].ActorRole != kyc.RoleAdmin || gotB[0].Reason != "user->admin" {
		t.Errorf("B's trail %+v, want one record by A as admin", gotB)
	}
}

func reason(err error) string {
	var e *kyc.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
