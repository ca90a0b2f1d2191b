package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// docFixture is the API over the DynamoDB store on a fresh dynoxide table, the shared embedded S3 gateway and a
// fresh in-process queue, with cheap password hashing.
type docFixture struct {
	*fixture
	mux   http.Handler
	queue *localqueue.Queue
}

func newDocFixture(t *testing.T) *docFixture {
	t.Helper()
	f := newFixture(t)
	q := localqueue.New(localqueue.Options{})
	f.svc.Docs, f.svc.Queue = sharedDocs(t), q
	f.svc.Backends.Documents, f.svc.Backends.Queue = "embedded (VersityGW)", "in-process"
	f.svc.PasswordParams = cheapParams
	return &docFixture{fixture: f, mux: muxOf(t, f.svc), queue: q}
}

// docUser is a user with a live session.
type docUser struct {
	ID, AccountID, Token string
}

func (d *docFixture) newUser(t *testing.T, role kyc.Role) docUser {
	t.Helper()
	id := d.user(t, role)
	u, err := d.store.GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return docUser{ID: id, AccountID: u.AccountID, Token: d.session(t, id, time.Hour)}
}

// call sends one request with a JSON body (nil for none) through the mux.
func (d *docFixture) call(t *testing.T, method, path, token string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	return d.callRaw(t, method, path, token, "application/json", r)
}

func (d *docFixture) callRaw(t *testing.T, method, path, token, contentType string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), method, path, body)
	if body != nil {
		r.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return serve(d.mux, r)
}

// wantEnvelope checks status and error_code, and the field named in data unless field is
// "". 5xx answers must not leak internals.
func wantEnvelope(t *testing.T, w *httptest.ResponseRecorder, status, code int, field string) envelopeJSON {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d: %s", w.Code, status, w.Body)
	}
	e := envelopeOf(t, w)
	if e.ErrorCode != code || e.Msg == "" {
		t.Fatalf("envelope = %s, want error_code %d and a message", w.Body, code)
	}
	if field != "" {
		var fd fieldData
		if err := json.Unmarshal(e.Data, &fd); err != nil || fd.Field != field {
			t.Fatalf("data = %s, want field %q", e.Data, field)
		}
	}
	return e
}

// grantJSON is POST /v1/uploads's data.
type grantJSON struct {
	Key       string            `json:"key"`
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

func (d *docFixture) grant(t *testing.T, token, slot, contentType string, length int) grantJSON {
	t.Helper()
	w := d.call(t, http.MethodPost, "/v1/uploads", token, map[string]any{"slot": slot, "content_type": contentType, "content_length": length})
	e := wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	var g grantJSON
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("grant %s: %v", e.Data, err)
	}
	return g
}

// put sends body to a presigned upload the way a plain HTTP client would, with the
// grant's headers and then the overrides, and returns the status: -1 if the store cut
// the connection while the body was being sent.
func put(t *testing.T, g grantJSON, body []byte, override map[string]string) int {
	t.Helper()
	code, _ := putBody(t, g, body, override)
	return code
}

// putBody is put that also returns the store's answer.
func putBody(t *testing.T, g grantJSON, body []byte, override map[string]string) (int, string) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), g.Method, g.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range g.Headers {
		if k != "Content-Length" { // net/http sends the body's own length
			r.Header.Set(k, v)
		}
	}
	for k, v := range override {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		// The store answered and closed before reading a body it refused; the answer is
		// lost with the connection.
		return -1, err.Error()
	}
	if err != nil {
		t.Fatalf("PUT: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// upload asks for a presigned upload of data into slot, PUTs it and returns the key.
func (d *docFixture) upload(t *testing.T, token, slot string, data []byte) string {
	t.Helper()
	g := d.grant(t, token, slot, sniffType(t, data), len(data))
	if code := put(t, g, data, nil); code != http.StatusOK {
		t.Fatalf("PUT of %s = %d, want 200", slot, code)
	}
	return g.Key
}

func sniffType(t *testing.T, data []byte) string {
	t.Helper()
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		return "image/png"
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte("%PDF")):
		return "application/pdf"
	}
	t.Fatalf("test data of unknown type")
	return ""
}

// The files of a personal and a company submission; each differs from the others.
var (
	frontPNG = filechecktest.PNG(64, 40)
	backPNG  = filechecktest.PNG(64, 41)
	licPNG   = filechecktest.PNG(80, 60)
	confPDF  = filechecktest.PDF("")
)

// personalKeys uploads the two sides of an ID card and returns the JSON submission.
func (d *docFixture) personalKeys(t *testing.T, u docUser) map[string]string {
	t.Helper()
	return map[string]string{"ID_number": goodID, "name": "张三", "frontOfID": d.upload(t, u.Token, "frontOfID", frontPNG), "backOfID": d.upload(t, u.Token, "backOfID", backPNG)}
}

// submitPersonal submits a personal verification from fresh uploads and expects 12001.
func (d *docFixture) submitPersonal(t *testing.T, u docUser) {
	t.Helper()
	w := d.call(t, http.MethodPost, "/v1/cms/account/uploadPersonalLicence", u.Token, d.personalKeys(t, u))
	wantEnvelope(t, w, http.StatusOK, CodePersonalAccepted, "")
}

func (d *docFixture) account(t *testing.T, id string) kyc.Account {
	t.Helper()
	a, err := d.store.GetAccount(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// move applies a transition to the stored account, as the worker or a reviewer would.
func (d *docFixture) move(t *testing.T, id string, to kyc.State, rt kyc.RejectType) kyc.Account {
	t.Helper()
	a := d.account(t, id)
	next := a
	next.State, next.RejectType = to, rt
	if to == kyc.StateRejected {
		next.Reasons = []string{"test"}
	}
	out, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: id, At: d.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: to}})
	if err != nil {
		t.Fatalf("Transition %s -> %s: %v", a.State, to, err)
	}
	return out
}

// objects lists the keys under prefix in the shared bucket.
func objects(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(testenv.S3Client(t), &s3.ListObjectsV2Input{Bucket: aws.String(docsBucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	slices.Sort(keys)
	return keys
}

func accountPrefix(id string) string { return "accounts/" + id + "/" }

// queued receives and deletes every message on the queue.
func (d *docFixture) queued(t *testing.T) []kyc.ReviewMessage {
	t.Helper()
	var out []kyc.ReviewMessage
	for {
		msgs, err := d.queue.Receive(t.Context(), 10, 0)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			var rm kyc.ReviewMessage
			dec := json.NewDecoder(strings.NewReader(m.Body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rm); err != nil {
				t.Fatalf("queue message %q: %v", m.Body, err)
			}
			out = append(out, rm)
			if err := d.queue.Delete(t.Context(), m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// snapshot is what a refused request must leave as it was.
type snapshot struct {
	account kyc.Account
	objects []string
}

func (d *docFixture) snapshot(t *testing.T, accountID string) snapshot {
	t.Helper()
	return snapshot{account: d.account(t, accountID), objects: objects(t, accountPrefix(accountID))}
}

// wantUnchanged checks that nothing is left behind by a refused request: the account is
// as it was (not even its version moved), no object was added under accounts/<id>/, and
// nothing was queued.
func (d *docFixture) wantUnchanged(t *testing.T, accountID string, before snapshot) {
	t.Helper()
	if a := d.account(t, accountID); !reflect.DeepEqual(a, before.account) {
		t.Errorf("account changed:\n got %+v\nwant %+v", a, before.account)
	}
	if got := objects(t, accountPrefix(accountID)); !slices.Equal(got, before.objects) {
		t.Errorf("objects under %s = %q, want %q", accountPrefix(accountID), got, before.objects)
	}
	if q := d.queued(t); len(q) != 0 {
		t.Errorf("queued %+v, want nothing", q)
	}
}

// fetch GETs a presigned URL with a plain client.
func fetch(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET presigned URL: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// formFile is one file part of a multipart form.
type formFile struct {
	field, filename, contentType string
	data                         []byte
}

// multipartBody builds the seed's multipart/form-data body and returns it with its
// Content-Type.
func multipartBody(t *testing.T, values map[string]string, files ...formFile) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if err := mw.WriteField(k, values[k]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="` + f.field + `"; filename="` + f.filename + `"`}
		h["Content-Type"] = []string{f.contentType}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r += '０' - '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var (
	goodID   = idchecktest.ResidentID("11010519491231002") // GB 11643's own example, 11010519491231002X
	goodUSCC = idchecktest.USCC("91350100M000100Y4")
)

var errQueueDown = errors.New("sqs: SendMessage https://sqs.internal.example/123456789012/review: connection reset")

// toggleQueue is the fixture's queue that fails every Send while fail is set, with an
// error full of internals that must not reach the client.
type toggleQueue struct {
	kyc.Queue
	fail atomic.Bool
}

func (q *toggleQueue) Send(ctx context.Context, body string) (string, error) {
	if q.fail.Load() {
		return "", errQueueDown
	}
	return q.Queue.Send(ctx, body)
}
