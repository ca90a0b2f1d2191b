package routeflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
)

// Client talks to an API server like an app: JSON in and out, redirects not followed.
type Client struct {
	ctx    context.Context
	base   string
	outbox string // the SMS outbox file the codes are read from
	http   *http.Client
	// Token is the session token sent as a bearer token ("" for none).
	Token string
}

// NewClient returns a client of the API at base whose requests are made with ctx; the
// codes of Register are read from the SMS outbox file (localsms).
func NewClient(ctx context.Context, base, outbox string) *Client {
	return &Client{ctx: ctx, base: base, outbox: outbox, http: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Envelope is the API's answer.
type Envelope struct {
	ErrorCode  int             `json:"error_code"`
	Msg        string          `json:"msg"`
	Data       json.RawMessage `json:"data"`
	NextCursor string          `json:"next_cursor"`
}

// Do sends a request and returns the status, the body and the headers.
func (c *Client) Do(method, path, contentType string, body []byte) (int, []byte, http.Header, error) {
	r, err := http.NewRequestWithContext(c.ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		r.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header, err
}

// JSON sends v as JSON and decodes the envelope; a status other than want is an error.
func (c *Client) JSON(method, path string, v any, want int) (Envelope, error) {
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	status, out, _, err := c.Do(method, path, "application/json", body)
	if err != nil {
		return Envelope{}, err
	}
	var e Envelope
	if err := json.Unmarshal(out, &e); err != nil || status != want {
		return e, fmt.Errorf("%s %s = %d %.300s, want %d", method, path, status, out, want)
	}
	return e, nil
}

// Register makes a user through the API with the code from the outbox and keeps its token.
func (c *Client) Register(phone, password string) error {
	if _, err := c.JSON(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": phone, "purpose": kyc.PurposeRegister}, 200); err != nil {
		return err
	}
	code, err := localsms.LastCode(c.outbox, phone, kyc.PurposeRegister)
	if err != nil {
		return err
	}
	e, err := c.JSON(http.MethodPost, "/v1/user/register", map[string]string{"phone": phone, "code": code, "password": password}, 201)
	if err != nil {
		return err
	}
	return c.takeToken(e)
}

// Login logs in and keeps the token.
func (c *Client) Login(phone, password string) error {
	e, err := c.JSON(http.MethodPost, "/v1/user/login", map[string]string{"phone": phone, "password": password}, 200)
	if err != nil {
		return err
	}
	return c.takeToken(e)
}

func (c *Client) takeToken(e Envelope) error {
	var t struct{ Token string }
	if err := json.Unmarshal(e.Data, &t); err != nil || t.Token == "" {
		return fmt.Errorf("no token in %s", e.Data)
	}
	c.Token = t.Token
	return nil
}

// UploadGrant asks for a presigned PUT.
func (c *Client) UploadGrant(slot, contentType string, n int) (key, url, method string, headers map[string]string, err error) {
	e, err := c.JSON(http.MethodPost, "/v1/uploads", map[string]any{"slot": slot, "content_type": contentType, "content_length": n}, 200)
	if err != nil {
		return "", "", "", nil, err
	}
	var g struct {
		Key, URL, Method string
		Headers          map[string]string
	}
	if err := json.Unmarshal(e.Data, &g); err != nil {
		return "", "", "", nil, err
	}
	return g.Key, g.URL, g.Method, g.Headers, nil
}

// Upload asks the API for a presigned PUT and sends data straight to the store; it
// returns the upload's key.
func (c *Client) Upload(slot, contentType string, data []byte) (string, error) {
	key, url, method, headers, err := c.UploadGrant(slot, contentType, len(data))
	if err != nil {
		return "", err
	}
	r, err := http.NewRequestWithContext(c.ctx, method, url, bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	for k, v := range headers {
		if k != "Content-Length" {
			r.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("PUT %s = %d", slot, resp.StatusCode)
	}
	return key, nil
}

// AccountID returns the caller's account id and state (GET /v1/account).
func (c *Client) AccountID() (string, string, error) {
	e, err := c.JSON(http.MethodGet, "/v1/account", nil, 200)
	if err != nil {
		return "", "", err
	}
	var a struct{ ID, State string }
	if err := json.Unmarshal(e.Data, &a); err != nil {
		return "", "", err
	}
	return a.ID, a.State, nil
}
