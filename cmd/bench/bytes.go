package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/routeflow"
	"github.com/realname-kyc/realname/pkg/users"
)

type bytesRoute struct {
	Route        string `json:"route"`
	Requests     int    `json:"requests"`
	BodyBytes    int    `json:"body_bytes"`
	PayloadBytes int    `json:"invocation_payload_bytes"`
}

type bytesPath struct {
	Path          string       `json:"path"`
	Routes        []bytesRoute `json:"routes"`
	TotalBody     int          `json:"total_body_bytes"`
	TotalPayload  int          `json:"total_payload_bytes"`
	PerDocBody    int          `json:"body_bytes_per_document"`
	PerDocPayload int          `json:"payload_bytes_per_document"`
}

type bytesResult struct {
	Store      string      `json:"store"`
	FrontBytes int         `json:"front_bytes"`
	BackBytes  int         `json:"back_bytes"`
	Paths      []bytesPath `json:"paths"`
}

// byteCounter wraps the functions' handlers and adds up, per route, the request body
// bytes each function received (decoded from base64 when the gateway encoded it) and the
// invocation payload (the proxy event as JSON, what Lambda's 6 MB limit applies to).
type byteCounter struct {
	mu     sync.Mutex
	routes map[string]*bytesRoute
}

type byteCountingHandler struct {
	next lambda.Handler
	c    *byteCounter
}

func (h byteCountingHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err == nil && ev.Resource != "" {
		n := len(ev.Body)
		if ev.IsBase64Encoded {
			if b, err := base64.StdEncoding.DecodeString(ev.Body); err == nil {
				n = len(b)
			}
		}
		key := ev.HTTPMethod + " " + ev.Resource
		h.c.mu.Lock()
		r := h.c.routes[key]
		if r == nil {
			r = &bytesRoute{Route: key}
			h.c.routes[key] = r
		}
		r.Requests++
		r.BodyBytes += n
		r.PayloadBytes += len(payload)
		h.c.mu.Unlock()
	}
	return h.next.Invoke(ctx, payload)
}

func (c *byteCounter) take(path string, docs int) bytesPath {
	c.mu.Lock()
	defer c.mu.Unlock()
	bp := bytesPath{Path: path}
	for _, k := range slices.Sorted(maps.Keys(c.routes)) {
		r := *c.routes[k]
		bp.Routes = append(bp.Routes, r)
		bp.TotalBody += r.BodyBytes
		bp.TotalPayload += r.PayloadBytes
	}
	bp.PerDocBody, bp.PerDocPayload = bp.TotalBody/docs, bp.TotalPayload/docs
	c.routes = map[string]*bytesRoute{}
	return bp
}

func runBytes(ctx context.Context) (bytesResult, error) {
	var res bytesResult
	log := slog.New(slog.DiscardHandler)
	dir, err := os.MkdirTemp("", "realname-bench-bytes-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	progress("bytes: personal submission, presigned vs multipart, through the API Gateway stand-in (localrun.StartEmbedded)")
	b, err := localrun.StartEmbedded(ctx, dir, log)
	if err != nil {
		return res, err
	}
	defer b.Close()
	svc := b.Services
	res.Store = svc.Backends.Store
	counter := &byteCounter{routes: map[string]*bytesRoute{}}
	handlers := map[string]lambda.Handler{}
	for id, h := range lambdafn.Handlers(svc) {
		handlers[id] = byteCountingHandler{next: h, c: counter}
	}
	srv := httptest.NewServer(localrun.APIGateway(handlers, log))
	defer srv.Close()
	// Users are made in the store: this part is about bytes, not passwords.
	newUser := func(n string) (*routeflow.Client, error) {
		u := kyc.User{ID: "user-" + n, Phone: "phone-" + n, PasswordHash: "h", Role: kyc.RoleUser, AccountID: "acct-" + n, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if _, err := svc.Store.CreateUser(ctx, u, a); err != nil {
			return nil, err
		}
		// A token the store itself seals (tokens are sealed sessions: a made-up string
		// is refused before any read).
		token, err := svc.Store.SealToken(u.Principal(), time.Now().Add(time.Hour))
		if err != nil {
			return nil, err
		}
		if err := svc.Store.PutSession(ctx, kyc.Session{TokenHash: users.HashToken(token), UserID: u.ID, AccountID: u.AccountID, Role: u.Role, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			return nil, err
		}
		c := routeflow.NewClient(ctx, srv.URL, "")
		c.Token = token
		return c, nil
	}
	// Photos of an ID card's two sides, of a realistic size for a phone upload.
	front, back := filechecktest.JPEG(1600, 1000), filechecktest.JPEG(1600, 1001)
	res.FrontBytes, res.BackBytes = len(front), len(back)

	c, err := newUser("presigned")
	if err != nil {
		return res, err
	}
	fk, err := c.Upload("frontOfID", "image/jpeg", front)
	if err != nil {
		return res, err
	}
	bk, err := c.Upload("backOfID", "image/jpeg", back)
	if err != nil {
		return res, err
	}
	if _, err := c.JSON(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", map[string]string{"ID_number": routeflow.SampleResidentID(), "frontOfID": fk, "backOfID": bk}, 200); err != nil {
		return res, err
	}
	res.Paths = append(res.Paths, counter.take("presigned (2 x POST /v1/uploads, 2 PUTs straight to S3, 1 JSON submission)", 2))

	c, err = newUser("multipart")
	if err != nil {
		return res, err
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("ID_number", routeflow.SampleResidentID())
	for _, f := range []struct {
		name string
		data []byte
	}{{"frontOfID", front}, {"backOfID", back}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.name+`"; filename="`+f.name+`.jpg"`)
		h.Set("Content-Type", "image/jpeg")
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(f.data)
	}
	_ = mw.Close()
	status, out, _, err := c.Do(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", mw.FormDataContentType(), form.Bytes())
	if err != nil {
		return res, err
	}
	if status != 200 || !strings.Contains(string(out), `"error_code":12001`) {
		return res, fmt.Errorf("multipart submission = %d %.300s", status, out)
	}
	res.Paths = append(res.Paths, counter.take("multipart (1 form with both files)", 2))
	for _, id := range []string{"acct-presigned", "acct-multipart"} {
		if a, err := svc.Store.GetAccount(ctx, id); err != nil || a.State != kyc.StateSubmitted || len(a.Documents) != 2 {
			return res, fmt.Errorf("%s: %s with %d documents, %v", id, a.State, len(a.Documents), err)
		}
	}
	return res, nil
}

func (b *bytesResult) markdown(p func(string, ...any)) {
	p("## Bytes through the API functions per document upload")
	p("")
	p("A personal submission (front %d B + back %d B, JPEG 1600x1000, a phone photo's size) through the API Gateway stand-in (`localrun.APIGateway`) on the runner's default backends (`localrun.StartEmbedded`; store: %s), with each function handler wrapped to add up the request body it received (decoded from base64) and the invocation payload (the proxy event as JSON, which Lambda's 6 MB limit applies to), as `TestSubmissionBytesThroughFunctions` does. Per document = total / 2.",
		b.FrontBytes, b.BackBytes, orUnknown(b.Store))
	p("")
	p("| Path | Route | Requests | Body bytes | Invocation payload bytes |")
	p("|---|---|---:|---:|---:|")
	for _, path := range b.Paths {
		for _, r := range path.Routes {
			p("| %s | `%s` | %d | %d | %d |", path.Path, r.Route, r.Requests, r.BodyBytes, r.PayloadBytes)
		}
		p("| %s | **total** | | **%d** | **%d** |", path.Path, path.TotalBody, path.TotalPayload)
		p("| %s | **per document** | | **%d** | **%d** |", path.Path, path.PerDocBody, path.PerDocPayload)
	}
}
