package httpapi

import (
	"net/http"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/qualification"
)

// The qualification certificate routes (seed 003, issue 14; pkg/qualification): the user
// submits a certificate and reads its outcome, reviewers list the pending ones and decide
// them.

// qualificationStore is the store's qualification side; every kyc.Store this project has
// (pkg/dynamo) has it, and a store without it fails the routes' tests.
func qualificationStore(env *app.Env) qualification.Store {
	s, _ := env.Store.(qualification.Store)
	return s
}

func withQualifications(env *app.Env) *API {
	d := qualification.Deps{Store: qualificationStore(env), Presigner: env.Presigner, Clock: env.Clock, IDs: env.IDs, Log: env.Log}
	if env.Docs != nil {
		d.Objects = env.Docs
	}
	return &API{svc: &env.Services, qual: qualification.New(d)}
}

// qualificationReviewer is the caller as a reviewer of certificates.
func qualificationReviewer(r *http.Request) qualification.Reviewer {
	p, _ := PrincipalFrom(r.Context())
	return qualification.Reviewer{Actor: kyc.Actor{ID: p.UserID, Role: p.Role, AccountID: p.AccountID, RequestID: app.RequestID(r.Context())},
		TokenHash: p.TokenHash}
}

func (a *API) submitQualification(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	v, err := a.qual.Submit(r.Context(), p, app.RequestID(r.Context()), f["picture"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "qualification certificate received: waiting for a reviewer", v)
	return nil
}

func (a *API) getQualification(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v, err := a.qual.Current(r.Context(), p)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", v)
	return nil
}

func (a *API) listQualifications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := a.qual.ListPending(r.Context(), qualificationReviewer(r), q.Get("limit"), q.Get("cursor"))
	if err != nil {
		return err
	}
	total := page.Total
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeOK, Msg: "get list data success", Data: page.Items, TotalCount: &total, NextCursor: page.NextCursor})
	return nil
}

func (a *API) approveQualification(w http.ResponseWriter, r *http.Request) error {
	v, err := a.qual.Decide(r.Context(), qualificationReviewer(r), r.PathValue("id"), true, "")
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "qualification certificate approved", v)
	return nil
}

func (a *API) rejectQualification(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	// Required before the certificate is read, so a rejection without a reason is 997
	// whatever the id.
	if err := f.require("reason"); err != nil {
		return err
	}
	v, err := a.qual.Decide(r.Context(), qualificationReviewer(r), r.PathValue("id"), false, f["reason"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "qualification certificate rejected", v)
	return nil
}

// SubmitQualification serves POST /v1/user/qualification.
func SubmitQualification(env *app.Env) (http.Handler, error) {
	return withQualifications(env).routeHandler("qualification-submit", (*API).submitQualification), nil
}

// GetQualification serves GET /v1/user/qualification.
func GetQualification(env *app.Env) (http.Handler, error) {
	return withQualifications(env).routeHandler("qualification", (*API).getQualification), nil
}

// ListPendingQualifications serves GET /v1/cms/qualification.
func ListPendingQualifications(env *app.Env) (http.Handler, error) {
	return withQualifications(env).routeHandler("qualifications-pending", (*API).listQualifications), nil
}

// ApproveQualification serves POST /v1/cms/qualification/{id}/approve.
func ApproveQualification(env *app.Env) (http.Handler, error) {
	return withQualifications(env).routeHandler("qualification-approve", (*API).approveQualification), nil
}

// RejectQualification serves POST /v1/cms/qualification/{id}/reject.
func RejectQualification(env *app.Env) (http.Handler, error) {
	return withQualifications(env).routeHandler("qualification-reject", (*API).rejectQualification), nil
}
