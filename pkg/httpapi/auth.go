package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// Principal is the authenticated caller of a request, as its session says.
type Principal = kyc.Principal

type principalKey struct{}

// PrincipalFrom returns the caller authenticated by the auth middleware.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// HashToken is how a token is stored and looked up: only its SHA-256 ever leaves memory.
func HashToken(token string) string { return users.HashToken(token) }

// allows reports whether a user of role has may call a route that requires need. Roles
// nest: an admin may do what a reviewer may, and a reviewer what a user may.
func allows(has, need kyc.Role) bool {
	rank := func(r kyc.Role) int {
		switch r {
		case kyc.RoleUser:
			return 1
		case kyc.RoleReviewer:
			return 2
		case kyc.RoleAdmin:
			return 3
		}
		return 0
	}
	if need == kyc.RoleIntegrator || has == kyc.RoleIntegrator {
		// Integrators are not a rank above or below users: their routes are theirs alone.
		return has == need
	}
	return need == kyc.RoleAnyone || rank(has) >= rank(need) && rank(need) > 0
}

// authorize checks the route's role: anyone passes; every other route needs a live
// session (401 / 999 without one) of a user whose role is enough (403 / 1020 otherwise).
// The download routes (Route.QueryToken) may take the token as ?auth_token= on GET, so
// that a browser download link works; no other route reads it.
func (a *API) authorize(rt Route, r *http.Request) (*http.Request, error) {
	if rt.Role == kyc.RoleAnyone {
		return r, nil
	}
	var token string
	if h := r.Header.Get("Authorization"); h != "" {
		// A header that is present decides alone, so a bad one never falls back to the query.
		if scheme, t, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") { // case-insensitive per RFC 7235
			token = t
		}
	} else if r.Method == http.MethodGet && rt.QueryToken {
		token = r.URL.Query().Get("auth_token")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return r, kyc.Errorf(kyc.EUNAUTHORIZED, "not logged in")
	}
	ctx := r.Context()
	now := a.svc.Clock.Now()
	// The token carries its caller, sealed: a token that is not ours, or has expired,
	// costs no read.
	p, err := a.svc.Store.OpenToken(token, now)
	if err != nil {
		return r, err
	}
	if p.Role == kyc.RoleIntegrator && rt.Integrators {
		rt.Role = kyc.RoleIntegrator // the route admits apps besides its role
	}
	if (p.Role == kyc.RoleIntegrator) != (rt.Role == kyc.RoleIntegrator) {
		// API.md: an integrator token never reaches a user route, nor a user token an
		// integrator route; to either it is not a token at all (401, not 403).
		return r, kyc.Errorf(kyc.EUNAUTHORIZED, "token invalid for this route")
	}
	if !rt.AuditsSession {
		// One read: the stored session decides whether the token is still live, and
		// whatever changes the role ends the user's sessions, so its caller is current.
		sess, err := a.svc.Store.GetSession(ctx, p.TokenHash, now)
		if kyc.IsCode(err, kyc.ENOTFOUND) {
			return r, kyc.Errorf(kyc.EUNAUTHORIZED, "token invalid or expired")
		} else if err != nil {
			return r, err
		}
		p = sess.Principal()
	}
	if p.Role == "" || p.AccountID == "" && p.AppKey == "" {
		return r, kyc.Errorf(kyc.EUNAUTHORIZED, "token invalid or expired")
	}
	if !allows(p.Role, rt.Role) {
		return r, kyc.Errorf(kyc.EFORBIDDEN, "forbidden")
	}
	return r.WithContext(context.WithValue(ctx, principalKey{}, p)), nil
}
