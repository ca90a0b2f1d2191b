// Package users holds the user side of the product: SMS codes with their rate limits,
// registration, login with lockout, logout, password reset, the profile, role grants and
// freezing. A Service is built from explicit dependencies (Deps): the store methods it
// calls (Store, which any kyc.Store satisfies), the SMS sender, the URL signer, the
// clock, the id maker, the logger and its settings. It speaks only the domain ports, so
// the same rules hold whatever DynamoDB endpoint serves the store.
//
// Each route is a handful of store calls: the store's combined methods (kyc.Store's
// "user routes" block) read or write what a route needs together, so that no route's
// success costs more than three DynamoDB calls, counting the session lookup of an
// authenticated request (pkg/dynamo's documentation counts them).
package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/password"
	"github.com/realname-kyc/realname/pkg/sessiontoken"
)

// Limits of DOMAIN.md and the users issue. Kept together so the README can cite them.
const (
	CodeTTL        = 5 * time.Minute
	CodeEvery      = time.Minute // one code per phone per minute
	CodesPerDay    = 10          // per phone
	CodesPerIPHour = 30          // per source IP
	// Login attempts are reserved before the password is checked (see Login): per phone and
	// source address, LoginFailLimit per LoginFailWindow and LoginPairPerDay a day; per
	// phone from all sources, LoginPhonePerDay a day; per source for all phones,
	// LoginSourcePerHour an hour. A login that succeeds gives its reservation back.
	LoginFailWindow    = 15 * time.Minute
	LoginFailLimit     = 5
	LoginPairPerDay    = 20
	LoginPhonePerDay   = 200
	LoginSourcePerHour = 100
	// CodeTriesPerSourceHour is how many wrong SMS codes one source address may try in an
	// hour, over all phones (each code dies after kyc.MaxCodeAttempts wrong tries anyway).
	CodeTriesPerSourceHour = 30
	// TokenPrefix starts every session token (see pkg/sessiontoken).
	TokenPrefix = sessiontoken.Prefix
	// loginRetries is how often a login whose user changed while its session was being
	// opened reads the user again before it gives up.
	loginRetries = 2
)

// Store is what the service reads and writes; any kyc.Store is one.
type Store interface {
	SealToken(p kyc.Principal, expires time.Time) (string, error)
	PhoneAndCounter(ctx context.Context, phone, key string, now time.Time) (userID, accountID string, n int64, err error)
	CountAndPutCode(ctx context.Context, c kyc.SMSCode, keys []string, ends []time.Time, now time.Time,
		decide func(counts []int64, userID string) (count int, put bool, err error)) error
	RegisterUser(ctx context.Context, u kyc.User, a kyc.Account, codeHash string, now time.Time, s kyc.Session) (kyc.User, error)
	ChangeUserAudited(ctx context.Context, userID string, audit func(was, now kyc.User) kyc.AuditRecord, change func(u kyc.User) (kyc.User, bool, error)) (kyc.User, error)
	Reserve(ctx context.Context, limits []kyc.Limit, now time.Time) (full int, err error)
	TryCodeLimited(ctx context.Context, phone, purpose, codeHash string, now time.Time, limit kyc.Limit) (userID string, err error)
	OpenSessionReleasing(ctx context.Context, s kyc.Session, release []kyc.Limit, reservedAt time.Time) error
	ResetPassword(ctx context.Context, phone, codeHash, userID, passwordHash string, now time.Time) (kyc.User, error)

	GetUser(ctx context.Context, id string) (kyc.User, error)
	GetUserByPhone(ctx context.Context, phone string) (kyc.User, error)
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	GetUserAndAccount(ctx context.Context, userID, accountID string) (kyc.User, kyc.Account, error)
	UserIDsForPhone(phone string) (userID, accountID string)
	GetLoginByPhone(ctx context.Context, phone string) (kyc.User, kyc.Account, error)
	UpdateUser(ctx context.Context, u kyc.User) (kyc.User, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Deps are what the service is built from. Store, Clock and Log are required by every
// method; the other fields only by the methods named, and may be left zero where those
// are not used.
type Deps struct {
	Store Store
	// SMS texts the codes of SendCode.
	SMS kyc.SMSSender
	// Presigner links the portrait in Me.
	Presigner kyc.Presigner
	Clock     kyc.Clock
	// IDs names the user and the account that Register creates.
	IDs kyc.IDs
	Log *slog.Logger
	// TokenTTL is the lifetime of the sessions that Register and Login open.
	TokenTTL time.Duration
	// Password are the hashing parameters of Register, Login and ResetPassword; the zero
	// value means password.OWASP().
	Password password.Params
}

// Service implements the user routes.
type Service struct {
	store     Store
	sms       kyc.SMSSender
	presigner kyc.Presigner
	clock     kyc.Clock
	ids       kyc.IDs
	log       *slog.Logger
	tokenTTL  time.Duration
	params    password.Params
	// dummyHash is verified when a phone is unknown, so a login for an unknown phone
	// costs the same time as one with a wrong password and does not reveal which it was.
	// It is made on first use, not at init: hashing costs ~25 ms, which every function's
	// cold start would pay.
	dummyHash func() string
}

// New returns the service over d.
func New(d Deps) *Service {
	p := d.Password
	if p == (password.Params{}) {
		p = password.OWASP()
	}
	return &Service{store: d.Store, sms: d.SMS, presigner: d.Presigner, clock: d.Clock, ids: d.IDs, log: d.Log,
		tokenTTL: d.TokenTTL, params: p, dummyHash: sync.OnceValue(func() string {
			h, err := password.Hash("not a password of anyone", p)
			if err != nil {
				panic(fmt.Sprintf("users: hash the dummy password: %v", err)) // crypto/rand failed
			}
			return h
		})}
}

// phoneField validates a phone field. A malformed phone is 1006, which reveals nothing
// about accounts (the seed's login answers "账号密码格式不正确" alike).
func phoneField(field, raw string) (string, error) {
	p, err := idcheck.Mobile(raw)
	if err != nil {
		return "", kyc.FieldError(kyc.EINVALID, field, err.Error())
	}
	return p, nil
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
func HashToken(token string) string { return sessiontoken.Hash(token) }

// newSession makes a token and the session to store for u, opened at now. The session
// keeps u's account and role, so requests know their caller from it alone, and u's
// version, so the store refuses it if u has changed since it was read: whatever changes a
// user (role, freeze, password) ends the user's sessions, and a login racing the change
// must not open one with what it read before.
func (s *Service) newSession(u kyc.User, now time.Time) (string, kyc.Session, error) {
	expires := now.Add(s.tokenTTL)
	token, err := s.store.SealToken(u.Principal(), expires)
	if err != nil {
		return "", kyc.Session{}, fmt.Errorf("make token: %w", err)
	}
	return token, kyc.Session{TokenHash: HashToken(token), UserID: u.ID, AccountID: u.AccountID, Role: u.Role,
		CreatedAt: now, ExpiresAt: expires, UserVersion: u.Version}, nil
}
