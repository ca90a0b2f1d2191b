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

func testDeleteUserSessions(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	mine := []kyc.Session{newSession(1, 1), newSession(2, 1), newSession(3, 1)}
	theirs := []kyc.Session{newSession(4, 2), newSession(5, 2)}
	for _, sess := range append(append([]kyc.Session{}, mine...), theirs...) {
		if err := s.PutSession(ctx, sess); err != nil {
			t.Fatalf("PutSession: %v", err)
		}
	}
	// A session already ended on its own must not trip DeleteUserSessions.
	if err := s.DeleteSession(ctx, mine[1].TokenHash); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if err := s.DeleteUserSessions(ctx, UserID(1)); err != nil {
		t.Fatalf("DeleteUserSessions: %v", err)
	}
	for _, sess := range mine {
		_, err := s.GetSession(ctx, sess.TokenHash, At(1))
		wantCode(t, "GetSession of an ended user's session", err, kyc.ENOTFOUND)
	}
	for _, sess := range theirs {
		if _, err := s.GetSession(ctx, sess.TokenHash, At(1)); err != nil {
			t.Errorf("GetSession of another user's session: %v", err)
		}
	}
	if err := s.DeleteUserSessions(ctx, UserID(3)); err != nil {
		t.Errorf("DeleteUserSessions of a user without sessions: %v, want nil", err)
	}

	// The user can log in again afterwards, and that session is not ended by the past call.
	again := newSession(6, 1)
	if err := s.PutSession(ctx, again); err != nil {
		t.Fatalf("PutSession after DeleteUserSessions: %v", err)
	}
	if _, err := s.GetSession(ctx, again.TokenHash, At(1)); err != nil {
		t.Errorf("GetSession of a new session after DeleteUserSessions: %v", err)
	}
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
	changed.Role = kyc.RoleAdmin
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
