package submission_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// goodID is GB 11643's own example, goodUSCC GB 32100's.
const (
	goodID   = "11010519491231002X"
	goodUSCC = "91350100M000100Y43"
)

var (
	frontPNG = filechecktest.PNG(50, 30)
	backPNG  = filechecktest.PNG(50, 31)
)

// env is the service over the DynamoDB store on a fresh dynoxide table, a fresh
// in-process queue and the shared gateway, built from its real dependencies.
type env struct {
	deps   submission.Deps
	s      *submission.Service
	store  *dynamo.Store
	client *dynamodb.Client
	table  string
	queue  *localqueue.Queue
	clock  *kyc.FixedClock
	log    *testenv.SyncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{queue: localqueue.New(localqueue.Options{}), clock: kyc.NewFixedClock(testNow), log: &testenv.SyncBuffer{}}
	e.client, e.table = testenv.Table(t, testenv.Dynoxide)
	e.store = dynamo.New(e.client, e.table)
	docs := docsOf(t)
	e.deps = submission.Deps{Store: e.store, Presigner: docs, Objects: docs, Queue: e.queue, Clock: e.clock, IDs: kyc.RandomIDs{},
		Log: slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})), MaxAttempts: 5}
	e.s = submission.New(e.deps)
	return e
}

// user creates a user of role with its (personal, UNVERIFIED) account.
func (e *env) user(t *testing.T, role kyc.Role) kyc.User {
	t.Helper()
	id := kyc.RandomIDs{}.NewID()
	u := kyc.User{ID: "user-" + id, Phone: "phone-" + id, PasswordHash: "h", Role: role, AccountID: "acct-" + id, CreatedAt: testNow, UpdatedAt: testNow}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified, CreatedAt: testNow, UpdatedAt: testNow}
	u, err := e.store.CreateUser(t.Context(), u, a)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// upload asks for a presigned upload and PUTs data to it with a plain HTTP client.
func (e *env) upload(t *testing.T, u kyc.User, slot, contentType string, data []byte) string {
	t.Helper()
	g, err := e.s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: slot, ContentType: contentType, ContentLength: strconv.Itoa(len(data))})
	if err != nil {
		t.Fatalf("CreateUpload(%s): %v", slot, err)
	}
	r, _ := http.NewRequestWithContext(t.Context(), g.Method, g.URL, bytes.NewReader(data))
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
		t.Fatalf("PUT %s = %d", slot, resp.StatusCode)
	}
	return g.Key
}

func (e *env) personal(t *testing.T, u kyc.User) submission.PersonalInput {
	t.Helper()
	return submission.PersonalInput{IDNumber: goodID, Docs: map[string]submission.Source{
		"frontOfID": {Key: e.upload(t, u, "frontOfID", "image/png", frontPNG)},
		"backOfID":  {Key: e.upload(t, u, "backOfID", "image/png", backPNG)},
	}}
}

func (e *env) account(t *testing.T, id string) kyc.Account {
	t.Helper()
	a, err := e.store.GetAccount(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *env) queued(t *testing.T) []kyc.Message {
	t.Helper()
	msgs, err := e.queue.Receive(t.Context(), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func objects(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(testenv.S3Client(t), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	slices.Sort(keys)
	return keys
}

// wantErr checks a domain error's code and field.
func wantErr(t *testing.T, err error, code, field string) {
	t.Helper()
	var ke *kyc.Error
	if !kyc.IsCode(err, code) || !errors.As(err, &ke) || ke.Field != field {
		t.Fatalf("err = %#v, want %s naming %q", err, code, field)
	}
}

// The service's error contract for uploads: the code and the field each refusal names.
func TestCreateUploadErrors(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	tests := []struct {
		slot, ct, n string
		code, field string
	}{
		{"passport", "image/png", "10", kyc.EINVALID, "slot"},
		{"frontOfID", "image/svg+xml", "10", kyc.EUNSUPPORTED, "content_type"},
		{"frontOfID", "application/pdf", "10", kyc.EUNSUPPORTED, "content_type"},
		{"frontOfID", "image/png", "2097153", kyc.ETOOLARGE, "content_length"},
		{"frontOfID", "image/png", "0", kyc.EINVALID, "content_length"},
		{"frontOfID", "image/png", "-1", kyc.EINVALID, "content_length"},
		{"frontOfID", "image/png", "abc", kyc.EINVALID, "content_length"},
		{"frontOfID", "image/png", "99999999999999999999", kyc.EINVALID, "content_length"},
	}
	for _, tt := range tests {
		_, err := e.s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: tt.slot, ContentType: tt.ct, ContentLength: tt.n})
		wantErr(t, err, tt.code, tt.field)
	}
	if _, err := e.s.CreateUpload(t.Context(), kyc.Principal{UserID: "user-none", AccountID: "acct-none", Role: kyc.RoleUser}, submission.UploadRequest{Slot: "frontOfID", ContentType: "image/png", ContentLength: "10"}); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("unknown user: %v, want ENOTFOUND", err)
	}
	// An exact limit is fine; the type is normalised to the canonical one.
	g, err := e.s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: "frontOfID", ContentType: "image/jpg", ContentLength: "2097152"})
	if err != nil {
		t.Fatalf("2 MiB image/jpg: %v", err)
	}
	if g.Headers["Content-Type"] != "image/jpeg" {
		t.Errorf("Content-Type %q, want the canonical image/jpeg", g.Headers["Content-Type"])
	}
}

// An upload record lives a day (the bucket's lifecycle rule for uploads/): a key older
// than that no longer submits, and nothing is written.
func TestUploadRecordExpires(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	in := e.personal(t, u)
	e.clock.Advance(submission.UploadRecordTTL)
	wantErr(t, e.s.SubmitPersonal(t.Context(), u.Principal(), in), kyc.EINVALID, "frontOfID")
	if a := e.account(t, u.AccountID); a.State != kyc.StateUnverified || a.Attempts != 0 {
		t.Errorf("account %s, %d attempts", a.State, a.Attempts)
	}
	if got := objects(t, "accounts/"+u.AccountID+"/"); len(got) != 0 {
		t.Errorf("objects left: %q", got)
	}
	if q := e.queued(t); len(q) != 0 {
		t.Errorf("queued %d", len(q))
	}
}

// A submission copies what it accepts to server-chosen keys; the staging object is left
// to the lifecycle rule, and the document does not depend on it.
func TestDocumentsAreCopies(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	in := e.personal(t, u)
	in.Name = "王五"
	if err := e.s.SubmitPersonal(t.Context(), u.Principal(), in); err != nil {
		t.Fatal(err)
	}
	a := e.account(t, u.AccountID)
	for slot, src := range in.Docs {
		doc := a.Documents[slot]
		rest, ok := strings.CutPrefix(doc.Key, "accounts/"+u.AccountID+"/"+slot+"/")
		if !ok || rest == "" || strings.Contains(rest, "/") || doc.Key == src.Key {
			t.Errorf("%s key %q, want accounts/<id>/%s/<random>", slot, doc.Key, slot)
		}
		if err := docsOf(t).Delete(t.Context(), src.Key); err != nil {
			t.Fatal(err)
		}
		body, _, err := docsOf(t).Get(t.Context(), doc.Key)
		if err != nil {
			t.Fatalf("%s after the staging object went: %v", slot, err)
		}
		b, _ := io.ReadAll(body)
		body.Close()
		if want := map[string][]byte{"frontOfID": frontPNG, "backOfID": backPNG}[slot]; !bytes.Equal(b, want) {
			t.Errorf("%s: %d bytes, want %d", slot, len(b), len(want))
		}
	}
	if msgs := e.queued(t); len(msgs) != 1 || msgs[0].Body != `{"account_id":"`+a.ID+`","version":`+strconv.Itoa(int(a.Version))+`}` {
		t.Errorf("queued %+v", msgs)
	}
	// Only the account id goes to the log, no PII.
	if log := e.log.String(); strings.Contains(log, goodID) || strings.Contains(log, "王五") || !strings.Contains(log, a.ID) {
		t.Errorf("log:\n%s", log)
	}
}

// Concurrent submissions of one account: exactly one is accepted and queued; the others
// are refused and leave no object behind.
func TestConcurrentSubmissions(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	const n = 8
	inputs := make([]submission.PersonalInput, n)
	for i := range inputs {
		inputs[i] = e.personal(t, u)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = e.s.SubmitPersonal(context.WithoutCancel(t.Context()), u.Principal(), inputs[i])
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !kyc.IsCode(err, kyc.ECONFLICT):
			t.Errorf("loser got %v, want a conflict", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d submissions accepted, want 1 (%v)", ok, errs)
	}
	a := e.account(t, u.AccountID)
	if a.State != kyc.StateSubmitted || a.Attempts != 1 {
		t.Errorf("account %s, %d attempts", a.State, a.Attempts)
	}
	want := []string{a.Documents["backOfID"].Key, a.Documents["frontOfID"].Key}
	slices.Sort(want)
	if got := objects(t, "accounts/"+u.AccountID+"/"); !slices.Equal(got, want) {
		t.Errorf("objects %q, want only the winner's %q", got, want)
	}
	if q := e.queued(t); len(q) != 1 {
		t.Errorf("queued %d messages, want 1", len(q))
	}
}

// failingQueue refuses every message.
type failingQueue struct{}

func (failingQueue) Send(context.Context, string) (string, error) {
	return "", errors.New("queue down")
}

// undoFails is a store whose transitions out of SUBMITTED fail: the undo of a submission
// whose message could not be queued.
type undoFails struct{ submission.Store }

func (s undoFails) Transition(ctx context.Context, tr kyc.Transition) (kyc.Account, error) {
	if tr.FromState == kyc.StateSubmitted {
		return kyc.Account{}, errors.New("store down")
	}
	return s.Store.Transition(ctx, tr)
}

// When the queue refuses the message and the undo fails too, the account stays SUBMITTED
// with its documents, so the reconciler can queue it: nothing is deleted from under an
// account that refers to it.
func TestQueueAndUndoFail(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	in := e.personal(t, u)
	d := e.deps
	d.Queue, d.Store = failingQueue{}, undoFails{e.store}
	err := submission.New(d).SubmitPersonal(t.Context(), u.Principal(), in)
	if err == nil || kyc.ErrorCode(err) != kyc.EINTERNAL {
		t.Fatalf("err = %v, want an internal error", err)
	}
	a := e.account(t, u.AccountID)
	if a.State != kyc.StateSubmitted || a.Attempts != 1 || len(a.Documents) != 2 {
		t.Fatalf("account %s, %d attempts, %d documents; want SUBMITTED for the reconciler", a.State, a.Attempts, len(a.Documents))
	}
	for slot, d := range a.Documents {
		if _, err := docsOf(t).Head(t.Context(), d.Key); err != nil {
			t.Errorf("%s deleted from under the account: %v", slot, err)
		}
	}
	if !strings.Contains(e.log.String(), "could not undo") {
		t.Errorf("log lacks the failed undo:\n%s", e.log)
	}
	pending, err := e.store.ListSubmittedBefore(t.Context(), testNow.Add(time.Minute), 10)
	if err != nil || len(pending) != 1 || pending[0].ID != a.ID {
		t.Errorf("reconciler's list = %v, %v; want the account", pending, err)
	}
}

// Who may download: the owner, a reviewer or an admin (both audited), nobody else.
func TestDownloadURLViewers(t *testing.T) {
	e := newEnv(t)
	owner, other := e.user(t, kyc.RoleUser), e.user(t, kyc.RoleUser)
	admin, reviewer := e.user(t, kyc.RoleAdmin), e.user(t, kyc.RoleReviewer)
	e.checked(t, owner, map[string]string{"frontOfID": "ok", "backOfID": "ok"}) // reviewers download checked documents only
	for _, v := range []kyc.User{owner, admin, reviewer} {
		url, err := e.s.DownloadURL(t.Context(), submission.Viewer{UserID: v.ID, Role: v.Role, RequestID: "req-" + v.ID}, owner.AccountID, "frontOfID")
		if err != nil || !strings.Contains(url, "X-Amz-Signature=") {
			t.Errorf("%s: %q, %v", v.Role, url, err)
		}
	}
	_, err := e.s.DownloadURL(t.Context(), submission.Viewer{UserID: other.ID, Role: kyc.RoleUser}, owner.AccountID, "frontOfID")
	if !kyc.IsCode(err, kyc.EFORBIDDEN) {
		t.Errorf("other user: %v", err)
	}
	trail, _ := e.store.ListAudit(t.Context(), owner.AccountID)
	var downloads []string
	for _, r := range trail {
		if r.Action == "download" {
			downloads = append(downloads, string(r.ActorRole)+":"+r.RequestID)
		}
	}
	slices.Sort(downloads) // records of one instant (the fixed clock) list in any order
	if want := []string{"admin:req-" + admin.ID, "reviewer:req-" + reviewer.ID}; !slices.Equal(downloads, want) {
		t.Errorf("audited downloads %q, want %q", downloads, want)
	}
}

// The sample confirmation file is uploaded once and served as it ships.
func TestConfirmationSample(t *testing.T) {
	e := newEnv(t)
	for range 2 {
		if err := submission.EnsureConfirmationSample(t.Context(), docsOf(t)); err != nil {
			t.Fatal(err)
		}
	}
	body, info, err := docsOf(t).Get(t.Context(), submission.ConfirmationKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if !bytes.Equal(b, submission.ConfirmationSample()) || info.ContentType != "application/pdf" {
		t.Errorf("stored sample: %d bytes %s", len(b), info.ContentType)
	}
	s := submission.ConfirmationSample()
	s[0] = 'X'
	if submission.ConfirmationSample()[0] != '%' {
		t.Error("ConfirmationSample hands out the shared bytes")
	}
	url, err := e.s.ConfirmationURL(t.Context())
	if err != nil || !strings.Contains(url, "confirmation-sample.pdf") {
		t.Errorf("ConfirmationURL = %q, %v", url, err)
	}
}

// The account view's status comes from the caller's function; documents are sorted slots.
func TestAccountView(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	if err := e.s.SubmitPersonal(t.Context(), u.Principal(), e.personal(t, u)); err != nil {
		t.Fatal(err)
	}
	v, err := e.s.Account(t.Context(), u.Principal(), users.Status)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != "SUBMITTED" || v.Status != 4 || !slices.Equal(v.Documents, []string{"backOfID", "frontOfID"}) || v.Attempts != 1 || v.MaxAttempts != 5 || !v.NotAuthorized {
		t.Errorf("view %+v", v)
	}
	if _, err := e.s.Account(t.Context(), kyc.Principal{UserID: "user-none", AccountID: "acct-none", Role: kyc.RoleUser}, users.Status); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("unknown user: %v", err)
	}
}

// A submission's refusals of its upload keys: each names the field, and nothing is left
// behind (the account as it was, no object under it, nothing queued), including the copy
// of a document accepted before the refused one.
func TestSubmitKeyRefusals(t *testing.T) {
	e := newEnv(t)
	u, other := e.user(t, kyc.RoleUser), e.user(t, kyc.RoleUser)
	granted, err := e.s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: "backOfID", ContentType: "image/png", ContentLength: "100"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		front, back string
		code, field string
	}{
		{"another user's key", e.upload(t, u, "frontOfID", "image/png", frontPNG), e.upload(t, other, "backOfID", "image/png", backPNG), kyc.EFORBIDDEN, "backOfID"},
		{"one key for both", "", "", kyc.EINVALID, "backOfID"},
		{"a portrait key", e.upload(t, u, "frontOfID", "image/png", frontPNG), e.upload(t, u, "portrait", "image/png", backPNG), kyc.EINVALID, "backOfID"},
		{"never uploaded", e.upload(t, u, "frontOfID", "image/png", frontPNG), granted.Key, kyc.EINVALID, "backOfID"},
		{"content not as declared", e.upload(t, u, "frontOfID", "image/png", frontPNG), e.upload(t, u, "backOfID", "image/png", filechecktest.JPEG(20, 20)), kyc.EUNSUPPORTED, "backOfID"},
		{"not an upload key", "accounts/" + u.AccountID + "/frontOfID/x", "", kyc.EINVALID, "frontOfID"},
		{"too long", "uploads/" + strings.Repeat("x", 5000), "", kyc.EINVALID, "frontOfID"},
		{"not UTF-8", "uploads/\xff\xfe", "", kyc.EINVALID, "frontOfID"},
		{"missing", e.upload(t, u, "frontOfID", "image/png", frontPNG), "", kyc.EMISSING, "backOfID"},
	}
	tests[1].front = e.upload(t, u, "frontOfID", "image/png", frontPNG)
	tests[1].back = tests[1].front
	for _, tt := range tests {
		docs := map[string]submission.Source{"frontOfID": {Key: tt.front}}
		if tt.back != "" {
			docs["backOfID"] = submission.Source{Key: tt.back}
		} else if tt.code != kyc.EMISSING {
			docs["backOfID"] = submission.Source{Key: e.upload(t, u, "backOfID", "image/png", backPNG)}
		}
		err := e.s.SubmitPersonal(t.Context(), u.Principal(), submission.PersonalInput{IDNumber: goodID, Docs: docs})
		wantErr(t, err, tt.code, tt.field)
		if a := e.account(t, u.AccountID); a.State != kyc.StateUnverified || a.Attempts != 0 || a.Version != 1 {
			t.Errorf("%s: account %s, %d attempts, version %d", tt.name, a.State, a.Attempts, a.Version)
		}
		if got := objects(t, "accounts/"+u.AccountID+"/"); len(got) != 0 {
			t.Errorf("%s: objects left: %q", tt.name, got)
		}
	}
	if q := e.queued(t); len(q) != 0 {
		t.Errorf("queued %d", len(q))
	}
	// The keys of a refused submission still work.
	in := e.personal(t, u)
	if err := e.s.SubmitPersonal(t.Context(), u.Principal(), in); err != nil {
		t.Fatalf("a good submission after the refusals: %v", err)
	}
}

// A company submission from upload keys stores both documents and queues the account;
// its organizationRegNo is stored normalised, as the identity approval claims.
func TestSubmitCompanyKeys(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	in := submission.CompanyInput{Organization: "测试科技有限公司", RegNo: " " + strings.ToLower(goodUSCC) + " ", Docs: map[string]submission.Source{
		"licence":      {Key: e.upload(t, u, "licence", "image/png", frontPNG)},
		"confirmation": {Key: e.upload(t, u, "confirmation", "image/png", backPNG)},
	}}
	if err := e.s.SubmitCompany(t.Context(), u.Principal(), in); err != nil {
		t.Fatal(err)
	}
	a := e.account(t, u.AccountID)
	if a.State != kyc.StateSubmitted || a.Type != kyc.CompanyAccount || a.Organization != "测试科技有限公司" || a.IDNumber != goodUSCC || len(a.Documents) != 2 {
		t.Errorf("account %+v", a)
	}
	want := []string{a.Documents["confirmation"].Key, a.Documents["licence"].Key}
	slices.Sort(want)
	if got := objects(t, "accounts/"+u.AccountID+"/"); !slices.Equal(got, want) {
		t.Errorf("objects %q, want %q", got, want)
	}
	if q := e.queued(t); len(q) != 1 {
		t.Errorf("queued %d, want 1", len(q))
	}
}

// organizationRegNo is required on a company submission and must be a unified social
// credit code valid in full (issue 11): each refusal names the field, is not an attempt
// and leaves nothing behind; the same keys then submit.
func TestSubmitCompanyRegNo(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	docs := map[string]submission.Source{
		"licence":      {Key: e.upload(t, u, "licence", "image/png", frontPNG)},
		"confirmation": {Key: e.upload(t, u, "confirmation", "image/png", backPNG)},
	}
	tests := []struct {
		name, regNo, code, reason string
	}{
		{"absent", "", kyc.EMISSING, "required"},
		{"blank", " \t\u3000", kyc.EMISSING, "required"},
		{"letters in the division code", "9135A100M000100Y4Y", kyc.EINVALID, "characters 3 to 8 (administrative division code) must be digits"},
		{"unknown registration authority", idchecktest.USCCAnyStructure("B1350100M000100Y4"), kyc.EINVALID, "the 1st character (registration authority code) must be one of 1-9, A, N or Y"},
		{"type the authority does not assign", idchecktest.USCCAnyStructure("94350100M000100Y4"), kyc.EINVALID, "the 2nd character (organization type code) must be 1, 2 or 3 for registration authority 9"},
		{"check character", idchecktest.WrongCheck(goodUSCC, idchecktest.USCCChars), kyc.EINVALID, "check character does not match"},
		{"15-digit registration number", "110108000000016", kyc.EINVALID, "must be the 18-character unified social credit code; a 15-digit registration number is not accepted here"},
		{"organization code", "12345678-5", kyc.EINVALID, "must contain only digits and the letters A-Z except I, O, S, V and Z"},
	}
	for _, tt := range tests {
		err := e.s.SubmitCompany(t.Context(), u.Principal(), submission.CompanyInput{Organization: "测试科技有限公司", RegNo: tt.regNo, Docs: docs})
		wantErr(t, err, tt.code, "organizationRegNo")
		var ke *kyc.Error
		if errors.As(err, &ke); ke.Reason != tt.reason {
			t.Errorf("%s: reason %q, want %q", tt.name, ke.Reason, tt.reason)
		}
		if a := e.account(t, u.AccountID); a.State != kyc.StateUnverified || a.Attempts != 0 || a.Version != 1 || a.IDNumber != "" {
			t.Errorf("%s: account %s, %d attempts, version %d, id %q", tt.name, a.State, a.Attempts, a.Version, a.IDNumber)
		}
		if got := objects(t, "accounts/"+u.AccountID+"/"); len(got) != 0 {
			t.Errorf("%s: objects left: %q", tt.name, got)
		}
		if q := e.queued(t); len(q) != 0 {
			t.Errorf("%s: queued %d", tt.name, len(q))
		}
	}
	if err := e.s.SubmitCompany(t.Context(), u.Principal(), submission.CompanyInput{Organization: "测试科技有限公司", RegNo: goodUSCC, Docs: docs}); err != nil {
		t.Fatalf("a good submission after the refusals: %v", err)
	}
	if a := e.account(t, u.AccountID); a.State != kyc.StateSubmitted || a.IDNumber != goodUSCC || a.Attempts != 1 {
		t.Errorf("account %s, id %q, %d attempts", a.State, a.IDNumber, a.Attempts)
	}
}
