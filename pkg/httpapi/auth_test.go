package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// echoRoute is a test route of the given role, served by echo.
func echoRoute(method string, role kyc.Role) Route {
	return Route{Name: "echo", LogicalID: "EchoFunction", Method: method, Path: "/test/echo", Role: role}
}

// echo answers with the principal the middleware found.
func echo(_ *API, w http.ResponseWriter, r *http.Request) error {
	p, ok := PrincipalFrom(r.Context())
	writeOK(w, http.StatusOK, "ok", map[string]any{"authenticated": ok, "user_id": p.UserID, "role": p.Role, "token_hash": p.TokenHash})
	return nil
}

type echoed struct {
	Authenticated bool     `json:"authenticated"`
	UserID        string   `json:"user_id"`
	Role          kyc.Role `json:"role"`
	TokenHash     string   `json:"token_hash"`
}

func bearer(r *http.Request, token string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestHashToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := HashToken(tt.in); got != tt.want {
				t.Errorf("HashToken(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAuthRoles(t *testing.T) {
	f := newFixture(t)
	tokens := map[kyc.Role]string{}
	users := map[kyc.Role]string{}
	for _, role := range []kyc.Role{kyc.RoleUser, kyc.RoleReviewer, kyc.RoleAdmin, "superuser", ""} {
		users[role] = f.user(t, role)
		tokens[role] = f.session(t, users[role], time.Hour)
	}
	tests := []struct {
		route, caller kyc.Role
		wantStatus    int
	}{
		{kyc.RoleUser, kyc.RoleUser, 200},
		{kyc.RoleUser, kyc.RoleReviewer, 200},
		{kyc.RoleUser, kyc.RoleAdmin, 200},
		{kyc.RoleReviewer, kyc.RoleUser, 403},
		{kyc.RoleReviewer, kyc.RoleReviewer, 200},
		{kyc.RoleReviewer, kyc.RoleAdmin, 200},
		{kyc.RoleAdmin, kyc.RoleUser, 403},
		{kyc.RoleAdmin, kyc.RoleReviewer, 403},
		{kyc.RoleAdmin, kyc.RoleAdmin, 200},
		// A role the code does not know grants nothing.
		{kyc.RoleUser, "superuser", 403},
		{kyc.RoleUser, "", 401}, // no role at all: a session of an older version
		{kyc.RoleAnyone, kyc.RoleUser, 200},
	}
	for _, tt := range tests {
		t.Run(string(tt.route)+" route, "+string(tt.caller)+" caller", func(t *testing.T) {
			h := f.api.handle(echoRoute(http.MethodGet, tt.route), echo)
			w := serve(h, bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), tokens[tt.caller]))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			e := envelopeOf(t, w)
			if tt.wantStatus == 403 || tt.wantStatus == 401 {
				if want := map[int]int{401: 999, 403: 1020}[tt.wantStatus]; e.ErrorCode != want {
					t.Errorf("error_code = %d, want %d", e.ErrorCode, want)
				}
				return
			}
			var got echoed
			if err := json.Unmarshal(e.Data, &got); err != nil {
				t.Fatal(err)
			}
			if tt.route == kyc.RoleAnyone {
				// Anyone routes do not look at the token at all.
				if got.Authenticated {
					t.Errorf("anyone route got a principal: %+v", got)
				}
				return
			}
			want := echoed{Authenticated: true, UserID: users[tt.caller], Role: tt.caller, TokenHash: HashToken(tokens[tt.caller])}
			if got != want {
				t.Errorf("principal = %+v, want %+v", got, want)
			}
		})
	}
}

func TestAuthRejects(t *testing.T) {
	f := newFixture(t)
	uid := f.user(t, kyc.RoleUser)
	live := f.session(t, uid, time.Hour)
	expired := f.session(t, uid, -time.Second)
	// A session stored before sessions carried their caller's account and role.
	old := "tok-old-" + uid
	if err := f.store.PutSession(t.Context(), kyc.Session{TokenHash: HashToken(old), UserID: uid, CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantCode   int
	}{
		{"no token", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/test/echo", nil) }, 401, 999},
		{"empty bearer", func() *http.Request { return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), "") }, 401, 999},
		{"blank bearer", func() *http.Request { return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), "   ") }, 401, 999},
		{"garbage token", func() *http.Request { return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), "garbage") }, 401, 999},
		{"token hash instead of token", func() *http.Request {
			return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), HashToken(live))
		}, 401, 999},
		{"not a bearer scheme", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/test/echo", nil)
			r.Header.Set("Authorization", "Basic "+live)
			return r
		}, 401, 999},
		{"expired session", func() *http.Request { return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), expired) }, 401, 999},
		{"session without the caller's role", func() *http.Request { return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), old) }, 401, 999},
		{"auth_token on POST", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/test/echo?auth_token="+live, nil)
		}, 401, 999},
		{"bad header wins over a good auth_token", func() *http.Request {
			return bearer(httptest.NewRequest(http.MethodGet, "/test/echo?auth_token="+live, nil), "garbage")
		}, 401, 999},
		{"live bearer", func() *http.Request { return bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), live) }, 200, 1000},
		{"live bearer on POST", func() *http.Request { return bearer(httptest.NewRequest(http.MethodPost, "/test/echo", nil), live) }, 200, 1000},
		{"auth_token on GET of a route that takes it", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/test/echo?auth_token="+live+"&download=1", nil)
		}, 200, 1000},
		// Only the download routes read the query: a token in a URL leaks into histories.
		{"auth_token on GET of any other route", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/test/echo?auth_token="+live, nil)
		}, 401, 999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			rt := echoRoute(r.Method, kyc.RoleUser)
			rt.QueryToken = r.URL.Query().Get("download") == "1" || r.Method == http.MethodPost
			h := f.api.handle(rt, echo)
			w := serve(h, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			if e := envelopeOf(t, w); e.ErrorCode != tt.wantCode {
				t.Errorf("error_code = %d, want %d", e.ErrorCode, tt.wantCode)
			}
		})
	}
}

// The middleware asks the store with the service clock, so a session dies when the
// clock passes its expiry.
func TestAuthSessionExpiresWithClock(t *testing.T) {
	f := newFixture(t)
	token := f.session(t, f.user(t, kyc.RoleUser), time.Minute)
	h := f.api.handle(echoRoute(http.MethodGet, kyc.RoleUser), echo)
	if w := serve(h, bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), token)); w.Code != 200 {
		t.Fatalf("before expiry: status %d, want 200", w.Code)
	}
	f.clock.Advance(time.Minute + time.Second)
	if w := serve(h, bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), token)); w.Code != 401 {
		t.Fatalf("after expiry: status %d, want 401", w.Code)
	}
}

// Deleted sessions (a logout, or all of a user's on a change of the user) stop working
// at once.
func TestAuthDeletedSession(t *testing.T) {
	f := newFixture(t)
	uid := f.user(t, kyc.RoleUser)
	token := f.session(t, uid, time.Hour)
	other := f.session(t, uid, time.Hour)
	if err := f.store.DeleteSession(t.Context(), HashToken(token)); err != nil {
		t.Fatal(err)
	}
	h := f.api.handle(echoRoute(http.MethodGet, kyc.RoleUser), echo)
	if w := serve(h, bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), token)); w.Code != 401 {
		t.Errorf("deleted session: status %d, want 401", w.Code)
	}
	if w := serve(h, bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), other)); w.Code != 200 {
		t.Errorf("other session of the user: status %d, want 200", w.Code)
	}
	// A change of the user (a role change, a freeze, a password reset) ends all its
	// sessions.
	if _, err := f.store.ChangeUser(t.Context(), uid, func(u kyc.User) (kyc.User, bool, error) {
		u.UpdatedAt = f.clock.Now()
		return u, true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if w := serve(h, bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), other)); w.Code != 401 {
		t.Errorf("after ChangeUser: status %d, want 401", w.Code)
	}
}

// A store failure while checking the token is an internal error, not "logged out".
func TestAuthStoreFailure(t *testing.T) {
	f := newFixture(t)
	token := f.session(t, f.user(t, kyc.RoleUser), time.Hour)
	f.withStore(faultStore{Store: f.store, sessionErr: errBoom})
	w := serve(f.api.handle(echoRoute(http.MethodGet, kyc.RoleUser), echo), bearer(httptest.NewRequest(http.MethodGet, "/test/echo", nil), token))
	if w.Code != 500 {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	if e := envelopeOf(t, w); e.ErrorCode != 1050 || e.Msg != "Internal error." {
		t.Errorf("envelope = %+v", e)
	}
	if strings.Contains(w.Body.String(), "10.1.2.3") {
		t.Errorf("response leaks the store error: %s", w.Body)
	}
}
