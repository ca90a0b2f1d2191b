package localrun_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// docsID is GB 11643's own example of a resident ID number.
const docsID = "11010519491231002X"

// docsClient talks to the runner like an app: JSON in and out, redirects not followed.
type docsClient struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

func newDocsClient(t *testing.T, base string) *docsClient {
	return &docsClient{t: t, base: base, http: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type docsEnvelope struct {
	ErrorCode int             `json:"error_code"`
	Msg       string          `json:"msg"`
	Data      json.RawMessage `json:"data"`
}

// do sends a request to the API and returns the response with its body read.
func (c *docsClient) do(method, path, contentType string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	r, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, out
}

// json posts v and decodes the envelope, expecting status and code.
func (c *docsClient) json(method, path string, v any, status, code int) docsEnvelope {
	c.t.Helper()
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	resp, out := c.do(method, path, "application/json", body)
	var e docsEnvelope
	if err := json.Unmarshal(out, &e); err != nil || resp.StatusCode != status || e.ErrorCode != code {
		c.t.Fatalf("%s %s = %d %s, want %d / %d", method, path, resp.StatusCode, out, status, code)
	}
	return e
}

// upload asks the API for a presigned PUT and sends data straight to the store.
func (c *docsClient) upload(slot, contentType string, data []byte) string {
	c.t.Helper()
	e := c.json(http.MethodPost, "/v1/uploads", map[string]any{"slot": slot, "content_type": contentType, "content_length": len(data)}, 200, 1000)
	var g struct {
		Key, URL, Method string
		Headers          map[string]string
	}
	if err := json.Unmarshal(e.Data, &g); err != nil {
		c.t.Fatal(err)
	}
	r, _ := http.NewRequestWithContext(c.t.Context(), g.Method, g.URL, bytes.NewReader(data))
	for k, v := range g.Headers {
		if k != "Content-Length" {
			r.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("PUT %s = %d", slot, resp.StatusCode)
	}
	return g.Key
}

// keepWorkingDir puts the working directory back when the test ends. The embedded
// gateway moves the process into its data root under t.TempDir(), which is removed at the
// end of the test; later tests that start processes (the emulated runner's fauxqs) would
// inherit a working directory that no longer exists.
func keepWorkingDir(t *testing.T) { t.Chdir(".") }

// A user registered with the SMS code from the outbox uploads both sides of an ID card
// with presigned PUTs, submits the keys, and the worker fed by the runner's event source
// moves the account to PENDING_REVIEW; the download is the very bytes uploaded.
func TestRunnerDocumentsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	keepWorkingDir(t)
	var out testenv.SyncBuffer // the reconciler logs from its own goroutine
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-docs", Out: &out})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Close()
	c := newDocsClient(t, r.APIURL)

	const phone, pw = "13800138000", "a fine passphrase"
	c.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": phone, "purpose": kyc.PurposeRegister}, 200, 1000)
	code, err := localsms.LastCode(filepath.Join(dir, "outbox", "sms.jsonl"), phone, kyc.PurposeRegister)
	if err != nil {
		t.Fatalf("LastCode: %v", err)
	}
	e := c.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": phone, "code": code, "password": pw}, 201, 1000)
	var reg struct{ Token string }
	if err := json.Unmarshal(e.Data, &reg); err != nil || reg.Token == "" {
		t.Fatalf("register data %s", e.Data)
	}
	c.token = reg.Token

	front, back := filechecktest.JPEG(320, 200), filechecktest.PNG(320, 200)
	keys := map[string]string{
		"ID_number": docsID,
		"frontOfID": c.upload("frontOfID", "image/jpeg", front),
		"backOfID":  c.upload("backOfID", "image/png", back),
	}
	c.json(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", keys, 200, 12001)

	var acct struct {
		ID, State string
		Documents []string
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e := c.json(http.MethodGet, "/v1/account", nil, 200, 1000)
		if err := json.Unmarshal(e.Data, &acct); err != nil {
			t.Fatal(err)
		}
		if acct.State == string(kyc.StatePendingReview) {
			break
		}
		if acct.State != string(kyc.StateSubmitted) || time.Now().After(deadline) {
			t.Fatalf("account is %s, want SUBMITTED then PENDING_REVIEW within 5 s", acct.State)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for slot, want := range map[string][]byte{"FrontOfID": front, "BackOfID": back} {
		resp, body := c.do(http.MethodGet, "/v1/cms/account/"+acct.ID+"/downloadAuth"+slot, "", nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("download %s = %d %s, want 302", slot, resp.StatusCode, body)
		}
		got, err := http.Get(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if got.StatusCode != 200 || !bytes.Equal(b, want) {
			t.Errorf("download %s: %d, %d bytes; want 200 and the %d bytes uploaded", slot, got.StatusCode, len(b), len(want))
		}
	}
}

// bodyCounter wraps the functions' handlers and records, per route, the request body
// bytes each function received (decoded from base64 when API Gateway encoded it) and the
// size of the invocation payload (the proxy event as JSON, which is what Lambda's 6 MB
// limit applies to).
type bodyCounter struct {
	mu      sync.Mutex
	body    map[string]int
	payload map[string]int
}

type countingHandler struct {
	next lambda.Handler
	c    *bodyCounter
}

func (h countingHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err == nil && ev.Resource != "" {
		n := len(ev.Body)
		if ev.IsBase64Encoded {
			if b, err := base64.StdEncoding.DecodeString(ev.Body); err == nil {
				n = len(b)
			}
		}
		key := ev.HTTPMethod + " " + ev.Resource
		h.c.mu.Lock()
		h.c.body[key] += n
		h.c.payload[key] += len(payload)
		h.c.mu.Unlock()
	}
	return h.next.Invoke(ctx, payload)
}

func (c *bodyCounter) take() (body, payload map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	body, payload = c.body, c.payload
	c.body, c.payload = map[string]int{}, map[string]int{}
	return body, payload
}

// How many bytes of a personal submission pass through the API's functions: with
// presigned uploads only small JSON bodies (the files go straight to S3), with the seed's
// multipart form the whole files (base64-encoded in the invocation payload on top).
func TestSubmissionBytesThroughFunctions(t *testing.T) {
	ctx := t.Context()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	keepWorkingDir(t)
	b, err := localrun.StartEmbedded(ctx, dir, log)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	defer b.Close()
	svc := b.Services
	counter := &bodyCounter{body: map[string]int{}, payload: map[string]int{}}
	handlers := map[string]lambda.Handler{}
	for id, h := range lambdafn.Handlers(svc) {
		handlers[id] = countingHandler{next: h, c: counter}
	}
	srv := httptest.NewServer(localrun.APIGateway(handlers, log))
	defer srv.Close()

	// Users are made in the store: this test is about bytes, not passwords.
	newUser := func(n string) *docsClient {
		u := kyc.User{ID: "user-" + n, Phone: "phone-" + n, PasswordHash: "h", Role: kyc.RoleUser, AccountID: "acct-" + n, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if _, err := svc.Store.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		token, err := svc.Store.SealToken(u.Principal(), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Store.PutSession(ctx, kyc.Session{TokenHash: users.HashToken(token), UserID: u.ID, AccountID: u.AccountID, Role: u.Role, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		c := newDocsClient(t, srv.URL)
		c.token = token
		return c
	}
	// Photos of an ID card's two sides, of a realistic size for a phone upload.
	front, back := filechecktest.JPEG(1600, 1000), filechecktest.JPEG(1600, 1001)
	files := len(front) + len(back)
	const submitRoute = "POST /v1/cms/account/uploadPersonalLicence"
	counter.take()

	// Presigned path: two upload requests, two PUTs to S3, one JSON submission.
	c := newUser("presigned")
	keys := map[string]string{"ID_number": docsID, "frontOfID": c.upload("frontOfID", "image/jpeg", front), "backOfID": c.upload("backOfID", "image/jpeg", back)}
	c.json(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", keys, 200, 12001)
	preBody, prePayload := counter.take()

	// Multipart path: one request carrying both files.
	c = newUser("multipart")
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("ID_number", docsID)
	for _, f := range []struct {
		name string
		data []byte
	}{{"frontOfID", front}, {"backOfID", back}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.name+`"; filename="`+f.name+`.jpg"`)
		h.Set("Content-Type", "image/jpeg")
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(f.data)
	}
	_ = mw.Close()
	resp, out := c.do(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", mw.FormDataContentType(), form.Bytes())
	if resp.StatusCode != 200 || !bytes.Contains(out, []byte(`"error_code":12001`)) {
		t.Fatalf("multipart submission = %d %s", resp.StatusCode, out)
	}
	mpBody, mpPayload := counter.take()

	t.Logf("files: front %d + back %d = %d bytes", len(front), len(back), files)
	t.Logf("presigned path (2 x POST /v1/uploads, 2 x PUT to S3, 1 submission), request body bytes received per route (invocation payload):")
	total := 0
	for _, route := range slices.Sorted(maps.Keys(preBody)) {
		t.Logf("  %-45s %7d B (%d B)", route, preBody[route], prePayload[route])
		total += preBody[route]
	}
	t.Logf("  total through functions: %d B; the files (%d B) went straight to S3", total, files)
	t.Logf("multipart path:")
	for _, route := range slices.Sorted(maps.Keys(mpBody)) {
		t.Logf("  %-45s %7d B (%d B)", route, mpBody[route], mpPayload[route])
	}

	if n := preBody[submitRoute]; n == 0 || n >= 1024 {
		t.Errorf("presigned submission body %d B, want the JSON keys only (< 1 KB)", n)
	}
	if total >= 2048 {
		t.Errorf("presigned path sent %d B through the functions, want only small JSON bodies", total)
	}
	if n := mpBody[submitRoute]; n < files {
		t.Errorf("multipart submission body %d B, want at least the %d B of files", n, files)
	}
	if n := mpPayload[submitRoute]; n < files*4/3 {
		t.Errorf("multipart invocation payload %d B, want the files base64-encoded (>= %d B)", n, files*4/3)
	}
	for _, id := range []string{"acct-presigned", "acct-multipart"} {
		if a, err := svc.Store.GetAccount(ctx, id); err != nil || a.State != kyc.StateSubmitted || len(a.Documents) != 2 {
			t.Errorf("%s: %s with %d documents, %v", id, a.State, len(a.Documents), err)
		}
	}
}
