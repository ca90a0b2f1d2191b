package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func newSession(n, user int) kyc.Session {
	return kyc.Session{
		TokenHash: tokenHash(n),
		UserID:    UserID(user),
		AccountID: "acct-" + UserID(user),
		Role:      kyc.RoleReviewer,
		CreatedAt: At(0),
		ExpiresAt: At(60),
	}
}

func testSessionRoundTrip(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	want := newSession(1, 1)
	if err := s.PutSession(ctx, want); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	got, err := s.GetSession(ctx, want.TokenHash, At(1))
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	wantSame(t, "GetSession", want, got)

	_, err = s.GetSession(ctx, tokenHash(2), At(1))
	wantCode(t, "GetSession of a missing token", err, kyc.ENOTFOUND)
}

func testSessionExpiry(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	sess := newSession(1, 1)
	if err := s.PutSession(ctx, sess); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	if _, err := s.GetSession(ctx, sess.TokenHash, sess.ExpiresAt.Add(-time.Millisecond)); err != nil {
		t.Errorf("GetSession a millisecond before expiry: %v", err)
	}
	for _, now := range []time.Time{sess.ExpiresAt, sess.ExpiresAt.Add(time.Millisecond), sess.ExpiresAt.Add(24 * time.Hour)} {
		_, err := s.GetSession(ctx, sess.TokenHash, now)
		wantCode(t, fmt.Sprintf("GetSession %s after expiry", now.Sub(sess.ExpiresAt)), err, kyc.ENOTFOUND)
	}
}

func testSessionDelete(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	a, b := newSession(1, 1), newSession(2, 1)
	for _, sess := range []kyc.Session{a, b} {
		if err := s.PutSession(ctx, sess); err != nil {
			t.Fatalf("PutSession: %v", err)
		}
	}
	if err := s.DeleteSession(ctx, a.TokenHash); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	_, err := s.GetSession(ctx, a.TokenHash, At(1))
	wantCode(t, "GetSession after DeleteSession", err, kyc.ENOTFOUND)
	if _, err := s.GetSession(ctx, b.TokenHash, At(1)); err != nil {
		t.Errorf("GetSession of the other session of the same user: %v", err)
	}
	if err := s.DeleteSession(ctx, a.TokenHash); err != nil {
		t.Errorf("DeleteSession again: %v, want nil", err)
	}
	if err := s.DeleteSession(ctx, tokenHash(99)); err != nil {
		t.Errorf("DeleteSession of a token never stored: %v, want nil", err)
	}
}

// testEndUserSessions: a change of the user (ChangeUser; ResetPassword likewise) ends
// every session of the user, whether PutSession or OpenSession opened it and even if one
// of them already ended on its own; a user without sessions changes all the same; and a
// session opened from the changed user lives until the next change. (testChangeUser and
// testResetPassword check that other users' sessions stay.)
func testEndUserSessions(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	create(t, s, 3, kyc.PersonalAccount)
	mine := []kyc.Session{newSession(1, 1), userSession(2, 1, 1), userSession(3, 1, 1)}
	if err := s.PutSession(ctx, mine[0]); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	openSession(t, s, mine[1])
	openSession(t, s, mine[2])
	// A session already ended on its own (a logout) must not trip the change.
	if err := s.DeleteSession(ctx, mine[1].TokenHash); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if _, err := s.ChangeUser(ctx, UserID(1), toAdmin); err != nil {
		t.Fatalf("ChangeUser: %v", err)
	}
	wantSessions(t, "sessions of the changed user", s, false, mine...)
	if _, err := s.ChangeUser(ctx, UserID(3), toAdmin); err != nil {
		t.Errorf("ChangeUser of a user without sessions: %v, want nil", err)
	}

	// The user can log in again afterwards, and the past change does not end that session;
	// the next one does.
	again := userSession(4, 1, 2)
	openSession(t, s, again)
	wantSessions(t, "a session opened after the change", s, true, again)
	if _, err := s.ChangeUser(ctx, UserID(1), toAdmin); err != nil {
		t.Fatalf("ChangeUser again: %v", err)
	}
	wantSessions(t, "the session opened after the first change, after the second", s, false, again)
}

func testSessionsCoexist(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	// A second login, on another device and later, must not end the first.
	first := newSession(1, 1)
	second := newSession(2, 1)
	second.CreatedAt, second.ExpiresAt = At(30), At(90)
	for _, sess := range []kyc.Session{first, second} {
		if err := s.PutSession(ctx, sess); err != nil {
			t.Fatalf("PutSession: %v", err)
		}
	}
	for _, sess := range []kyc.Session{first, second} {
		got, err := s.GetSession(ctx, sess.TokenHash, At(31))
		if err != nil {
			t.Errorf("GetSession with two live sessions: %v", err)
			continue
		}
		wantSame(t, "GetSession", sess, got)
	}
}

// testSessionUserVersion: a session opened from a user that has changed since (a role
// change or freeze racing the login) is refused and leaves nothing behind.
func testSessionUserVersion(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	u, a := NewUser(1), NewAccount(1, kyc.PersonalAccount)
	created, err := s.CreateUser(ctx, u, a)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	stale := newSession(1, 1)
	stale.UserVersion = created.Version
	changed := created
	changed.PasswordHash = "test-hash-changed"
	if _, err := s.UpdateUser(ctx, changed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	wantCode(t, "PutSession from a user that changed since", s.PutSession(ctx, stale), kyc.ECONFLICT)
	_, err = s.GetSession(ctx, stale.TokenHash, At(1))
	wantCode(t, "GetSession of the refused session", err, kyc.ENOTFOUND)

	fresh, err := s.GetUser(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	ok := newSession(2, 1)
	ok.UserVersion = fresh.Version
	if err := s.PutSession(ctx, ok); err != nil {
		t.Fatalf("PutSession from the current user: %v", err)
	}
	got, err := s.GetSession(ctx, ok.TokenHash, At(1))
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	ok.UserVersion = 0 // not stored
	wantSame(t, "GetSession", ok, got)

	ghost := newSession(3, 9)
	ghost.UserVersion = 1
	wantCode(t, "PutSession for a user that does not exist", s.PutSession(ctx, ghost), kyc.ECONFLICT)
}
