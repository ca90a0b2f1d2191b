package localrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
)

type ping struct {
	Say string `json:"say"`
}

type pong struct {
	Echo string `json:"echo"`
	ARN  string `json:"arn"`
	ID   string `json:"id"`
}

// invokeServer serves InvokeAPI over an echo function, a failing one and one that
// reports each call on calls.
func invokeServer(t *testing.T) (*httptest.Server, chan ping) {
	t.Helper()
	calls := make(chan ping, 10)
	echo := lambdafn.Typed[ping, pong](func(ctx context.Context, p ping) (pong, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		if lc == nil {
			return pong{}, errors.New("no lambda context")
		}
		return pong{Echo: p.Say, ARN: lc.InvokedFunctionArn, ID: lc.AwsRequestID}, nil
	})
	fail := lambdafn.Typed[ping, pong](func(context.Context, ping) (pong, error) {
		return pong{}, errors.New("handler exploded")
	})
	record := lambdafn.Typed[ping, pong](func(_ context.Context, p ping) (pong, error) {
		calls <- p
		return pong{}, nil
	})
	hs := map[string]lambda.Handler{"EchoFunction": echo, "FailFunction": fail, "RecordFunction": record}
	srv := httptest.NewServer(localrun.InvokeAPI(hs, quiet()))
	t.Cleanup(srv.Close)
	return srv, calls
}

type invokeResult struct {
	status int
	header http.Header
	body   []byte
}

func invoke(t *testing.T, srv *httptest.Server, name, invocationType string, payload []byte) invokeResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/"+name+"/invocations", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if invocationType != "" {
		req.Header.Set("X-Amz-Invocation-Type", invocationType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return invokeResult{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestInvokeAPI(t *testing.T) {
	t.Parallel()
	srv, _ := invokeServer(t)
	arn := localrun.FunctionARN("EchoFunction")
	tests := []struct {
		name       string
		function   string
		payload    string
		wantStatus int
		wantError  string // X-Amzn-ErrorType
		wantEcho   string
	}{
		{name: "by logical id", function: "EchoFunction", payload: `{"say":"hi"}`, wantStatus: 200, wantEcho: "hi"},
		{name: "by ARN", function: arn, payload: `{"say":"arn"}`, wantStatus: 200, wantEcho: "arn"},
		{name: "by escaped ARN", function: url.PathEscape(arn), payload: `{"say":"escaped"}`, wantStatus: 200, wantEcho: "escaped"},
		{name: "empty payload is {}", function: "EchoFunction", payload: ``, wantStatus: 200, wantEcho: ""},
		{name: "unknown function", function: "NoSuchFunction", payload: `{}`, wantStatus: 404, wantError: "ResourceNotFoundException"},
		{name: "unknown function ARN", function: localrun.FunctionARN("NoSuchFunction"), payload: `{}`, wantStatus: 404, wantError: "ResourceNotFoundException"},
		{name: "payload that is not JSON", function: "EchoFunction", payload: `{"say":`, wantStatus: 400, wantError: "InvalidRequestContentException"},
		{name: "form-encoded payload", function: "EchoFunction", payload: `say=hi`, wantStatus: 400, wantError: "InvalidRequestContentException"},
		{name: "payload over 6 MB", function: "EchoFunction", payload: `"` + strings.Repeat("a", 6<<20) + `"`, wantStatus: 413, wantError: "RequestTooLargeException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(t, srv, tt.function, "", []byte(tt.payload))
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.status, tt.wantStatus, res.body)
			}
			if got := res.header.Get("X-Amzn-ErrorType"); got != tt.wantError {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tt.wantError)
			}
			if tt.wantError != "" {
				var e map[string]string
				if err := json.Unmarshal(res.body, &e); err != nil || e["Message"] == "" || e["__type"] != tt.wantError {
					t.Errorf("error body = %s", res.body)
				}
				return
			}
			var p pong
			if err := json.Unmarshal(res.body, &p); err != nil {
				t.Fatalf("body %s: %v", res.body, err)
			}
			if p.Echo != tt.wantEcho || p.ARN != arn || p.ID == "" || p.ID != res.header.Get("X-Amzn-RequestId") {
				t.Errorf("result = %+v, request id header %q", p, res.header.Get("X-Amzn-RequestId"))
			}
			if res.header.Get("X-Amz-Function-Error") != "" || res.header.Get("X-Amz-Executed-Version") != "$LATEST" {
				t.Errorf("headers = %v", res.header)
			}
		})
	}
}

func TestInvokeAPIFunctionError(t *testing.T) {
	srv, _ := invokeServer(t)
	tests := []struct {
		name     string
		function string
		payload  string
		wantType string
		wantMsg  string
	}{
		{"handler error", "FailFunction", `{"say":"x"}`, "", "handler exploded"},
		{"undecodable event", "EchoFunction", `{"say":5}`, "Runtime.UnmarshalError", "could not decode the event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(t, srv, tt.function, "RequestResponse", []byte(tt.payload))
			if res.status != 200 {
				t.Fatalf("status = %d, want 200 (a function error is not an API error)", res.status)
			}
			if got := res.header.Get("X-Amz-Function-Error"); got != "Unhandled" {
				t.Errorf("X-Amz-Function-Error = %q, want Unhandled", got)
			}
			var e struct {
				Message string `json:"errorMessage"`
				Type    string `json:"errorType"`
			}
			if err := json.Unmarshal(res.body, &e); err != nil {
				t.Fatalf("body %s: %v", res.body, err)
			}
			typeOK := e.Type == tt.wantType
			if tt.wantType == "" { // the handler's own error: any type but the runtime's
				typeOK = e.Type != "" && !strings.HasPrefix(e.Type, "Runtime.")
			}
			if !typeOK || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("error = %+v, want type %q and message with %q", e, tt.wantType, tt.wantMsg)
			}
		})
	}
}

func TestInvokeAPIInvocationTypes(t *testing.T) {
	t.Run("Event runs the function after 202", func(t *testing.T) {
		srv, calls := invokeServer(t)
		res := invoke(t, srv, "RecordFunction", "Event", []byte(`{"say":"async"}`))
		if res.status != http.StatusAccepted || len(res.body) != 0 {
			t.Fatalf("status = %d body %q, want 202 and no body", res.status, res.body)
		}
		select {
		case p := <-calls:
			if p.Say != "async" {
				t.Errorf("function got %+v", p)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the function was not invoked")
		}
	})
	t.Run("DryRun does not run the function", func(t *testing.T) {
		srv, calls := invokeServer(t)
		res := invoke(t, srv, "RecordFunction", "DryRun", []byte(`{"say":"dry"}`))
		if res.status != http.StatusNoContent {
			t.Fatalf("status = %d, want 204", res.status)
		}
		select {
		case p := <-calls:
			t.Errorf("DryRun invoked the function with %+v", p)
		case <-time.After(100 * time.Millisecond):
		}
	})
	t.Run("DryRun of an unknown function", func(t *testing.T) {
		srv, _ := invokeServer(t)
		if res := invoke(t, srv, "NoSuchFunction", "DryRun", nil); res.status != 404 {
			t.Errorf("status = %d, want 404", res.status)
		}
	})
}

func TestInvokeAPIUnknownOperation(t *testing.T) {
	srv, _ := invokeServer(t)
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/2015-03-31/functions/EchoFunction/invocations"},
		{http.MethodGet, "/2015-03-31/functions"},
		{http.MethodPost, "/2015-03-31/functions/EchoFunction"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
				t.Errorf("= %d %q, want 404 UnknownOperationException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
			}
		})
	}
}
