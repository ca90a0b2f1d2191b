// Package signedhttp is the client side of the signed vendor protocol that the identity
// provider (pkg/identity) and the payment provider (pkg/payout) adapters speak: a JSON
// POST with X-Api-Key, X-Timestamp, X-Nonce, Idempotency-Key and X-Signature (Sign),
// retried with the same idempotency key on what may succeed on a second try. What the
// answer means is the adapter's; this package only delivers it.
package signedhttp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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

// Config is an adapter's settings: the vendor's base URL (https://..., or http:// on a
// loopback address: tests, a local fake), its API key and signing secret, the name its
// answers are recorded under (the endpoint's host if empty), and how it is retried:
// Attempts in all (default 3) for network errors, timeouts, 429 and 5xx (and 409 with
// RetryConflict: a provider still working on an earlier attempt under the same key), each
// bounded by Timeout (default 5 s), with exponential backoff and full jitter from Backoff
// (default 200 ms), or the server's Retry-After up to MaxRetryAfter (default 2 s).
type Config struct {
	Endpoint string
	Key      string
	Secret   string
	Name     string

	Timeout       time.Duration
	Attempts      int
	Backoff       time.Duration
	MaxRetryAfter time.Duration
}

// Resolve checks c and returns it with its defaults filled, and the URL of route under its
// endpoint. The endpoint must be absolute, without query or fragment, and https, or http
// on a loopback address: personal data and a signature travel in the request.
func (c Config) Resolve(route string) (Config, *url.URL, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return c, nil, fmt.Errorf("endpoint %q is not an absolute URL", c.Endpoint)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return c, nil, fmt.Errorf("endpoint must be https (http only on a loopback address), not %q", u.Scheme)
	}
	if c.Key == "" || c.Secret == "" {
		return c, nil, errors.New("key and secret are required")
	}
	if c.Name == "" {
		c.Name = u.Hostname()
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 200 * time.Millisecond
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = 2 * time.Second
	}
	return c, u.JoinPath(route), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client posts signed requests to one URL.
type Client struct {
	url           string
	cfg           Config
	retryConflict bool
	http          *http.Client
}

// New is the client of url (Resolve's) under cfg (resolved); retryConflict retries a 409
// too. client nil means one of its own. Redirects are never followed: a signed request
// goes to the configured endpoint only.
func New(url string, cfg Config, retryConflict bool, client *http.Client) *Client {
	if client == nil {
		client = &http.Client{}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{url: url, cfg: cfg, retryConflict: retryConflict, http: &c}
}

// Post sends body under the idempotency key idem and returns the first answer that is
// not worth another try: its status and body (at most 64 KB). The error is the last
// attempt's when every attempt failed or was refused for now, or ctx's when it ended a
// wait (wrapped, with the last failure); it never quotes the body.
func (c *Client) Post(ctx context.Context, body []byte, idem string) (int, []byte, error) {
	var last error
	for attempt := 0; attempt < c.cfg.Attempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, c.wait(attempt, last)); err != nil {
				return 0, nil, fmt.Errorf("%w (after %v)", err, last)
			}
		}
		status, answer, retry, err := c.try(ctx, body, idem)
		if err == nil {
			return status, answer, nil
		}
		last = fmt.Errorf("attempt %d: %w", attempt+1, err)
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return 0, nil, last
}

// retryAfter is a server's answer worth another try, with its Retry-After if it gave one.
type retryAfter struct {
	status int
	after  time.Duration
}

func (r retryAfter) Error() string { return "status " + strconv.Itoa(r.status) }

// wait is the pause before attempt n (1, 2, ...): the server's Retry-After when it gave
// one, capped, else exponential backoff with full jitter (so that many requests failing
// together do not retry together).
func (c *Client) wait(n int, last error) time.Duration {
	var ra retryAfter
	if errors.As(last, &ra) && ra.after > 0 {
		return min(ra.after, c.cfg.MaxRetryAfter)
	}
	d := c.cfg.Backoff << (n - 1)
	return time.Duration(mrand.Int64N(int64(d))) + time.Millisecond
}

// try makes one attempt: an answer, or whether another attempt may succeed.
func (c *Client) try(ctx context.Context, body []byte, idem string) (int, []byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, false, fmt.Errorf("build request: %w", err)
	}
	// A fresh timestamp and nonce per attempt: a server refusing replays must not refuse
	// our retry; the idempotency key is what ties the attempts together.
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), randomHex(16)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", c.cfg.Key)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("Idempotency-Key", idem)
	req.Header.Set("X-Signature", Sign(c.cfg.Secret, http.MethodPost, req.URL.EscapedPath(), ts, nonce, idem, body))
	resp, err := c.http.Do(req)
	if err != nil {
		// A network error or a timeout: the server may have acted; the retry's same key
		// makes that safe.
		return 0, nil, true, fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, nil, true, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || c.retryConflict && resp.StatusCode == http.StatusConflict {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return 0, nil, true, retryAfter{status: resp.StatusCode, after: time.Duration(max(secs, 0)) * time.Second}
	}
	return resp.StatusCode, b, false, nil
}

// Sign is the protocol's request signature: hex HMAC-SHA256 under secret of the method,
// path, timestamp, nonce, idempotency key and the hex SHA-256 of the body, joined by
// newlines.
func Sign(secret, method, path, timestamp, nonce, idempotencyKey string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%s\n%s", method, path, timestamp, nonce, idempotencyKey, hex.EncodeToString(sum[:]))
	return hex.EncodeToString(m.Sum(nil))
}

// RandomHex is n random bytes in hex (nonces, idempotency keys).
func RandomHex(n int) string { return randomHex(n) }

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
