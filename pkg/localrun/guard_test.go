package localrun_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/testenv"
)

type guardResult struct {
	status int
	header http.Header
	body   []byte
}

// guardSend sends one request with Host host (the connection still goes to rawURL's address)
// and the given headers.
func guardSend(t *testing.T, method, rawURL, host string, header map[string]string, body string) guardResult {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return guardResult{status: resp.StatusCode, header: resp.Header, body: b}
}

// wantAPIRefusal checks the API's 403 envelope (error_code 1020) naming field.
func wantAPIRefusal(t *testing.T, res guardResult, field string) {
	t.Helper()
	var env struct {
		ErrorCode *int              `json:"error_code"`
		Msg       string            `json:"msg"`
		Data      map[string]string `json:"data"`
	}
	if err := json.Unmarshal(res.body, &env); err != nil || env.ErrorCode == nil {
		t.Fatalf("status %d, body is not an envelope: %v\n%s", res.status, err, res.body)
	}
	if res.status != http.StatusForbidden || *env.ErrorCode != 1020 || env.Msg == "" || env.Data["field"] != field {
		t.Errorf("= %d %s, want 403 with error_code 1020 naming %s", res.status, res.body, field)
	}
}

// wantLambdaError checks a Lambda API error of type typ.
func wantLambdaError(t *testing.T, res guardResult, status int, typ string) {
	t.Helper()
	var e map[string]string
	_ = json.Unmarshal(res.body, &e)
	if res.status != status || res.header.Get("X-Amzn-ErrorType") != typ || e["__type"] != typ || e["Message"] == "" {
		t.Errorf("= %d %q %s, want %d %s", res.status, res.header.Get("X-Amzn-ErrorType"), res.body, status, typ)
	}
}

// Issue 11: a web page the developer visits must not reach the runner. Against the
// running runner: a rebinding Host, a foreign Origin (and "null") and a form-encoded or
// text invocation are refused on the servers they concern, and GrantRole has not run;
// the same requests addressed to loopback, with or without a loopback Origin, with the
// Content-Types the AWS CLI (none), the SDKs (application/octet-stream) and curl -H
// 'Content-Type: application/json' send, still work.
func TestRunnerGuard(t *testing.T) {
	r := startRunner(t, t.TempDir())
	defer r.Close()
	ctx := t.Context()
	const phone = "13800138000"
	u := kyc.User{ID: "user-guard", Phone: phone, PasswordHash: "h", Role: kyc.RoleUser, AccountID: "acct-guard"}
	if _, err := r.Services.Store.CreateUser(ctx, u, kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	role := func() kyc.Role {
		t.Helper()
		got, err := r.Services.Store.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Role
	}
	grantFn, _ := lambdafn.Lookup(lambdafn.GrantRole)
	grantURL := r.InvokeURL + "/2015-03-31/functions/" + grantFn.LogicalID + "/invocations"
	healthURL := r.APIURL + "/v1/health"
	apiHost := strings.TrimPrefix(r.APIURL, "http://")
	invokeHost := strings.TrimPrefix(r.InvokeURL, "http://")
	_, apiPort, _ := strings.Cut(apiHost, ":")
	_, invokePort, _ := strings.Cut(invokeHost, ":")
	const grantAdmin = `{"phone":"13800138000","role":"admin"}`

	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			host   string
			header map[string]string
		}{
			{"rebinding Host", "evil.example:" + invokePort, map[string]string{"Content-Type": "application/json"}},
			{"rebinding Host without port", "evil.example", nil},
			{"name under .localhost", "app.localhost:" + invokePort, nil},
			{"foreign Origin", "", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}},
			{"foreign Origin with a loopback-looking name", "", map[string]string{"Origin": "http://localhost.evil.example:" + invokePort}},
			{"Origin null", "", map[string]string{"Origin": "null"}},
			{"rebound page: its Host and its Origin", "evil.example:" + invokePort, map[string]string{"Origin": "http://evil.example:" + invokePort}},
		} {
			t.Run("invoke: "+tt.name, func(t *testing.T) {
				res := guardSend(t, http.MethodPost, grantURL, tt.host, tt.header, grantAdmin)
				wantLambdaError(t, res, http.StatusForbidden, "AccessDeniedException")
				if got := role(); got != kyc.RoleUser {
					t.Fatalf("GrantRole ran: role %s", got)
				}
			})
			t.Run("api: "+tt.name, func(t *testing.T) {
				host := strings.ReplaceAll(tt.host, invokePort, apiPort)
				h := map[string]string{}
				for k, v := range tt.header {
					h[k] = strings.ReplaceAll(v, invokePort, apiPort)
				}
				field := "Origin"
				if tt.host != "" {
					field = "Host"
				}
				wantAPIRefusal(t, guardSend(t, http.MethodGet, healthURL, host, h, ""), field)
			})
		}
		for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain;charset=UTF-8", "multipart/form-data; boundary=x", " Text/Plain "} {
			t.Run("invoke: Content-Type "+ct, func(t *testing.T) {
				// What a cross-site form or no-cors fetch sends, and README's old curl line.
				res := guardSend(t, http.MethodPost, grantURL, "", map[string]string{"Content-Type": ct}, grantAdmin)
				wantLambdaError(t, res, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException")
				if got := role(); got != kyc.RoleUser {
					t.Fatalf("GrantRole ran: role %s", got)
				}
			})
		}
		t.Run("invoke: a body that is not JSON", func(t *testing.T) {
			res := guardSend(t, http.MethodPost, grantURL, "", nil, "phone=13800138000&role=admin")
			wantLambdaError(t, res, http.StatusBadRequest, "InvalidRequestContentException")
			if got := role(); got != kyc.RoleUser {
				t.Fatalf("GrantRole ran: role %s", got)
			}
		})
	})

	t.Run("allowed", func(t *testing.T) {
		roles := []kyc.Role{kyc.RoleReviewer, kyc.RoleUser}
		for i, tt := range []struct {
			name   string
			host   string
			header map[string]string
		}{
			{"127.0.0.1, no Origin, no Content-Type (aws lambda invoke)", "", nil},
			{"curl -H 'Content-Type: application/json'", "", map[string]string{"Content-Type": "application/json"}},
			{"SDK: application/octet-stream", "", map[string]string{"Content-Type": "application/octet-stream"}},
			{"Host localhost", "localhost:" + invokePort, map[string]string{"Content-Type": "application/json; charset=utf-8"}},
			{"Host [::1]", "[::1]:" + invokePort, nil},
			{"Host LOCALHOST without port", "LOCALHOST", nil},
			{"Origin http://localhost:3000", "", map[string]string{"Origin": "http://localhost:3000", "Content-Type": "application/json"}},
			{"Origin https://127.0.0.1:5173", "localhost:" + invokePort, map[string]string{"Origin": "https://127.0.0.1:5173", "Content-Type": "application/json"}},
			{"Origin http://[::1]:8080", "", map[string]string{"Origin": "http://[::1]:8080"}},
		} {
			want := roles[i%2]
			t.Run("invoke: "+tt.name, func(t *testing.T) {
				res := guardSend(t, http.MethodPost, grantURL, tt.host, tt.header, `{"phone":"13800138000","role":"`+string(want)+`"}`)
				var out lambdafn.GrantRoleOutput
				if err := json.Unmarshal(res.body, &out); err != nil || res.status != http.StatusOK || res.header.Get("X-Amz-Function-Error") != "" || out.Role != string(want) {
					t.Fatalf("= %d %s, want 200 and role %s", res.status, res.body, want)
				}
				if got := role(); got != want {
					t.Errorf("role %s after the grant, want %s", got, want)
				}
			})
			t.Run("api: "+tt.name, func(t *testing.T) {
				host := strings.ReplaceAll(tt.host, invokePort, apiPort)
				res := guardSend(t, http.MethodGet, healthURL, host, tt.header, "")
				if res.status != http.StatusOK || !bytes.Contains(res.body, []byte(`"error_code":1000`)) {
					t.Errorf("GET /v1/health = %d %s, want 200", res.status, res.body)
				}
			})
		}
	})
}

// The guard's rules, request by request, on both servers (a handler that answers 200 stands
// behind it).
func TestGuardRules(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name        string
		host        string
		origin      string // "-" for none
		contentType string
		allowRemote bool
		wantAPI     int
		wantInvoke  int
	}{
		{name: "127.0.0.1 with port", host: "127.0.0.1:3001", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "127.0.0.1 without port", host: "127.0.0.1", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "anywhere in 127/8", host: "127.1.2.3:80", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "localhost", host: "localhost:3001", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "Localhost, case", host: "LocalHost:3001", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "[::1]", host: "[::1]:3001", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "[::1] without port", host: "[::1]", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "IPv4-mapped loopback", host: "[::ffff:127.0.0.1]:3001", origin: "-", wantAPI: 200, wantInvoke: 200},
		{name: "rebinding name", host: "evil.example:3001", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "name that starts like localhost", host: "localhost.evil.example:3001", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "name under .localhost", host: "app.localhost:3001", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "name that embeds 127.0.0.1", host: "127.0.0.1.nip.io:3001", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "unspecified address", host: "0.0.0.0:3001", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "LAN address", host: "192.168.1.10:3001", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "no Host", host: "", origin: "-", wantAPI: 403, wantInvoke: 403},
		{name: "loopback Origin", host: "127.0.0.1:3001", origin: "http://localhost:3000", wantAPI: 200, wantInvoke: 200},
		{name: "loopback https Origin", host: "127.0.0.1:3001", origin: "https://127.0.0.1", wantAPI: 200, wantInvoke: 200},
		{name: "foreign Origin", host: "127.0.0.1:3001", origin: "https://evil.example", wantAPI: 403, wantInvoke: 403},
		{name: "Origin null", host: "127.0.0.1:3001", origin: "null", wantAPI: 403, wantInvoke: 403},
		{name: "empty Origin", host: "127.0.0.1:3001", origin: "", wantAPI: 403, wantInvoke: 403},
		{name: "file Origin", host: "127.0.0.1:3001", origin: "file://", wantAPI: 403, wantInvoke: 403},
		{name: "Origin with a .localhost name", host: "127.0.0.1:3001", origin: "http://app.localhost:3000", wantAPI: 403, wantInvoke: 403},
		{name: "form post", host: "127.0.0.1:3001", origin: "-", contentType: "application/x-www-form-urlencoded", wantAPI: 200, wantInvoke: 415},
		{name: "text/plain", host: "127.0.0.1:3001", origin: "-", contentType: "text/plain;charset=UTF-8", wantAPI: 200, wantInvoke: 415},
		{name: "multipart", host: "127.0.0.1:3001", origin: "-", contentType: "multipart/form-data; boundary=b", wantAPI: 200, wantInvoke: 415},
		{name: "text/plain with a bad parameter", host: "127.0.0.1:3001", origin: "-", contentType: "text/plain; charset", wantAPI: 200, wantInvoke: 415},
		{name: "application/json", host: "127.0.0.1:3001", origin: "-", contentType: "application/json", wantAPI: 200, wantInvoke: 200},
		{name: "application/octet-stream", host: "127.0.0.1:3001", origin: "-", contentType: "application/octet-stream", wantAPI: 200, wantInvoke: 200},
		{name: "remote: LAN address", host: "192.168.1.10:3001", origin: "-", allowRemote: true, wantAPI: 200, wantInvoke: 200},
		{name: "remote: page on the runner's address", host: "192.168.1.10:3001", origin: "http://192.168.1.10:5173", allowRemote: true, wantAPI: 200, wantInvoke: 200},
		{name: "remote: foreign IP Origin", host: "192.168.1.10:3001", origin: "http://203.0.113.5", allowRemote: true, wantAPI: 403, wantInvoke: 403},
		{name: "remote: a name is still refused", host: "evil.example:3001", origin: "-", allowRemote: true, wantAPI: 403, wantInvoke: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range []struct {
				name string
				h    http.Handler
				want int
			}{
				{"api", localrun.GuardAPI(ok, tt.allowRemote, quiet()), tt.wantAPI},
				{"invoke", localrun.GuardInvoke(ok, tt.allowRemote, quiet()), tt.wantInvoke},
			} {
				req := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/F/invocations", strings.NewReader("{}"))
				req.Host = tt.host
				if tt.origin != "-" {
					req.Header.Set("Origin", tt.origin)
				}
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				rec := httptest.NewRecorder()
				s.h.ServeHTTP(rec, req)
				if rec.Code != s.want {
					t.Errorf("%s: status %d, want %d: %s", s.name, rec.Code, s.want, rec.Body)
				}
			}
		})
	}
}

// Listen addresses: loopback only unless AllowRemote; Start refuses the others before it
// starts anything.
func TestListenAddrLoopbackOnly(t *testing.T) {
	for _, tt := range []struct {
		addr      string
		wantError bool
	}{
		{"127.0.0.1:3000", false}, {"127.0.0.2:0", false}, {"localhost:3001", false}, {"[::1]:3001", false},
		{":3000", true}, {"0.0.0.0:3000", true}, {"[::]:3000", true}, {"192.168.1.10:3000", true},
		{"devbox.example:3000", true}, {"", true}, {"127.0.0.1", true},
	} {
		err := localrun.CheckListenAddr(tt.addr, false)
		if (err != nil) != tt.wantError {
			t.Errorf("CheckListenAddr(%q) = %v, want error %v", tt.addr, err, tt.wantError)
		}
		if tt.addr != "" && tt.addr != "127.0.0.1" {
			if err := localrun.CheckListenAddr(tt.addr, true); err != nil {
				t.Errorf("CheckListenAddr(%q, allowRemote) = %v", tt.addr, err)
			}
		}
	}

	for _, o := range []localrun.Options{
		{APIAddr: "0.0.0.0:0", InvokeAddr: "127.0.0.1:0"},
		{APIAddr: "127.0.0.1:0", InvokeAddr: ":0"},
	} {
		o.Dir, o.Out, o.Getenv = t.TempDir(), io.Discard, envOf()
		r, err := localrun.Start(t.Context(), o)
		if err == nil {
			r.Close()
			t.Errorf("Start(api %s, invoke %s) listened beyond loopback", o.APIAddr, o.InvokeAddr)
			continue
		}
		if !strings.Contains(err.Error(), "allow-remote") {
			t.Errorf("Start(api %s, invoke %s): %v; want it to name -allow-remote", o.APIAddr, o.InvokeAddr, err)
		}
	}
}

// With AllowRemote the runner listens where it is told, and says so in the log and the
// banner.
func TestRunnerAllowRemote(t *testing.T) {
	keepWorkingDir(t)
	var out testenv.SyncBuffer // the reconciler logs from its own goroutine
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: t.TempDir(), APIAddr: "127.0.0.1:0", InvokeAddr: "0.0.0.0:0",
		AllowRemote: true, Version: "test-remote", Out: &out, Getenv: envOf()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Close()
	if !strings.Contains(out.String(), `"level":"WARN"`) || !strings.Contains(out.String(), "0.0.0.0:0") {
		t.Errorf("no warning about 0.0.0.0:0 in the log:\n%s", out.String())
	}
	var banner bytes.Buffer
	r.PrintBanner(&banner, 0)
	if !strings.Contains(banner.String(), "WARNING") || !strings.Contains(banner.String(), "0.0.0.0:0") {
		t.Errorf("banner does not warn:\n%s", banner.String())
	}
	// Reached by its address (here the loopback one), it still answers.
	u, _ := url.Parse(r.InvokeURL)
	health, _ := lambdafn.Lookup("health")
	res := guardSend(t, http.MethodPost, "http://127.0.0.1:"+u.Port()+"/2015-03-31/functions/"+health.LogicalID+"/invocations", "", nil, "{}")
	if res.status != http.StatusOK {
		t.Errorf("invoke = %d %s", res.status, res.body)
	}
}
