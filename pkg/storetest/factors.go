package storetest

// Identity factors (issue 14): factor records beside the account, read back with it in
// one read; RecordFactor with and without a transition and with releases; ReserveLive
// counts only while the session is live.

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func factorOf(a kyc.Account, minute int, result kyc.FactorResult) kyc.Factor {
	f := kyc.Factor{AccountID: a.ID, Kind: kyc.FactorTwo, Result: result, Provider: "sandbox", At: At(minute),
		Name: fmt.Sprintf("Test Person %d", minute), IDNumber: fmt.Sprintf("test-id-%04d", minute)}
	if result == kyc.FactorMismatch {
		f.Reason = "name_id_mismatch"
	}
	return f
}

// testFactorsRoundTrip: factors come back whole, oldest first, with the account, and
// neither the account's version nor its trail moves for a factor alone; two factors of
// the same instant are both kept; a factor of a missing account is ENOTFOUND.
func testFactorsRoundTrip(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)
	want := []kyc.Factor{factorOf(a, 2, kyc.FactorMismatch), factorOf(a, 3, kyc.FactorMatch), factorOf(a, 3, kyc.FactorMatch)}
	want[2].Kind = "three_factor" // any kind: the bank check records its own
	for _, f := range []kyc.Factor{want[1], want[0], want[2]} {
		if _, err := s.RecordFactor(ctx, kyc.FactorRecord{Factor: f}); err != nil {
			t.Fatalf("RecordFactor: %v", err)
		}
	}
	got, fs, err := s.GetAccountAndFactors(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantSame(t, "account", a, got)
	if len(fs) != 3 {
		t.Fatalf("%d factors, want 3: %+v", len(fs), fs)
	}
	wantSame(t, "oldest factor", want[0], fs[0])
	if fs[1].Kind == fs[2].Kind || !fs[1].At.Equal(fs[2].At) {
		t.Errorf("the factors of one instant: %+v", fs[1:])
	}
	if trail, err := s.ListAudit(ctx, a.ID); err != nil || len(trail) != 0 {
		t.Errorf("the trail has %d records (%v), want none: a factor is no audit record", len(trail), err)
	}
	if _, fs, err := s.GetAccountAndFactors(ctx, AccountID(2)); !kyc.IsCode(err, kyc.ENOTFOUND) || fs != nil {
		t.Errorf("missing account: %v %v", fs, err)
	}
	_, err = s.RecordFactor(ctx, kyc.FactorRecord{Factor: factorOf(kyc.Account{ID: AccountID(3)}, 4, kyc.FactorMatch)})
	wantCode(t, "a factor of a missing account", err, kyc.ENOTFOUND)
	if _, fs, _ := s.GetAccountAndFactors(ctx, a.ID); len(fs) != 3 {
		t.Errorf("%d factors after a refused one", len(fs))
	}
}

// testFactorsWithTransition: a factor written with a transition is written with it or
// not at all; a release rides along.
func testFactorsWithTransition(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a := create(t, s, 1, kyc.PersonalAccount)
	l := kyc.Limit{Key: "factor-test", Max: 1, Window: 24 * time.Hour, Offset: kyc.BeijingOffset}
	if _, err := s.Reserve(ctx, []kyc.Limit{l}, At(1)); err != nil {
		t.Fatal(err)
	}
	tr := next(a, kyc.StateApproved, 2)
	got, err := s.RecordFactor(ctx, kyc.FactorRecord{Factor: factorOf(a, 2, kyc.FactorMatch), Transition: &tr, Release: []kyc.Limit{l}, ReservedAt: At(1)})
	if err != nil {
		t.Fatalf("RecordFactor with a transition: %v", err)
	}
	if got.State != kyc.StateApproved || got.Version != a.Version+1 {
		t.Errorf("account: %s v%d", got.State, got.Version)
	}
	if owner, err := s.IdentityOwner(ctx, kyc.PersonalAccount, a.IDNumber); err != nil || owner != a.ID {
		t.Errorf("the approval's claim: %q %v", owner, err)
	}
	if _, err := s.Reserve(ctx, []kyc.Limit{l}, At(3)); err != nil {
		t.Errorf("the released reservation is still counted: %v", err)
	}
	// A stale transition: nothing of it, the factor included, is written.
	_, err = s.RecordFactor(ctx, kyc.FactorRecord{Factor: factorOf(a, 4, kyc.FactorMatch), Transition: &tr})
	wantCode(t, "a stale transition", err, kyc.ECONFLICT)
	if _, fs, _ := s.GetAccountAndFactors(ctx, a.ID); len(fs) != 1 {
		t.Errorf("%d factors, want 1 (the refused transition's factor written)", len(fs))
	}
}

// testReserveLive: reservations while the session is live, up to the limit, the window
// aligned on the limit's offset; none once it has ended (EUNAUTHORIZED) and none counted.
func testReserveLive(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	u, a := NewUser(1), NewAccount(1, kyc.PersonalAccount)
	if _, err := s.CreateUser(ctx, u, a); err != nil {
		t.Fatal(err)
	}
	sess := kyc.Session{TokenHash: tokenHash(1), UserID: u.ID, AccountID: a.ID, Role: kyc.RoleUser, CreatedAt: At(0), ExpiresAt: At(24 * 60)}
	if err := s.PutSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	live := kyc.LiveSession{TokenHash: sess.TokenHash, Now: At(1)}
	// Windows of a day starting at 16:00 UTC (Beijing midnight).
	day := time.Date(2025, 6, 1, 16, 0, 0, 0, time.UTC)
	l := kyc.Limit{Key: "factor-live", Max: 3, Window: 24 * time.Hour, Offset: kyc.BeijingOffset}
	var won, full atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := s.ReserveLive(ctx, live, []kyc.Limit{l}, day.Add(-time.Minute))
			switch {
			case err == nil:
				won.Add(1)
			case kyc.IsCode(err, kyc.ETOOMANY):
				full.Add(1)
			default:
				t.Errorf("ReserveLive: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 3 || full.Load() != 7 {
		t.Fatalf("won %d, full %d; want 3 and 7", won.Load(), full.Load())
	}
	if err := s.ReserveLive(ctx, live, []kyc.Limit{l}, day); err != nil {
		t.Errorf("the next Beijing day: %v", err)
	}
	if err := s.ReleaseLimits(ctx, []kyc.Limit{l}, day.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveLive(ctx, live, []kyc.Limit{l}, day.Add(-time.Second)); err != nil {
		t.Errorf("after a release: %v", err)
	}
	if err := s.DeleteSession(ctx, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	err := s.ReserveLive(ctx, live, []kyc.Limit{l}, day.Add(time.Hour))
	wantCode(t, "an ended session", err, kyc.EUNAUTHORIZED)
	// The refused call counted nothing: two more fit the new day (3, one taken above).
	live.TokenHash = tokenHash(2)
	if err := s.PutSession(ctx, kyc.Session{TokenHash: live.TokenHash, UserID: u.ID, AccountID: a.ID, Role: kyc.RoleUser, CreatedAt: At(0), ExpiresAt: At(24 * 60)}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.ReserveLive(ctx, live, []kyc.Limit{l}, day.Add(time.Hour)); err != nil {
			t.Fatalf("reservation %d of the new day: %v (the refused one was counted)", i+2, err)
		}
	}
}
