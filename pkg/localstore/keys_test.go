package localstore

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func TestTimeKeyOrder(t *testing.T) {
	times := []time.Time{
		{}, // the zero time sorts first
		time.Date(1880, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(-1, 999_999_999),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2025, 6, 1, 8, 30, 15, 123_000_000, time.UTC),
		time.Date(2025, 6, 1, 8, 30, 15, 124_000_000, time.UTC),
		time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), // past UnixNano's range
	}
	for i := 1; i < len(times); i++ {
		if bytes.Compare(timeKey(times[i-1]), timeKey(times[i])) >= 0 {
			t.Errorf("timeKey(%s) does not sort before timeKey(%s)", times[i-1], times[i])
		}
	}
}

func TestLengthPrefixKeepsIDsApart(t *testing.T) {
	// Without the length prefix, "a" would be a prefix of "ab" and a scan for one account's
	// audit trail would return the other's.
	if bytes.HasPrefix(auditKey("ab", time.Time{}, 1), lp("a")) {
		t.Error("the audit key of account ab starts with the prefix of account a")
	}
}

func userSessionKeys(t *testing.T, s *Store, userID string) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := bucket(tx, bucketUserSessions).Cursor()
		for k, _ := c.Seek(lp(userID)); k != nil && bytes.HasPrefix(k, lp(userID)); k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPutSessionSweepsExpired(t *testing.T) {
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "kyc.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	put := func(hash, user string, created, expires int) {
		t.Helper()
		sess := kyc.Session{TokenHash: hash, UserID: user, CreatedAt: base.Add(time.Duration(created) * time.Hour), ExpiresAt: base.Add(time.Duration(expires) * time.Hour)}
		if err := s.PutSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	put("h1", "u1", 0, 1)
	put("h2", "u1", 0, 10)
	put("h3", "u2", 0, 1) // another user's expired session is not this login's business
	put("h4", "u1", 5, 15)
	if n := userSessionKeys(t, s, "u1"); n != 2 {
		t.Errorf("u1 has %d sessions indexed after a later login, want 2 (the expired one swept)", n)
	}
	if _, err := s.GetSession(ctx, "h2", base.Add(6*time.Hour)); err != nil {
		t.Errorf("a live session was swept: %v", err)
	}
	if n := userSessionKeys(t, s, "u2"); n != 1 {
		t.Errorf("u2 has %d sessions indexed, want 1", n)
	}
	// A token hash reused for another user moves index entries with it.
	put("h2", "u2", 6, 16)
	if n := userSessionKeys(t, s, "u1"); n != 1 {
		t.Errorf("u1 has %d sessions indexed after its token moved, want 1", n)
	}
	if err := s.DeleteUserSessions(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "h2", base.Add(7*time.Hour)); err != nil {
		t.Errorf("DeleteUserSessions of u1 ended u2's session: %v", err)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	s, err := Open(filepath.Join(f.TempDir(), "kyc.db"), WithNoSync())
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	valid := s.encodeCursor(pendingKey(kyc.PersonalAccount, time.Unix(1700000000, 5), "acct-1"))
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, cursor string) {
		key, err := s.decodeCursor(kyc.PersonalAccount, cursor)
		if err != nil {
			if !kyc.IsCode(err, kyc.EINVALID) {
				t.Fatalf("decodeCursor(%q): %v, want EINVALID", cursor, err)
			}
			return
		}
		// Only the one string the store handed out decodes to a key.
		if s.encodeCursor(key) != cursor {
			t.Fatalf("decodeCursor accepted %q, which the store would encode as %q", cursor, s.encodeCursor(key))
		}
		if !slices.Equal(key, pendingKey(kyc.PersonalAccount, time.Unix(1700000000, 5), "acct-1")) {
			t.Fatalf("decodeCursor accepted a forged cursor %q", cursor)
		}
	})
}
