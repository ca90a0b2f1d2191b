package localstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localstore"
	"github.com/realname-kyc/realname/pkg/storetest"
)

func open(t *testing.T, path string, opts ...localstore.Option) *localstore.Store {
	t.Helper()
	s, err := localstore.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) kyc.Store {
		return open(t, filepath.Join(t.TempDir(), "kyc.db"))
	})
}

func TestSurvivesRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "nested", "kyc.db") // Open creates the directory
	s, err := localstore.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	u, a := storetest.NewUser(1), storetest.NewAccount(1, kyc.PersonalAccount)
	if _, err := s.CreateUser(ctx, u, a); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	a.Version = 1
	next := a
	next.State = kyc.StatePendingReview
	next.SubmittedAt = storetest.At(5)
	audit := kyc.AuditRecord{AccountID: a.ID, At: storetest.At(5), Actor: "system", Action: "transition", From: a.State, To: next.State}
	if _, err := s.Transition(ctx, kyc.Transition{Account: next, FromState: a.State, FromVersion: 1, Audit: audit}); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	sess := kyc.Session{TokenHash: "test-token-hash", UserID: u.ID, CreatedAt: storetest.At(0), ExpiresAt: storetest.At(60)}
	if err := s.PutSession(ctx, sess); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	if _, err := s.Incr(ctx, "sms:test", storetest.At(0), storetest.At(10)); err != nil {
		t.Fatalf("Incr: %v", err)
	}
	first, err := s.ListPending(ctx, kyc.PersonalAccount, 1, "")
	if err != nil {
		t.Fatalf("ListPending: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, path)
	if got, err := s.GetUserByPhone(ctx, u.Phone); err != nil || got.ID != u.ID || got.Version != 1 {
		t.Errorf("GetUserByPhone after reopen: %+v, %v", got, err)
	}
	if got, err := s.GetAccount(ctx, a.ID); err != nil || got.State != kyc.StatePendingReview || got.Version != 2 {
		t.Errorf("GetAccount after reopen: %s v%d, %v", got.State, got.Version, err)
	}
	if _, err := s.GetSession(ctx, sess.TokenHash, storetest.At(1)); err != nil {
		t.Errorf("GetSession after reopen: %v", err)
	}
	if v, err := s.Counter(ctx, "sms:test", storetest.At(1)); err != nil || v != 1 {
		t.Errorf("Counter after reopen: %d, %v", v, err)
	}
	if trail, err := s.ListAudit(ctx, a.ID); err != nil || len(trail) != 1 {
		t.Errorf("ListAudit after reopen: %d records, %v", len(trail), err)
	}
	// The maintained count and the cursor key are in the file too: a page read before the
	// restart reads the same after it.
	again, err := s.ListPending(ctx, kyc.PersonalAccount, 1, "")
	if err != nil || again.Total != 1 || len(again.Accounts) != 1 || again.Accounts[0].ID != a.ID {
		t.Errorf("ListPending after reopen: %+v, %v", again, err)
	}
	if first.NextCursor != again.NextCursor {
		t.Errorf("cursor changed across restart: %q then %q", first.NextCursor, again.NextCursor)
	}
}

func TestCursorSurvivesRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kyc.db")
	s, err := localstore.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for n := 1; n <= 2; n++ {
		a := storetest.NewAccount(n, kyc.CompanyAccount)
		a.State, a.SubmittedAt = kyc.StatePendingReview, storetest.At(n)
		if _, err := s.CreateUser(ctx, storetest.NewUser(n), a); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	page, err := s.ListPending(ctx, kyc.CompanyAccount, 1, "")
	if err != nil || page.NextCursor == "" {
		t.Fatalf("ListPending: %+v, %v", page, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, path)
	rest, err := s.ListPending(ctx, kyc.CompanyAccount, 1, page.NextCursor)
	if err != nil || len(rest.Accounts) != 1 || rest.Accounts[0].ID != storetest.AccountID(2) || rest.Total != 2 {
		t.Errorf("ListPending with a cursor from before the restart: %+v, %v", rest, err)
	}
	// A cursor from another file is refused: each file signs its own.
	other := open(t, filepath.Join(t.TempDir(), "other.db"))
	if _, err := other.ListPending(ctx, kyc.CompanyAccount, 1, page.NextCursor); !kyc.IsCode(err, kyc.EINVALID) {
		t.Errorf("ListPending with another file's cursor: %v, want %q", err, kyc.EINVALID)
	}
}

func TestInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kyc.db")
	open(t, path)
	start := time.Now()
	s, err := localstore.Open(path, localstore.WithLockTimeout(100*time.Millisecond))
	if err == nil {
		_ = s.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if !errors.Is(err, localstore.ErrInUse) {
		t.Errorf("second Open: %v, want ErrInUse", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("second Open took %s to fail", elapsed)
	}
	t.Logf("second Open: %v", err)
}

func TestClosed(t *testing.T) {
	s, err := localstore.Open(filepath.Join(t.TempDir(), "kyc.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping of a closed store succeeded")
	}
	if _, err := s.GetUser(t.Context(), "x"); kyc.ErrorCode(err) != kyc.EINTERNAL {
		t.Errorf("GetUser of a closed store: %v, want an internal error", err)
	}
}
