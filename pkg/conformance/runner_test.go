package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/submission"
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
			if bare := nonEnvelope[rt.Name]; bare != "" {
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, bare) {
					t.Errorf("%s %s: Content-Type %q, want %s", rt.Method, path, ct, bare)
				}
			} else {
				decodeEnvelope(t, rt.Method+" "+path, b)
			}

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
// response), the reconciler with its scheduled event ({requeued, failed}) and GrantRole and
// FreezeUser, which have no other way in, with a phone no user has (a
// function error, flagged as Lambda flags it, that says what is wrong), and answers an
// unknown function the way Lambda does.
func TestRunnerInvokeAPI(t *testing.T) {
	_, invoke := runnerServers(t)
	invokeURL := func(name string) string { return invoke.URL + "/2015-03-31/functions/" + name + "/invocations" }

	for _, tc := range []struct{ folder, file string }{
		{"health", "get.json"},
		{lambdafn.ReviewWorker, "account-missing.json"},
		{lambdafn.ReviewWorker, "malformed-body.json"},
		{lambdafn.Reconciler, "scheduled.json"},
		{lambdafn.GrantRole, "unknown-phone.json"},
		{lambdafn.FreezeUser, "unknown-phone.json"},
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
			case lambdafn.KindSchedule:
				checkScheduleResult(t, rel, b)
			case lambdafn.KindInvoke:
				checkInvokeResult(t, rel, b)
			default:
				t.Fatalf("unknown function kind %q", fn.Kind)
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

// tinyPNG is a 1x1 PNG: a valid image for the ID card slots.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// seedUser stores a user with a fresh personal account and a session straight in the
// store (no SMS round trip) and returns the session's token and the account's id.
func seedUser(t *testing.T, svc *app.Services) (token, accountID string) {
	t.Helper()
	ctx := t.Context()
	now := svc.Clock.Now()
	uid, aid := svc.IDs.NewID(), svc.IDs.NewID()
	for {
		phone := fmt.Sprintf("139%08d", rand.IntN(100_000_000))
		u := kyc.User{ID: uid, Phone: phone, PasswordHash: "unused", Role: kyc.RoleUser, AccountID: aid, CreatedAt: now, UpdatedAt: now}
		a := kyc.Account{ID: aid, OwnerID: uid, Type: kyc.PersonalAccount, Tel: phone, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
		_, err := svc.Store.CreateUser(ctx, u, a)
		if kyc.IsCode(err, kyc.EEXISTS) {
			continue // the phone is taken: draw another
		}
		if err != nil {
			t.Fatalf("create user: %v", err)
		}
		break
	}
	token, err := svc.Store.SealToken(kyc.Principal{UserID: uid, AccountID: aid, Role: kyc.RoleUser}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Store.PutSession(ctx, kyc.Session{TokenHash: httpapi.HashToken(token), UserID: uid, AccountID: aid, Role: kyc.RoleUser, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatalf("put session: %v", err)
	}
	return token, aid
}

// TestRunnerDocuments drives the document routes through the runner's API Gateway
// stand-in, which encodes requests and decodes responses as the REST proxy integration
// does: a seed-style multipart submission arrives base64-encoded (multipart/form-data is
// a binary media type) and is accepted with 12001; the downloads answer 302 with the
// headers the OpenAPI document promises, with the token as a header or as ?auth_token=,
// and the presigned Location serves the file as an attachment; only the owner (or a
// reviewer) may download.
func TestRunnerDocuments(t *testing.T) {
	api, _ := runnerServers(t)
	svc := sharedEmbedded(t)
	owner, acct := seedUser(t, svc)
	other, _ := seedUser(t, svc)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

	// download GETs path, expects a 302, checks its headers, follows the Location without
	// any credential of ours and returns the file and its Content-Disposition.
	download := func(t *testing.T, path string, header map[string]string) ([]byte, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, api.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("GET %s: status %d, want 302\n%s", path, resp.StatusCode, b)
		}
		checkRedirectHeaders(t, resp.Header)
		if len(b) != 0 {
			t.Errorf("GET %s: the 302 has a body: %s", path, b)
		}
		fresp, fb := do(t, http.MethodGet, resp.Header.Get("Location"), nil, nil)
		if fresp.StatusCode != http.StatusOK {
			t.Fatalf("GET Location of %s: status %d\n%s", path, fresp.StatusCode, fb)
		}
		return fb, fresp.Header.Get("Content-Disposition")
	}
	wantError := func(t *testing.T, method, path string, body []byte, header map[string]string, status, code int) {
		t.Helper()
		resp, b := do(t, method, api.URL+path, body, header)
		env := decodeEnvelope(t, method+" "+path, b)
		if resp.StatusCode != status || *env.ErrorCode != code {
			t.Errorf("%s %s: %d / %d, want %d / %d\n%s", method, path, resp.StatusCode, *env.ErrorCode, status, code, b)
		}
	}

	t.Run("confirmation sample, ?auth_token=", func(t *testing.T) {
		b, cd := download(t, "/v1/cms/account/downloadConfirmationFile?auth_token="+url.QueryEscape(owner), nil)
		if !bytes.Equal(b, submission.ConfirmationSample()) {
			t.Errorf("the Location serves %d bytes, not the sample confirmation file", len(b))
		}
		if !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "confirmation-sample.pdf") {
			t.Errorf("Content-Disposition %q, want an attachment named confirmation-sample.pdf", cd)
		}
	})

	t.Run("multipart submission", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("ID_number", "11010519491231002X")
		for _, slot := range []string{"frontOfID", "backOfID"} {
			w, err := mw.CreateFormFile(slot, slot+".png")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(tinyPNG)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		h := bearer(owner)
		h["Content-Type"] = mw.FormDataContentType()
		resp, b := do(t, http.MethodPost, api.URL+"/v1/cms/account/uploadPersonalLicence", body.Bytes(), h)
		env := decodeEnvelope(t, "uploadPersonalLicence", b)
		if resp.StatusCode != http.StatusOK || *env.ErrorCode != httpapi.CodePersonalAccepted || env.Msg != "upload success" {
			t.Fatalf("uploadPersonalLicence: %d / %d %q, want 200 / %d \"upload success\"\n%s", resp.StatusCode, *env.ErrorCode, env.Msg, httpapi.CodePersonalAccepted, b)
		}

		resp, b = do(t, http.MethodGet, api.URL+"/v1/account", nil, bearer(owner))
		env = decodeEnvelope(t, "GET /v1/account", b)
		var view struct {
			ID        string   `json:"id"`
			Type      string   `json:"type"`
			Documents []string `json:"documents"`
			Attempts  int      `json:"attempts"`
		}
		if err := json.Unmarshal(env.Data, &view); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/account: %d %v\n%s", resp.StatusCode, err, b)
		}
		if view.ID != acct || view.Type != string(kyc.PersonalAccount) || !slices.Equal(view.Documents, []string{"backOfID", "frontOfID"}) || view.Attempts != 1 {
			t.Errorf("GET /v1/account: %+v, want account %s, personal, documents [backOfID frontOfID], 1 attempt", view, acct)
		}
	})

	t.Run("document downloads", func(t *testing.T) {
		front := "/v1/cms/account/" + acct + "/downloadAuthFrontOfID"
		b, cd := download(t, front, bearer(owner))
		if !bytes.Equal(b, tinyPNG) {
			t.Errorf("the Location serves %d bytes, not the submitted frontOfID", len(b))
		}
		if !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "frontOfID.png") {
			t.Errorf("Content-Disposition %q, want an attachment named frontOfID.png", cd)
		}
		// A personal account has no licence; another user may not see the owner's files,
		// however the token is sent.
		wantError(t, http.MethodGet, "/v1/cms/account/"+acct+"/downAuthLicence", nil, bearer(owner), http.StatusNotFound, 1015)
		wantError(t, http.MethodGet, front, nil, bearer(other), http.StatusForbidden, 1020)
		wantError(t, http.MethodGet, front+"?auth_token="+url.QueryEscape(other), nil, nil, http.StatusForbidden, 1020)
		wantError(t, http.MethodGet, "/v1/cms/account/no-such-account/downloadAuthBackOfID", nil, bearer(owner), http.StatusNotFound, 1015)
	})
}
