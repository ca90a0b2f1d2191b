package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
)

func TestMuxUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	mux := muxOf(t, f.svc)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantCode   int
		wantAllow  string
	}{
		{"unknown path", http.MethodGet, "/v1/nope", 404, 1015, ""},
		{"root", http.MethodGet, "/", 404, 1015, ""},
		{"trailing slash", http.MethodGet, "/v1/health/", 404, 1015, ""},
		{"unknown path, POST", http.MethodPost, "/v1/nope", 404, 1015, ""},
		{"wrong method", http.MethodPost, "/v1/health", 405, 1006, "GET, HEAD"},
		{"wrong method DELETE", http.MethodDelete, "/v1/health", 405, 1006, "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(mux, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			e := envelopeOf(t, w)
			if e.ErrorCode != tt.wantCode || e.Msg == "" {
				t.Errorf("envelope = %+v, want error_code %d and a message", e, tt.wantCode)
			}
			if got := w.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name       string
		pingErr    error
		wantStatus int
		wantCode   int
		wantStore  string
	}{
		{"store ok", nil, 200, 1000, "ok"},
		{"store failing", errBoom, 503, 1050, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.pingErr != nil {
				f.withStore(faultStore{Store: f.store, pingErr: tt.pingErr})
			}
			w := serve(muxOf(t, f.svc), httptest.NewRequest(http.MethodGet, "/v1/health", nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			e := envelopeOf(t, w)
			if e.ErrorCode != tt.wantCode {
				t.Errorf("error_code = %d, want %d", e.ErrorCode, tt.wantCode)
			}
			var d struct {
				Version  string       `json:"version"`
				Backends app.Backends `json:"backends"`
				Store    string       `json:"store"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatalf("data %s: %v", e.Data, err)
			}
			if d.Version != "test-version" || d.Backends != f.svc.Backends || d.Store != tt.wantStore {
				t.Errorf("data = %+v; want version test-version, backends %+v, store %q", d, f.svc.Backends, tt.wantStore)
			}
			if strings.Contains(w.Body.String(), "10.1.2.3") {
				t.Errorf("health leaks the store error: %s", w.Body)
			}
		})
	}
}

// A store that hangs does not hang the health check past its own deadline.
func TestHealthStoreTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.withStore(hangingPing{f.store})
	start := time.Now()
	w := serve(muxOf(t, f.svc), httptest.NewRequest(http.MethodGet, "/v1/health", nil))
	if w.Code != 503 {
		t.Errorf("status = %d, want 503", w.Code)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("health took %v with a hanging store", d)
	}
}

type hangingPing struct{ kyc.Store }

func (hangingPing) Ping(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func TestPanicBecomes500(t *testing.T) {
	f := newFixture(t)
	rt := Route{Name: "panicky", Method: http.MethodGet, Path: "/test/panic", Role: kyc.RoleAnyone}
	panicky := func(*API, http.ResponseWriter, *http.Request) error { panic("secret-panic-detail") }
	w := serve(f.api.handle(rt, panicky), httptest.NewRequest(http.MethodGet, "/test/panic", nil))
	if w.Code != 500 {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	if e := envelopeOf(t, w); e.ErrorCode != 1050 || e.Msg != "Internal error." {
		t.Errorf("envelope = %+v, want 1050 Internal error.", e)
	}
	if strings.Contains(w.Body.String(), "secret-panic-detail") {
		t.Errorf("response leaks the panic: %s", w.Body)
	}
	logs := f.log.String()
	if !strings.Contains(logs, "secret-panic-detail") || !strings.Contains(logs, `"route":"panicky"`) || !strings.Contains(logs, `"status":500`) {
		t.Errorf("log lacks the panic or the access record: %s", logs)
	}
}

// The access log names the route and status, never the path, query or token.
func TestAccessLogHasNoSecrets(t *testing.T) {
	f := newFixture(t)
	token := f.session(t, f.user(t, kyc.RoleUser), time.Hour)
	r := httptest.NewRequest(http.MethodGet, "/test/echo/13800138000?auth_token="+token, nil)
	rt := echoRoute(http.MethodGet, kyc.RoleUser)
	rt.QueryToken = true // as the download routes
	w := serve(f.api.handle(rt, echo), r)
	if w.Code != 200 {
		t.Fatalf("status = %d: %s", w.Code, w.Body)
	}
	logs := f.log.String()
	for _, secret := range []string{token, HashToken(token), "13800138000", "auth_token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q: %s", secret, logs)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs)), &rec); err != nil {
		t.Fatalf("want exactly one JSON access record, got %q: %v", logs, err)
	}
	if rec["msg"] != "request" || rec["route"] != "echo" || rec["method"] != "GET" || rec["status"] != float64(200) {
		t.Errorf("access record = %v", rec)
	}
}

// Log records of a request carry its request id: API Gateway's when invoked through it,
// else the Lambda one.
func TestRequestIDInLogs(t *testing.T) {
	tests := []struct {
		name  string
		serve func(t *testing.T, h http.Handler)
		want  string
	}{
		{
			name: "lambda context",
			serve: func(t *testing.T, h http.Handler) {
				r := httptest.NewRequest(http.MethodGet, "/v1/health", nil)
				r = r.WithContext(lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"}))
				serve(h, r)
			},
			want: "lambda-req-1",
		},
		{
			name: "API Gateway proxy event",
			serve: func(t *testing.T, h http.Handler) {
				ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-2"})
				resp, err := httpadapter.New(h).ProxyWithContext(ctx, events.APIGatewayProxyRequest{
					HTTPMethod: http.MethodGet, Path: "/v1/health",
					RequestContext: events.APIGatewayProxyRequestContext{RequestID: "gw-req-2", DomainName: "localhost"},
				})
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("proxy = %d, %v", resp.StatusCode, err)
				}
			},
			want: "gw-req-2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.serve(t, mustRoute(t, Health, f.svc))
			var rec map[string]any
			if err := json.Unmarshal([]byte(strings.TrimSpace(f.log.String())), &rec); err != nil {
				t.Fatalf("log %q: %v", f.log.String(), err)
			}
			if rec["request_id"] != tt.want {
				t.Errorf("request_id = %v, want %s", rec["request_id"], tt.want)
			}
		})
	}
}

func TestRoutesTable(t *testing.T) {
	seen := map[string]bool{}
	ctors := Constructors()
	if len(ctors) != len(Routes()) {
		t.Errorf("%d constructors for %d routes", len(ctors), len(Routes()))
	}
	for _, rt := range Routes() {
		if ctors[rt.Name] == nil {
			t.Errorf("route %s has no constructor", rt.Name)
		}
		if rt.Name == "" || rt.LogicalID == "" || !strings.HasPrefix(rt.Path, "/v1/") {
			t.Errorf("incomplete route %+v", rt)
		}
		for _, k := range []string{"name:" + rt.Name, "id:" + rt.LogicalID, "pattern:" + rt.Pattern()} {
			if seen[k] {
				t.Errorf("route %s repeats %s", rt.Name, k)
			}
			seen[k] = true
		}
		if got, ok := Lookup(rt.Name); !ok || got.Pattern() != rt.Pattern() {
			t.Errorf("Lookup(%q) = %+v, %v", rt.Name, got, ok)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
	health, _ := Lookup("health")
	if health.Pattern() != "GET /v1/health" || health.Role != kyc.RoleAnyone {
		t.Errorf("health route = %+v", health)
	}
}
