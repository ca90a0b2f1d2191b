package identity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CheckPath is the vendor route the HTTP adapter calls (POST, JSON).
const CheckPath = "/v1/identity/check"

// HTTPConfig configures the HTTP adapter. The vendor protocol (README, "Identity
// provider"): POST Endpoint+CheckPath with {name, id_number, mobile?}; headers
// X-Api-Key, X-Timestamp (Unix seconds), X-Nonce, Idempotency-Key (the same on every
// retry of one check) and X-Signature, the hex HMAC-SHA256 under Secret of
// "POST\n<path>\n<timestamp>\n<nonce>\n<idempotency key>\n<hex SHA-256 of the body>";
// a 200 answers {result: "match" | "mismatch", reason?}.
type HTTPConfig struct {
	Endpoint string // https://..., or http:// on a loopback address (tests, a local fake)
	Key      string
	Secret   string
	// Name is the provider name factor records carry; the endpoint's host if empty.
	Name string
	// Timeout bounds each attempt (default 5 s); Attempts is how many are made in all
	// (default 3) for network errors, timeouts, 429 and 5xx, with exponential backoff
	// and full jitter from Backoff (default 200 ms), or the vendor's Retry-After up to
	// MaxRetryAfter (default 2 s).
	Timeout       time.Duration
	Attempts      int
	Backoff       time.Duration
	MaxRetryAfter time.Duration
}

// HTTP is the adapter for a real vendor.
type HTTP struct {
	cfg    HTTPConfig
	url    string
	client *http.Client
}

// NewHTTP checks cfg and returns the adapter; client nil means a client of its own.
func NewHTTP(cfg HTTPConfig, client *http.Client) (*HTTP, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("identity: endpoint %q is not an absolute URL", cfg.Endpoint)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, fmt.Errorf("identity: endpoint must be https (http only on a loopback address), not %q", u.Scheme)
	}
	if cfg.Key == "" || cfg.Secret == "" {
		return nil, errors.New("identity: key and secret are required")
	}
	if cfg.Name == "" {
		cfg.Name = u.Hostname()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 2 * time.Second
	}
	if client == nil {
		client = &http.Client{}
	}
	// Redirects are not followed: a signed request goes to the configured endpoint only.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &HTTP{cfg: cfg, url: u.JoinPath(CheckPath).String(), client: &c}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type checkRequest struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Mobile   string `json:"mobile,omitempty"`
}

type checkResponse struct {
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// Check asks the vendor, retrying what may succeed on a second try. Any answer that is
// not a verdict is ErrUnavailable (wrapped with what happened, never with the values).
func (h *HTTP) Check(ctx context.Context, f Factors) (Answer, error) {
	body, err := json.Marshal(checkRequest(f))
	if err != nil {
		return Answer{}, fmt.Errorf("identity: encode: %w", err)
	}
	idem := randomHex(16)
	var last error
	for attempt := 0; attempt < h.cfg.Attempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, h.wait(attempt, last)); err != nil {
				return Answer{}, fmt.Errorf("%w: %v (after %v)", ErrUnavailable, err, last)
			}
		}
		ans, retry, err := h.try(ctx, body, idem)
		if err == nil {
			return ans, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return Answer{}, fmt.Errorf("%w: %v", ErrUnavailable, last)
}

// retryAfter is a vendor's 429 or 503 with a Retry-After header.
type retryAfter struct {
	status int
	after  time.Duration
}

func (r retryAfter) Error() string { return "status " + strconv.Itoa(r.status) }

// wait is the pause before attempt n (1, 2, ...): the vendor's Retry-After when it gave
// one, capped, else exponential backoff with full jitter.
func (h *HTTP) wait(n int, last error) time.Duration {
	var ra retryAfter
	if errors.As(last, &ra) && ra.after > 0 {
		return min(ra.after, h.cfg.MaxRetryAfter)
	}
	d := h.cfg.Backoff << (n - 1)
	return time.Duration(mrand.Int64N(int64(d))) + time.Millisecond
}

// try makes one attempt: the answer, or whether another attempt may succeed.
func (h *HTTP) try(ctx context.Context, body []byte, idem string) (Answer, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, false, err
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), randomHex(16)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", h.cfg.Key)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("Idempotency-Key", idem)
	req.Header.Set("X-Signature", Sign(h.cfg.Secret, req.URL.EscapedPath(), ts, nonce, idem, body))
	resp, err := h.client.Do(req)
	if err != nil {
		return Answer{}, true, fmt.Errorf("request: %w", err) // network error or timeout
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Answer{}, true, fmt.Errorf("read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return Answer{}, true, retryAfter{status: resp.StatusCode, after: time.Duration(max(secs, 0)) * time.Second}
	case resp.StatusCode != http.StatusOK:
		// 4xx: our credentials or request are wrong; another try would be too.
		return Answer{}, false, fmt.Errorf("status %d", resp.StatusCode)
	}
	var cr checkResponse
	if err := json.Unmarshal(b, &cr); err != nil {
		return Answer{}, false, fmt.Errorf("answer is not JSON: %w", err)
	}
	switch Result(cr.Result) {
	case Match:
		return Answer{Result: Match, Provider: h.cfg.Name}, false, nil
	case Mismatch:
		return Answer{Result: Mismatch, Provider: h.cfg.Name, Reason: reason(cr.Reason)}, false, nil
	}
	return Answer{}, false, fmt.Errorf("answer has result %q", cr.Result)
}

// reason keeps a vendor's mismatch reason only if it is one of ours: the factor record
// and the API answer it, so it must be a documented value.
func reason(r string) string {
	if r == ReasonMobile {
		return r
	}
	return ReasonNameID
}

// Sign is the request signature of the vendor protocol (see HTTPConfig).
func Sign(secret, path, timestamp, nonce, idempotencyKey string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "POST\n%s\n%s\n%s\n%s\n%s", path, timestamp, nonce, idempotencyKey, hex.EncodeToString(sum[:]))
	return hex.EncodeToString(m.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
