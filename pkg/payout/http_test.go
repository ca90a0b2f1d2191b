package payout

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Placeholders, not a real company or account.
const (
	companyName = "测试科技有限公司"
	accountNo   = "6222020200112233445"
	closedNo    = "6222020200112230000"
	oddNo       = "6222020200112239999" // the fake refuses it with a reason we do not know
)

func goodPayout() Payout {
	return Payout{VerificationID: "bv_01JF2X3Y4Z", AccountID: "acct_1", AccountName: companyName,
		AccountNo: accountNo, BankName: "测试银行", Branch: "测试支行", AmountFen: 37}
}

// provider is a fake payment provider written from the protocol's description in
// HTTPConfig (not from Sign): it checks the key, the signature, the timestamp's freshness,
// refuses a nonce seen before, keeps one payout per idempotency key (a repeated key with
// the same body gets the first answer and pays nothing; with another body, 422), refuses
// by its own rules, and misbehaves as its script says.
type provider struct {
	key     string
	secret  string
	mu      sync.Mutex
	script  []step
	calls   int
	idems   map[string]int
	nonces  map[string]bool
	payouts map[string]paid // by idempotency key
}

type paid struct {
	bodySum string
	answer  map[string]string
}

// step handles one request. pay makes the payout (once per key) and returns its answer;
// a step that returns true has answered, false lets the fake answer normally.
type step func(w http.ResponseWriter, pay func() map[string]string) bool

func newProvider(t *testing.T) (*provider, *httptest.Server) {
	p := &provider{key: "app-key", secret: "provider-secret", idems: map[string]int{}, nonces: map[string]bool{}, payouts: map[string]paid{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *provider) then(s ...step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = append(p.script, s...)
}

func (p *provider) count() (calls, payouts int, idems map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]int{}
	for k, v := range p.idems {
		m[k] = v
	}
	return p.calls, len(p.payouts), m
}

func (p *provider) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	bodySum := hex.EncodeToString(sum[:])
	idem, nonce := r.Header.Get("Idempotency-Key"), r.Header.Get("X-Nonce")
	p.mu.Lock()
	p.calls++
	p.idems[idem]++
	var s step
	if len(p.script) > 0 {
		s, p.script = p.script[0], p.script[1:]
	}
	replay := p.nonces[nonce]
	p.nonces[nonce] = true
	p.mu.Unlock()

	mac := hmac.New(sha256.New, []byte(p.secret))
	mac.Write([]byte(strings.Join([]string{r.Method, r.URL.Path, r.Header.Get("X-Timestamp"), nonce, idem, bodySum}, "\n")))
	ts, _ := strconv.ParseInt(r.Header.Get("X-Timestamp"), 10, 64)
	switch {
	case r.Method != http.MethodPost || r.URL.Path != PayPath:
		http.NotFound(w, r)
		return
	case r.Header.Get("X-Api-Key") != p.key || !hmac.Equal([]byte(r.Header.Get("X-Signature")), []byte(hex.EncodeToString(mac.Sum(nil)))):
		w.WriteHeader(http.StatusUnauthorized)
		return
	case time.Since(time.Unix(ts, 0)).Abs() > time.Minute || len(nonce) < 16 || replay || idem == "":
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var req struct {
		AccountName string `json:"account_name"`
		AccountNo   string `json:"account_no"`
		BankName    string `json:"bank_name"`
		AmountFen   int64  `json:"amount_fen"`
		Currency    string `json:"currency"`
		Reference   string `json:"reference"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.AmountFen <= 0 || req.Currency != "CNY" || req.AccountNo == "" || req.Reference != idem {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	conflict := false
	pay := func() map[string]string {
		p.mu.Lock()
		defer p.mu.Unlock()
		if prev, ok := p.payouts[idem]; ok {
			conflict = prev.bodySum != bodySum
			return prev.answer
		}
		a := map[string]string{"status": "accepted", "payout_id": fmt.Sprintf("po_%d", len(p.payouts)+1)}
		switch {
		case strings.HasSuffix(req.AccountName, "假"):
			a = map[string]string{"status": "refused", "reason": "account_name_mismatch", "payout_id": a["payout_id"]}
		case strings.HasSuffix(req.AccountNo, "0000"):
			a = map[string]string{"status": "refused", "reason": "account_closed", "payout_id": a["payout_id"]}
		case strings.HasSuffix(req.AccountNo, "9999"):
			a = map[string]string{"status": "refused", "reason": "risk_control_" + req.AccountNo, "payout_id": a["payout_id"]}
		}
		p.payouts[idem] = paid{bodySum: bodySum, answer: a}
		return a
	}
	if s != nil && s(w, pay) {
		return
	}
	a := pay()
	if conflict {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(a)
}

// status answers code before paying.
func status(code int, retryAfter string) step {
	return func(w http.ResponseWriter, _ func() map[string]string) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		return true
	}
}

// paidThen pays and then answers code, as a provider whose answer is lost does.
func paidThen(code int) step {
	return func(w http.ResponseWriter, pay func() map[string]string) bool {
		pay()
		w.WriteHeader(code)
		return true
	}
}

// stall waits before the fake answers normally (the adapter has gone by then).
func stall(d time.Duration) step {
	return func(http.ResponseWriter, func() map[string]string) bool { time.Sleep(d); return false }
}

// paidThenStall pays and then waits past the adapter's timeout.
func paidThenStall(d time.Duration) step {
	return func(w http.ResponseWriter, pay func() map[string]string) bool { pay(); time.Sleep(d); return false }
}

func body(s string) step {
	return func(w http.ResponseWriter, _ func() map[string]string) bool { _, _ = io.WriteString(w, s); return true }
}

func adapter(t *testing.T, srv *httptest.Server, p *provider, mod func(*HTTPConfig)) *HTTP {
	t.Helper()
	cfg := HTTPConfig{Endpoint: srv.URL, Key: p.key, Secret: p.secret, Name: "fake-provider", Timeout: 300 * time.Millisecond, Backoff: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	h, err := NewHTTP(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHTTPAnswers(t *testing.T) {
	p, srv := newProvider(t)
	h := adapter(t, srv, p, nil)
	for i, c := range []struct {
		name, no   string
		want       Status
		wantReason string
	}{
		{companyName, accountNo, Accepted, ""},
		{companyName + "假", accountNo, Refused, ReasonNameMismatch},
		{companyName, closedNo, Refused, ReasonAccountClosed},
		{companyName, oddNo, Refused, ReasonRefused}, // a reason we do not know is not passed on
	} {
		po := goodPayout()
		po.VerificationID = fmt.Sprintf("bv_%d", i)
		po.AccountName, po.AccountNo = c.name, c.no
		got, err := h.Pay(t.Context(), po)
		if err != nil || got.Status != c.want || got.Reason != c.wantReason || got.Provider != "fake-provider" || got.Reference == "" {
			t.Errorf("Pay(%s, %s) = %+v, %v; want %s %q", c.name, MaskAccountNo(c.no), got, err, c.want, c.wantReason)
		}
	}
	if calls, payouts, _ := p.count(); calls != 4 || payouts != 4 {
		t.Errorf("%d calls, %d payouts; want 4 and 4", calls, payouts)
	}
}

// Failures that another try may cure are retried with the verification id as the
// idempotency key; however many attempts, at most one payout is made; the rest are
// ErrUnavailable at once; nothing that is not a judgement becomes one.
func TestHTTPFailures(t *testing.T) {
	cases := []struct {
		name        string
		script      []step
		mod         func(*HTTPConfig)
		wantErr     bool
		wantCalls   int
		wantPayouts int
	}{
		{"500 then accepted", []step{status(500, "")}, nil, false, 2, 1},
		{"paid, the answer lost in a 502, retried", []step{paidThen(502)}, nil, false, 2, 1},
		{"409 (the first attempt still in progress), then accepted", []step{paidThen(409)}, nil, false, 2, 1},
		{"429 with Retry-After, then accepted", []step{status(429, "1")}, func(c *HTTPConfig) { c.MaxRetryAfter = 20 * time.Millisecond }, false, 2, 1},
		{"a timeout, then accepted", []step{stall(500 * time.Millisecond)}, nil, false, 2, 1},
		{"paid, then a timeout, retried", []step{paidThenStall(500 * time.Millisecond)}, nil, false, 2, 1},
		{"503 three times", []step{status(503, ""), status(503, ""), status(503, "")}, nil, true, 3, 0},
		{"a bad signature (our secret is wrong)", nil, func(c *HTTPConfig) { c.Secret = "wrong" }, true, 1, 0},
		{"a wrong key", nil, func(c *HTTPConfig) { c.Key = "other-app" }, true, 1, 0},
		{"400", []step{status(400, "")}, nil, true, 1, 0},
		{"not JSON", []step{body("<html>")}, nil, true, 1, 0},
		{"an unknown status", []step{body(`{"status":"maybe","payout_id":"po_x"}`)}, nil, true, 1, 0},
		{"accepted without a payout id", []step{body(`{"status":"accepted"}`)}, nil, true, 1, 0},
		{"an empty 200", []step{status(200, "")}, nil, true, 1, 0},
		{"a redirect", []step{func(w http.ResponseWriter, _ func() map[string]string) bool {
			w.Header().Set("Location", "http://127.0.0.1:1"+PayPath)
			w.WriteHeader(http.StatusTemporaryRedirect)
			return true
		}}, nil, true, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, srv := newProvider(t)
			p.then(c.script...)
			h := adapter(t, srv, p, c.mod)
			po := goodPayout()
			got, err := h.Pay(t.Context(), po)
			if c.wantErr {
				if !errors.Is(err, ErrUnavailable) || got.Status != "" {
					t.Fatalf("Pay = %+v, %v; want ErrUnavailable", got, err)
				}
				for _, secret := range []string{po.AccountNo, po.AccountName, "0.37", "37"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q carries a payout's value", err)
					}
				}
			} else if err != nil || got.Status != Accepted || got.Reference != "po_1" {
				t.Fatalf("Pay = %+v, %v; want accepted as po_1", got, err)
			}
			calls, payouts, idems := p.count()
			if calls != c.wantCalls || payouts != c.wantPayouts {
				t.Errorf("%d calls and %d payouts, want %d and %d", calls, payouts, c.wantCalls, c.wantPayouts)
			}
			if len(idems) != 1 || idems[po.VerificationID] != calls {
				t.Errorf("idempotency keys %v: every attempt must send the verification id", idems)
			}
		})
	}
}

// A caller that got ErrUnavailable pays again later with the same payout: the provider
// that paid the first time pays nothing more and answers the first payout.
func TestHTTPPayAgainAfterUnavailable(t *testing.T) {
	p, srv := newProvider(t)
	p.then(paidThen(503), status(503, ""), status(503, ""))
	h := adapter(t, srv, p, nil)
	if _, err := h.Pay(t.Context(), goodPayout()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("first Pay = %v, want ErrUnavailable", err)
	}
	got, err := h.Pay(t.Context(), goodPayout())
	if err != nil || got.Status != Accepted || got.Reference != "po_1" {
		t.Fatalf("second Pay = %+v, %v; want the first payout, accepted", got, err)
	}
	if calls, payouts, _ := p.count(); calls != 4 || payouts != 1 {
		t.Errorf("%d calls and %d payouts; want 4 and 1", calls, payouts)
	}
	// The same key with other bank details is the provider's 422: not a payout, and not
	// retried.
	other := goodPayout()
	other.AmountFen = 38
	if _, err := h.Pay(t.Context(), other); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Pay of another body under the same key = %v, want ErrUnavailable", err)
	}
	if calls, payouts, _ := p.count(); calls != 5 || payouts != 1 {
		t.Errorf("%d calls and %d payouts; want 5 and 1", calls, payouts)
	}
}

func TestHTTPContextEndsRetries(t *testing.T) {
	p, srv := newProvider(t)
	p.then(status(503, ""), status(503, ""), status(503, ""))
	h := adapter(t, srv, p, func(c *HTTPConfig) { c.Backoff = time.Second; c.Attempts = 3 })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := h.Pay(ctx, goodPayout()); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Pay = %v, want ErrUnavailable and the deadline", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("Pay took %v after its context ended", d)
	}
}

// An invalid payout is a caller's mistake, refused before any request; not ErrUnavailable.
func TestHTTPRefusesInvalidPayouts(t *testing.T) {
	p, srv := newProvider(t)
	h := adapter(t, srv, p, nil)
	for name, mod := range map[string]func(*Payout){
		"no verification id":      func(p *Payout) { p.VerificationID = "" },
		"a header-breaking id":    func(p *Payout) { p.VerificationID = "bv\r\nX-Evil: 1" },
		"a zero amount":           func(p *Payout) { p.AmountFen = 0 },
		"a negative amount":       func(p *Payout) { p.AmountFen = -1 },
		"no account name":         func(p *Payout) { p.AccountName = "" },
		"no bank name":            func(p *Payout) { p.BankName = "" },
		"letters in the number":   func(p *Payout) { p.AccountNo = "6222abc0200112233" },
		"a short account number":  func(p *Payout) { p.AccountNo = "12345" },
		"a too long branch":       func(p *Payout) { p.Branch = strings.Repeat("支", 256) },
		"invalid UTF-8 in a name": func(p *Payout) { p.AccountName = "\xff" },
	} {
		po := goodPayout()
		mod(&po)
		if _, err := h.Pay(t.Context(), po); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: Pay = %v, want a validation error", name, err)
		}
	}
	if calls, _, _ := p.count(); calls != 0 {
		t.Errorf("%d provider calls for invalid payouts", calls)
	}
}

func TestNewHTTPRefuses(t *testing.T) {
	for _, cfg := range []HTTPConfig{
		{Endpoint: "http://pay.example.com", Key: "k", Secret: "s"},
		{Endpoint: "pay.example.com/v1", Key: "k", Secret: "s"},
		{Endpoint: "https://pay.example.com?x=1", Key: "k", Secret: "s"},
		{Endpoint: "https://user:pw@pay.example.com", Key: "k", Secret: "s"},
		{Endpoint: "https://pay.example.com", Secret: "s"},
		{Endpoint: "https://pay.example.com", Key: "k"},
	} {
		if _, err := NewHTTP(cfg, nil); err == nil {
			t.Errorf("NewHTTP(%+v) accepted", cfg)
		}
	}
	h, err := NewHTTP(HTTPConfig{Endpoint: "https://pay.example.com/base", Key: "k", Secret: "s"}, nil)
	if err != nil || h.url != "https://pay.example.com/base"+PayPath || h.cfg.Name != "pay.example.com" || h.cfg.Attempts != 3 || h.cfg.Timeout != 5*time.Second {
		t.Errorf("NewHTTP of a good config: %+v, %v", h, err)
	}
}

// Sign against a value computed by hand from the protocol's description (openssl dgst
// -sha256 -hmac provider-secret over the joined string), so a change to the signed
// string breaks this test even if the fake changed with it.
func TestSignKnownValue(t *testing.T) {
	got := Sign("provider-secret", "POST", "/v1/payouts", "1765000000", "00112233445566778899aabbccddeeff", "bv_1", []byte(`{}`))
	const want = "e8a86a85359baddf23a3913eb53f9ec4f22e6dd09171cac1ee8471d47abd7dcb"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
