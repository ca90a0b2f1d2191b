package users

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/password"
)

// RegisterInput is POST /v1/user/register's body, and the caller's address.
type RegisterInput struct {
	Phone, Code, Password, RegistrationID string
	// SourceIP is the caller's address as the gateway saw it; "" (invocations, tests)
	// counts as one source, unknownSource.
	SourceIP string
}

// unknownSource stands for callers whose address is not known: they share its limits.
const unknownSource = "unknown"

func source(ip string) string {
	if ip == "" {
		return unknownSource
	}
	return ip
}

// codeTryLimit is the limit of wrong SMS codes from one source.
func codeTryLimit(ip string) kyc.Limit {
	return kyc.Limit{Key: "code-src:" + source(ip), Max: CodeTriesPerSourceHour, Window: time.Hour}
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
	if _, err := s.store.TryCodeLimited(ctx, phone, kyc.PurposeRegister, codeHash, now, codeTryLimit(in.SourceIP)); err != nil {
		// A wrong code is EBADCODE whether or not the phone is taken: nothing else is
		// read, so neither the answer nor its time tells. Only the right code already used
		// is EEXISTS, which only the phone's owner can know (the losers of concurrent
		// registrations with one code).
		if kyc.IsCode(err, kyc.ECONFLICT) {
			return "", kyc.Errorf(kyc.EEXISTS, "account already exists")
		}
		return "", err
	}
	ph, err := password.Hash(in.Password, s.params)
	if err != nil {
		return "", err
	}
	// Ids derived from the phone let a login read the phone, the user and the account in
	// one call; the phone item still decides who owns the phone.
	uid, aid := s.store.UserIDsForPhone(phone)
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

// loginLimits are the reservations of one login attempt, the tightest first.
func loginLimits(phone, ip string) []kyc.Limit {
	src := source(ip)
	return []kyc.Limit{
		{Key: "login-pair:" + phone + "|" + src, Max: LoginFailLimit, Window: LoginFailWindow},
		{Key: "login-pair-day:" + phone + "|" + src, Max: LoginPairPerDay, Window: 24 * time.Hour},
		{Key: "login-phone:" + phone, Max: LoginPhonePerDay, Window: 24 * time.Hour},
		{Key: "login-src:" + src, Max: LoginSourcePerHour, Window: time.Hour},
	}
}

// Login is LoginFrom an unknown source: for callers without an address (tests, tools),
// which all share one source's limits.
func (s *Service) Login(ctx context.Context, rawPhone, pw string) (LoginResult, error) {
	return s.LoginFrom(ctx, rawPhone, pw, "")
}

// LoginFrom checks the password of a login from the source address ip. Unknown phones
// and wrong passwords are the same ELOGIN (an unknown phone costs a dummy hash). A
// frozen user is EFORBIDDEN.
//
// The attempt is reserved against its limits (loginLimits) in one conditional write
// before anything else, so however many guesses run at once no more than the limits
// admit are ever checked; a full limit is ETOOMANY without a check. A failed attempt
// keeps its reservation (it is the count of failures); a login that succeeds gives it
// back in the write that opens its session. The lock is per phone and source, so a
// guesser elsewhere does not lock the owner out; the daily per-phone ceiling stops a
// guess spread over many addresses and takes more than ten of them, for a whole day, to
// reach; the per-source limit stops one address trying many phones.
//
// Three store calls: the reservation, the phone with its user and account (one read: the
// ids are derived from the phone, see Store.UserIDsForPhone), the session.
// The session carries the version of the user it was opened from, so if the user
// changed in between (a role change, a freeze, a new password) the store refuses it and
// the login reads the user again and starts over, a couple of times at most.
func (s *Service) LoginFrom(ctx context.Context, rawPhone, pw, ip string) (LoginResult, error) {
	phone, err := phoneField("phone", rawPhone)
	if err != nil {
		return LoginResult{}, err
	}
	now := s.clock.Now()
	limits := loginLimits(phone, ip)
	if _, err := s.store.Reserve(ctx, limits, now); err != nil {
		if kyc.IsCode(err, kyc.ETOOMANY) {
			return LoginResult{}, kyc.Errorf(kyc.ETOOMANY, "too many failed logins, try again later")
		}
		return LoginResult{}, fmt.Errorf("reserve login attempt: %w", err)
	}
	verified := "" // the stored hash the password was verified against
	u, acct, err := s.store.GetLoginByPhone(ctx, phone)
	for attempt := 0; ; attempt++ {
		if attempt > 0 { // the user changed since it was read
			u, acct, err = s.store.GetUserAndAccount(ctx, u.ID, u.AccountID)
		}
		if kyc.IsCode(err, kyc.ENOTFOUND) {
			return LoginResult{}, s.unknownLogin(pw)
		} else if err != nil {
			return LoginResult{}, fmt.Errorf("load user and account: %w", err)
		}
		if u.PasswordHash != verified {
			ok, err := password.Verify(pw, u.PasswordHash)
			if err != nil {
				return LoginResult{}, fmt.Errorf("verify password: %w", err)
			}
			if !ok {
				return LoginResult{}, errLogin()
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
		err = s.store.OpenSessionReleasing(ctx, sess, limits, now)
		if kyc.IsCode(err, kyc.ECONFLICT) && attempt < loginRetries {
			continue // the user changed since it was read: read it again
		}
		if err != nil {
			return LoginResult{}, fmt.Errorf("store session: %w", err)
		}
		return LoginResult{Token: token, AuthenticationState: AuthenticationState(acct)}, nil
	}
}

// unknownLogin answers a login for a phone without a user as a wrong password would, in
// about the same time; its reservation stays counted, as a wrong password's does.
func (s *Service) unknownLogin(pw string) error {
	if _, err := password.Verify(pw, s.dummyHash()); err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	return errLogin()
}

func errLogin() error { return kyc.Errorf(kyc.ELOGIN, "phone or password wrong") }

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
// exactly one succeeds. The caller's source is unknown here (see ResetPasswordFrom).
func (s *Service) ResetPassword(ctx context.Context, rawPhone, code, newPassword string) error {
	return s.ResetPasswordFrom(ctx, rawPhone, code, newPassword, "")
}

// ResetPasswordFrom is ResetPassword from the source address ip, whose wrong codes count
// against CodeTriesPerSourceHour.
func (s *Service) ResetPasswordFrom(ctx context.Context, rawPhone, code, newPassword, ip string) error {
	phone, err := phoneField("phone", rawPhone)
	if err != nil {
		return err
	}
	if p := password.Problem(newPassword, phone); p != "" {
		return kyc.FieldError(kyc.EINVALID, "new_password", p)
	}
	now := s.clock.Now()
	codeHash := CodeHash(phone, kyc.PurposeResetPassword, code)
	uid, err := s.store.TryCodeLimited(ctx, phone, kyc.PurposeResetPassword, codeHash, now, codeTryLimit(ip))
	if kyc.IsCode(err, kyc.ECONFLICT) {
		return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.") // used already
	} else if err != nil {
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
