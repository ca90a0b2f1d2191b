package integrator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/sessiontoken"
)

// Key and secret prefixes make a leaked credential recognisable (secret scanners, logs).
const (
	KeyPrefix    = "rnk_"
	SecretPrefix = "rns_"
	// TokenTTL is how long an app's bearer token lives (API.md: expires_in 7200).
	TokenTTL = 2 * time.Hour
	// maxAppName bounds an app's display name.
	maxAppName = 100
)

// Per-app limits. Writes are counted in the write itself (no extra call); reads are
// bounded by API Gateway's stage throttling (README, "Integrators").
const (
	// TokensPerHour: an app caches its token for its two hours; a few an hour is normal,
	// hundreds is a client that never caches.
	TokensPerHour = 60
	// PersonsPerHour bounds account creation by one app.
	PersonsPerHour = 1000
)

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	Clock kyc.Clock
	IDs   kyc.IDs
	Log   *slog.Logger
}

// Service manages apps, their tokens and their accounts.
type Service struct {
	store Store
	clock kyc.Clock
	ids   kyc.IDs
	log   *slog.Logger
}

// New returns the service over d.
func New(d Deps) *Service {
	return &Service{store: d.Store, clock: d.Clock, ids: d.IDs, log: d.Log}
}

// Created is a new app's credentials: the only time the secret is shown.
type Created struct {
	AppKey    string `json:"app_key"`
	AppSecret string `json:"app_secret"`
	Name      string `json:"name"`
}

// CreateApp makes an app named name for the admin by.
func (s *Service) CreateApp(ctx context.Context, by kyc.Principal, name string) (Created, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Created{}, kyc.FieldError(kyc.EMISSING, "name", "required")
	case utf8.RuneCountInString(name) > maxAppName || !utf8.ValidString(name):
		return Created{}, kyc.FieldError(kyc.EINVALID, "name", fmt.Sprintf("at most %d characters", maxAppName))
	}
	key, err := random(KeyPrefix, 12)
	if err != nil {
		return Created{}, err
	}
	secret, err := random(SecretPrefix, 32)
	if err != nil {
		return Created{}, err
	}
	now := s.clock.Now()
	if err := s.store.PutApp(ctx, App{Key: key, Name: name, SecretHash: HashSecret(secret), CreatedBy: by.UserID, CreatedAt: now}); err != nil {
		return Created{}, err
	}
	s.log.InfoContext(ctx, "integrator app created", slog.String("app", key))
	return Created{AppKey: key, AppSecret: secret, Name: name}, nil
}

// RevokeApp revokes the app key: its tokens stop working at once and no new ones are
// issued. Revoking a revoked app is not an error (DELETE is idempotent).
func (s *Service) RevokeApp(ctx context.Context, key string) error {
	if !strings.HasPrefix(key, KeyPrefix) {
		return kyc.Errorf(kyc.ENOTFOUND, "App not found.")
	}
	if err := s.store.RevokeApp(ctx, key, s.clock.Now()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "integrator app revoked", slog.String("app", key))
	return nil
}

// Token is the answer of the token route (RFC 6749 section 5.1).
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// ErrInvalidClient is every refusal of a key and secret: an unknown key, a wrong secret
// and a revoked app look the same, so the route tells a caller nothing about which keys
// exist.
var ErrInvalidClient = kyc.Errorf(kyc.EUNAUTHORIZED, "invalid_client")

// IssueToken gives the app key, proven by secret, a bearer token of TokenTTL.
func (s *Service) IssueToken(ctx context.Context, key, secret string) (Token, error) {
	if !strings.HasPrefix(key, KeyPrefix) || !strings.HasPrefix(secret, SecretPrefix) || len(key) > 64 || len(secret) > 128 {
		return Token{}, ErrInvalidClient
	}
	app, err := s.store.GetApp(ctx, key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return Token{}, ErrInvalidClient
	} else if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(app.SecretHash)) != 1 || app.Revoked {
		return Token{}, ErrInvalidClient
	}
	now := s.clock.Now()
	expires := now.Add(TokenTTL)
	p := kyc.Principal{Role: kyc.RoleIntegrator, AppKey: key}
	token, err := s.store.SealToken(p, expires)
	if err != nil {
		return Token{}, fmt.Errorf("integrator: seal token: %w", err)
	}
	sess := kyc.Session{TokenHash: sessiontoken.Hash(token), AppKey: key, Role: kyc.RoleIntegrator, CreatedAt: now, ExpiresAt: expires}
	limit := kyc.Limit{Key: "app-tokens:" + key, Max: TokensPerHour, Window: time.Hour}
	if err := s.store.OpenAppSession(ctx, sess, limit, now); err != nil {
		if kyc.IsCode(err, kyc.EUNAUTHORIZED) {
			return Token{}, ErrInvalidClient // revoked between the read and the write
		}
		return Token{}, err
	}
	return Token{AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(TokenTTL / time.Second)}, nil
}

// PersonInput is seed 004's person: name, ID number and mobile.
type PersonInput struct {
	Name   string
	IDNum  string
	Mobile string
}

// CreatePerson creates a personal account owned by the calling app p and returns its id.
// The same ID number again for the same app is EEXISTS with the existing id.
func (s *Service) CreatePerson(ctx context.Context, p kyc.Principal, in PersonInput) (string, error) {
	now := s.clock.Now()
	name, err := idcheck.PersonName(in.Name)
	if err != nil {
		return "", kyc.FieldError(kyc.EINVALID, "name", err.Error())
	}
	id, err := idcheck.ResidentIDAt(in.IDNum, now)
	if err != nil {
		return "", kyc.FieldError(kyc.EINVALID, "idNum", err.Error())
	}
	mobile, err := idcheck.Mobile(in.Mobile)
	if err != nil {
		return "", kyc.FieldError(kyc.EINVALID, "mobile", err.Error())
	}
	a := kyc.Account{ID: s.ids.NewID(), OwnerKind: kyc.OwnerIntegrator, OwnerID: p.AppKey, Type: kyc.PersonalAccount,
		Name: name, IDNumber: id, Tel: mobile, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
	limit := kyc.Limit{Key: "app-persons:" + p.AppKey, Max: PersonsPerHour, Window: time.Hour}
	if err := s.store.CreatePerson(ctx, a, limit, now); err != nil {
		return "", err
	}
	return a.ID, nil
}

// Owns reports whether the app p owns a.
func Owns(p kyc.Principal, a kyc.Account) bool {
	return p.AppKey != "" && a.OwnerKind == kyc.OwnerIntegrator && a.OwnerID == p.AppKey
}

// AccountView is an account as its integrator sees it: personal values masked (the
// integrator gave them; it needs to recognise them, not to read them back).
type AccountView struct {
	AccountID string    `json:"accountId"`
	Type      string    `json:"type"`
	State     string    `json:"state"`
	Name      string    `json:"name"`
	IDNum     string    `json:"idNum"`
	Mobile    string    `json:"mobile"`
	Reasons   []string  `json:"reasons"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Account returns the account id, and its identity-factor checks oldest first, if the
// app p owns it (one read); another app's account, or none, is ENOTFOUND (an app cannot
// learn which ids exist).
func (s *Service) Account(ctx context.Context, p kyc.Principal, id string) (AccountView, []kyc.Factor, error) {
	a, factors, err := s.store.GetAccountAndFactors(ctx, id)
	if err != nil {
		return AccountView{}, nil, err
	}
	if !Owns(p, a) {
		return AccountView{}, nil, kyc.Errorf(kyc.ENOTFOUND, "Account not found.")
	}
	return View(a), factors, nil
}

// View is a's integrator view.
func View(a kyc.Account) AccountView {
	reasons := a.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return AccountView{AccountID: a.ID, Type: string(a.Type), State: string(a.State), Name: kyc.MaskName(a.Name),
		IDNum: idcheck.MaskID(a.IDNumber), Mobile: kyc.MaskPhone(a.Tel), Reasons: reasons, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// HashSecret is how an app secret is stored: its SHA-256. A secret is 32 random bytes,
// so no salt or slow hash adds anything (unlike a password).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func random(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("integrator: random: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}
