// Package users is the user side of the product: SMS codes, registration, login with
// lockout, logout, password reset, the profile, and role grants. It speaks only the
// domain ports, so the same rules hold whatever DynamoDB endpoint serves the store.
package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/password"
)

// Limits of DOMAIN.md and the users issue. Kept together so the README can cite them.
const (
	CodeTTL          = 5 * time.Minute
	CodeEvery        = time.Minute // one code per phone per minute
	CodesPerDay      = 10          // per phone
	CodesPerIPHour   = 30          // per source IP
	LoginFailWindow  = 15 * time.Minute
	LoginFailLimit   = 5
	LoginLockFor     = 15 * time.Minute
	CodeChecksPerTTL = 60 // code checks per phone per CodeTTL (see checkCode)
	TokenPrefix      = "rn_"
	tokenRandomBytes = 32
)

// Service implements the user routes.
type Service struct {
	svc    *app.Services
	params password.Params
	// dummyHash is verified when a phone is unknown, so a login for an unknown phone
	// costs the same time as one with a wrong password and does not reveal which it was.
	// It is made on first use, not at init: hashing costs ~25 ms, which every function's
	// cold start would pay.
	dummyHash func() string
}

// New returns the service over svc, hashing with svc.PasswordParams (OWASP's when unset).
func New(svc *app.Services) *Service {
	p := svc.PasswordParams
	if p == (password.Params{}) {
		p = password.OWASP()
	}
	return NewWithParams(svc, p)
}

// NewWithParams is New with other hashing parameters (tests and benchmarks).
func NewWithParams(svc *app.Services, p password.Params) *Service {
	return &Service{svc: svc, params: p, dummyHash: sync.OnceValue(func() string {
		h, err := password.Hash("not a password of anyone", p)
		if err != nil {
			panic(fmt.Sprintf("users: hash the dummy password: %v", err)) // crypto/rand failed
		}
		return h
	})}
}

// Phone validates a phone field.
func Phone(field, raw string) (string, error) {
	p, err := idcheck.Mobile(raw)
	if err != nil {
		return "", kyc.FieldError(kyc.EINVALID, field, err.Error())
	}
	return p, nil
}

// SendCode creates a code for phone and purpose and sends it, within the rate limits.
// For reset_password an unknown phone is answered like a known one (nothing is sent),
// so the route does not tell who has an account; for register a taken phone is 1007,
// as register itself would answer.
func (s *Service) SendCode(ctx context.Context, rawPhone, purpose, sourceIP string) error {
	phone, err := Phone("phone", rawPhone)
	if err != nil {
		return err
	}
	if purpose != kyc.PurposeRegister && purpose != kyc.PurposeResetPassword {
		return kyc.FieldError(kyc.EINVALID, "purpose", "must be register or reset_password")
	}
	now := s.svc.Clock.Now()
	if err := s.limit(ctx, "sms-ip:"+sourceIP, now, time.Hour, CodesPerIPHour); err != nil {
		return err
	}
	if err := s.limit(ctx, "sms-min:"+phone, now, CodeEvery, 1); err != nil {
		return err
	}
	if err := s.limit(ctx, "sms-day:"+phone, now, 24*time.Hour, CodesPerDay); err != nil {
		return err
	}
	_, err = s.svc.Store.GetUserByPhone(ctx, phone)
	switch {
	case err == nil && purpose == kyc.PurposeRegister:
		return kyc.Errorf(kyc.EEXISTS, "account already exists")
	case kyc.IsCode(err, kyc.ENOTFOUND) && purpose == kyc.PurposeResetPassword:
		return nil
	case err != nil && !kyc.IsCode(err, kyc.ENOTFOUND):
		return fmt.Errorf("look up phone: %w", err)
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	c := kyc.SMSCode{Phone: phone, Purpose: purpose, CodeHash: CodeHash(phone, purpose, code), CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}
	if err := s.svc.Store.PutCode(ctx, c); err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	if err := s.svc.SMS.Send(ctx, phone, purpose, code); err != nil {
		return fmt.Errorf("send code: %w", err)
	}
	s.svc.Log.InfoContext(ctx, "sms code sent", slog.String("purpose", purpose))
	return nil
}

// limit counts one event of key in a window and refuses it past max.
func (s *Service) limit(ctx context.Context, key string, now time.Time, window time.Duration, max int64) error {
	n, err := s.svc.Store.Incr(ctx, key, now, now.Add(window))
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	if n > max {
		return kyc.Errorf(kyc.ETOOMANY, "too many requests, try again later")
	}
	return nil
}

// checkCode checks a code within a per-phone budget. On DynamoDB comparing a code and
// counting a wrong try are two calls, so a burst of simultaneous guesses could test more
// codes than MaxCodeAttempts before the code dies; the atomic counter bounds that burst
// (60 guesses in 10^6 codes), while leaving room for many concurrent honest requests.
func (s *Service) checkCode(ctx context.Context, phone, purpose, code string, now time.Time, consume bool) error {
	if err := s.limit(ctx, "code-check:"+purpose+":"+phone, now, CodeTTL, CodeChecksPerTTL); err != nil {
		return err
	}
	return s.svc.Store.CheckCode(ctx, phone, purpose, CodeHash(phone, purpose, code), now, consume)
}

// CodeHash is what the store keeps of a code: bound to phone and purpose, so equal codes
// of different phones never share a hash.
func CodeHash(phone, purpose, code string) string {
	sum := sha256.Sum256([]byte(phone + "\x00" + purpose + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("generate code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// HashToken is how a session token is stored and looked up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newSession stores a session for u and returns its token. The session keeps u's account
// and role, so requests know their caller from it alone; SetRole ends a user's sessions
// for that reason.
func (s *Service) newSession(ctx context.Context, u kyc.User) (string, error) {
	b := make([]byte, tokenRandomBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	now := s.svc.Clock.Now()
	if err := s.svc.Store.PutSession(ctx, kyc.Session{TokenHash: HashToken(token), UserID: u.ID, AccountID: u.AccountID, Role: u.Role, CreatedAt: now, ExpiresAt: now.Add(s.svc.TokenTTL)}); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return token, nil
}
