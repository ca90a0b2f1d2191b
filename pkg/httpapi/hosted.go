package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/hosted"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// The hosted three-factor verification routes (issue 14, API.md "Integrators"): the
// integrator starts a verification and reads its status; the person opens the page,
// asks for an SMS code and confirms it. The ticket is in the path (API.md); the access
// log never logs a path, and nothing here logs the ticket.

// hostedStore is the store's hosted-verification side; pkg/dynamo's store has it, and a
// store without it fails the routes' tests.
func hostedStore(env *app.Env) hosted.Store {
	s, _ := env.Store.(hosted.Store)
	return s
}

func withHosted(env *app.Env) *API {
	var dispatch hosted.Sender
	if q := env.WebhookQueue; q != nil {
		dispatch = func(ctx context.Context, evs ...webhook.OutboxEvent) { outbox.Dispatch(ctx, q, env.Log, evs...) }
	}
	return &API{svc: &env.Services, hosted: hosted.New(hosted.Deps{Store: hostedStore(env), Identity: env.Identity, SMS: env.SMS,
		Dispatch: dispatch, Clock: env.Clock, Log: env.Log})}
}

// publicBase is the API's public base URL as the caller reached it: the scheme API
// Gateway (or a proxy) reports in X-Forwarded-Proto, the Host, and, on API Gateway's own
// execute-api host, the stage, which that host has in its paths but the function does
// not see. A custom domain maps the stage away, so it gets none.
func publicBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0])); p == "https" || p == "http" {
		scheme = p
	}
	base := scheme + "://" + r.Host
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && gw.Stage != "" && strings.HasSuffix(r.Host, ".amazonaws.com") {
		base += "/" + gw.Stage
	}
	return base
}

func (a *API) startHosted(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	out, err := a.hosted.Start(r.Context(), p, hosted.StartInput{AccountID: f["accountId"], Name: f["name"], IDNum: f["idNum"],
		Mobile: f["mobile"], ReturnURL: f["returnUrl"]}, publicBase(r))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "verification started", out)
	return nil
}

func (a *API) hostedStatus(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v, err := a.hosted.Status(r.Context(), p, r.PathValue("verificationId"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", v)
	return nil
}

// hostedPage answers HTML whatever happens, errors included: a person's browser shows
// it. The security headers are on every answer.
func (a *API) hostedPage(w http.ResponseWriter, r *http.Request) error {
	nonce, err := hosted.Nonce()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", hosted.CSP(nonce))
	v, err := a.hosted.Page(r.Context(), r.PathValue("ticket"))
	var status int
	var body []byte
	switch {
	case err == nil:
		status, body = http.StatusOK, hosted.Page(v, nonce)
	case kyc.IsCode(err, kyc.EGONE):
		status, body = http.StatusGone, hosted.Gone(nonce)
	case kyc.IsCode(err, kyc.ENOTFOUND):
		status, body = http.StatusNotFound, hosted.Unknown(nonce)
	default:
		a.svc.Log.ErrorContext(r.Context(), "internal error", slog.String("error", err.Error()))
		status, body = http.StatusInternalServerError, hosted.Unavailable(nonce)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

func (a *API) hostedCode(w http.ResponseWriter, r *http.Request) error {
	// No body is read: the ticket is all the route needs.
	out, err := a.hosted.SendCode(r.Context(), r.PathValue("ticket"))
	if err != nil {
		if kyc.IsCode(err, kyc.ETOOMANY) {
			w.Header().Set("Retry-After", "60")
		}
		return err
	}
	writeOK(w, http.StatusOK, "code sent", out)
	return nil
}

func (a *API) hostedConfirm(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	out, err := a.hosted.Confirm(r.Context(), r.PathValue("ticket"), f["code"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "verification ended", out)
	return nil
}

// StartHostedVerification serves POST /v1/identify/person/3/async.
func StartHostedVerification(env *app.Env) (http.Handler, error) {
	return withHosted(env).routeHandler("identify-start", (*API).startHosted), nil
}

// GetHostedVerification serves GET /v1/identify/{verificationId}.
func GetHostedVerification(env *app.Env) (http.Handler, error) {
	return withHosted(env).routeHandler("identify-get", (*API).hostedStatus), nil
}

// HostedPage serves GET /v1/verify/{ticket}.
func HostedPage(env *app.Env) (http.Handler, error) {
	return withHosted(env).routeHandler("verify-page", (*API).hostedPage), nil
}

// HostedSendCode serves POST /v1/verify/{ticket}/code.
func HostedSendCode(env *app.Env) (http.Handler, error) {
	return withHosted(env).routeHandler("verify-code", (*API).hostedCode), nil
}

// HostedConfirm serves POST /v1/verify/{ticket}/confirm.
func HostedConfirm(env *app.Env) (http.Handler, error) {
	return withHosted(env).routeHandler("verify-confirm", (*API).hostedConfirm), nil
}
