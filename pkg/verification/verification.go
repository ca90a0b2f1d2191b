// Package verification is seed 003's identity verification of an app user: the
// two-factor check of a name and an ID number by the identity provider
// (POST /v1/user/verification) and the user's view of their checks
// (GET /v1/user/verification).
//
// A check runs in three steps, each one DynamoDB call at most:
//  1. the formats are validated (a malformed value never reaches the provider and counts
//     for nothing); then one reservation against the account's daily limit of failed
//     checks (kyc.FailedChecksLimit), in the same write as the check that the caller's
//     session is live, so concurrent checks can never exceed the limit;
//  2. the provider answers;
//  3. one write records the answer as a factor on the account and gives the reservation
//     back unless the answer was a mismatch; under VERIFY_POLICY=factors a match on an
//     unverified or RETRY-rejected personal account also approves it in that write
//     (after one read of the account). A provider outage records nothing and gives the
//     reservation back.
//
// The name and ID number are personal information: they are kept on the factor record
// for the owner's masked view, and never logged.
package verification

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Store is what the service reads and writes; pkg/dynamo's store is one.
type Store interface {
	ReserveLive(ctx context.Context, live kyc.LiveSession, limits []kyc.Limit, now time.Time) error
	ReleaseLimits(ctx context.Context, release []kyc.Limit, reservedAt time.Time) error
	RecordFactor(ctx context.Context, r kyc.FactorRecord) (kyc.Account, error)
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	GetAccountAndFactors(ctx context.Context, accountID string) (kyc.Account, []kyc.Factor, error)
}

// Deps are what the service is built from. ApproveOnMatch is VERIFY_POLICY=factors.
type Deps struct {
	Store          Store
	Identity       kyc.IdentityProvider
	ApproveOnMatch bool
	Clock          kyc.Clock
	Log            *slog.Logger
}

// Service runs and shows two-factor checks.
type Service struct {
	store    Store
	identity kyc.IdentityProvider
	approve  bool
	clock    kyc.Clock
	log      *slog.Logger
}

// New returns the service over d.
func New(d Deps) *Service {
	return &Service{store: d.Store, identity: d.Identity, approve: d.ApproveOnMatch, clock: d.Clock, log: d.Log}
}

// Outcome is what a check that the provider answered with a match did.
type Outcome struct {
	Factor kyc.Factor
	// State is the account's state after the check when the check approved it
	// (APPROVED), "" otherwise (the check did not read the account).
	State kyc.State
}

// Input is a check request as typed: name and cardno (seed 003's field names).
type Input struct {
	Name   string
	CardNo string
}

// Check validates in, checks it with the provider and records the answer on the
// caller's account (see the package documentation). A mismatch is EVERIFY with the
// provider's reason (the factor is recorded); a full daily limit ETOOMANY; an outage
// EUNAVAILABLE.
func (s *Service) Check(ctx context.Context, p kyc.Principal, live kyc.LiveSession, in Input) (Outcome, error) {
	if strings.TrimSpace(in.Name) == "" {
		return Outcome{}, kyc.FieldError(kyc.EMISSING, "name", "required")
	}
	if strings.TrimSpace(in.CardNo) == "" {
		return Outcome{}, kyc.FieldError(kyc.EMISSING, "cardno", "required")
	}
	now := s.clock.Now()
	name, err := idcheck.PersonName(in.Name)
	if err != nil {
		return Outcome{}, kyc.FieldError(kyc.EINVALID, "name", err.Error())
	}
	id, err := idcheck.ResidentIDAt(in.CardNo, now)
	if err != nil {
		return Outcome{}, kyc.FieldError(kyc.EINVALID, "cardno", err.Error())
	}
	limits := []kyc.Limit{kyc.FailedChecksLimit(p.AccountID, kyc.FactorTwo)}
	if err := s.store.ReserveLive(ctx, live, limits, now); err != nil {
		return Outcome{}, err
	}
	ans, err := s.identity.Check(ctx, kyc.IdentityFactors{Name: name, IDNumber: id})
	if err == nil && ans.Result != kyc.FactorMatch && ans.Result != kyc.FactorMismatch {
		err = errors.New("the provider answered no verdict") // adapters never do; not a failed check either
	}
	if err != nil {
		// Not judged, so not a failed check: the reservation goes back. The error is the
		// adapter's, which never carries the values.
		if rerr := s.store.ReleaseLimits(ctx, limits, now); rerr != nil {
			s.log.WarnContext(ctx, "verification: a reservation could not be given back", slog.String("account_id", p.AccountID), slog.String("error", rerr.Error()))
		}
		if errors.Is(err, kyc.ErrIdentityUnavailable) {
			s.log.WarnContext(ctx, "verification: identity provider unavailable", slog.String("error", err.Error()))
			return Outcome{}, kyc.Errorf(kyc.EUNAVAILABLE, "The identity provider is unavailable; try again later.")
		}
		return Outcome{}, err
	}
	f := kyc.Factor{AccountID: p.AccountID, Kind: kyc.FactorTwo, Result: ans.Result, Provider: ans.Provider, Reason: ans.Reason,
		At: now, Name: name, IDNumber: id}
	rec := kyc.FactorRecord{Factor: f, ReservedAt: now}
	out := Outcome{Factor: f}
	if ans.Result == kyc.FactorMatch {
		rec.Release = limits // a check that did not fail does not count; it resets nothing either
		if s.approve {
			out.State, err = s.approveOnMatch(ctx, rec)
		} else {
			_, err = s.store.RecordFactor(ctx, rec)
		}
	} else {
		_, err = s.store.RecordFactor(ctx, rec)
	}
	s.log.InfoContext(ctx, "verification: two-factor check", slog.String("account_id", p.AccountID),
		slog.String("result", string(ans.Result)), slog.String("provider", ans.Provider), slog.String("state", string(out.State)))
	if err != nil {
		return Outcome{}, err
	}
	if ans.Result == kyc.FactorMismatch {
		reason := ans.Reason
		if reason == "" {
			reason = "mismatch"
		}
		return out, &kyc.Error{Code: kyc.EVERIFY, Message: "Identity verification failed: the name and ID number do not match.", Reason: reason}
	}
	return out, nil
}

// approveOnMatch records rec's match and, in the same write, approves the account if
// kyc.MayApproveByFactors admits it (VERIFY_POLICY=factors). It returns the state the
// approval wrote, or "" when the account keeps its course. A lost race with another
// writer reads the account again; an identity already approved on another account is
// ECONFLICT, the match recorded.
func (s *Service) approveOnMatch(ctx context.Context, rec kyc.FactorRecord) (kyc.State, error) {
	var tried int64 = -1
	for range 3 {
		acct, err := s.store.GetAccount(ctx, rec.Factor.AccountID)
		if err != nil {
			return "", err
		}
		if !kyc.MayApproveByFactors(acct) || acct.Version == tried {
			rec.Transition = nil
			if _, err := s.store.RecordFactor(ctx, rec); err != nil {
				return "", err
			}
			if acct.Version == tried {
				// The transition failed on an account that did not move: only the identity
				// claim can have refused it.
				return "", kyc.Errorf(kyc.ECONFLICT, "identity already verified on another account")
			}
			return "", nil
		}
		t, err := kyc.ApproveByFactors(acct, rec.Factor.Name, rec.Factor.IDNumber, rec.Factor.At)
		if err != nil {
			return "", err
		}
		rec.Transition = &t
		a, err := s.store.RecordFactor(ctx, rec)
		if err == nil {
			return a.State, nil
		}
		if !kyc.IsCode(err, kyc.ECONFLICT) {
			return "", err
		}
		tried = acct.Version
	}
	return "", kyc.Errorf(kyc.ECONFLICT, "The account was changed by someone else; try again.")
}

// View is the caller's verification: the account's state, its factors, oldest first,
// and the name and ID number of the latest check that carried them (of the account as
// submitted when no check did), both masked.
type View struct {
	State    kyc.State
	Factors  []kyc.Factor
	Name     string // masked
	IDNumber string // masked
}

// Get reads the caller's account and factors (one read).
func (s *Service) Get(ctx context.Context, p kyc.Principal) (View, error) {
	acct, factors, err := s.store.GetAccountAndFactors(ctx, p.AccountID)
	if err != nil {
		return View{}, err
	}
	v := View{State: acct.State, Factors: factors}
	name, id := "", ""
	if acct.Type == kyc.PersonalAccount {
		name, id = acct.Name, acct.IDNumber
	}
	for i := len(factors) - 1; i >= 0; i-- {
		if factors[i].IDNumber != "" {
			name, id = factors[i].Name, factors[i].IDNumber
			break
		}
	}
	v.Name, v.IDNumber = kyc.MaskName(name), idcheck.MaskID(id)
	for i := range v.Factors {
		v.Factors[i].Name, v.Factors[i].IDNumber = "", "" // the view masks the latest only
	}
	return v, nil
}
