package storetest

// Limits and audited user changes (issue 11): Reserve counts attempts before they are
// made, atomically over several limits; TryCodeLimited counts wrong codes per source;
// OpenSessionReleasing gives a reservation back; ChangeUserAudited writes its record with
// the change, and every user change keeps at least one active admin.

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func limit(key string, max int64) kyc.Limit {
	return kyc.Limit{Key: key, Max: max, Window: time.Hour}
}

// testReserve: a limit admits Max reservations a window, all limits of a call or none,
// and the next window starts again.
func testReserve(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	now := At(0).Truncate(time.Hour)
	tight, loose := limit("tight", 2), limit("loose", 10)
	for i := range 2 {
		if full, err := s.Reserve(ctx, []kyc.Limit{loose, tight}, now); err != nil || full != -1 {
			t.Fatalf("reservation %d: %d, %v", i, full, err)
		}
	}
	full, err := s.Reserve(ctx, []kyc.Limit{loose, tight}, now.Add(time.Minute))
	wantCode(t, "a third reservation of a limit of 2", err, kyc.ETOOMANY)
	if full != 1 {
		t.Errorf("full = %d, want 1 (the tight limit)", full)
	}
	// The refused call counted nothing on loose: 8 more fit, not 7.
	for i := range 8 {
		if _, err := s.Reserve(ctx, []kyc.Limit{loose}, now); err != nil {
			t.Fatalf("loose reservation %d: %v", 3+i, err)
		}
	}
	_, err = s.Reserve(ctx, []kyc.Limit{loose}, now)
	wantCode(t, "the eleventh reservation of a limit of 10", err, kyc.ETOOMANY)
	if _, err := s.Reserve(ctx, []kyc.Limit{loose, tight}, now.Add(time.Hour)); err != nil {
		t.Errorf("the next window: %v", err)
	}
	_, err = s.Reserve(ctx, []kyc.Limit{{Key: "bad", Max: 0, Window: time.Hour}}, now)
	if err == nil {
		t.Error("a limit without a max was accepted")
	}
}

// testReserveConcurrent: 30 reservations at once of a limit of 5: exactly 5 win.
func testReserveConcurrent(t *testing.T, s kyc.Store) {
	now := At(0)
	var won, refused atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			_, err := s.Reserve(t.Context(), []kyc.Limit{limit("racy", 5), limit("other", 100)}, now)
			switch kyc.ErrorCode(err) {
			case "":
				won.Add(1)
			case kyc.ETOOMANY:
				refused.Add(1)
			default:
				t.Errorf("Reserve: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 5 || refused.Load() != 25 {
		t.Errorf("%d reservations won and %d refused, want 5 and 25", won.Load(), refused.Load())
	}
}

// testTryCodeLimited: wrong tries count against the limit, right ones do not; a full
// limit refuses a wrong try without counting it on the code; a used code with its own
// hash is ECONFLICT.
func testTryCodeLimited(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	c := newCode(1, 1)
	putCode(t, s, c)
	src := limit("src", 2)
	try := func(hash string) (string, error) { return s.TryCodeLimited(ctx, c.Phone, c.Purpose, hash, At(1), src) }
	for i := range 2 {
		_, err := try(codeHash(100 + i))
		wantCode(t, "a wrong try", err, kyc.EBADCODE)
	}
	_, err := try(codeHash(102))
	wantCode(t, "a wrong try over the limit", err, kyc.ETOOMANY)
	if _, err := try(c.CodeHash); err != nil {
		t.Fatalf("the right code over the limit: %v", err)
	}
	// Two wrong tries counted on the code, not three: three more kill it.
	other := limit("src-2", 10)
	for range kyc.MaxCodeAttempts - 2 {
		_, err := s.TryCodeLimited(ctx, c.Phone, c.Purpose, codeHash(200), At(1), other)
		wantCode(t, "a wrong try from another source", err, kyc.EBADCODE)
	}
	_, err = s.TryCodeLimited(ctx, c.Phone, c.Purpose, c.CodeHash, At(1), other)
	wantCode(t, "the right code after MaxCodeAttempts wrong tries", err, kyc.EBADCODE)

	used := newCode(2, 2)
	putCode(t, s, used)
	if _, err := s.RegisterUser(ctx, NewUser(2), NewAccount(2, kyc.PersonalAccount), used.CodeHash, At(1), userSession(1, 2, 1)); err != nil {
		t.Fatalf("RegisterUser: %v", err)
	}
	_, err = s.TryCodeLimited(ctx, used.Phone, used.Purpose, used.CodeHash, At(1), other)
	wantCode(t, "a used code with its hash", err, kyc.ECONFLICT)
	_, err = s.TryCodeLimited(ctx, used.Phone, used.Purpose, codeHash(300), At(1), other)
	wantCode(t, "a used code with another hash", err, kyc.EBADCODE)
}

// testOpenSessionReleasing: the session's write gives a reservation back.
func testOpenSessionReleasing(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	l := limit("login", 1)
	now := At(0)
	if _, err := s.Reserve(ctx, []kyc.Limit{l}, now); err != nil {
		t.Fatal(err)
	}
	_, err := s.Reserve(ctx, []kyc.Limit{l}, now)
	wantCode(t, "a second reservation of a limit of 1", err, kyc.ETOOMANY)
	if err := s.OpenSessionReleasing(ctx, userSession(1, 1, 1), []kyc.Limit{l}, now); err != nil {
		t.Fatalf("OpenSessionReleasing: %v", err)
	}
	if _, err := s.Reserve(ctx, []kyc.Limit{l}, now); err != nil {
		t.Errorf("a reservation after the release: %v", err)
	}
	// A release whose counter is gone (TTL) still opens the session.
	if err := s.OpenSessionReleasing(ctx, userSession(2, 1, 1), []kyc.Limit{limit("never-reserved", 1)}, now); err != nil {
		t.Errorf("OpenSessionReleasing of a counter never reserved: %v", err)
	}
	wantSessions(t, "sessions opened releasing", s, true, userSession(1, 1, 1), userSession(2, 1, 1))
}

// testLastAdmin: no change, through ChangeUser or ChangeUserAudited, leaves no active
// admin; CreateUser of an admin counts.
func testLastAdmin(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	set := func(n int, role kyc.Role, frozen bool) error {
		_, err := s.ChangeUser(ctx, UserID(n), func(u kyc.User) (kyc.User, bool, error) {
			u.Role, u.Frozen = role, frozen
			return u, true, nil
		})
		return err
	}
	if err := set(1, kyc.RoleAdmin, false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "demoting the only admin", set(1, kyc.RoleReviewer, false), kyc.ECONFLICT)
	wantCode(t, "freezing the only admin", set(1, kyc.RoleAdmin, true), kyc.ECONFLICT)
	if u := getUser(t, s, 1); u.Role != kyc.RoleAdmin || u.Frozen || u.Version != 2 {
		t.Errorf("the refused changes wrote: %+v", u)
	}
	admin := NewUser(2)
	admin.Role = kyc.RoleAdmin
	if _, err := s.CreateUser(ctx, admin, NewAccount(2, kyc.PersonalAccount)); err != nil {
		t.Fatal(err)
	}
	if err := set(1, kyc.RoleAdmin, true); err != nil {
		t.Errorf("freezing one of two admins: %v", err)
	}
	wantCode(t, "demoting the other, now the only active one", set(2, kyc.RoleUser, false), kyc.ECONFLICT)
	if err := set(1, kyc.RoleAdmin, false); err != nil {
		t.Errorf("unfreezing: %v", err)
	}
	if err := set(2, kyc.RoleUser, false); err != nil {
		t.Errorf("demoting one of two active admins: %v", err)
	}
}

// testLastAdminConcurrent: two admins demoting each other at once: one wins.
func testLastAdminConcurrent(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	for n := 1; n <= 2; n++ {
		u := NewUser(n)
		u.Role = kyc.RoleAdmin
		if _, err := s.CreateUser(ctx, u, NewAccount(n, kyc.PersonalAccount)); err != nil {
			t.Fatal(err)
		}
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for n := 1; n <= 2; n++ {
		wg.Go(func() {
			_, err := s.ChangeUser(ctx, UserID(n), func(u kyc.User) (kyc.User, bool, error) {
				u.Role = kyc.RoleUser
				return u, true, nil
			})
			switch kyc.ErrorCode(err) {
			case "":
				won.Add(1)
			case kyc.ECONFLICT:
			default:
				t.Errorf("ChangeUser: %v", err)
			}
		})
	}
	wg.Wait()
	admins := 0
	for n := 1; n <= 2; n++ {
		if getUser(t, s, n).Role == kyc.RoleAdmin {
			admins++
		}
	}
	if won.Load() != 1 || admins != 1 {
		t.Errorf("%d demotions won, %d admins left; want 1 and 1", won.Load(), admins)
	}
}

// testChangeUserAudited: the record is written with the change, into the user's account
// trail, made from the user as read and as written; nothing when the change is refused or
// writes nothing.
func testChangeUserAudited(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	audit := func(was, now kyc.User) kyc.AuditRecord {
		return kyc.AuditRecord{At: At(3), Actor: "actor-1", ActorRole: kyc.RoleAdmin, Action: "role.set", Reason: string(was.Role) + "->" + string(now.Role)}
	}
	promote := func(u kyc.User) (kyc.User, bool, error) { u.Role = kyc.RoleAdmin; return u, true, nil }
	if _, err := s.ChangeUserAudited(ctx, UserID(1), audit, promote); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeUserAudited(ctx, UserID(1), audit, func(u kyc.User) (kyc.User, bool, error) { return u, false, nil }); err != nil {
		t.Fatal(err)
	}
	_, err := s.ChangeUserAudited(ctx, UserID(1), audit, func(u kyc.User) (kyc.User, bool, error) { u.Role = kyc.RoleUser; return u, true, nil })
	wantCode(t, "demoting the last admin", err, kyc.ECONFLICT)
	recs, err := s.ListAudit(ctx, AccountID(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Actor != "actor-1" || recs[0].Reason != "user->admin" || recs[0].AccountID != AccountID(1) {
		t.Errorf("trail %+v, want the one promotion by actor-1", recs)
	}
}
