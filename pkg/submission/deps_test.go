package submission_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/s3presign"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// lightSigner is the signer a function that only presigns is wired with: no S3 client.
func lightSigner(t *testing.T) *s3presign.Presigner {
	t.Helper()
	p, err := s3presign.ForEndpoint(testenv.Gateway(t).ClientEndpoint(), testBucket)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The routes that only hand out URLs or read the account work with what their functions
// are wired with: the store and a light signer (the account view: the store alone), no
// Objects and no Queue. A method that touched either would panic on the nil.
func TestPresignOnlyRoutes(t *testing.T) {
	e := newEnv(t)
	owner, reviewer := e.user(t, kyc.RoleUser), e.user(t, kyc.RoleReviewer)
	e.checked(t, owner, map[string]string{"frontOfID": "ok", "backOfID": "ok"}) // reviewers download checked documents only
	if err := submission.EnsureConfirmationSample(t.Context(), docsOf(t)); err != nil {
		t.Fatal(err)
	}
	signing := submission.New(submission.Deps{Store: e.store, Presigner: lightSigner(t), Clock: e.clock, IDs: kyc.RandomIDs{}, Log: e.deps.Log, MaxAttempts: 5})

	// POST /v1/uploads: the grant works for a plain HTTP PUT.
	g, err := signing.CreateUpload(t.Context(), owner.Principal(), submission.UploadRequest{Slot: "portrait", ContentType: "image/png", ContentLength: "4"})
	if err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
	r, _ := http.NewRequestWithContext(t.Context(), g.Method, g.URL, strings.NewReader("\x89PNG"))
	for k, v := range g.Headers {
		if k != "Content-Length" {
			r.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("PUT to the light signer's grant = %d", resp.StatusCode)
	}

	// The downloads, by the owner and by a reviewer.
	for _, v := range []kyc.User{owner, reviewer} {
		url, err := signing.DownloadURL(t.Context(), submission.Viewer{UserID: v.ID, Role: v.Role}, owner.AccountID, "frontOfID")
		if err != nil {
			t.Fatalf("DownloadURL by %s: %v", v.Role, err)
		}
		if status, body := get(t, url); status != 200 || !bytes.Equal(body, frontPNG) {
			t.Errorf("download by %s = %d, %d bytes", v.Role, status, len(body))
		}
	}
	url, err := signing.ConfirmationURL(t.Context())
	if err != nil {
		t.Fatalf("ConfirmationURL: %v", err)
	}
	if status, body := get(t, url); status != 200 || !bytes.Equal(body, submission.ConfirmationSample()) {
		t.Errorf("confirmation sample = %d, %d bytes", status, len(body))
	}

	// GET /v1/account: the store alone.
	reading := submission.New(submission.Deps{Store: e.store, Clock: e.clock, Log: e.deps.Log, MaxAttempts: 5})
	if v, err := reading.Account(t.Context(), owner.Principal(), users.Status); err != nil || v.State != "PENDING_REVIEW" {
		t.Errorf("Account: %+v, %v", v, err)
	}
}

// A service wired without what a method needs fails that method with an internal error
// before it reads or writes anything, rather than panic halfway.
func TestMissingDeps(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	in := e.personal(t, u)
	portrait := e.upload(t, u, "portrait", "image/png", frontPNG)
	before := e.account(t, u.AccountID)
	userBefore, _ := e.store.GetUser(t.Context(), u.ID)
	base := e.deps
	base.Objects, base.Queue, base.Presigner = nil, nil, nil
	noObjects := base
	noObjects.Queue, noObjects.Presigner = e.queue, docsOf(t)
	noQueue := e.deps
	noQueue.Queue = nil
	tests := []struct {
		name string
		d    submission.Deps
		do   func(s *submission.Service) error
	}{
		{"submit without Objects", noObjects, func(s *submission.Service) error { return s.SubmitPersonal(t.Context(), u.Principal(), in) }},
		{"submit without Queue", noQueue, func(s *submission.Service) error { return s.SubmitPersonal(t.Context(), u.Principal(), in) }},
		{"portrait without Objects", noObjects, func(s *submission.Service) error {
			_, err := s.SetPortrait(t.Context(), u.Principal(), portrait)
			return err
		}},
		{"portrait without a Presigner", func() submission.Deps { d := e.deps; d.Presigner = nil; return d }(), func(s *submission.Service) error {
			_, err := s.SetPortrait(t.Context(), u.Principal(), portrait)
			return err
		}},
		{"upload grant without a Presigner", base, func(s *submission.Service) error {
			_, err := s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: "frontOfID", ContentType: "image/png", ContentLength: "10"})
			return err
		}},
		{"download without a Presigner", base, func(s *submission.Service) error {
			_, err := s.DownloadURL(t.Context(), submission.Viewer{UserID: u.ID, Role: u.Role}, u.AccountID, "frontOfID")
			return err
		}},
		{"confirmation without a Presigner", base, func(s *submission.Service) error {
			_, err := s.ConfirmationURL(t.Context())
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.do(submission.New(tt.d))
		if kyc.ErrorCode(err) != kyc.EINTERNAL {
			t.Errorf("%s: %v, want an internal error", tt.name, err)
		}
	}
	if a := e.account(t, u.AccountID); a.Version != before.Version {
		t.Errorf("account changed: %+v", a)
	}
	if got, _ := e.store.GetUser(t.Context(), u.ID); got != userBefore {
		t.Errorf("user changed: %+v", got)
	}
	if got := objects(t, "accounts/"+u.AccountID+"/"); len(got) != 0 {
		t.Errorf("objects written: %q", got)
	}
	if q := e.queued(t); len(q) != 0 {
		t.Errorf("queued %d", len(q))
	}
}
