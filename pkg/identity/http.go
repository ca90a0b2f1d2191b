package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/realname-kyc/realname/pkg/signedhttp"
)

// CheckPath is the vendor route the HTTP adapter calls (POST, JSON).
const CheckPath = "/v1/identity/check"

// HTTPConfig configures the HTTP adapter. The vendor protocol (README, "Identity
// provider"): POST Endpoint+CheckPath with {name, id_number, mobile?}; headers
// X-Api-Key, X-Timestamp (Unix seconds), X-Nonce, Idempotency-Key (the same on every
// retry of one check) and X-Signature, the hex HMAC-SHA256 under Secret of
// "POST\n<path>\n<timestamp>\n<nonce>\n<idempotency key>\n<hex SHA-256 of the body>";
// a 200 answers {result: "match" | "mismatch", reason?}. The settings are
// signedhttp.Config's (endpoint, key, secret, name, retries).
type HTTPConfig = signedhttp.Config

// HTTP is the adapter for a real vendor.
type HTTP struct {
	cfg    HTTPConfig
	url    string
	client *signedhttp.Client
}

// NewHTTP checks cfg and returns the adapter; client nil means a client of its own.
func NewHTTP(cfg HTTPConfig, client *http.Client) (*HTTP, error) {
	cfg, u, err := cfg.Resolve(CheckPath)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return &HTTP{cfg: cfg, url: u.String(), client: signedhttp.New(u.String(), cfg, false, client)}, nil
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
	status, b, err := h.client.Post(ctx, body, signedhttp.RandomHex(16))
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if status != http.StatusOK {
		// 4xx: our credentials or request are wrong; another try would be too.
		return Answer{}, fmt.Errorf("%w: status %d", ErrUnavailable, status)
	}
	var cr checkResponse
	if err := json.Unmarshal(b, &cr); err != nil {
		return Answer{}, fmt.Errorf("%w: answer is not JSON: %v", ErrUnavailable, err)
	}
	switch Result(cr.Result) {
	case Match:
		return Answer{Result: Match, Provider: h.cfg.Name}, nil
	case Mismatch:
		return Answer{Result: Mismatch, Provider: h.cfg.Name, Reason: reason(cr.Reason)}, nil
	}
	return Answer{}, fmt.Errorf("%w: answer has result %q", ErrUnavailable, cr.Result)
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
	return signedhttp.Sign(secret, http.MethodPost, path, timestamp, nonce, idempotencyKey, body)
}
