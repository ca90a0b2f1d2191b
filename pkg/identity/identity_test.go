package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Placeholders, not real people: the adapters pass values through, the callers validate.
const (
	goodName = "测试人"
	fakeName = "测试人假"
	idNumber = "ID-NUMBER-PLACEHOLDER"
	mobile   = "13800001234"
	notOwner = "13800000000"
)

func TestSandbox(t *testing.T) {
	cases := []struct {
		f      Factors
		want   Result
		reason string
		kind   string
	}{
		{Factors{Name: goodName, IDNumber: idNumber}, Match, "", KindTwo},
		{Factors{Name: fakeName, IDNumber: idNumber}, Mismatch, ReasonNameID, KindTwo},
		{Factors{Name: goodName, IDNumber: idNumber, Mobile: mobile}, Match, "", KindThree},
		{Factors{Name: goodName, IDNumber: idNumber, Mobile: notOwner}, Mismatch, ReasonMobile, KindThree},
		{Factors{Name: fakeName, IDNumber: idNumber, Mobile: notOwner}, Mismatch, ReasonNameID, KindThree},
	}
	for _, c := range cases {
		got, err := Sandbox{}.Check(t.Context(), c.f)
		if err != nil || got.Result != c.want || got.Reason != c.reason || got.Provider != SandboxName || c.f.Kind() != c.kind {
			t.Errorf("Sandbox.Check(%+v) = %+v, %v (kind %s); want %s %q (kind %s)", c.f, got, err, c.f.Kind(), c.want, c.reason, c.kind)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := (Sandbox{}).Check(ctx, cases[0].f); err == nil {
		t.Error("a cancelled check answered")
	}
}

// vendor is a fake identity vendor written from the protocol's description (not from
// Sign): it checks the key, the signature, the timestamp's freshness and that retries
// keep their idempotency key, answers by the sandbox's rules, and misbehaves as told.
type vendor struct {
	t      *testing.T
	key    string
	secret string
	mu     sync.Mutex
	script []func(w http.ResponseWriter) bool // each request pops one; true means handled
	calls  int
	idems  map[string]int
}

func newVendor(t *testing.T) (*vendor, *httptest.Server) {
	v := &vendor{t: t, key: "app-key", secret: "vendor-secret", idems: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(srv.Close)
	return v, srv
}

func (v *vendor) then(fs ...func(w http.ResponseWriter) bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.script = append(v.script, fs...)
}

func (v *vendor) serve(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	v.calls++
	var step func(http.ResponseWriter) bool
	if len(v.script) > 0 {
		step, v.script = v.script[0], v.script[1:]
	}
	v.idems[r.Header.Get("Idempotency-Key")]++
	v.mu.Unlock()
	if step != nil && step(w) {
		return
	}
	body, _ := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, []byte(v.secret))
	mac.Write([]byte(strings.Join([]string{r.Method, r.URL.Path, r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce"),
		r.Header.Get("Idempotency-Key"), hex.EncodeToString(sum[:])}, "\n")))
	ts, _ := strconv.ParseInt(r.Header.Get("X-Timestamp"), 10, 64)
	switch {
	case r.Method != http.MethodPost || r.URL.Path != CheckPath:
		http.NotFound(w, r)
		return
	case r.Header.Get("X-Api-Key") != v.key || !hmac.Equal([]byte(r.Header.Get("X-Signature")), []byte(hex.EncodeToString(mac.Sum(nil)))):
		w.WriteHeader(http.StatusUnauthorized)
		return
	case time.Since(time.Unix(ts, 0)).Abs() > time.Minute || len(r.Header.Get("X-Nonce")) < 16:
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var req struct {
		Name, IDNumber, Mobile string
	}
	var raw map[string]string
	if err := json.Unmarshal(body, &raw); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	req.Name, req.IDNumber, req.Mobile = raw["name"], raw["id_number"], raw["mobile"]
	res := map[string]string{"result": "match"}
	switch {
	case req.IDNumber == "" || req.Name == "":
		w.WriteHeader(http.StatusBadRequest)
		return
	case strings.HasSuffix(req.Name, "假"):
		res = map[string]string{"result": "mismatch", "reason": "name_id_mismatch"}
	case strings.HasSuffix(req.Mobile, "0000"):
		res = map[string]string{"result": "mismatch", "reason": "mobile_not_owner"}
	}
	_ = json.NewEncoder(w).Encode(res)
}

func status(code int, retryAfter string) func(http.ResponseWriter) bool {
	return func(w http.ResponseWriter) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		return true
	}
}

func body(s string) func(http.ResponseWriter) bool {
	return func(w http.ResponseWriter) bool { _, _ = io.WriteString(w, s); return true }
}

func stall(d time.Duration) func(http.ResponseWriter) bool {
	return func(http.ResponseWriter) bool { time.Sleep(d); return false }
}

func adapter(t *testing.T, srv *httptest.Server, v *vendor, mod func(*HTTPConfig)) *HTTP {
	t.Helper()
	cfg := HTTPConfig{Endpoint: srv.URL, Key: v.key, Secret: v.secret, Name: "fake-vendor", Timeout: 300 * time.Millisecond, Backoff: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	h, err := NewHTTP(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHTTPVerdicts(t *testing.T) {
	v, srv := newVendor(t)
	h := adapter(t, srv, v, nil)
	for _, c := range []struct {
		f      Factors
		want   Result
		reason string
	}{
		{Factors{Name: goodName, IDNumber: idNumber}, Match, ""},
		{Factors{Name: fakeName, IDNumber: idNumber}, Mismatch, ReasonNameID},
		{Factors{Name: goodName, IDNumber: idNumber, Mobile: notOwner}, Mismatch, ReasonMobile},
	} {
		got, err := h.Check(t.Context(), c.f)
		if err != nil || got.Result != c.want || got.Reason != c.reason || got.Provider != "fake-vendor" {
			t.Errorf("Check(%+v) = %+v, %v; want %s %q", c.f, got, err, c.want, c.reason)
		}
	}
	if v.calls != 3 {
		t.Errorf("%d vendor calls, want 3 (one per check)", v.calls)
	}
}

// Failures that another try may cure are retried with the same idempotency key; the rest
// are ErrUnavailable at once; nothing that is not a verdict becomes one.
func TestHTTPFailures(t *testing.T) {
	f := Factors{Name: goodName, IDNumber: idNumber, Mobile: mobile}
	cases := []struct {
		name      string
		script    []func(http.ResponseWriter) bool
		mod       func(*HTTPConfig)
		wantErr   bool
		wantCalls int
	}{
		{"500 then a verdict", []func(http.ResponseWriter) bool{status(500, "")}, nil, false, 2},
		{"429 with Retry-After, then a verdict", []func(http.ResponseWriter) bool{status(429, "1")}, func(c *HTTPConfig) { c.MaxRetryAfter = 20 * time.Millisecond }, false, 2},
		{"a timeout, then a verdict", []func(http.ResponseWriter) bool{stall(500 * time.Millisecond)}, nil, false, 2},
		{"503 three times", []func(http.ResponseWriter) bool{status(503, ""), status(503, ""), status(503, "")}, nil, true, 3},
		{"401 (our credentials)", nil, func(c *HTTPConfig) { c.Secret = "wrong" }, true, 1},
		{"400", []func(http.ResponseWriter) bool{status(400, "")}, nil, true, 1},
		{"not JSON", []func(http.ResponseWriter) bool{body("<html>")}, nil, true, 1},
		{"an unknown result", []func(http.ResponseWriter) bool{body(`{"result":"maybe"}`)}, nil, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, srv := newVendor(t)
			v.then(c.script...)
			h := adapter(t, srv, v, c.mod)
			got, err := h.Check(t.Context(), f)
			if c.wantErr {
				if !errors.Is(err, ErrUnavailable) || got.Result != "" {
					t.Fatalf("Check = %+v, %v; want ErrUnavailable", got, err)
				}
				if strings.Contains(err.Error(), goodName) || strings.Contains(err.Error(), idNumber) || strings.Contains(err.Error(), mobile) {
					t.Errorf("error %q carries a factor's value", err)
				}
			} else if err != nil || got.Result != Match {
				t.Fatalf("Check = %+v, %v; want a match", got, err)
			}
			if v.calls != c.wantCalls {
				t.Errorf("%d vendor calls, want %d", v.calls, c.wantCalls)
			}
			if len(v.idems) != 1 {
				t.Errorf("idempotency keys %v: retries of one check must keep one", v.idems)
			}
		})
	}
}

func TestHTTPContextEndsRetries(t *testing.T) {
	v, srv := newVendor(t)
	v.then(status(503, ""), status(503, ""), status(503, ""))
	h := adapter(t, srv, v, func(c *HTTPConfig) { c.Backoff = time.Second; c.Attempts = 3 })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := h.Check(ctx, Factors{Name: goodName, IDNumber: idNumber}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Check = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("Check took %v after its context ended", d)
	}
}

func TestNewHTTPRefuses(t *testing.T) {
	for _, cfg := range []HTTPConfig{
		{Endpoint: "http://vendor.example.com", Key: "k", Secret: "s"},
		{Endpoint: "vendor.example.com/check", Key: "k", Secret: "s"},
		{Endpoint: "https://vendor.example.com?x=1", Key: "k", Secret: "s"},
		{Endpoint: "https://vendor.example.com", Secret: "s"},
		{Endpoint: "https://vendor.example.com", Key: "k"},
	} {
		if _, err := NewHTTP(cfg, nil); err == nil {
			t.Errorf("NewHTTP(%+v) accepted", cfg)
		}
	}
	if h, err := NewHTTP(HTTPConfig{Endpoint: "https://vendor.example.com/base", Key: "k", Secret: "s"}, nil); err != nil || h.url != "https://vendor.example.com/base"+CheckPath || h.cfg.Name != "vendor.example.com" {
		t.Errorf("NewHTTP of a good config: %+v, %v", h, err)
	}
}

// A redirect is not followed: the signed request goes nowhere but the endpoint.
func TestHTTPDoesNotFollowRedirects(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect was followed")
	}))
	defer elsewhere.Close()
	v, srv := newVendor(t)
	v.then(func(w http.ResponseWriter) bool {
		w.Header().Set("Location", elsewhere.URL+CheckPath)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return true
	})
	h := adapter(t, srv, v, nil)
	if _, err := h.Check(t.Context(), Factors{Name: goodName, IDNumber: idNumber}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Check = %v, want ErrUnavailable", err)
	}
}
