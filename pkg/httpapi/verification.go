package httpapi

import (
	"net/http"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/verification"
)

// The identity verification routes of seed 003 (issue 14, API.md "Identity factors").

func withVerification(env *app.Env) *API {
	return &API{svc: &env.Services, verification: verification.New(verification.Deps{Store: env.Store, Identity: env.Identity,
		ApproveOnMatch: env.VerifyPolicy == app.PolicyFactors, Clock: env.Clock, Log: env.Log})}
}

// checkData answers a match: the check's result and, when it approved the account
// (VERIFY_POLICY=factors), the account's new state.
type checkData struct {
	Result   kyc.FactorResult `json:"result"`
	Provider string           `json:"provider"`
	State    kyc.State        `json:"state,omitempty"`
}

// verify serves POST /v1/user/verification: {name, cardno}, JSON or a form. The route
// knows its caller from the token alone (Route.AuditsSession): the reservation against
// the daily limit is written on the condition that the session is live, before the
// provider is asked or anything is read.
func (a *API) verify(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	live := kyc.LiveSession{TokenHash: p.TokenHash, Now: a.svc.Clock.Now()}
	out, err := a.verification.Check(r.Context(), p, live, verification.Input{Name: f["name"], CardNo: f["cardno"]})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "verification succeeded", checkData{Result: out.Factor.Result, Provider: out.Factor.Provider, State: out.State})
	return nil
}

// factorData is one factor as the owner sees it: never the values checked.
type factorData struct {
	Kind     string           `json:"kind"`
	Result   kyc.FactorResult `json:"result"`
	Provider string           `json:"provider"`
	Reason   string           `json:"reason,omitempty"`
	At       time.Time        `json:"at"`
}

// factorsData are fs as their owner sees them ([] for none).
func factorsData(fs []kyc.Factor) []factorData {
	out := make([]factorData, 0, len(fs))
	for _, f := range fs {
		out = append(out, factorData{Kind: f.Kind, Result: f.Result, Provider: f.Provider, Reason: f.Reason, At: f.At})
	}
	return out
}

// verificationData is GET /v1/user/verification's answer.
type verificationData struct {
	State    kyc.State    `json:"state"`
	Factors  []factorData `json:"factors"`
	Name     string       `json:"name"`
	IDNumber string       `json:"id_number"`
}

// getVerification serves GET /v1/user/verification.
func (a *API) getVerification(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v, err := a.verification.Get(r.Context(), p)
	if err != nil {
		return err
	}
	d := verificationData{State: v.State, Factors: factorsData(v.Factors), Name: v.Name, IDNumber: v.IDNumber}
	writeOK(w, http.StatusOK, "ok", d)
	return nil
}

// VerifyIdentity serves POST /v1/user/verification.
func VerifyIdentity(env *app.Env) (http.Handler, error) {
	return withVerification(env).routeHandler("verification", (*API).verify), nil
}

// GetVerification serves GET /v1/user/verification.
func GetVerification(env *app.Env) (http.Handler, error) {
	return withVerification(env).routeHandler("verification-get", (*API).getVerification), nil
}
