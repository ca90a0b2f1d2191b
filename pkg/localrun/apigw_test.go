package localrun_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
)

var (
	detailRoute = httpapi.Route{Name: "detail", LogicalID: "DetailFunction", Method: http.MethodGet, Path: "/v1/cms/account/{id}"}
	uploadRoute = httpapi.Route{Name: "upload", LogicalID: "UploadFunction", Method: http.MethodPost, Path: "/v1/cms/account/{id}/files/{name}"}
	restRoute   = httpapi.Route{Name: "rest", LogicalID: "RestFunction", Method: http.MethodGet, Path: "/v1/files/{key...}"}
	plainRoute  = httpapi.Route{Name: "plain", LogicalID: "PlainFunction", Method: http.MethodPost, Path: "/v1/user/login"}
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// eventFor routes r through a ServeMux with rt's pattern, as the runner does, and returns
// the proxy event ProxyEvent builds for it.
func eventFor(t *testing.T, rt httpapi.Route, r *http.Request, body []byte) events.APIGatewayProxyRequest {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	matched := false
	mux := http.NewServeMux()
	mux.HandleFunc(rt.Pattern(), func(_ http.ResponseWriter, r *http.Request) {
		matched = true
		ev = localrun.ProxyEvent(r, rt, body)
	})
	mux.ServeHTTP(httptest.NewRecorder(), r)
	if !matched {
		t.Fatalf("%s %s does not match %s", r.Method, r.URL, rt.Pattern())
	}
	return ev
}

func TestProxyEventFields(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/v1/cms/account/acct-42?limit=5&tag=a&tag=b&empty=", nil)
	r.RemoteAddr = "203.0.113.7:51234"
	r.Host = "127.0.0.1:3000"
	r.Header.Add("X-Multi", "first")
	r.Header.Add("X-Multi", "second")
	r.Header.Set("User-Agent", "test-agent/1.0")
	r.Header.Set("Authorization", "Bearer tok")
	ev := eventFor(t, detailRoute, r, nil)

	if ev.Resource != "/v1/cms/account/{id}" || ev.RequestContext.ResourcePath != ev.Resource {
		t.Errorf("Resource = %q, ResourcePath = %q; want the route path", ev.Resource, ev.RequestContext.ResourcePath)
	}
	if ev.Path != "/v1/cms/account/acct-42" || ev.HTTPMethod != http.MethodGet || ev.RequestContext.HTTPMethod != http.MethodGet {
		t.Errorf("Path, method = %q %q %q", ev.Path, ev.HTTPMethod, ev.RequestContext.HTTPMethod)
	}
	if want := map[string]string{"id": "acct-42"}; !maps.Equal(ev.PathParameters, want) {
		t.Errorf("PathParameters = %v, want %v", ev.PathParameters, want)
	}
	if got := ev.MultiValueHeaders["X-Multi"]; !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("MultiValueHeaders[X-Multi] = %v, want [first second]", got)
	}
	if got := ev.Headers["X-Multi"]; got != "second" {
		t.Errorf("Headers[X-Multi] = %q, want the last value", got)
	}
	if ev.Headers["Host"] != "127.0.0.1:3000" || !slices.Equal(ev.MultiValueHeaders["Host"], []string{"127.0.0.1:3000"}) {
		t.Errorf("Host = %q / %v", ev.Headers["Host"], ev.MultiValueHeaders["Host"])
	}
	if ev.Headers["Authorization"] != "Bearer tok" {
		t.Errorf("Authorization = %q", ev.Headers["Authorization"])
	}
	wantMQ := map[string][]string{"limit": {"5"}, "tag": {"a", "b"}, "empty": {""}}
	if !maps.EqualFunc(ev.MultiValueQueryStringParameters, wantMQ, slices.Equal) {
		t.Errorf("MultiValueQueryStringParameters = %v, want %v", ev.MultiValueQueryStringParameters, wantMQ)
	}
	wantQ := map[string]string{"limit": "5", "tag": "b", "empty": ""}
	if !maps.Equal(ev.QueryStringParameters, wantQ) {
		t.Errorf("QueryStringParameters = %v, want %v", ev.QueryStringParameters, wantQ)
	}
	rc := ev.RequestContext
	if rc.Stage != "local" || localrun.Stage != "local" || rc.Path != "/local/v1/cms/account/acct-42" {
		t.Errorf("stage %q, context path %q", rc.Stage, rc.Path)
	}
	if rc.Identity.SourceIP != "203.0.113.7" || rc.Identity.UserAgent != "test-agent/1.0" {
		t.Errorf("identity = %+v", rc.Identity)
	}
	if len(rc.RequestID) != 36 || strings.Count(rc.RequestID, "-") != 4 {
		t.Errorf("RequestID = %q, want a UUID-shaped id", rc.RequestID)
	}
	if rc.DomainName != "127.0.0.1:3000" || rc.RequestTimeEpoch == 0 || rc.RequestTime == "" || rc.Protocol != "HTTP/1.1" {
		t.Errorf("request context = %+v", rc)
	}
	if ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("empty body = %q, base64 %v", ev.Body, ev.IsBase64Encoded)
	}

	// Each request gets its own id.
	again := eventFor(t, detailRoute, httptest.NewRequest(http.MethodGet, "/v1/cms/account/acct-42", nil), nil)
	if again.RequestContext.RequestID == rc.RequestID {
		t.Errorf("two requests share request id %q", rc.RequestID)
	}
}

func TestProxyEventPathParameters(t *testing.T) {
	tests := []struct {
		name string
		rt   httpapi.Route
		url  string
		want map[string]string
	}{
		{"none", plainRoute, "/v1/user/login", nil},
		{"one", detailRoute, "/v1/cms/account/a1", map[string]string{"id": "a1"}},
		{"two", uploadRoute, "/v1/cms/account/a2/files/front.png", map[string]string{"id": "a2", "name": "front.png"}},
		{"rest of path", restRoute, "/v1/files/x/y/z", map[string]string{"key": "x/y/z"}},
		{"escaped", detailRoute, "/v1/cms/account/a%20b", map[string]string{"id": "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := eventFor(t, tt.rt, httptest.NewRequest(tt.rt.Method, tt.url, nil), nil)
			if !maps.Equal(ev.PathParameters, tt.want) || (tt.want == nil) != (ev.PathParameters == nil) {
				t.Errorf("PathParameters = %#v, want %#v", ev.PathParameters, tt.want)
			}
			if ev.Resource != tt.rt.Path {
				t.Errorf("Resource = %q, want %q", ev.Resource, tt.rt.Path)
			}
		})
	}
}

func TestProxyEventNoQuery(t *testing.T) {
	ev := eventFor(t, plainRoute, httptest.NewRequest(http.MethodPost, "/v1/user/login", nil), nil)
	if ev.QueryStringParameters != nil || ev.MultiValueQueryStringParameters != nil {
		t.Errorf("query maps = %v, %v; want nil as API Gateway sends", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	}
}

func TestProxyEventSourceIP(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"198.51.100.2:443", "198.51.100.2"},
		{"[::1]:3000", "::1"},
		{"127.0.0.1", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.remote, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/user/login", nil)
			r.RemoteAddr = tt.remote
			if got := eventFor(t, plainRoute, r, nil).RequestContext.Identity.SourceIP; got != tt.want {
				t.Errorf("SourceIP = %q, want %q", got, tt.want)
			}
		})
	}
}

// binaryBody has bytes that are not valid UTF-8, as images and multipart uploads do.
var binaryBody = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")

func TestProxyEventBody(t *testing.T) {
	multipart := []byte("--xyz\r\nContent-Disposition: form-data; name=\"frontOfID\"; filename=\"f.png\"\r\nContent-Type: image/png\r\n\r\n" + string(binaryBody) + "\r\n--xyz--\r\n")
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantBase64  bool
	}{
		{"multipart", "multipart/form-data; boundary=xyz", multipart, true},
		{"png", "image/png", binaryBody, true},
		{"jpeg upper case", "IMAGE/JPEG", binaryBody, true},
		{"json", "application/json", []byte(`{"phone":"x","password":"é"}`), false},
		{"json with charset", "application/json; charset=utf-8", []byte(`{"a":1}`), false},
		{"no content type", "", []byte(`{"a":1}`), false},
		{"malformed content type", "image/png; ;=", []byte(`x`), false},
		{"text", "text/plain", []byte("hello"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/user/login", bytes.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			ev := eventFor(t, plainRoute, r, tt.body)
			if ev.IsBase64Encoded != tt.wantBase64 {
				t.Fatalf("IsBase64Encoded = %v, want %v", ev.IsBase64Encoded, tt.wantBase64)
			}
			want := string(tt.body)
			if tt.wantBase64 {
				want = base64.StdEncoding.EncodeToString(tt.body)
			}
			if ev.Body != want {
				t.Errorf("Body = %q, want %q", ev.Body, want)
			}
			// What goes over the wire to the function is JSON; binary must survive it.
			payload, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var back events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &back); err != nil || back.Body != ev.Body {
				t.Errorf("body does not survive JSON: %v", err)
			}
		})
	}
}

// The event turns back, through the adapter every function uses, into the request the
// client sent.
func TestProxyEventRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		rt          httpapi.Route
		method, url string
		contentType string
		body        []byte
	}{
		{"json POST", plainRoute, http.MethodPost, "/v1/user/login", "application/json", []byte(`{"phone":"13800000000","password":"pw"}`)},
		{"GET with query", detailRoute, http.MethodGet, "/v1/cms/account/a1?limit=2&tag=x&tag=y%20z&auth_token=t%2Bk", "", nil},
		{"multipart", uploadRoute, http.MethodPost, "/v1/cms/account/a1/files/front", "multipart/form-data; boundary=b", append([]byte("--b\r\n\r\n"), binaryBody...)},
		{"png", uploadRoute, http.MethodPost, "/v1/cms/account/a1/files/front", "image/png", binaryBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := httptest.NewRequest(tt.method, tt.url, bytes.NewReader(tt.body))
			orig.Host = "127.0.0.1:3000"
			if tt.contentType != "" {
				orig.Header.Set("Content-Type", tt.contentType)
			}
			orig.Header.Add("X-Multi", "1")
			orig.Header.Add("X-Multi", "2")
			orig.Header.Set("Authorization", "Bearer abc")
			ev := eventFor(t, tt.rt, orig, tt.body)

			// Through JSON, as the function receives it.
			payload, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var got events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &got); err != nil {
				t.Fatal(err)
			}
			var acc core.RequestAccessor
			back, err := acc.EventToRequestWithContext(context.Background(), got)
			if err != nil {
				t.Fatalf("EventToRequest: %v", err)
			}
			if back.Method != orig.Method || back.URL.Path != orig.URL.Path {
				t.Errorf("request = %s %s, want %s %s", back.Method, back.URL.Path, orig.Method, orig.URL.Path)
			}
			if bq, oq := back.URL.Query(), orig.URL.Query(); !maps.EqualFunc(bq, oq, slices.Equal) {
				t.Errorf("query = %v, want %v", bq, oq)
			}
			for k, vs := range orig.Header {
				if !slices.Equal(back.Header[k], vs) {
					t.Errorf("header %s = %v, want %v", k, back.Header[k], vs)
				}
			}
			if back.Host != "127.0.0.1:3000" {
				t.Errorf("Host = %q", back.Host)
			}
			b, _ := io.ReadAll(back.Body)
			if !bytes.Equal(b, tt.body) && !(len(b) == 0 && len(tt.body) == 0) {
				t.Errorf("body = %q, want %q", b, tt.body)
			}
			if gw, ok := core.GetAPIGatewayContextFromContext(back.Context()); !ok || gw.Stage != "local" || gw.RequestID == "" {
				t.Errorf("API Gateway context = %+v, %v", gw, ok)
			}
		})
	}
}

func TestWriteProxyResponse(t *testing.T) {
	tests := []struct {
		name       string
		resp       events.APIGatewayProxyResponse
		wantStatus int
		wantBody   []byte
		wantHeader map[string][]string
	}{
		{
			name:       "plain JSON",
			resp:       events.APIGatewayProxyResponse{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"ok":true}`},
			wantStatus: 201, wantBody: []byte(`{"ok":true}`),
			wantHeader: map[string][]string{"Content-Type": {"application/json"}},
		},
		{
			name:       "base64 body",
			resp:       events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "image/png"}, Body: base64.StdEncoding.EncodeToString(binaryBody), IsBase64Encoded: true},
			wantStatus: 200, wantBody: binaryBody,
			wantHeader: map[string][]string{"Content-Type": {"image/png"}},
		},
		{
			name: "multi-value headers",
			resp: events.APIGatewayProxyResponse{StatusCode: 302,
				MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "Location": {"http://127.0.0.1/x"}},
			},
			wantStatus: 302, wantBody: []byte{},
			wantHeader: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "Location": {"http://127.0.0.1/x"}},
		},
		{
			name: "multi-value wins over single for the same name",
			resp: events.APIGatewayProxyResponse{StatusCode: 200,
				Headers:           map[string]string{"X-A": "single", "X-B": "only"},
				MultiValueHeaders: map[string][]string{"X-A": {"m1", "m2"}},
				Body:              "x",
			},
			wantStatus: 200, wantBody: []byte("x"),
			wantHeader: map[string][]string{"X-A": {"m1", "m2"}, "X-B": {"only"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			localrun.WriteProxyResponse(w, tt.resp)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if !bytes.Equal(w.Body.Bytes(), tt.wantBody) {
				t.Errorf("body = %q, want %q", w.Body.Bytes(), tt.wantBody)
			}
			for k, vs := range tt.wantHeader {
				if got := w.Header().Values(k); !slices.Equal(got, vs) {
					t.Errorf("header %s = %v, want %v", k, got, vs)
				}
			}
		})
	}
}

// apiFunction is the logical id of the first API function, the one tests stand in for.
func apiFunction(t *testing.T) lambdafn.Function {
	t.Helper()
	for _, f := range lambdafn.Functions() {
		if f.Kind == lambdafn.KindAPI {
			return f
		}
	}
	t.Fatal("no API function")
	return lambdafn.Function{}
}

// recorder is a stand-in function that records its events and answers with respond.
type recorder struct {
	mu      sync.Mutex
	events  []events.APIGatewayProxyRequest
	lambdas []lambdacontext.LambdaContext
	respond func(events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
}

func (rec *recorder) handler() lambda.Handler {
	return lambdafn.Typed[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse](func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		rec.mu.Lock()
		rec.events = append(rec.events, ev)
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			rec.lambdas = append(rec.lambdas, *lc)
		}
		rec.mu.Unlock()
		return rec.respond(ev)
	})
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.events)
}

func TestAPIGateway(t *testing.T) {
	t.Parallel()
	fn := apiFunction(t)
	ok := func(ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"X-Len": "n"}, Body: "len=" + strconv.Itoa(len(ev.Body))}, nil
	}
	tests := []struct {
		name       string
		respond    func(events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
		method     string
		path       string
		bodySize   int
		wantStatus int
		wantCalls  int
		wantError  string // X-Amzn-ErrorType of a gateway error
	}{
		{name: "served", respond: ok, method: fn.Route.Method, path: fn.Route.Path, wantStatus: 200, wantCalls: 1},
		{name: "10 MB body passes", respond: ok, method: fn.Route.Method, path: fn.Route.Path, bodySize: 10 << 20, wantStatus: 200, wantCalls: 1},
		{name: "10 MB + 1 body is refused", respond: ok, method: fn.Route.Method, path: fn.Route.Path, bodySize: 10<<20 + 1, wantStatus: 413, wantCalls: 0, wantError: "InternalServerErrorException"},
		{name: "function error is 502", respond: func(events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{}, errors.New("function crashed")
		}, method: fn.Route.Method, path: fn.Route.Path, wantStatus: 502, wantCalls: 1, wantError: "InternalServerErrorException"},
		{name: "response without status is 502", respond: func(events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{Body: "no status"}, nil
		}, method: fn.Route.Method, path: fn.Route.Path, wantStatus: 502, wantCalls: 1, wantError: "InternalServerErrorException"},
		{name: "unknown path is the API's 404", respond: ok, method: http.MethodGet, path: "/v1/no-such-route", wantStatus: 404, wantCalls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{respond: tt.respond}
			srv := httptest.NewServer(localrun.APIGateway(map[string]lambda.Handler{fn.LogicalID: rec.handler()}, quiet()))
			defer srv.Close()
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(bytes.Repeat([]byte("a"), tt.bodySize)))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := rec.count(); got != tt.wantCalls {
				t.Errorf("function called %d times, want %d", got, tt.wantCalls)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.wantError {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tt.wantError)
			}
			if tt.wantError != "" {
				var m map[string]string
				if err := json.Unmarshal(body, &m); err != nil || m["message"] == "" || strings.Contains(string(body), "crashed") {
					t.Errorf("gateway error body = %s; want {\"message\": ...} without the function's error", body)
				}
			}
			if tt.wantStatus == 200 {
				if string(body) != "len="+strconv.Itoa(tt.bodySize) || resp.Header.Get("X-Len") != "n" {
					t.Errorf("response = %q, headers %v", body, resp.Header)
				}
				ev := rec.events[0]
				if ev.Resource != fn.Route.Path || ev.HTTPMethod != fn.Route.Method {
					t.Errorf("event = %s %s", ev.HTTPMethod, ev.Resource)
				}
				lc := rec.lambdas[0]
				if lc.InvokedFunctionArn != localrun.FunctionARN(fn.LogicalID) || lc.AwsRequestID == "" {
					t.Errorf("lambda context = %+v", lc)
				}
			}
		})
	}
}
