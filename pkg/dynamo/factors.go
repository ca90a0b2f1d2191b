package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Identity factors (issue 14). Each answered check is the item
// ACCOUNT#<id> / FACTOR#<at>#<random> in the account's partition, beside its audit
// trail, so that GetAccountAndFactors reads the account and its factors in one Query.
// Like audit records, factor items are never rewritten.

var _ kyc.FactorStore = (*Store)(nil)

const (
	kindFactor   = "factor"
	prefixFactor = "FACTOR#"
)

func encodeFactor(f kyc.Factor, suffix string) item {
	it := key(prefixAccount+f.AccountID, prefixFactor+fmtTime(f.At)+"#"+suffix)
	it[attrKind] = sv(kindFactor)
	it[attrAccountID] = sv(f.AccountID)
	it["FactorKind"] = sv(f.Kind)
	it["Result"] = sv(string(f.Result))
	it["Provider"] = sv(f.Provider)
	it["Reason"] = sv(f.Reason)
	it["At"] = tv(f.At)
	// The values checked, for the owner's masked view: ordinary attributes, as the
	// account's Name and IDNumber are, never part of a key.
	it["Name"] = sv(f.Name)
	it["IDNumber"] = sv(f.IDNumber)
	return it
}

func decodeFactor(it item) (kyc.Factor, error) {
	d := decoder{it: it}
	d.kind(kindFactor)
	f := kyc.Factor{
		AccountID: d.str(attrAccountID),
		Kind:      d.str("FactorKind"),
		Result:    kyc.FactorResult(d.str("Result")),
		Provider:  d.str("Provider"),
		Reason:    d.str("Reason"),
		At:        d.time("At"),
		Name:      d.str("Name"),
		IDNumber:  d.str("IDNumber"),
	}
	if d.err != nil {
		return kyc.Factor{}, fmt.Errorf("decode factor: %w", d.err)
	}
	return f, nil
}

// RecordFactor is one TransactWriteItems: the factor's Put (never overwriting), the
// releases, and either the transition's items (Transition's, with the outbox event) or
// a ConditionCheck that the account exists, so no factor lands beside no account.
func (s *Store) RecordFactor(ctx context.Context, r kyc.FactorRecord) (kyc.Account, error) {
	f := r.Factor
	if f.AccountID == "" || f.Kind == "" || f.Result == "" || f.At.IsZero() {
		return kyc.Account{}, kyc.FieldError(kyc.EMISSING, "factor", "account, kind, result and time are required")
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: s.table, Item: encodeFactor(f, randomSuffix()), ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	for _, l := range r.Release {
		it, err := s.releaseItem(l, r.ReservedAt)
		if err != nil {
			return kyc.Account{}, err
		}
		items = append(items, it)
	}
	if t := r.Transition; t != nil {
		if t.Account.ID != f.AccountID {
			return kyc.Account{}, kyc.FieldError(kyc.EINVALID, "factor.account_id", "does not match the transition's account")
		}
		return s.transition(ctx, *t, items)
	}
	items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: s.table, Key: accountKey(f.AccountID), ConditionExpression: aws.String("attribute_exists(PK)"),
	}})
	err := s.transact(ctx, items)
	if failed, _ := conditionFailed(err, len(items)-1); failed {
		return kyc.Account{}, notFound("Account")
	}
	if err != nil {
		return kyc.Account{}, fmt.Errorf("dynamo: record factor: %w", err)
	}
	return kyc.Account{}, nil
}

// GetAccountAndFactors is one strongly consistent Query of the account's partition (per
// 1 MB), keeping the account and its factors.
func (s *Store) GetAccountAndFactors(ctx context.Context, accountID string) (kyc.Account, []kyc.Factor, error) {
	p, err := s.readPartition(ctx, accountID, kindAccount, kindFactor)
	if err != nil {
		return kyc.Account{}, nil, err
	}
	return *p.acct, p.factors, nil
}

// ReserveLive is one TransactWriteItems: the session's ConditionCheck and Reserve's
// conditional update per limit.
func (s *Store) ReserveLive(ctx context.Context, live kyc.LiveSession, limits []kyc.Limit, now time.Time) error {
	check, err := s.liveSessionCheck(live)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{check}
	for _, l := range limits {
		it, err := s.reserveItem(l, now)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	err = s.transact(ctx, items)
	if err == nil {
		return nil
	}
	if failed, _ := conditionFailed(err, 0); failed {
		return kyc.Errorf(kyc.EUNAUTHORIZED, "token invalid or expired")
	}
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ETOOMANY, "too many failed checks today, try again tomorrow (Beijing time)")
	}
	return fmt.Errorf("dynamo: reserve: %w", err)
}

// ReleaseLimits is one TransactWriteItems of the releases.
func (s *Store) ReleaseLimits(ctx context.Context, release []kyc.Limit, reservedAt time.Time) error {
	var items []types.TransactWriteItem
	for _, l := range release {
		it, err := s.releaseItem(l, reservedAt)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.transact(ctx, items); err != nil {
		return fmt.Errorf("dynamo: release: %w", err)
	}
	return nil
}
