package main

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

// apiClient talks to an API server like an app: JSON in and out, redirects not followed.
type apiClient struct {
	ctx    context.Context
	base   string
	token  string
	outbox string // the SMS outbox file the codes are read from
	http   *http.Client
}

func newAPIClient(ctx context.Context, base, outbox string) *apiClient {
	return &apiClient{ctx: ctx, base: base, outbox: outbox, http: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type envelope struct {
	ErrorCode int             `json:"error_code"`
	Msg       string          `json:"msg"`
	Data      json.RawMessage `json:"data"`
}

// do sends a request and returns the status and the body.
func (c *apiClient) do(method, path, contentType string, body []byte) (int, []byte, http.Header, error) {
	r, err := http.NewRequestWithContext(c.ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header, err
}

// json sends v as JSON and decodes the envelope; a status other than want is an error.
func (c *apiClient) json(method, path string, v any, want int) (envelope, error) {
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	status, out, _, err := c.do(method, path, "application/json", body)
	if err != nil {
		return envelope{}, err
	}
	var e envelope
	if err := json.Unmarshal(out, &e); err != nil || status != want {
		return e, fmt.Errorf("%s %s = %d %.300s, want %d", method, path, status, out, want)
	}
	return e, nil
}

// register makes a user through the API with the code from the outbox and keeps its token.
func (c *apiClient) register(phone, password string) error {
	if _, err := c.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": phone, "purpose": kyc.PurposeRegister}, 200); err != nil {
		return err
	}
	code, err := localsms.LastCode(c.outbox, phone, kyc.PurposeRegister)
	if err != nil {
		return err
	}
	e, err := c.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": phone, "code": code, "password": password}, 201)
	if err != nil {
		return err
	}
	return c.takeToken(e)
}

func (c *apiClient) login(phone, password string) error {
	e, err := c.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": phone, "password": password}, 200)
	if err != nil {
		return err
	}
	return c.takeToken(e)
}

func (c *apiClient) takeToken(e envelope) error {
	var t struct{ Token string }
	if err := json.Unmarshal(e.Data, &t); err != nil || t.Token == "" {
		return fmt.Errorf("no token in %s", e.Data)
	}
	c.token = t.Token
	return nil
}

// uploadGrant asks for a presigned PUT.
func (c *apiClient) uploadGrant(slot, contentType string, n int) (key, url, method string, headers map[string]string, err error) {
	e, err := c.json(http.MethodPost, "/v1/uploads", map[string]any{"slot": slot, "content_type": contentType, "content_length": n}, 200)
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

// upload asks the API for a presigned PUT and sends data straight to the store.
func (c *apiClient) upload(slot, contentType string, data []byte) (string, error) {
	key, url, method, headers, err := c.uploadGrant(slot, contentType, len(data))
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

// accountID returns the caller's account id (GET /v1/account).
func (c *apiClient) accountID() (string, string, error) {
	e, err := c.json(http.MethodGet, "/v1/account", nil, 200)
	if err != nil {
		return "", "", err
	}
	var a struct{ ID, State string }
	if err := json.Unmarshal(e.Data, &a); err != nil {
		return "", "", err
	}
	return a.ID, a.State, nil
}
