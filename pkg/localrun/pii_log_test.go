package localrun_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/password"
)

// piiLog is a log sink safe for the concurrent writes of the runner's servers, worker
// and event source.
type piiLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *piiLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *piiLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// captureStdio tees what the process writes through os.Stdout and os.Stderr (VersityGW
// prints there, not to the runner's log) into a buffer until the returned stop is called,
// which restores both and returns what was written. Output still reaches the terminal.
// Only the sequential part of the test binary may call it: nothing else may use
// os.Stdout or os.Stderr meanwhile.
func captureStdio(t *testing.T) (stop func() string) {
	t.Helper()
	var (
		captured piiLog
		wg       sync.WaitGroup
		restore  []func()
	)
	for _, f := range []**os.File{&os.Stdout, &os.Stderr} {
		orig := *f
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		*f = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(io.MultiWriter(&captured, orig), r)
			r.Close()
		}()
		restore = append(restore, func() { *f = orig; w.Close() })
	}
	var once sync.Once
	stop = func() string {
		once.Do(func() {
			for _, f := range restore {
				f()
			}
			wg.Wait()
		})
		return captured.String()
	}
	t.Cleanup(func() { stop() })
	return stop
}

// piiResidentID completes 17 digits with the GB 11643 check character.
func piiResidentID(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// piiUSCC completes 17 characters with the GB 32100 check character.
func piiUSCC(first17 string) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		sum += strings.IndexByte(chars, first17[i]) * w
	}
	return first17 + string(chars[(31-sum%31)%31])
}

// jsonEscaped is s with every non-ASCII rune written as a JSON \u escape, the way an
// ASCII-only encoder would log it.
func jsonEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		b.WriteString(strings.TrimPrefix(strings.TrimSuffix(fmt.Sprintf("%+q", string(r)), `"`), `"`))
	}
	return b.String()
}

// The whole product through the local runner, as the app, a reviewer and an operator use
// it, with every log line the runner writes (and everything the process prints) captured:
// none of the personal data and secrets that went through it may appear there. The
// phones (bare, so also with +86 or 0086, and dashed), the ID number and its last 8
// characters, the company's registration number, the person's and the company's names
// (also \u-escaped), every SMS code of the outbox, every token issued, every presigned
// URL's signature (and any X-Amz-Signature at all) and the passwords are searched for.
// The flow: sms-code, register (+86 and 0086 phones), login, me, presigned uploads and a
// personal submission, the worker to PENDING_REVIEW, GrantRole (and a failing async
// GrantRole), the reviewer's lists, detail, download and approval, failed logins (wrong
// password, unknown phone), a multipart company submission checked by the worker, a
// password reset and a login with the new password, logout.
func TestRunnerLogsHaveNoPII(t *testing.T) {
	const (
		userPhone     = "13812345671"
		reviewerPhone = "13912345672"
		companyPhone  = "13712345673"
		unknownPhone  = "13612345674" // never registered: a failed login and GrantRole name it
		resetPhone    = "13512345675"
		password1     = "correct horse battery staple"
		wrongPassword = "incorrect horse battery staple"
		newPassword   = "a brand new secret passphrase"
		personName    = "司马相如"
		companyName   = "深圳市隐私测试科技有限公司"
	)
	idNumber := piiResidentID("44030619870512531")
	regNo := piiUSCC("91440300MA5P0JW7K")

	dir := t.TempDir()
	keepWorkingDir(t)
	stopStdio := captureStdio(t)
	var logs piiLog
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-pii", Out: &logs})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	closeRunner := sync.OnceFunc(r.Close)
	defer closeRunner()
	outbox := filepath.Join(dir, "outbox", "sms.jsonl")

	var tokens, signatures []string
	keepToken := func(data json.RawMessage) string {
		t.Helper()
		var d struct{ Token string }
		if err := json.Unmarshal(data, &d); err != nil || d.Token == "" {
			t.Fatalf("no token in %s", data)
		}
		tokens = append(tokens, d.Token)
		return d.Token
	}
	keepSignature := func(rawURL string) {
		t.Helper()
		u, err := url.Parse(rawURL)
		if err != nil || u.Query().Get("X-Amz-Signature") == "" {
			t.Fatalf("%q is not a presigned URL", rawURL)
		}
		signatures = append(signatures, u.Query().Get("X-Amz-Signature"))
	}
	upload := func(c *docsClient, slot, contentType string, data []byte) string {
		t.Helper()
		e := c.json(http.MethodPost, "/v1/uploads", map[string]any{"slot": slot, "content_type": contentType, "content_length": len(data)}, 200, 1000)
		var g struct {
			Key, URL, Method string
			Headers          map[string]string
		}
		if err := json.Unmarshal(e.Data, &g); err != nil {
			t.Fatal(err)
		}
		keepSignature(g.URL)
		req, _ := http.NewRequestWithContext(t.Context(), g.Method, g.URL, bytes.NewReader(data))
		for k, v := range g.Headers {
			if k != "Content-Length" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s = %d", slot, resp.StatusCode)
		}
		return g.Key
	}
	// register signs phone up the way the app does, the phone written as sent.
	register := func(sentPhone, phone string) *docsClient {
		t.Helper()
		c := newDocsClient(t, r.APIURL)
		c.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": sentPhone, "purpose": kyc.PurposeRegister}, 200, 1000)
		code, err := localsms.LastCode(outbox, phone, kyc.PurposeRegister)
		if err != nil {
			t.Fatalf("LastCode: %v", err)
		}
		e := c.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": sentPhone, "code": code, "password": password1}, 201, 1000)
		c.token = keepToken(e.Data)
		return c
	}

	// A user registers (phone with +86), logs in, reads the profile and submits a
	// personal verification with presigned uploads.
	user := register("+86"+userPhone, userPhone)
	e := user.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": userPhone, "password": password1}, 200, 1000)
	user.token = keepToken(e.Data)
	user.me()
	front, back := filechecktest.PNG(320, 200), filechecktest.PNG(320, 201)
	user.json(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", map[string]string{"ID_number": idNumber, "name": personName,
		"frontOfID": upload(user, "frontOfID", "image/png", front), "backOfID": upload(user, "backOfID", "image/png", back)}, 200, 12001)
	acct, _ := user.waitAccount(5 * time.Second)
	if acct.State != string(kyc.StatePendingReview) {
		t.Fatalf("account %+v, want PENDING_REVIEW", acct)
	}

	// An operator makes a reviewer with the GrantRole function (the phone is in the
	// invocation's payload).
	rev := register("0086"+reviewerPhone, reviewerPhone)
	fn, _ := lambdafn.Lookup(lambdafn.GrantRole)
	resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/"+fn.LogicalID+"/invocations", "application/json",
		strings.NewReader(`{"phone":"`+reviewerPhone+`","role":"reviewer"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"reviewer"`) {
		t.Fatalf("GrantRole = %d %s", resp.StatusCode, body)
	}
	// An operator's typo, invoked asynchronously: the function fails and the runner logs
	// the error (the one log path that prints an error's text for a 4xx-like failure).
	areq, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.InvokeURL+"/2015-03-31/functions/"+fn.LogicalID+"/invocations",
		strings.NewReader(`{"phone":"`+unknownPhone+`","role":"admin"}`))
	areq.Header.Set("X-Amz-Invocation-Type", "Event")
	if resp, err := http.DefaultClient.Do(areq); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("async GrantRole: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), `"msg":"async invoke failed"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the failed async GrantRole was not logged:\n%s", logs.String())
		}
	}

	// The grant ended the reviewer's sessions as a user: the reviewer logs in again.
	e = rev.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": reviewerPhone, "password": password1}, 200, 1000)
	rev.token = keepToken(e.Data)

	// The reviewer lists (the list shows name, phone and ID number masked), reads the
	// detail (full values), downloads the front of the ID card and approves.
	if lresp, lbody := rev.do(http.MethodGet, "/v1/cms/account/getUnAuthoredPersonalAccount", "", nil); lresp.StatusCode != 200 ||
		!strings.Contains(string(lbody), kyc.MaskName(personName)) || strings.Contains(string(lbody), personName) {
		t.Fatalf("list = %d %s", lresp.StatusCode, lbody)
	}
	if dresp, dbody := rev.do(http.MethodGet, "/v1/cms/account/"+acct.ID, "", nil); dresp.StatusCode != 200 || !strings.Contains(string(dbody), idNumber) {
		t.Fatalf("detail = %d %s", dresp.StatusCode, dbody)
	}
	dresp, dbody := rev.do(http.MethodGet, "/v1/cms/account/"+acct.ID+"/downloadAuthFrontOfID", "", nil)
	if dresp.StatusCode != http.StatusFound {
		t.Fatalf("download = %d %s", dresp.StatusCode, dbody)
	}
	keepSignature(dresp.Header.Get("Location"))
	if got, err := http.Get(dresp.Header.Get("Location")); err != nil || got.StatusCode != 200 {
		t.Fatalf("presigned download: %v %v", got, err)
	} else {
		got.Body.Close()
	}
	rev.json(http.MethodPost, "/v1/cms/account/"+acct.ID+"/authorizeAccount", nil, 200, 12001)

	// Failed logins: a wrong password, and a phone nobody registered.
	anon := newDocsClient(t, r.APIURL)
	anon.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": userPhone, "password": wrongPassword}, 401, 1010)
	anon.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": unknownPhone, "password": wrongPassword}, 401, 1010)

	// A company submits with the seed's multipart form; the worker checks it.
	comp := register(companyPhone, companyPhone)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("organization", companyName)
	_ = mw.WriteField("organizationRegNo", regNo)
	for _, f := range []struct {
		field, name, ctype string
		data               []byte
	}{{"licence", "营业执照-" + companyName + ".png", "image/png", filechecktest.PNG(400, 300)}, {"confirmation", "确认书.pdf", "application/pdf", filechecktest.PDF("")}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.ctype)
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(f.data)
	}
	_ = mw.Close()
	if cresp, cbody := comp.do(http.MethodPost, "/v1/cms/account/uploadCompanyLicense", mw.FormDataContentType(), form.Bytes()); cresp.StatusCode != 200 || !strings.Contains(string(cbody), `"error_code":12000`) {
		t.Fatalf("company submission = %d %s", cresp.StatusCode, cbody)
	}
	if a, _ := comp.waitAccount(5 * time.Second); a.State != string(kyc.StatePendingReview) {
		t.Fatalf("company account %+v, want PENDING_REVIEW", a)
	}
	if lresp, lbody := rev.do(http.MethodGet, "/v1/cms/account/getUnAuthoredCompanyAccount", "", nil); lresp.StatusCode != 200 || !strings.Contains(string(lbody), companyName) {
		t.Fatalf("company list = %d %s", lresp.StatusCode, lbody)
	}

	// A user resets the password with an SMS code and logs in with the new one. It is a
	// user made in the store (as by an earlier run): the phones registered above got a
	// code less than a minute ago, and a second one would be refused (429).
	hash, err := password.Hash(password1, password.OWASP())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := r.Services.Store.CreateUser(t.Context(),
		kyc.User{ID: "user-reset", Phone: resetPhone, PasswordHash: hash, Role: kyc.RoleUser, AccountID: "acct-reset", CreatedAt: now, UpdatedAt: now},
		kyc.Account{ID: "acct-reset", OwnerID: "user-reset", Type: kyc.PersonalAccount, Tel: resetPhone, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	anon.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": resetPhone, "purpose": kyc.PurposeResetPassword}, 200, 1000)
	code, err := localsms.LastCode(outbox, resetPhone, kyc.PurposeResetPassword)
	if err != nil {
		t.Fatalf("LastCode: %v", err)
	}
	anon.json(http.MethodPost, "/v1/user/password/reset", map[string]string{"phone": resetPhone, "code": code, "new_password": newPassword}, 200, 1000)
	e = anon.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": resetPhone, "password": newPassword}, 200, 1000)
	keepToken(e.Data)

	// The reviewer logs out; the token is dead.
	rev.json(http.MethodPost, "/v1/user/logout", nil, 200, 1000)
	rev.json(http.MethodGet, "/v1/user/me", nil, 401, 999)

	// Stop everything, so that every line is written.
	closeRunner()
	stdio := stopStdio()
	logText := logs.String()

	// The logs were captured: one JSON record per line, a request record per route
	// called, with its status and the Lambda request id, and the worker's records.
	routes := map[string][]int{}
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(logText))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var rec struct {
			Time, Level, Msg, Route, RequestID string
			Status                             int
		}
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Errorf("log line %d is not a JSON record: %q", n, sc.Text())
			continue
		}
		_ = json.Unmarshal(sc.Bytes(), &rec)
		if rec.Time == "" || rec.Level == "" || rec.Msg == "" {
			t.Errorf("log line %d lacks time, level or msg: %s", n, sc.Text())
		}
		msgs = append(msgs, rec.Msg)
		if rec.Msg == "request" {
			routes[rec.Route] = append(routes[rec.Route], rec.Status)
			if raw["request_id"] == nil {
				t.Errorf("request record without request_id: %s", sc.Text())
			}
		}
	}
	wantRoutes := map[string]int{ // route -> a status it must have logged
		"sms-code": 200, "register": 201, "login": 401, "me": 401, "uploads": 200, "upload-personal-licence": 200,
		"account": 200, "get-unauthored-personal-account": 200, "get-unauthored-company-account": 200, "account-detail": 200,
		"download-auth-front-of-id": 302, "authorize-account": 200, "upload-company-license": 200, "password-reset": 200, "logout": 200,
	}
	for route, status := range wantRoutes {
		if !slices.Contains(routes[route], status) {
			t.Errorf("no request record of %s with status %d (have %v): the logs were not captured as expected", route, status, routes[route])
		}
	}
	for _, m := range []string{"sms sent", "user registered", "submitted", "review decision", "reviewer download", "password reset", "role set", "async invoke failed"} {
		if !slices.Contains(msgs, m) {
			t.Errorf("no %q record in the logs", m)
		}
	}
	if t.Failed() {
		t.Logf("runner log:\n%s", logText)
	}

	// What must not be there.
	secrets := map[string]string{}
	for _, p := range []string{userPhone, reviewerPhone, companyPhone, unknownPhone, resetPhone} {
		secrets["phone "+p] = p
		secrets["phone +86"+p] = "+86" + p
		secrets["phone 0086"+p] = "0086" + p
		secrets["phone 86"+p] = "86" + p
		secrets["phone "+p+" as 138-1234-5671"] = p[:3] + "-" + p[3:7] + "-" + p[7:]
	}
	secrets["ID number"] = idNumber
	secrets["ID number, last 8"] = idNumber[len(idNumber)-8:]
	secrets["company registration number"] = regNo
	for label, name := range map[string]string{"person's name": personName, "company name": companyName} {
		secrets[label] = name
		secrets[label+" (\\u-escaped)"] = jsonEscaped(name)
	}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("token %d", i)] = tok
	}
	for i, sig := range signatures {
		secrets[fmt.Sprintf("presigned URL signature %d", i)] = sig
	}
	secrets["a presigned URL"] = "X-Amz-Signature"
	for label, pw := range map[string]string{"password": password1, "wrong password": wrongPassword, "new password": newPassword} {
		secrets[label] = pw
	}
	// SMS codes are short digit strings: searched as whole numbers, so that a duration
	// or a timestamp that happens to contain the digits does not count.
	codes := map[string]*regexp.Regexp{}
	data, err := os.ReadFile(outbox)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		var entry localsms.Entry
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Code == "" {
			t.Fatalf("outbox line %q: %v", line, err)
		}
		codes[entry.Purpose+" code to "+entry.Phone[:3]+"…"] = regexp.MustCompile(`(^|[^0-9])` + regexp.QuoteMeta(entry.Code) + `([^0-9]|$)`)
	}
	if len(codes) != 4 || len(tokens) != 6 || len(signatures) != 3 {
		t.Fatalf("collected %d SMS codes, %d tokens, %d signatures; want 4, 6, 3", len(codes), len(tokens), len(signatures))
	}

	for _, out := range []struct{ name, text string }{{"the runner's log", logText}, {"stdout/stderr", stdio}} {
		for i, line := range strings.Split(out.text, "\n") {
			for label, s := range secrets {
				if strings.Contains(line, s) {
					t.Errorf("%s, line %d, has the %s: %s", out.name, i+1, label, line)
				}
			}
			for label, re := range codes {
				if re.MatchString(line) {
					t.Errorf("%s, line %d, has the %s: %s", out.name, i+1, label, line)
				}
			}
		}
	}
	t.Logf("scanned %d bytes of runner log (%d records, requests of %d routes) and %d bytes of stdout/stderr for %d values and %d SMS codes",
		len(logText), len(msgs), len(routes), len(stdio), len(secrets), len(codes))
}
