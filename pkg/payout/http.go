package payout

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/realname-kyc/realname/pkg/signedhttp"
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
//
// The other settings are signedhttp.Config's; a 409 is retried too (the provider still
// works on an earlier attempt under the same key). A Lambda answering a client should keep
// Attempts*Timeout plus the waits within its own deadline; ctx ends retries too.
type HTTPConfig = signedhttp.Config

// HTTP is the adapter for a payment provider.
type HTTP struct {
	cfg    HTTPConfig
	url    string
	client *signedhttp.Client
}

// NewHTTP checks cfg and returns the adapter; client nil means a client of its own.
func NewHTTP(cfg HTTPConfig, client *http.Client) (*HTTP, error) {
	cfg, u, err := cfg.Resolve(PayPath)
	if err != nil {
		return nil, fmt.Errorf("payout: %w", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("payout: endpoint %q carries credentials: the key and secret are the settings'", u.Redacted())
	}
	return &HTTP{cfg: cfg, url: u.String(), client: signedhttp.New(u.String(), cfg, true, client)}, nil
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
	status, b, err := h.client.Post(ctx, body, p.VerificationID)
	if err != nil {
		// Network errors, timeouts, 409, 429 and 5xx to the last attempt: the provider may
		// have paid; a later Pay of the same payout (the same key) asks again safely.
		return Receipt{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if status != http.StatusOK && status != http.StatusCreated {
		// 4xx: our credentials or request are wrong (or the key was reused with another
		// body); another try would be too.
		return Receipt{}, fmt.Errorf("%w: status %d", ErrUnavailable, status)
	}
	var pr payResponse
	if err := json.Unmarshal(b, &pr); err != nil {
		return Receipt{}, fmt.Errorf("%w: answer is not JSON: %w", ErrUnavailable, err)
	}
	switch Status(pr.Status) {
	case Accepted:
		if pr.PayoutID == "" {
			// Without the provider's id the payout cannot be reconciled: not a usable
			// answer, though the money may have moved (a later Pay of the same key asks
			// again).
			return Receipt{}, fmt.Errorf("%w: accepted answer has no payout_id", ErrUnavailable)
		}
		return Receipt{Status: Accepted, Reference: pr.PayoutID, Provider: h.cfg.Name}, nil
	case Refused:
		return Receipt{Status: Refused, Reason: reason(pr.Reason), Reference: pr.PayoutID, Provider: h.cfg.Name}, nil
	}
	// Not quoted: a confused provider may echo anything, bank details included.
	return Receipt{}, fmt.Errorf("%w: answer has an unknown status", ErrUnavailable)
}

// Sign is the request signature of the provider protocol (see HTTPConfig): hex
// HMAC-SHA256 under secret of the method, path, timestamp, nonce, idempotency key and
// the hex SHA-256 of the body, joined by newlines.
func Sign(secret, method, path, timestamp, nonce, idempotencyKey string, body []byte) string {
	return signedhttp.Sign(secret, method, path, timestamp, nonce, idempotencyKey, body)
}
