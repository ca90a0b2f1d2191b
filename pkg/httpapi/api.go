package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/bankcheck"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/hosted"
	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/qualification"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
	"github.com/realname-kyc/realname/pkg/verification"
)

// API serves the routes with the wired services.
type API struct {
	svc    *app.Services
	users  *users.Service
	docs   *submission.Service
	review *review.Service
	// webhooks manages webhook endpoints (issue 13).
	webhooks *outbox.Endpoints
	// integrators manages integrator apps, tokens and accounts (issue 14).
	integrators *integrator.Service
	// verification runs and shows identity-factor checks (issue 14).
	verification *verification.Service
	// qual serves the qualification certificates (issue 14).
	qual *qualification.Service
	// hosted runs hosted three-factor verifications (issue 14).
	hosted *hosted.Service
	// certs issues and revokes certificates (issue 15).
	certs *certs.Service
	// bank runs bank verifications (issue 15).
	bank *bankcheck.Service
}

// handle wraps h in the middleware every route shares: request id, panic recovery, access
// log without PII, and the route's role check.
func (a *API) handle(rt Route, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := app.WithRequestID(r.Context(), requestID(r))
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				writeError(sw, r, a.svc.Log, fmt.Errorf("panic in %s: %v", rt.Name, p))
			}
			// Only the route name and status: paths may carry ids and queries may carry
			// tokens, so neither is logged.
			a.svc.Log.InfoContext(ctx, "request", slog.String("route", rt.Name), slog.String("method", r.Method),
				slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)))
		}()
		var err error
		if r, err = a.authorize(rt, r); err == nil {
			err = h(a, sw, r)
		}
		if err != nil {
			writeError(sw, r, a.svc.Log, err)
		}
	})
}

// routeHandler is what one route's Lambda serves: the route behind a ServeMux of its own
// pattern, because only a ServeMux sets the {wildcard} values the handlers read (the
// proxy adapter builds the request without routing it).
func (a *API) routeHandler(name string, h handlerFunc) http.Handler {
	rt, ok := Lookup(name)
	if !ok {
		panic("httpapi: no route " + name) // a constructor names a route the table lacks: a test catches it
	}
	return ownMux(rt, a.handle(rt, h))
}

func ownMux(rt Route, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(rt.Pattern(), h)
	return NotFoundEnvelope(mux)
}

// Mux serves every route of the table on one ServeMux over svc, each route by the
// constructor its function starts and with only the adapters its function has, with the
// API envelope for unknown paths (404) and wrong methods (405). The local runner and tests
// use it; on AWS each function serves its own route. A constructor that fails (a
// malformed setting) makes Mux fail.
func Mux(svc *app.Services) (http.Handler, error) {
	mux := http.NewServeMux()
	ctors := Constructors()
	for _, rt := range Routes() {
		h, err := ctors[rt.Name](app.EnvOf(svc).Only(rt.Adapters...))
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", rt.Name, err)
		}
		mux.Handle(rt.Pattern(), h)
	}
	return NotFoundEnvelope(mux), nil
}

// NotFoundEnvelope wraps mux so that its plain-text 404 and 405 answers become API
// envelopes.
func NotFoundEnvelope(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			// Through the mux, not h: only ServeMux.ServeHTTP sets the {wildcard} values.
			mux.ServeHTTP(w, r)
			return
		}
		// No pattern matched: ask the mux what it would answer (404 or 405 with Allow).
		rec := &statusWriter{ResponseWriter: discardWriter{header: w.Header()}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			writeJSON(w, http.StatusMethodNotAllowed, Envelope{ErrorCode: 1006, Msg: "method not allowed"})
			return
		}
		w.Header().Del("Allow")
		writeJSON(w, http.StatusNotFound, Envelope{ErrorCode: 1015, Msg: "no such route"})
	})
}

// requestID is API Gateway's request id when invoked through it, else the Lambda one.
func requestID(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	if lc, ok := lambdacontext.FromContext(r.Context()); ok {
		return lc.AwsRequestID
	}
	return ""
}

func asError(err error, target **kyc.Error) bool { return errors.As(err, target) }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
