package users

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/password"
)

// RegisterInput is POST /v1/user/register's body.
type RegisterInput struct {
	Phone, Code, Password, RegistrationID string
}

// Register creates a user and its (personal, unverified) account and logs it in. The
// code is checked before and consumed after the conditional create, so of concurrent
// registrations of one phone exactly one succeeds and the rest get EEXISTS.
func (s *Service) Register(ctx context.Context, in RegisterInput) (string, error) {
	phone, err := Phone("phone", in.Phone)
	if err != nil {
		return "", err
	}
	if p := password.Problem(in.Password, phone); p != "" {
		return "", kyc.FieldError(kyc.EINVALID, "password", p)
	}
	if len(in.RegistrationID) > 128 {
		return "", kyc.FieldError(kyc.EINVALID, "RegistrationID", "must be at most 128 characters")
	}
	now := s.svc.Clock.Now()
	if err := s.checkCode(ctx, phone, kyc.PurposeRegister, in.Code, now, false); err != nil {
		// A code is spent only by the registration that created the user, so a request
		// that checks it after a concurrent winner spent it must still get EEXISTS. (A
		// taken phone is no secret: sms-code for register answers EEXISTS too.)
		if kyc.IsCode(err, kyc.EBADCODE) {
			if _, uerr := s.svc.Store.GetUserByPhone(ctx, phone); uerr == nil {
				return "", kyc.Errorf(kyc.EEXISTS, "account already exists")
			}
		}
		return "", err
	}
	ph, err := password.Hash(in.Password, s.params)
	if err != nil {
		return "", err
	}
	uid, aid := s.svc.IDs.NewID(), s.svc.IDs.NewID()
	u := kyc.User{ID: uid, Phone: phone, PasswordHash: ph, Role: kyc.RoleUser, AccountID: aid, RegistrationID: in.RegistrationID, CreatedAt: now, UpdatedAt: now}
	a := kyc.Account{ID: aid, OwnerID: uid, Type: kyc.PersonalAccount, Tel: phone, NotActive: false, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
	if _, err := s.svc.Store.CreateUser(ctx, u, a); err != nil {
		if kyc.IsCode(err, kyc.EEXISTS) {
			return "", kyc.Errorf(kyc.EEXISTS, "account already exists")
		}
		return "", fmt.Errorf("create user: %w", err)
	}
	// The user exists now; a code another request consumed first changes nothing.
	_ = s.svc.Store.CheckCode(ctx, phone, kyc.PurposeRegister, CodeHash(phone, kyc.PurposeRegister, in.Code), now, true)
	s.svc.Log.InfoContext(ctx, "user registered", slog.String("user_id", uid))
	return s.newSession(ctx, u)
}

// LoginResult is what a successful login returns.
type LoginResult struct {
	Token               string
	AuthenticationState int
}

// Login checks the password. Unknown phones and wrong passwords are the same ELOGIN;
// LoginFailLimit failures for a phone within LoginFailWindow lock its logins for
// LoginLockFor, whatever the password.
func (s *Service) Login(ctx context.Context, rawPhone, pw string) (LoginResult, error) {
	phone, err := idcheckPhoneForLogin(rawPhone)
	if err != nil {
		return LoginResult{}, err
	}
	now := s.svc.Clock.Now()
	locked, err := s.svc.Store.Counter(ctx, "login-lock:"+phone, now)
	if err != nil {
		return LoginResult{}, fmt.Errorf("read lock: %w", err)
	}
	if locked > 0 {
		return LoginResult{}, kyc.Errorf(kyc.ETOOMANY, "too many failed logins, try again later")
	}
	u, err := s.svc.Store.GetUserByPhone(ctx, phone)
	if err != nil && !kyc.IsCode(err, kyc.ENOTFOUND) {
		return LoginResult{}, fmt.Errorf("look up phone: %w", err)
	}
	var hash string
	if err == nil {
		hash = u.PasswordHash
	} else {
		hash = s.dummyHash()
	}
	ok, verr := password.Verify(pw, hash)
	if verr != nil {
		return LoginResult{}, fmt.Errorf("verify password: %w", verr)
	}
	if err != nil || !ok {
		return LoginResult{}, s.loginFailed(ctx, phone, now)
	}
	if u.Frozen {
		return LoginResult{}, kyc.Errorf(kyc.EFORBIDDEN, "account frozen")
	}
	if password.NeedsRehash(u.PasswordHash, s.params) {
		if nh, herr := password.Hash(pw, s.params); herr == nil {
			u.PasswordHash, u.UpdatedAt = nh, now
			if _, uerr := s.svc.Store.UpdateUser(ctx, u); uerr != nil {
				// Not fatal: the old hash still verifies; the next login tries again.
				s.svc.Log.WarnContext(ctx, "rehash on login failed", slog.String("user_id", u.ID), slog.String("error", uerr.Error()))
			}
		}
	}
	acct, err := s.svc.Store.GetAccount(ctx, u.AccountID)
	if err != nil {
		return LoginResult{}, fmt.Errorf("load account: %w", err)
	}
	token, err := s.newSession(ctx, u)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, AuthenticationState: AuthenticationState(acct)}, nil
}

func (s *Service) loginFailed(ctx context.Context, phone string, now time.Time) error {
	n, err := s.svc.Store.Incr(ctx, "login-fail:"+phone, now, now.Add(LoginFailWindow))
	if err != nil {
		return fmt.Errorf("count failed login: %w", err)
	}
	if n >= LoginFailLimit {
		if _, err := s.svc.Store.Incr(ctx, "login-lock:"+phone, now, now.Add(LoginLockFor)); err != nil {
			return fmt.Errorf("lock logins: %w", err)
		}
	}
	return kyc.Errorf(kyc.ELOGIN, "phone or password wrong")
}

// idcheckPhoneForLogin validates the login phone. A malformed phone is 1006 as in the
// seed ("账号密码格式不正确"), which reveals nothing about accounts.
func idcheckPhoneForLogin(raw string) (string, error) { return Phone("phone", raw) }

// Logout ends the session of tokenHash at once.
func (s *Service) Logout(ctx context.Context, tokenHash string) error {
	if err := s.svc.Store.DeleteSession(ctx, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// ResetPassword sets a new password with a reset_password code and ends every session
// of the user.
func (s *Service) ResetPassword(ctx context.Context, rawPhone, code, newPassword string) error {
	phone, err := Phone("phone", rawPhone)
	if err != nil {
		return err
	}
	if p := password.Problem(newPassword, phone); p != "" {
		return kyc.FieldError(kyc.EINVALID, "new_password", p)
	}
	now := s.svc.Clock.Now()
	if err := s.checkCode(ctx, phone, kyc.PurposeResetPassword, code, now, true); err != nil {
		return err
	}
	ph, err := password.Hash(newPassword, s.params)
	if err != nil {
		return err
	}
	// A concurrent update of the user (a rehash on login) is retried with fresh data.
	for attempt := 0; ; attempt++ {
		u, err := s.svc.Store.GetUserByPhone(ctx, phone)
		if kyc.IsCode(err, kyc.ENOTFOUND) {
			return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.")
		} else if err != nil {
			return fmt.Errorf("look up phone: %w", err)
		}
		u.PasswordHash, u.UpdatedAt = ph, now
		_, err = s.svc.Store.UpdateUser(ctx, u)
		if kyc.IsCode(err, kyc.ECONFLICT) && attempt < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("update password: %w", err)
		}
		if err := s.svc.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		s.svc.Log.InfoContext(ctx, "password reset", slog.String("user_id", u.ID))
		return nil
	}
}

// Profile is GET /v1/user/me's data (seed 003's user details).
type Profile struct {
	ID                  string    `json:"id"`
	Account             string    `json:"account"`
	Status              int       `json:"status"`
	AuthenticationState int       `json:"authenticationState"`
	Portrait            string    `json:"portrait"`
	Role                kyc.Role  `json:"role"`
	CreatedAt           time.Time `json:"created_at"`
}

// Me returns the caller's profile: the user and the account the session names, in one
// read.
func (s *Service) Me(ctx context.Context, p kyc.Principal) (Profile, error) {
	u, acct, err := s.svc.Store.GetUserAndAccount(ctx, p.UserID, p.AccountID)
	if err != nil {
		return Profile{}, err
	}
	portrait := ""
	if u.Portrait != "" {
		// The avatar is private like every document: the app gets a short-lived link.
		if portrait, err = s.svc.Docs.PresignGet(ctx, u.Portrait, time.Hour, "portrait"); err != nil {
			return Profile{}, fmt.Errorf("presign portrait: %w", err)
		}
	}
	return Profile{ID: u.ID, Account: u.Phone, Status: Status(u, acct), AuthenticationState: AuthenticationState(acct),
		Portrait: portrait, Role: u.Role, CreatedAt: u.CreatedAt}, nil
}

// Status is seed 003's user status: 0 approved, 1 frozen, 2 not yet submitted,
// 3 rejected, 4 under review (5, deleted, is never served).
func Status(u kyc.User, a kyc.Account) int {
	switch {
	case u.Frozen:
		return 1
	case a.State == kyc.StateApproved:
		return 0
	case a.State == kyc.StateRejected:
		return 3
	case a.State == kyc.StateSubmitted || a.State == kyc.StatePendingReview:
		return 4
	}
	return 2
}

// AuthenticationState is 1 only when the account is approved.
func AuthenticationState(a kyc.Account) int {
	if a.State == kyc.StateApproved {
		return 1
	}
	return 0
}

// SetRole gives the user a role (admin route and GrantRole function) and ends the user's
// sessions: a session carries the role it was opened with, so none may outlive a change
// (the user logs in again; an admin changing their own role ends their own session too).
func (s *Service) SetRole(ctx context.Context, userID string, role string) (kyc.User, error) {
	r, err := parseRole(role)
	if err != nil {
		return kyc.User{}, err
	}
	for attempt := 0; ; attempt++ {
		u, err := s.svc.Store.GetUser(ctx, userID)
		if err != nil {
			return kyc.User{}, err
		}
		if u.Role == r {
			return u, nil // nothing changes, so the user's sessions stay right
		}
		u.Role, u.UpdatedAt = r, s.svc.Clock.Now()
		u, err = s.svc.Store.UpdateUser(ctx, u)
		if kyc.IsCode(err, kyc.ECONFLICT) && attempt < 3 {
			continue
		}
		if err != nil {
			return u, err
		}
		if err := s.svc.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return u, fmt.Errorf("end sessions after the role change: %w", err)
		}
		s.svc.Log.InfoContext(ctx, "role set", slog.String("user_id", u.ID), slog.String("role", string(r)))
		return u, nil
	}
}

// SetRoleByPhone is SetRole for the user with this phone.
func (s *Service) SetRoleByPhone(ctx context.Context, rawPhone, role string) (kyc.User, error) {
	phone, err := Phone("phone", rawPhone)
	if err != nil {
		return kyc.User{}, err
	}
	u, err := s.svc.Store.GetUserByPhone(ctx, phone)
	if err != nil {
		return kyc.User{}, err
	}
	return s.SetRole(ctx, u.ID, role)
}

func parseRole(role string) (kyc.Role, error) {
	switch r := kyc.Role(role); r {
	case kyc.RoleUser, kyc.RoleReviewer, kyc.RoleAdmin:
		return r, nil
	case "":
		return "", kyc.FieldError(kyc.EMISSING, "role", "required")
	}
	return "", kyc.FieldError(kyc.EINVALID, "role", "must be user, reviewer or admin")
}
