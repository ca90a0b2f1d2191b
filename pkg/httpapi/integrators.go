package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// The integrator routes (issue 14, API.md "Integrators"): admins create and revoke apps;
// an app trades its key and secret for a bearer token (OAuth 2 client credentials) and
// creates and reads the person accounts it owns.

// integratorStore is the store's integrator side; every kyc.Store this project has
// (pkg/dynamo) has it, and a store without it fails the routes' tests.
func integratorStore(env *app.Env) integrator.Store {
	s, _ := env.Store.(integrator.Store)
	return s
}

func withIntegrators(env *app.Env) *API {
	return &API{svc: &env.Services, integrators: integrator.New(integrator.Deps{Store: integratorStore(env), Clock: env.Clock, IDs: env.IDs, Log: env.Log})}
}

func (a *API) createApp(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	c, err := a.integrators.CreateApp(r.Context(), p, f["name"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "app created: the secret is shown this once", c)
	return nil
}

func (a *API) revokeApp(w http.ResponseWriter, r *http.Request) error {
	if err := a.integrators.RevokeApp(r.Context(), r.PathValue("app_key")); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "app revoked", nil)
	return nil
}

// actingFor is the principal a route that both users and integrators call (uploads, the
// enterprise change) acts as: a user acts for their own account; an integrator app for
// the account it names in field (required), as that account's owner: its key stands where
// a user's id would, which is what the account records as owner. Whether the app owns the
// account is the service's check (another app's is 404).
func actingFor(r *http.Request, accountID, field string) (kyc.Principal, error) {
	p, _ := PrincipalFrom(r.Context())
	if p.Role != kyc.RoleIntegrator {
		return p, nil
	}
	if accountID == "" {
		return kyc.Principal{}, kyc.FieldError(kyc.EMISSING, field, "required: the account the app acts for")
	}
	return appActing(p, accountID), nil
}

// actingForOrNew is actingFor where naming no account has a meaning for an app (uploads):
// the app then acts for a company it is about to create (POST /v1/accounts/organization),
// with no account; a user still acts for their own.
func actingForOrNew(r *http.Request, accountID, field string) (kyc.Principal, error) {
	if p, _ := PrincipalFrom(r.Context()); p.Role == kyc.RoleIntegrator && accountID == "" {
		return appActing(p, ""), nil
	}
	return actingFor(r, accountID, field)
}

// appActing is the app p acting as the owner of accountID.
func appActing(p kyc.Principal, accountID string) kyc.Principal {
	return kyc.Principal{UserID: p.AppKey, AccountID: accountID, Role: p.Role, TokenHash: p.TokenHash, AppKey: p.AppKey}
}

// oauthError is RFC 6749 section 5.2's error answer.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// issueToken answers as RFC 6749 does (section 4.4), not in the envelope, so stock OAuth 2
// client libraries work: the client authenticates by HTTP Basic or, failing that, by
// client_id and client_secret in the form (section 2.3.1).
func (a *API) issueToken(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: kyc.ErrorMessage(err)})
		return nil
	}
	key, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 2.3.1: the Basic credentials are form-urlencoded first.
		k, err1 := url.QueryUnescape(key)
		s, err2 := url.QueryUnescape(secret)
		if err1 == nil && err2 == nil {
			key, secret = k, s
		}
	} else {
		key, secret = f["client_id"], f["client_secret"]
	}
	switch gt := f["grant_type"]; {
	case gt == "":
		writeJSON(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "grant_type is required"})
		return nil
	case gt != "client_credentials":
		writeJSON(w, http.StatusBadRequest, oauthError{Error: "unsupported_grant_type"})
		return nil
	case key == "" || secret == "":
		w.Header().Set("WWW-Authenticate", `Basic realm="realname"`)
		writeJSON(w, http.StatusUnauthorized, oauthError{Error: "invalid_client"})
		return nil
	}
	tok, err := a.integrators.IssueToken(r.Context(), key, secret)
	switch {
	case errors.Is(err, integrator.ErrInvalidClient):
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="realname"`)
		}
		writeJSON(w, http.StatusUnauthorized, oauthError{Error: "invalid_client"})
		return nil
	case kyc.IsCode(err, kyc.ETOOMANY):
		w.Header().Set("Retry-After", "3600")
		writeJSON(w, http.StatusTooManyRequests, oauthError{Error: "slow_down", Description: kyc.ErrorMessage(err)})
		return nil
	case err != nil:
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tok)
	return nil
}

func (a *API) createPerson(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("name", "idNum", "mobile"); err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	id, err := a.integrators.CreatePerson(r.Context(), p, integrator.PersonInput{Name: f["name"], IDNum: f["idNum"], Mobile: f["mobile"]})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "account created", map[string]string{"accountId": id})
	return nil
}

func (a *API) integratorAccount(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v, factors, err := a.integrators.Account(r.Context(), p, r.PathValue("accountId"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", struct {
		integrator.AccountView
		Factors []factorData `json:"factors"`
	}{v, factorsData(factors)})
	return nil
}

// CreateApp serves POST /v1/admin/apps.
func CreateApp(env *app.Env) (http.Handler, error) {
	return withIntegrators(env).routeHandler("admin-apps-create", (*API).createApp), nil
}

// RevokeApp serves DELETE /v1/admin/apps/{app_key}.
func RevokeApp(env *app.Env) (http.Handler, error) {
	return withIntegrators(env).routeHandler("admin-apps-revoke", (*API).revokeApp), nil
}

// IssueToken serves POST /v1/oauth/token.
func IssueToken(env *app.Env) (http.Handler, error) {
	return withIntegrators(env).routeHandler("oauth-token", (*API).issueToken), nil
}

// CreatePerson serves POST /v1/accounts/person.
func CreatePerson(env *app.Env) (http.Handler, error) {
	return withIntegrators(env).routeHandler("accounts-person", (*API).createPerson), nil
}

// GetIntegratorAccount serves GET /v1/accounts/{accountId}.
func GetIntegratorAccount(env *app.Env) (http.Handler, error) {
	return withIntegrators(env).routeHandler("accounts-get", (*API).integratorAccount), nil
}
