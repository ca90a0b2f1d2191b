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
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
)

// API serves the routes with the wired services.
type API struct {
	svc    *app.Services
	users  *users.Service
	docs   *submission.Service
	review *review.Service
}

// New returns the API over svc.
func New(svc *app.Services) *API { return NewWithUsers(svc, users.New(svc)) }

// NewWithUsers is New with a user service built by the caller (tests use cheaper
// password hashing).
func NewWithUsers(svc *app.Services, u *users.Service) *API {
	return &API{svc: svc, users: u, docs: submission.New(svc), review: review.NewService(svc)}
}

// Handler returns the http.Handler of one route with the middleware every route shares:
// request id, panic recovery, access log without PII, and the route's role check.
func (a *API) Handler(rt Route) http.Handler {
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
			err = rt.handler(a, sw, r)
		}
		if err != nil {
			writeError(sw, r, a.svc.Log, err)
		}
	})
}

// RouteHandler is what one route's Lambda serves: the route behind a ServeMux of its own
// pattern, because only a ServeMux sets the {wildcard} values the handlers read (the
// proxy adapter builds the request without routing it).
func (a *API) RouteHandler(rt Route) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(rt.Pattern(), a.Handler(rt))
	return NotFoundEnvelope(mux)
}

// Mux serves every route of the table on one ServeMux, with the API envelope for unknown
// paths (404) and wrong methods (405). The local runner and tests use it; on AWS each
// function serves its own route.
func (a *API) Mux() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range Routes() {
		mux.Handle(rt.Pattern(), a.Handler(rt))
	}
	return NotFoundEnvelope(mux)
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
