package integrator

import (
	"context"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// App is an integrator: a platform that creates and verifies accounts for its own users.
type App struct {
	Key        string // public id, "rnk_…"; the client_id of the token route
	Name       string
	SecretHash string // hex SHA-256 of the secret, which is shown once and never kept
	CreatedBy  string // the admin's user id
	CreatedAt  time.Time
	Revoked    bool
	RevokedAt  time.Time
}

// Store is what the service needs of the store (pkg/dynamo keeps it).
type Store interface {
	// PutApp stores a new app; EEXISTS if its key is taken.
	PutApp(ctx context.Context, a App) error
	// GetApp returns ENOTFOUND when there is no such app.
	GetApp(ctx context.Context, key string) (App, error)
	// RevokeApp marks the app revoked (at) and then ends every session of it, so its
	// tokens stop working at once; revoking a revoked app ends any session left again.
	// ENOTFOUND if there is no such app.
	RevokeApp(ctx context.Context, key string, at time.Time) error
	// OpenAppSession stores s, a session of the app s.AppKey, and counts it against
	// limit, in one atomic write on condition that the app exists and is not revoked
	// (EUNAUTHORIZED otherwise; ETOOMANY if limit is full; nothing written then).
	OpenAppSession(ctx context.Context, s kyc.Session, limit kyc.Limit, now time.Time) error
	// CreatePerson stores a, a new person account of the app a.OwnerID, claiming its ID
	// number within the app, and counts it against limit, in one atomic write: EEXISTS
	// with the existing account's id in Data["accountId"] if the app has an account with
	// that ID number; ETOOMANY if limit is full; nothing written then.
	CreatePerson(ctx context.Context, a kyc.Account, limit kyc.Limit, now time.Time) error
	// GetAccountAndFactors returns the account and its factor checks in one read;
	// ENOTFOUND when there is no such account.
	GetAccountAndFactors(ctx context.Context, id string) (kyc.Account, []kyc.Factor, error)
	// SealToken makes the bearer token of a session of p (see kyc.Store).
	SealToken(p kyc.Principal, expires time.Time) (string, error)
}
