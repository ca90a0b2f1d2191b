package storetest

// Contract of the document routes' combined reads and writes (kyc.Store's "document
// routes" block): each does what the single-item methods do, with the same rules (upload
// expiry, user versions), and the tests check it through those methods.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// accountUploads reads account n with keys at now and fails the test on an error.
func accountUploads(t *testing.T, s kyc.Store, n int, keys []string, now time.Time) (kyc.Account, map[string]kyc.Upload) {
	t.Helper()
	a, ups, err := s.GetAccountAndUploads(t.Context(), AccountID(n), keys, now)
	if err != nil {
		t.Fatalf("GetAccountAndUploads %d: %v", n, err)
	}
	return a, ups
}

func testAccountAndUploads(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	acct := create(t, s, 1, kyc.PersonalAccount)
	create(t, s, 2, kyc.CompanyAccount)
	// Records of this account and of another (the store does not filter: the service
	// checks whose each is), one expiring early, with every field set.
	mine, back, other, early := newUpload(1), newUpload(1), newUpload(2), newUpload(1)
	back.Key, back.Slot, back.ContentType, back.CreatedAt, back.ExpiresAt = uploadKey(1)+"-back", "backOfID", "image/png", At(2), At(90)
	early.Key, early.ExpiresAt = uploadKey(1)+"-early", At(5)
	putUploads(t, s, mine, back, other, early)

	absent := uploadKey(9)
	keys := []string{mine.Key, back.Key, other.Key, early.Key, absent}
	got, ups := accountUploads(t, s, 1, keys, At(1))
	wantSame(t, "GetAccountAndUploads account", acct, got)
	wantSame(t, "GetAccountAndUploads uploads", map[string]kyc.Upload{mine.Key: mine, back.Key: back, other.Key: other, early.Key: early}, ups)

	// Expiry as GetUpload's: present a millisecond before ExpiresAt, absent from it on.
	_, ups = accountUploads(t, s, 1, keys, early.ExpiresAt.Add(-time.Millisecond))
	if _, ok := ups[early.Key]; !ok {
		t.Errorf("a record a millisecond before its expiry is missing")
	}
	for _, now := range []time.Time{early.ExpiresAt, early.ExpiresAt.Add(48 * time.Hour)} {
		_, ups = accountUploads(t, s, 1, keys, now)
		if _, ok := ups[early.Key]; ok {
			t.Errorf("at expiry + %s: an expired record is returned", now.Sub(early.ExpiresAt))
		}
		if _, err := s.GetUpload(ctx, early.Key, now); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("GetUpload disagrees at expiry + %s: %v", now.Sub(early.ExpiresAt), err)
		}
	}

	// No keys: the account alone. Repeated keys are read once; keys that are no upload
	// key at all (empty, too long to be a key, not UTF-8, a prefix of a key) are absent
	// and spoil nothing else.
	got, ups = accountUploads(t, s, 1, nil, At(1))
	wantSame(t, "GetAccountAndUploads without keys", acct, got)
	if len(ups) != 0 {
		t.Errorf("without keys: uploads %v, want none", ups)
	}
	odd := []string{mine.Key, "", mine.Key, "uploads/" + strings.Repeat("k", 3000), "uploads/\xff\xfe", "uploads/" + AccountID(1), back.Key, mine.Key}
	got, ups = accountUploads(t, s, 1, odd, At(1))
	wantSame(t, "GetAccountAndUploads account with odd keys", acct, got)
	wantSame(t, "GetAccountAndUploads uploads of odd keys", map[string]kyc.Upload{mine.Key: mine, back.Key: back}, ups)

	// Many keys, more than one call of some stores takes.
	var many []kyc.Upload
	var manyKeys []string
	for i := range 120 {
		u := newUpload(1)
		u.Key = fmt.Sprintf("%s-many-%03d", uploadKey(1), i)
		many = append(many, u)
		manyKeys = append(manyKeys, u.Key)
	}
	putUploads(t, s, many...)
	_, ups = accountUploads(t, s, 1, manyKeys, At(1))
	gotKeys := make([]string, 0, len(ups))
	for k := range ups {
		gotKeys = append(gotKeys, k)
	}
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, manyKeys) {
		t.Errorf("120 keys: %d records returned, want all 120", len(ups))
	}

	// The read is strongly consistent: a transition that returned is seen.
	moved := mustSubmit(t, s, acct, 3)
	got, _ = accountUploads(t, s, 1, keys, At(4))
	wantSame(t, "GetAccountAndUploads after a transition", moved, got)
}

func testAccountAndUploadsMissing(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	u := newUpload(2) // a record of an account that does not exist
	putUploads(t, s, u)
	for _, id := range []string{AccountID(2), "", AccountID(1) + "x", UserID(1)} {
		_, _, err := s.GetAccountAndUploads(ctx, id, []string{u.Key}, At(1))
		wantCode(t, fmt.Sprintf("GetAccountAndUploads(%q)", id), err, kyc.ENOTFOUND)
	}
}

func testSetUserPortrait(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	create(t, s, 2, kyc.PersonalAccount)
	before := getUser(t, s, 1)
	other := getUser(t, s, 2)

	old, err := s.SetUserPortrait(ctx, UserID(1), "accounts/"+AccountID(1)+"/portrait/p1", At(10))
	if err != nil || old != "" {
		t.Fatalf("first SetUserPortrait: %q, %v; want \"\" (no portrait yet)", old, err)
	}
	want := before
	want.Portrait, want.UpdatedAt, want.Version = "accounts/"+AccountID(1)+"/portrait/p1", At(10), before.Version+1
	wantSame(t, "GetUser after SetUserPortrait (only Portrait, UpdatedAt and Version change)", want, getUser(t, s, 1))

	old, err = s.SetUserPortrait(ctx, UserID(1), "accounts/"+AccountID(1)+"/portrait/p2", At(11))
	if err != nil || old != want.Portrait {
		t.Fatalf("second SetUserPortrait: %q, %v; want the first portrait %q", old, err, want.Portrait)
	}
	want.Portrait, want.UpdatedAt, want.Version = "accounts/"+AccountID(1)+"/portrait/p2", At(11), want.Version+1
	wantSame(t, "GetUser after a second SetUserPortrait", want, getUser(t, s, 1))
	wantSame(t, "another user after SetUserPortrait", other, getUser(t, s, 2))

	// The version moved on: an UpdateUser from a read before the portrait conflicts and
	// cannot write the old portrait back.
	stale := before
	stale.RegistrationID = "reg-stale"
	_, err = s.UpdateUser(ctx, stale)
	wantCode(t, "UpdateUser from a read before SetUserPortrait", err, kyc.ECONFLICT)
	wantSame(t, "GetUser after the refused UpdateUser", want, getUser(t, s, 1))
	// An UpdateUser from a fresh read keeps the portrait.
	fresh := getUser(t, s, 1)
	fresh.RegistrationID = "reg-fresh"
	if _, err := s.UpdateUser(ctx, fresh); err != nil {
		t.Fatalf("UpdateUser after SetUserPortrait: %v", err)
	}
	if u := getUser(t, s, 1); u.Portrait != want.Portrait || u.RegistrationID != "reg-fresh" {
		t.Errorf("after UpdateUser: portrait %q registration %q, want %q reg-fresh", u.Portrait, u.RegistrationID, want.Portrait)
	}
}

func testSetUserPortraitRefused(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	before := getUser(t, s, 1)
	for _, id := range []string{UserID(2), "", AccountID(1)} {
		_, err := s.SetUserPortrait(ctx, id, "accounts/x/portrait/p", At(10))
		wantCode(t, fmt.Sprintf("SetUserPortrait of user %q", id), err, kyc.ENOTFOUND)
	}
	checkNotWritten(t, s, 2)
	_, err := s.SetUserPortrait(ctx, UserID(1), "", At(10))
	wantCode(t, "SetUserPortrait with an empty key", err, kyc.EMISSING)
	wantSame(t, "GetUser after the refusals", before, getUser(t, s, 1))
}

// testSetUserPortraitConcurrent: of concurrent portraits each returns the one it replaced,
// so the returned keys and the final one are every key exactly once (nothing replaced is
// lost to its caller, nothing is returned twice), and the version counts every write.
func testSetUserPortraitConcurrent(t *testing.T, s kyc.Store) {
	create(t, s, 1, kyc.PersonalAccount)
	start := getUser(t, s, 1)
	const n = 12
	olds := make([]string, n)
	errs := concurrently(n, func(i int) error {
		var err error
		olds[i], err = s.SetUserPortrait(t.Context(), UserID(1), fmt.Sprintf("portrait-%02d", i), At(10))
		return err
	})
	if got := codes(errs); got[""] != n {
		t.Fatalf("%d concurrent SetUserPortrait: %v, want all to succeed", n, got)
	}
	final := getUser(t, s, 1)
	seen := append(slices.Clone(olds), final.Portrait)
	slices.Sort(seen)
	want := []string{""}
	for i := range n {
		want = append(want, fmt.Sprintf("portrait-%02d", i))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("replaced portraits and the final one: %q, want each of %q once", seen, want)
	}
	if final.Version != start.Version+n {
		t.Errorf("version %d after %d portraits from %d", final.Version, n, start.Version)
	}
}

// testSetUserPortraitDuringChangeUser: a portrait set between ChangeUser's read and its
// write makes the write fail and ChangeUser read again, so both changes are kept.
func testSetUserPortraitDuringChangeUser(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	calls := 0
	got, err := s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) {
		calls++
		if calls == 1 {
			if _, err := s.SetUserPortrait(ctx, UserID(1), "portrait-new", At(10)); err != nil {
				return u, false, err
			}
		}
		u.Role = kyc.RoleAdmin
		return u, true, nil
	})
	if err != nil {
		t.Fatalf("ChangeUser: %v", err)
	}
	if calls < 2 {
		t.Errorf("change called %d times, want a second read after the portrait", calls)
	}
	stored := getUser(t, s, 1)
	wantSame(t, "ChangeUser's result", stored, got)
	if stored.Portrait != "portrait-new" || stored.Role != kyc.RoleAdmin {
		t.Errorf("after ChangeUser around SetUserPortrait: portrait %q role %s, want portrait-new admin", stored.Portrait, stored.Role)
	}
}
