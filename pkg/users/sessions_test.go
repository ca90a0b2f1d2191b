package users_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// wantSession fails unless the token's session is stored with the role (alive), or is
// gone (role "").
func (e *env) wantSession(t *testing.T, what, token string, role kyc.Role) {
	t.Helper()
	s, err := e.store.GetSession(t.Context(), users.HashToken(token), e.clock.Now())
	switch {
	case role == "" && !kyc.IsCode(err, kyc.ENOTFOUND):
		t.Errorf("%s: session %+v, %v; want it ended", what, s, err)
	case role != "" && err != nil:
		t.Errorf("%s: %v; want a live session", what, err)
	case role != "" && s.Role != role:
		t.Errorf("%s: session role %q, want %q", what, s.Role, role)
	}
}

func TestSetFrozen(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	e.deps.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	e.service = users.New(e.deps)
	const phone, pw = "13800138000", "a fine passphrase"
	t1 := e.register(t, phone, pw)
	res, err := e.service.Login(t.Context(), phone, pw)
	if err != nil {
		t.Fatal(err)
	}
	t2 := res.Token
	before := e.user(t, phone)

	u, err := e.service.SetFrozen(t.Context(), users.Operator("test"), before.ID, true)
	if err != nil {
		t.Fatalf("SetFrozen: %v", err)
	}
	if stored := e.user(t, phone); !u.Frozen || u.Version != before.Version+1 || !stored.Frozen || stored.Version != u.Version {
		t.Errorf("SetFrozen returned %+v, stored %+v; want both frozen at version %d", u, stored, before.Version+1)
	}
	// The user's sessions end at once; a login is refused, also with the right password.
	e.wantSession(t, "the registration's session after the freeze", t1, "")
	e.wantSession(t, "the login's session after the freeze", t2, "")
	if _, err := e.service.Login(t.Context(), phone, pw); !kyc.IsCode(err, kyc.EFORBIDDEN) {
		t.Errorf("Login of a frozen user = %v, want EFORBIDDEN", err)
	}
	if _, err := e.service.Login(t.Context(), phone, "a wrong passphrase"); !kyc.IsCode(err, kyc.ELOGIN) {
		t.Errorf("Login of a frozen user with a wrong password = %v, want ELOGIN", err)
	}
	if p, err := e.service.Me(t.Context(), u.Principal()); err != nil || p.Status != 1 {
		t.Errorf("Me of a frozen user: %+v, %v; want status 1", p, err)
	}
	// Freezing again changes nothing.
	if again, err := e.service.SetFrozen(t.Context(), users.Operator("test"), u.ID, true); err != nil || again.Version != u.Version {
		t.Errorf("SetFrozen again: %+v, %v; want version %d unchanged", again, err, u.Version)
	}

	// Unfrozen, the user logs in again.
	u, err = e.service.SetFrozen(t.Context(), users.Operator("test"), u.ID, false)
	if err != nil || u.Frozen {
		t.Fatalf("SetFrozen(false): %+v, %v", u, err)
	}
	res, err = e.service.Login(t.Context(), phone, pw)
	if err != nil {
		t.Fatalf("Login after unfreezing: %v", err)
	}
	e.wantSession(t, "the login after unfreezing", res.Token, kyc.RoleUser)
	if p, err := e.service.Me(t.Context(), u.Principal()); err != nil || p.Status != 2 {
		t.Errorf("Me after unfreezing: %+v, %v; want status 2", p, err)
	}

	if _, err := e.service.SetFrozen(t.Context(), users.Operator("test"), "no-such-user", true); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("SetFrozen of an unknown user = %v, want ENOTFOUND", err)
	}
	// The log says who (by id) and what, never the phone.
	out := logs.String()
	if strings.Count(out, `"msg":"frozen set"`) != 2 || !strings.Contains(out, `"user_id":"`+u.ID+`"`) {
		t.Errorf("log %s: want two \"frozen set\" records naming the user id", out)
	}
	if strings.Contains(out, phone) {
		t.Errorf("the log names the phone: %s", out)
	}
}

// hookStore is a store that runs hooks around its first OpenSessionReleasing and inside
// its first ChangeUserAudited's change, so a test can put another request's writes exactly where a race
// would.
type hookStore struct {
	users.Store
	beforeOpen, afterOpen func()
	duringChange          func()
	opens, changes        atomic.Int32
}

func (h *hookStore) OpenSessionReleasing(ctx context.Context, s kyc.Session, release []kyc.Limit, at time.Time) error {
	first := h.opens.Add(1) == 1
	if first && h.beforeOpen != nil {
		h.beforeOpen()
	}
	err := h.Store.OpenSessionReleasing(ctx, s, release, at)
	if first && h.afterOpen != nil {
		h.afterOpen()
	}
	return err
}

func (h *hookStore) ChangeUserAudited(ctx context.Context, id string, audit func(was, now kyc.User) kyc.AuditRecord, change func(kyc.User) (kyc.User, bool, error)) (kyc.User, error) {
	return h.Store.ChangeUserAudited(ctx, id, audit, func(u kyc.User) (kyc.User, bool, error) {
		if h.changes.Add(1) == 1 && h.duringChange != nil {
			h.duringChange()
		}
		return change(u)
	})
}

// withHooks returns a service over a hookStore around e's store.
func (e *env) withHooks(h *hookStore) *users.Service {
	h.Store = e.store
	d := e.deps
	d.Store = h
	return users.New(d)
}

// A role change racing a login never leaves a session with the old role, wherever the
// change lands in the login, and wherever the login lands in the change. A freeze racing
// a login leaves no session either.
func TestRoleChangeRacingLogin(t *testing.T) {
	const phone, pw = "13800138000", "a fine passphrase"
	setRole := func(t *testing.T, e *env, role string) {
		t.Helper()
		if _, err := e.service.SetRole(context.Background(), users.Operator("test"), e.user(t, phone).ID, role); err != nil {
			t.Errorf("SetRole: %v", err)
		}
	}

	t.Run("the change lands between the login's read and its session", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phone, pw)
		h := &hookStore{}
		h.beforeOpen = func() { setRole(t, e, "reviewer") }
		res, err := e.withHooks(h).Login(t.Context(), phone, pw)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		// The session opened from the user as read was refused; the login read it again.
		if n := h.opens.Load(); n != 2 {
			t.Errorf("%d OpenSession calls, want 2", n)
		}
		e.wantSession(t, "the login's session", res.Token, kyc.RoleReviewer)
	})

	t.Run("the change lands right after the login's session", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phone, pw)
		h := &hookStore{}
		h.afterOpen = func() { setRole(t, e, "reviewer") }
		res, err := e.withHooks(h).Login(t.Context(), phone, pw)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		e.wantSession(t, "the login's session, opened before the change", res.Token, "")
	})

	t.Run("a login lands between the change's read and its write", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phone, pw)
		var token string
		h := &hookStore{}
		h.duringChange = func() {
			res, err := e.service.Login(context.Background(), phone, pw)
			if err != nil {
				t.Errorf("Login: %v", err)
			}
			token = res.Token
		}
		if _, err := e.withHooks(h).SetRole(t.Context(), users.Operator("test"), e.user(t, phone).ID, "reviewer"); err != nil {
			t.Fatalf("SetRole: %v", err)
		}
		if n := h.changes.Load(); n != 2 {
			t.Errorf("change ran %d times, want 2: the login's session should make the change read again", n)
		}
		e.wantSession(t, "the session opened during the change", token, "")
		if e.user(t, phone).Role != kyc.RoleReviewer {
			t.Errorf("role not set")
		}
		res, err := e.service.Login(t.Context(), phone, pw)
		if err != nil {
			t.Fatal(err)
		}
		e.wantSession(t, "a login after the change", res.Token, kyc.RoleReviewer)
	})

	t.Run("a freeze lands between the login's read and its session", func(t *testing.T) {
		e := newEnv(t)
		first := e.register(t, phone, pw)
		h := &hookStore{}
		h.beforeOpen = func() {
			if _, err := e.service.SetFrozen(context.Background(), users.Operator("test"), e.user(t, phone).ID, true); err != nil {
				t.Errorf("SetFrozen: %v", err)
			}
		}
		if _, err := e.withHooks(h).Login(t.Context(), phone, pw); !kyc.IsCode(err, kyc.EFORBIDDEN) {
			t.Errorf("Login = %v, want EFORBIDDEN", err)
		}
		e.wantSession(t, "the registration's session", first, "")
	})

	t.Run("a password reset lands between the login's read and its session", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phone, pw)
		e.clock.Advance(users.CodeEvery)
		if err := e.service.SendCode(t.Context(), phone, kyc.PurposeResetPassword, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		code := e.lastCode(t, phone, kyc.PurposeResetPassword)
		h := &hookStore{}
		h.beforeOpen = func() {
			if err := e.service.ResetPassword(context.Background(), phone, code, "another fine passphrase"); err != nil {
				t.Errorf("ResetPassword: %v", err)
			}
		}
		// The password the login checked is no longer the user's: no session.
		if _, err := e.withHooks(h).Login(t.Context(), phone, pw); !kyc.IsCode(err, kyc.ELOGIN) {
			t.Errorf("Login with the password just replaced = %v, want ELOGIN", err)
		}
		if _, err := e.service.Login(t.Context(), phone, "another fine passphrase"); err != nil {
			t.Errorf("Login with the new password: %v", err)
		}
	})
}
