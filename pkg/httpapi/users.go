package httpapi

import (
	"net"
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/users"
)

// sourceIP is the caller's address as API Gateway saw it.
func sourceIP(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && gw.Identity.SourceIP != "" {
		return gw.Identity.SourceIP
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

func (a *API) sendCode(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("phone", "purpose"); err != nil {
		return err
	}
	if err := a.users.SendCode(r.Context(), f["phone"], f["purpose"], sourceIP(r)); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "code sent", nil)
	return nil
}

type tokenData struct {
	Token string `json:"token"`
}

func (a *API) register(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("phone", "code", "password"); err != nil {
		return err
	}
	token, err := a.users.Register(r.Context(), users.RegisterInput{Phone: f["phone"], Code: f["code"], Password: f["password"], SourceIP: sourceIP(r),
		RegistrationID: f.first("RegistrationID", "registration_id")})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "registered", tokenData{Token: token})
	return nil
}

type loginData struct {
	Token               string `json:"token"`
	AuthenticationState int    `json:"authenticationState"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("phone", "password"); err != nil {
		return err
	}
	res, err := a.users.LoginFrom(r.Context(), f["phone"], f["password"], sourceIP(r))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "logged in", loginData{Token: res.Token, AuthenticationState: res.AuthenticationState})
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	if err := a.users.Logout(r.Context(), p.TokenHash); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "logged out", nil)
	return nil
}

func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("phone", "code", "new_password"); err != nil {
		return err
	}
	if err := a.users.ResetPasswordFrom(r.Context(), f["phone"], f["code"], f["new_password"], sourceIP(r)); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "password reset", nil)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	prof, err := a.users.Me(r.Context(), p)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", prof)
	return nil
}

// roleData is what a role change returns: no phone, the caller knows whom it changed.
type roleData struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

func (a *API) setRole(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("role"); err != nil {
		return err
	}
	u, err := a.users.SetRole(r.Context(), actor(r), r.PathValue("id"), f["role"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "role set", roleData{ID: u.ID, Role: string(u.Role)})
	return nil
}

// actor is the authenticated caller as the users service audits them.
func actor(r *http.Request) users.Actor {
	p, _ := PrincipalFrom(r.Context())
	return users.Actor{ID: p.UserID, Role: p.Role, RequestID: app.RequestID(r.Context())}
}
