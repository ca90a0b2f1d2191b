package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
)

// runnerServers serves the local runner's two front doors (the API Gateway stand-in and
// the Lambda Invoke API) over the shared embedded backends. localrun.Start is not used
// because it would start a second embedded S3 gateway in this process.
func runnerServers(t *testing.T) (api, invoke *httptest.Server) {
	t.Helper()
	handlers := sharedHandlers(t)
	log := app.NewLogger(io.Discard, "error")
	// httptest listens on 127.0.0.1.
	api = httptest.NewServer(localrun.APIGateway(handlers, log))
	t.Cleanup(api.Close)
	invoke = httptest.NewServer(localrun.InvokeAPI(handlers, log))
	t.Cleanup(invoke.Close)
	return api, invoke
}

type envelope struct {
	ErrorCode *int            `json:"error_code"`
	Msg       string          `json:"msg"`
	Data      json.RawMessage `json:"data"`
}

func do(t *testing.T, method, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func decodeEnvelope(t *testing.T, what string, b []byte) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil || env.ErrorCode == nil {
		t.Fatalf("%s: body is not an envelope with error_code: %v\n%s", what, err, b)
	}
	return env
}

// isNoSuchRoute reports the router's own 404 (as opposed to a handler's "not found").
func isNoSuchRoute(status int, b []byte) bool {
	var env envelope
	_ = json.Unmarshal(b, &env)
	return status == http.StatusNotFound && env.Msg == "no such route"
}

var pathParamRE = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// TestRunnerServesRouteTable: the local API serves every route of the table (none gets
// the router's 404), answers unknown paths and wrong methods with the API's envelope, and
// health answers 200/1000 with store "ok".
func TestRunnerServesRouteTable(t *testing.T) {
	api, _ := runnerServers(t)
	methodsByPath := map[string][]string{}
	for _, rt := range httpapi.Routes() {
		methodsByPath[rt.Path] = append(methodsByPath[rt.Path], rt.Method)
	}
	for _, rt := range httpapi.Routes() {
		t.Run(rt.LogicalID, func(t *testing.T) {
			path := pathParamRE.ReplaceAllString(rt.Path, "acct_conformance")
			resp, b := do(t, rt.Method, api.URL+path, nil, nil)
			if isNoSuchRoute(resp.StatusCode, b) || resp.StatusCode == http.StatusMethodNotAllowed {
				t.Fatalf("%s %s: the runner does not serve this route (%d %s)", rt.Method, path, resp.StatusCode, b)
			}
			if resp.StatusCode == http.StatusBadGateway {
				t.Fatalf("%s %s: the function failed (502 %s)", rt.Method, path, b)
			}
			decodeEnvelope(t, rt.Method+" "+path, b)

			// A method the path does not serve: 405 with the envelope.
			for _, m := range []string{http.MethodDelete, http.MethodPatch, http.MethodPut, http.MethodPost, http.MethodGet} {
				if slices.Contains(methodsByPath[rt.Path], m) {
					continue
				}
				resp, b := do(t, m, api.URL+path, nil, nil)
				if resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("%s %s: status %d, want 405", m, path, resp.StatusCode)
				}
				decodeEnvelope(t, m+" "+path, b)
				break
			}
		})
	}

	resp, b := do(t, http.MethodGet, api.URL+"/v1/no-such-route", nil, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", resp.StatusCode)
	}
	if env := decodeEnvelope(t, "unknown path", b); *env.ErrorCode != 1015 {
		t.Errorf("unknown path: error_code %d, want 1015", *env.ErrorCode)
	}

	resp, b = do(t, http.MethodGet, api.URL+"/v1/health", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/health: status %d, want 200\n%s", resp.StatusCode, b)
	}
	env := decodeEnvelope(t, "GET /v1/health", b)
	if *env.ErrorCode != httpapi.CodeOK {
		t.Errorf("GET /v1/health: error_code %d, want %d", *env.ErrorCode, httpapi.CodeOK)
	}
	var health struct {
		Store string `json:"store"`
	}
	if err := json.Unmarshal(env.Data, &health); err != nil || health.Store != "ok" {
		t.Errorf("GET /v1/health: data.store = %q (%v), want ok", health.Store, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /v1/health: Content-Type %q, want application/json", ct)
	}
}

// TestRunnerInvokeAPI: the Lambda Invoke API runs the health function with its sample
// event (a proxy response comes back), the review worker with its SQS sample (a batch
// response) and GrantRole, which has no other way in, with a phone no user has (a
// function error, flagged as Lambda flags it, that says what is wrong), and answers an
// unknown function the way Lambda does.
func TestRunnerInvokeAPI(t *testing.T) {
	_, invoke := runnerServers(t)
	invokeURL := func(name string) string { return invoke.URL + "/2015-03-31/functions/" + name + "/invocations" }

	for _, tc := range []struct{ folder, file string }{
		{"health", "get.json"},
		{lambdafn.ReviewWorker, "account-missing.json"},
		{lambdafn.ReviewWorker, "malformed-body.json"},
		{lambdafn.GrantRole, "unknown-phone.json"},
	} {
		fn, ok := lambdafn.Lookup(tc.folder)
		if !ok {
			t.Fatalf("no function %s", tc.folder)
		}
		rel := tc.folder + "/" + tc.file
		t.Run(rel, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join(root(t), "events", tc.folder, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			resp, b := do(t, http.MethodPost, invokeURL(fn.LogicalID), payload, map[string]string{"Content-Type": "application/json"})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("invoke %s: status %d, want 200\n%s", fn.LogicalID, resp.StatusCode, b)
			}
			if want, ok := wantInvokeError[rel]; ok {
				if fe := resp.Header.Get("X-Amz-Function-Error"); fe == "" {
					t.Fatalf("invoke %s: no X-Amz-Function-Error, want a function error about %q\n%s", fn.LogicalID, want, b)
				}
				checkFunctionError(t, rel, b)
				return
			}
			if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
				t.Fatalf("invoke %s: function error %s\n%s", fn.LogicalID, fe, b)
			}
			switch fn.Kind {
			case lambdafn.KindAPI:
				if status := checkProxyResponse(t, b); status != http.StatusOK {
					t.Errorf("proxy response status %d, want 200", status)
				}
			case lambdafn.KindSQS:
				checkBatchResponse(t, rel, payload, b)
			case lambdafn.KindInvoke:
				checkInvokeResult(t, rel, b)
			}
		})
	}

	resp, b := do(t, http.MethodPost, invokeURL("NoSuchFunction"), []byte("{}"), nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown function: status %d, want 404\n%s", resp.StatusCode, b)
	}
	if got := resp.Header.Get("X-Amzn-ErrorType"); got != "ResourceNotFoundException" {
		t.Errorf("unknown function: X-Amzn-ErrorType %q, want ResourceNotFoundException", got)
	}
}
