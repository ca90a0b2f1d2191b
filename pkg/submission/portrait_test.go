package submission_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
)

// SetPortrait answers with the link the profile gives (the same presigned GET as
// pkg/users' Me), stores the portrait under the account, and deletes the one it replaces.
func TestPortrait(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	prefix := "accounts/" + u.AccountID + "/portrait/"
	img := filechecktest.JPEG(48, 48)

	url, err := e.s.SetPortrait(t.Context(), u.Principal(), e.upload(t, u, "portrait", "image/jpeg", img))
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.store.GetUser(t.Context(), u.ID)
	if err != nil || !strings.HasPrefix(first.Portrait, prefix) || first.Version != u.Version+1 || !first.UpdatedAt.Equal(testNow) {
		t.Fatalf("stored user %+v, %v; want the portrait under %s, the next version", first, err, prefix)
	}
	want, err := docsOf(t).PresignGet(t.Context(), first.Portrait, time.Hour, "portrait")
	if err != nil {
		t.Fatal(err)
	}
	if url != want {
		t.Errorf("URL %q, want Me's %q", url, want)
	}
	if status, body := get(t, url); status != 200 || !bytes.Equal(body, img) {
		t.Errorf("portrait URL = %d, %d bytes", status, len(body))
	}

	png := filechecktest.PNG(48, 48)
	if _, err := e.s.SetPortrait(t.Context(), u.Principal(), e.upload(t, u, "portrait", "image/png", png)); err != nil {
		t.Fatal(err)
	}
	second, _ := e.store.GetUser(t.Context(), u.ID)
	if got := objects(t, prefix); !slices.Equal(got, []string{second.Portrait}) {
		t.Errorf("portrait objects %q, want only the new %q (the old one deleted)", got, second.Portrait)
	}
}

// A refused portrait names the field "key", leaves the user as it was and writes no
// object.
func TestPortraitRefusals(t *testing.T) {
	e := newEnv(t)
	u, other := e.user(t, kyc.RoleUser), e.user(t, kyc.RoleUser)
	if _, err := e.s.SetPortrait(t.Context(), u.Principal(), e.upload(t, u, "portrait", "image/png", frontPNG)); err != nil {
		t.Fatal(err)
	}
	before, _ := e.store.GetUser(t.Context(), u.ID)
	objs := objects(t, "accounts/"+u.AccountID+"/")
	jpegAsPNG := e.upload(t, u, "portrait", "image/png", filechecktest.JPEG(20, 20))
	granted, err := e.s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: "portrait", ContentType: "image/png", ContentLength: "100"})
	if err != nil {
		t.Fatal(err)
	}
	expired := e.upload(t, u, "portrait", "image/png", frontPNG)
	tests := []struct {
		name, key, code string
		before          func()
	}{
		{"empty", "", kyc.EMISSING, nil},
		{"unknown", "uploads/" + u.AccountID + "/portrait/none", kyc.EINVALID, nil},
		{"not an upload key", "accounts/" + u.AccountID + "/portrait/x", kyc.EINVALID, nil},
		{"too long", "uploads/" + strings.Repeat("x", 5000), kyc.EINVALID, nil},
		{"not UTF-8", "uploads/\xff", kyc.EINVALID, nil},
		{"a frontOfID key", e.upload(t, u, "frontOfID", "image/png", frontPNG), kyc.EINVALID, nil},
		{"another user's", e.upload(t, other, "portrait", "image/png", frontPNG), kyc.EFORBIDDEN, nil},
		{"never uploaded", granted.Key, kyc.EINVALID, nil},
		{"content not as declared", jpegAsPNG, kyc.EUNSUPPORTED, nil},
		{"expired", expired, kyc.EINVALID, func() { e.clock.Advance(submission.UploadRecordTTL) }},
	}
	for _, tt := range tests {
		if tt.before != nil {
			tt.before()
		}
		_, err := e.s.SetPortrait(t.Context(), u.Principal(), tt.key)
		wantErr(t, err, tt.code, "key")
		if after, _ := e.store.GetUser(t.Context(), u.ID); after != before {
			t.Errorf("%s: user changed: %+v -> %+v", tt.name, before, after)
		}
		if got := objects(t, "accounts/"+u.AccountID+"/"); !slices.Equal(got, objs) {
			t.Errorf("%s: objects %q -> %q", tt.name, objs, got)
		}
	}
}

// A portrait of a user that is gone (its upload record and object are there) is
// ENOTFOUND, and the copy it made is deleted.
func TestPortraitOfMissingUser(t *testing.T) {
	e := newEnv(t)
	ghost := kyc.Principal{UserID: "user-ghost", AccountID: "acct-ghost", Role: kyc.RoleUser}
	key := "uploads/acct-ghost/portrait/x"
	if err := e.store.PutUpload(t.Context(), kyc.Upload{Key: key, AccountID: ghost.AccountID, UserID: ghost.UserID, Slot: "portrait",
		ContentType: "image/png", Length: int64(len(frontPNG)), CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := docsOf(t).Put(t.Context(), key, "image/png", bytes.NewReader(frontPNG)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.SetPortrait(t.Context(), ghost, key); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("SetPortrait of a missing user: %v, want ENOTFOUND", err)
	}
	if got := objects(t, "accounts/acct-ghost/"); len(got) != 0 {
		t.Errorf("objects left: %q", got)
	}
}

// Concurrent portraits of one user: all succeed, the last write wins, and exactly one
// portrait object is left, the user's: each replaced one is deleted by the request
// that replaced it.
func TestConcurrentPortraits(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	const n = 6
	keys := make([]string, n)
	for i := range keys {
		keys[i] = e.upload(t, u, "portrait", "image/png", filechecktest.PNG(30+i, 30))
	}
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			_, err := e.s.SetPortrait(context.WithoutCancel(t.Context()), u.Principal(), keys[i])
			errs <- err
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("SetPortrait: %v", err)
		}
	}
	stored, _ := e.store.GetUser(t.Context(), u.ID)
	if got := objects(t, "accounts/"+u.AccountID+"/portrait/"); !slices.Equal(got, []string{stored.Portrait}) {
		t.Errorf("portrait objects %q, want only the user's %q", got, stored.Portrait)
	}
	if stored.Version != u.Version+n {
		t.Errorf("version %d, want %d", stored.Version, u.Version+n)
	}
}
