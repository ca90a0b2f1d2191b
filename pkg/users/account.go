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
// code is tried first (a wrong one is counted); the user, the account, the use of the
// code and the session are then one atomic write, conditional on the phone being free and
// the code unused, so of concurrent registrations of one phone exactly one succeeds and
// the rest get EEXISTS. Two store calls.
func (s *Service) Register(ctx context.Context, in RegisterInput) (string, error) {
	phone, err := phoneField("phone", in.Phone)
	if err != nil {
		return "", err
	}
	if p := password.Problem(in.Password, phone); p != "" {
		return "", kyc.FieldError(kyc.EINVALID, "password", p)
	}
	if len(in.RegistrationID) > 128 {
		return "", kyc.FieldError(kyc.EINVALID, "RegistrationID", "must be at most 128 characters")
	}
	now := s.clock.Now()
	codeHash := CodeHash(phone, kyc.PurposeRegister, in.Code)
	if _, err := s.store.TryCode(ctx, phone, kyc.PurposeRegister, codeHash, now); err != nil {
		// A code is used only by the registration that created the user, so a request
		// that tries it after a winner used it must still get EEXISTS. (A taken phone is
		// no secret: sms-code for register answers EEXISTS too.)
		if kyc.IsCode(err, kyc.EBADCODE) {
			if uid, _, _, perr := s.store.PhoneAndCounter(ctx, phone, "", now); perr == nil && uid != "" {
				return "", kyc.Errorf(kyc.EEXISTS, "account already exists")
			}
		}
		return "", err
	}
	ph, err := password.Hash(in.Password, s.params)
	if err != nil {
		return "", err
	}
	uid, aid := s.ids.NewID(), s.ids.NewID()
	u := kyc.User{ID: uid, Phone: phone, PasswordHash: ph, Role: kyc.RoleUser, AccountID: aid, RegistrationID: in.RegistrationID, CreatedAt: now, UpdatedAt: now}
	a := kyc.Account{ID: aid, OwnerID: uid, Type: kyc.PersonalAccount, Tel: phone, NotActive: false, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
	token, sess, err := s.newSession(u, now)
	if err != nil {
		return "", err
	}
	if _, err := s.store.RegisterUser(ctx, u, a, codeHash, now, sess); err != nil {
		switch {
		case kyc.IsCode(err, kyc.EEXISTS):
			return "", kyc.Errorf(kyc.EEXISTS, "account already exists")
		case kyc.IsCode(err, kyc.EBADCODE):
			return "", err // replaced, expired or killed by wrong tries since it was tried
		}
		return "", fmt.Errorf("register user: %w", err)
	}
	s.log.InfoContext(ctx, "user registered", slog.String("user_id", uid))
	return token, nil
}

// LoginResult is what a successful login returns.
type LoginResult struct {
	Token               string
	AuthenticationState int
}

// loginLockKey and loginFailKey are the counters of a phone's failed logins.
func loginLockKey(phone string) string { return "login-lock:" + phone }
func loginFailKey(phone string) string { return "login-fail:" + phone }

// Login checks the password. Unknown phones and wrong passwords are the same ELOGIN (an
// unknown phone costs a dummy hash); LoginFailLimit failures for a phone within
// LoginFailWindow lock its logins for LoginLockFor, whatever the password. A frozen user
// is EFORBIDDEN.
//
// Three store calls: the phone and its lock, the user and its account, the session. The
// session carries the version of the user it was opened from, so if the user changed in
// between (a role change, a freeze, a new password) the store refuses it and the login
// reads the user again and starts over, a couple of times at most.
func (s *Service) Login(ctx context.Context, rawPhone, pw string) (LoginResult, error) {
	phone, err := phoneField("phone", rawPhone)
	if err != nil {
		return LoginResult{}, err
	}
	now := s.clock.Now()
	uid, aid, locked, err := s.store.PhoneAndCounter(ctx, phone, loginLockKey(phone), now)
	if err != nil {
		return LoginResult{}, fmt.Errorf("read phone and lock: %w", err)
	}
	if locked > 0 {
		return LoginResult{}, kyc.Errorf(kyc.ETOOMANY, "too many failed logins, try again later")
	}
	if uid == "" {
		return LoginResult{}, s.unknownLogin(ctx, phone, pw, now)
	}
	verified := "" // the stored hash the password was verified against
	for attempt := 0; ; attempt++ {
		u, acct, err := s.userAndAccount(ctx, uid, aid)
		if kyc.IsCode(err, kyc.ENOTFOUND) {
			return LoginResult{}, s.unknownLogin(ctx, phone, pw, now)
		} else if err != nil {
			return LoginResult{}, fmt.Errorf("load user and account: %w", err)
		}
		aid = u.AccountID
		if u.PasswordHash != verified {
			ok, err := password.Verify(pw, u.PasswordHash)
			if err != nil {
				return LoginResult{}, fmt.Errorf("verify password: %w", err)
			}
			if !ok {
				return LoginResult{}, s.loginFailed(ctx, phone, now)
			}
			verified = u.PasswordHash
		}
		if u.Frozen {
			return LoginResult{}, kyc.Errorf(kyc.EFORBIDDEN, "account frozen")
		}
		if password.NeedsRehash(u.PasswordHash, s.params) {
			if nh, herr := password.Hash(pw, s.params); herr == nil {
				next := u
				next.PasswordHash, next.UpdatedAt = nh, now
				nu, uerr := s.store.UpdateUser(ctx, next)
				switch {
				case uerr == nil:
					u, verified = nu, nh // the new version is the one the session names
				case kyc.IsCode(uerr, kyc.ECONFLICT) && attempt < loginRetries:
					continue
				default:
					// Not fatal: the old hash still verifies; the next login tries again.
					s.log.WarnContext(ctx, "rehash on login failed", slog.String("user_id", u.ID), slog.String("error", uerr.Error()))
				}
			}
		}
		token, sess, err := s.newSession(u, now)
		if err != nil {
			return LoginResult{}, err
		}
		err = s.store.OpenSession(ctx, sess)
		if kyc.IsCode(err, kyc.ECONFLICT) && attempt < loginRetries {
			continue // the user changed since it was read: read it again
		}
		if err != nil {
			return LoginResult{}, fmt.Errorf("store session: %w", err)
		}
		return LoginResult{Token: token, AuthenticationState: AuthenticationState(acct)}, nil
	}
}

// userAndAccount reads the user and its account in one call; a phone registered before
// the store kept the account id with it (accountID "") costs two.
func (s *Service) userAndAccount(ctx context.Context, userID, accountID string) (kyc.User, kyc.Account, error) {
	if accountID != "" {
		u, a, err := s.store.GetUserAndAccount(ctx, userID, accountID)
		if err != nil || u.AccountID == accountID {
			return u, a, err
		}
		// The user owns another account than the phone item says: read that one.
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return kyc.User{}, kyc.Account{}, err
	}
	a, err := s.store.GetAccount(ctx, u.AccountID)
	if err != nil {
		return kyc.User{}, kyc.Account{}, err
	}
	return u, a, nil
}

// unknownLogin answers a login for a phone without a user as a wrong password would, in
// about the same time.
func (s *Service) unknownLogin(ctx context.Context, phone, pw string, now time.Time) error {
	if _, err := password.Verify(pw, s.dummyHash()); err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	return s.loginFailed(ctx, phone, now)
}

func (s *Service) loginFailed(ctx context.Context, phone string, now time.Time) error {
	n, err := s.store.Incr(ctx, loginFailKey(phone), now, now.Add(LoginFailWindow))
	if err != nil {
		return fmt.Errorf("count failed login: %w", err)
	}
	if n >= LoginFailLimit {
		if _, err := s.store.Incr(ctx, loginLockKey(phone), now, now.Add(LoginLockFor)); err != nil {
			return fmt.Errorf("lock logins: %w", err)
		}
	}
	return kyc.Errorf(kyc.ELOGIN, "phone or password wrong")
}

// Logout ends the session of tokenHash at once.
func (s *Service) Logout(ctx context.Context, tokenHash string) error {
	if err := s.store.DeleteSession(ctx, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// ResetPassword sets a new password with a reset_password code and ends every session
// of the user. Three store calls: the code is tried (a wrong one is counted) and names
// the user; the user and its sessions are read; the new hash, the end of the sessions
// and the use of the code are one atomic write, so of concurrent resets with one code
// exactly one succeeds.
func (s *Service) ResetPassword(ctx context.Context, rawPhone, code, newPassword string) error {
	phone, err := phoneField("phone", rawPhone)
	if err != nil {
		return err
	}
	if p := password.Problem(newPassword, phone); p != "" {
		return kyc.FieldError(kyc.EINVALID, "new_password", p)
	}
	now := s.clock.Now()
	codeHash := CodeHash(phone, kyc.PurposeResetPassword, code)
	uid, err := s.store.TryCode(ctx, phone, kyc.PurposeResetPassword, codeHash, now)
	if err != nil {
		return err
	}
	ph, err := password.Hash(newPassword, s.params)
	if err != nil {
		return err
	}
	if uid == "" {
		// A code stored without the user's id (before the store kept it): two more reads.
		u, err := s.store.GetUserByPhone(ctx, phone)
		if kyc.IsCode(err, kyc.ENOTFOUND) {
			return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.")
		} else if err != nil {
			return fmt.Errorf("look up phone: %w", err)
		}
		uid = u.ID
	}
	switch _, err := s.store.ResetPassword(ctx, phone, codeHash, uid, ph, now); {
	case kyc.IsCode(err, kyc.ENOTFOUND):
		return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.")
	case kyc.IsCode(err, kyc.EBADCODE):
		return err
	case err != nil:
		return fmt.Errorf("reset password: %w", err)
	}
	s.log.InfoContext(ctx, "password reset", slog.String("user_id", uid))
	return nil
}
