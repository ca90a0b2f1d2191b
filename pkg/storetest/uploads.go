package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// uploadKey is shaped like the service's keys: slashes, an account, a slot and an id.
func uploadKey(n int) string { return fmt.Sprintf("uploads/%s/frontOfID/id-%04d", AccountID(n), n) }

func newUpload(n int) kyc.Upload {
	return kyc.Upload{
		Key:         uploadKey(n),
		AccountID:   AccountID(n),
		UserID:      UserID(n),
		Slot:        "frontOfID",
		ContentType: "image/jpeg",
		Length:      5<<20 + int64(n),
		CreatedAt:   At(0),
		ExpiresAt:   At(60),
	}
}

func putUploads(t *testing.T, s kyc.Store, us ...kyc.Upload) {
	t.Helper()
	for _, u := range us {
		if err := s.PutUpload(t.Context(), u); err != nil {
			t.Fatalf("PutUpload(%q): %v", u.Key, err)
		}
	}
}

func testUploadRoundTrip(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	// Every field set, and two records apart: one must not read as the other.
	a, b := newUpload(1), newUpload(2)
	b.Slot, b.ContentType, b.CreatedAt, b.ExpiresAt = "businessLicense", "application/pdf", At(5), At(125)
	putUploads(t, s, a, b)
	for _, want := range []kyc.Upload{a, b} {
		got, err := s.GetUpload(ctx, want.Key, At(1))
		if err != nil {
			t.Fatalf("GetUpload(%q): %v", want.Key, err)
		}
		wantSame(t, "GetUpload", want, got)
	}
}

func testUploadExists(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	first := newUpload(1)
	putUploads(t, s, first)
	second := newUpload(2)
	second.Key = first.Key
	err := s.PutUpload(ctx, second)
	wantCode(t, "second PutUpload of the same key", err, kyc.EEXISTS)
	got, err := s.GetUpload(ctx, first.Key, At(1))
	if err != nil {
		t.Fatalf("GetUpload after the refused PutUpload: %v", err)
	}
	wantSame(t, "GetUpload after the refused PutUpload (first record must be unchanged)", first, got)

	// The same record again is refused too: a retry never rewrites.
	wantCode(t, "PutUpload of the identical record again", s.PutUpload(ctx, first), kyc.EEXISTS)
}

func testUploadUnknown(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	putUploads(t, s, newUpload(1))
	for _, key := range []string{uploadKey(2), "uploads/" + AccountID(1), uploadKey(1) + "/x", "", "no-such-key"} {
		_, err := s.GetUpload(ctx, key, At(1))
		wantCode(t, fmt.Sprintf("GetUpload(%q)", key), err, kyc.ENOTFOUND)
	}
}

func testUploadExpiry(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	u := newUpload(1)
	putUploads(t, s, u)
	if _, err := s.GetUpload(ctx, u.Key, u.ExpiresAt.Add(-time.Millisecond)); err != nil {
		t.Errorf("GetUpload a millisecond before expiry: %v", err)
	}
	for _, now := range []time.Time{u.ExpiresAt, u.ExpiresAt.Add(time.Millisecond), u.ExpiresAt.Add(48 * time.Hour)} {
		_, err := s.GetUpload(ctx, u.Key, now)
		wantCode(t, fmt.Sprintf("GetUpload %s after expiry", now.Sub(u.ExpiresAt)), err, kyc.ENOTFOUND)
	}
}

// testUploadKeys checks keys the service may choose: slashes, keys that are prefixes of
// one another, and characters that are special in the stores' own key syntax.
func testUploadKeys(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	keys := []string{
		"uploads/acc/frontOfID/id",
		"uploads/acc/frontOfID/id/more",
		"uploads/acc/frontOfID/i",
		"uploads/acc#2/backOfID/id#1",
		"/leading/and/trailing/",
		"uploads/ünïcode/frontOfID/id",
	}
	var want []kyc.Upload
	for i, k := range keys {
		u := newUpload(i + 1)
		u.Key = k
		want = append(want, u)
	}
	putUploads(t, s, want...)
	for _, w := range want {
		got, err := s.GetUpload(ctx, w.Key, At(1))
		if err != nil {
			t.Errorf("GetUpload(%q): %v", w.Key, err)
			continue
		}
		wantSame(t, fmt.Sprintf("GetUpload(%q)", w.Key), w, got)
	}
}

func testUploadConcurrent(t *testing.T, s kyc.Store) {
	const n = 20
	errs := concurrently(n, func(i int) error {
		u := newUpload(i + 1)
		u.Key = uploadKey(0)
		return s.PutUpload(t.Context(), u)
	})
	got := codes(errs)
	if got[""] != 1 || got[kyc.EEXISTS] != n-1 {
		t.Fatalf("%d concurrent PutUpload of one key: %v, want 1 success and %d EEXISTS", n, got, n-1)
	}
	winner := -1
	for i, err := range errs {
		if err == nil {
			winner = i
		}
	}
	u, err := s.GetUpload(t.Context(), uploadKey(0), At(1))
	if err != nil {
		t.Fatalf("GetUpload: %v", err)
	}
	want := newUpload(winner + 1)
	want.Key = uploadKey(0)
	wantSame(t, "GetUpload after concurrent PutUpload (the winner's record)", want, u)
}
