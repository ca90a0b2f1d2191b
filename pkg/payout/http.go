package payout

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

// PayPath is the provider route the HTTP adapter calls (POST, JSON).
const PayPath = "/v1/payouts"

// HTTPConfig configures the HTTP adapter. The provider protocol:
//
//	POST Endpoint+PayPath
//	{"account_name", "account_no", "bank_name", "branch"?, "amount_fen", "currency": "CNY",
//	 "reference": <verification id>}
//
// with headers X-Api-Key, X-Timestamp (Unix seconds), X-Nonce (random, 32 hex digits),
// Idempotency-Key (the verification id, the same on every retry and every later Pay of
// the same payout) and X-Signature, the hex HMAC-SHA256 under Secret of
// "POST\n<path>\n<timestamp>\n<nonce>\n<idempotency key>\n<hex SHA-256 of the body>"
// (Sign). A 200 or 201 answers {"status": "accepted" | "refused", "payout_id", "reason"?};
// a repeated Idempotency-Key answers the first payout's answer without paying again, or
// 409 while the first request is still being processed; the same key with another body
// is a 4xx other than 409 and 429.
type HTTPConfig struct {
	Endpoint string // https://..., or http:// on a loopback address (tests, a local fake)
	Key      string
	Secret   string
	// Name is the provider name receipts carry; the endpoint's host if empty.
	Name string
	// Timeout bounds each attempt (default 5 s); Attempts is how many are made in all
	// (default 3) for network errors, timeouts, 409, 429 and 5xx, with exponential backoff
	// and full jitter from Backoff (default 200 ms), or the provider's Retry-After up to
	// MaxRetryAfter (default 2 s). A Lambda answering a client should keep
	// Attempts*Timeout plus the waits within its own deadline; ctx ends retries too.
	Timeout       time.Duration
	Attempts      int
	Backoff       time.Duration
	MaxRetryAfter time.Duration
}

// HTTP is the adapter for a payment provider.
type HTTP struct {
	cfg    HTTPConfig
	url    string
	client *http.Client
}

// NewHTTP checks cfg and returns the adapter; client nil means a client of its own.
func NewHTTP(cfg HTTPConfig, client *http.Client) (*HTTP, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("payout: endpoint %q is not an absolute URL without query or credentials", cfg.Endpoint)
	}
	// Bank details and a signature travel in the request: https only, except to a fake
	// provider on this machine.
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, fmt.Errorf("payout: endpoint must be https (http only on a loopback address), not %q", u.Scheme)
	}
	if cfg.Key == "" || cfg.Secret == "" {
		return nil, errors.New("payout: key and secret are required")
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
	// Redirects are not followed: a signed payout goes to the configured endpoint only.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &HTTP{cfg: cfg, url: u.JoinPath(PayPath).String(), client: &c}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type payRequest struct {
	AccountName string `json:"account_name"`
	AccountNo   string `json:"account_no"`
	BankName    string `json:"bank_name"`
	Branch      string `json:"branch,omitempty"`
	AmountFen   int64  `json:"amount_fen"`
	Currency    string `json:"currency"`
	Reference   string `json:"reference"`
}

type payResponse struct {
	Status   string `json:"status"`
	PayoutID string `json:"payout_id"`
	Reason   string `json:"reason"`
}

// Pay asks the provider to pay p, retrying what may succeed on a second try with the
// same idempotency key. Any answer that is not a judgement is ErrUnavailable (wrapped
// with what happened, never with the payout's values).
func (h *HTTP) Pay(ctx context.Context, p Payout) (Receipt, error) {
	if err := p.Validate(); err != nil {
		return Receipt{}, err
	}
	// The body is encoded once: every attempt sends the same bytes under the same key, so
	// a provider that compares a repeated key's body sees no difference.
	body, err := json.Marshal(payRequest{
		AccountName: p.AccountName, AccountNo: p.AccountNo, BankName: p.BankName, Branch: p.Branch,
		AmountFen: p.AmountFen, Currency: "CNY", Reference: p.VerificationID,
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("payout: encode: %w", err)
	}
	var last error
	for attempt := 0; attempt < h.cfg.Attempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, h.wait(attempt, last)); err != nil {
				return Receipt{}, fmt.Errorf("%w: %w (after %v)", ErrUnavailable, err, last)
			}
		}
		r, retry, err := h.try(ctx, body, p.VerificationID)
		if err == nil {
			return r, nil
		}
		last = fmt.Errorf("attempt %d: %w", attempt+1, err)
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return Receipt{}, fmt.Errorf("%w: %w", ErrUnavailable, last)
}

// retryAfter is a provider's 409, 429 or 5xx, with its Retry-After if it gave one.
type retryAfter struct {
	status int
	after  time.Duration
}

func (r retryAfter) Error() string { return "status " + strconv.Itoa(r.status) }

// wait is the pause before attempt n (1, 2, ...): the provider's Retry-After when it
// gave one, capped, else exponential backoff with full jitter (so that many payouts
// failing together do not retry together).
func (h *HTTP) wait(n int, last error) time.Duration {
	var ra retryAfter
	if errors.As(last, &ra) && ra.after > 0 {
		return min(ra.after, h.cfg.MaxRetryAfter)
	}
	d := h.cfg.Backoff << (n - 1)
	return time.Duration(mrand.Int64N(int64(d))) + time.Millisecond
}

// try makes one attempt: the receipt, or whether another attempt may succeed.
func (h *HTTP) try(ctx context.Context, body []byte, idem string) (Receipt, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, false, fmt.Errorf("build request: %w", err)
	}
	// A fresh timestamp and nonce per attempt: a provider refusing replays must not
	// refuse our retry; the idempotency key is what ties the attempts together.
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), randomHex(16)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", h.cfg.Key)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("Idempotency-Key", idem)
	req.Header.Set("X-Signature", Sign(h.cfg.Secret, http.MethodPost, req.URL.EscapedPath(), ts, nonce, idem, body))
	resp, err := h.client.Do(req)
	if err != nil {
		// A network error or a timeout: the provider may have paid; the retry's same
		// key makes that safe.
		return Receipt{}, true, fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Receipt{}, true, fmt.Errorf("read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusConflict || resp.StatusCode >= 500:
		// 409 is a provider still working on an earlier attempt under the same key (the
		// first timed out here but not there): the next attempt gets its answer.
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return Receipt{}, true, retryAfter{status: resp.StatusCode, after: time.Duration(max(secs, 0)) * time.Second}
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated:
		// 4xx: our credentials or request are wrong (or the key was reused with another
		// body); another try would be too.
		return Receipt{}, false, fmt.Errorf("status %d", resp.StatusCode)
	}
	var pr payResponse
	if err := json.Unmarshal(b, &pr); err != nil {
		return Receipt{}, false, fmt.Errorf("answer is not JSON: %w", err)
	}
	switch Status(pr.Status) {
	case Accepted:
		if pr.PayoutID == "" {
			// Without the provider's id the payout cannot be reconciled: not a usable
			// answer, though the money may have moved (a later Pay of the same key asks
			// again).
			return Receipt{}, false, errors.New("accepted answer has no payout_id")
		}
		return Receipt{Status: Accepted, Reference: pr.PayoutID, Provider: h.cfg.Name}, false, nil
	case Refused:
		return Receipt{Status: Refused, Reason: reason(pr.Reason), Reference: pr.PayoutID, Provider: h.cfg.Name}, false, nil
	}
	// Not quoted: a confused provider may echo anything, bank details included.
	return Receipt{}, false, errors.New("answer has an unknown status")
}

// Sign is the request signature of the provider protocol (see HTTPConfig): hex
// HMAC-SHA256 under secret of the method, path, timestamp, nonce, idempotency key and
// the hex SHA-256 of the body, joined by newlines.
func Sign(secret, method, path, timestamp, nonce, idempotencyKey string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%s\n%s", method, path, timestamp, nonce, idempotencyKey, hex.EncodeToString(sum[:]))
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
