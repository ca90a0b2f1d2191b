package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// limitWindow is the counter name and the end of the window of l at now. The window's
// start is part of the name, so a counter never has to be reset: the next window is
// another item, and TTL removes the old one.
func limitWindow(l kyc.Limit, now time.Time) (name string, end time.Time, err error) {
	if l.Key == "" || l.Max <= 0 || l.Window <= 0 {
		return "", time.Time{}, fmt.Errorf("dynamo: limit %q: key, a positive max and a positive window are required", l.Key)
	}
	start := now.Add(l.Offset).Truncate(l.Window).Add(-l.Offset)
	return fmt.Sprintf("%s@%d", l.Key, start.Unix()), start.Add(l.Window), nil
}

// reserveItem is the transaction item that counts one attempt against l at now, on
// condition that the window holds fewer than l.Max.
func (s *Store) reserveItem(l kyc.Limit, now time.Time) (types.TransactWriteItem, error) {
	name, end, err := limitWindow(l, now)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 s.table,
		Key:                       s.keys.counterKey(name),
		UpdateExpression:          aws.String("SET #n = if_not_exists(#n, :zero) + :one, #end = :end, #ttl = :ttl, #kind = :kind"),
		ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :max"),
		ExpressionAttributeNames:  map[string]string{"#n": attrN, "#end": attrWindowEnd, "#ttl": TTLAttribute, "#kind": attrKind},
		ExpressionAttributeValues: item{":zero": nv(0), ":one": nv(1), ":max": nv(l.Max), ":end": nv(end.UnixNano()), ":ttl": nv(ttlEpoch(end)), ":kind": sv(kindCounter)},
	}}, nil
}

// releaseItem gives back one reservation of l made at reservedAt. It has no condition,
// since it must not fail the write it rides on: a counter TTL already removed comes back
// at 0, with its window's end, and goes again.
func (s *Store) releaseItem(l kyc.Limit, reservedAt time.Time) (types.TransactWriteItem, error) {
	name, end, err := limitWindow(l, reservedAt)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 s.table,
		Key:                       s.keys.counterKey(name),
		UpdateExpression:          aws.String("SET #n = if_not_exists(#n, :one) - :one, #end = if_not_exists(#end, :end), #ttl = if_not_exists(#ttl, :ttl), #kind = :kind"),
		ExpressionAttributeNames:  map[string]string{"#n": attrN, "#end": attrWindowEnd, "#ttl": TTLAttribute, "#kind": attrKind},
		ExpressionAttributeValues: item{":one": nv(1), ":end": nv(end.UnixNano()), ":ttl": nv(ttlEpoch(end)), ":kind": sv(kindCounter)},
	}}, nil
}

// Reserve is one TransactWriteItems of a conditional update per limit.
func (s *Store) Reserve(ctx context.Context, limits []kyc.Limit, now time.Time) (int, error) {
	if len(limits) == 0 || len(limits) > maxTransactItems {
		return -1, fmt.Errorf("dynamo: reserve: %d limits (1 to %d)", len(limits), maxTransactItems)
	}
	items := make([]types.TransactWriteItem, 0, len(limits))
	seen := map[string]bool{}
	for _, l := range limits {
		if seen[l.Key] {
			return -1, fmt.Errorf("dynamo: reserve: limit %q given twice", l.Key)
		}
		seen[l.Key] = true
		it, err := s.reserveItem(l, now)
		if err != nil {
			return -1, err
		}
		items = append(items, it)
	}
	err := s.transact(ctx, items)
	if err == nil {
		return -1, nil
	}
	for i := range limits {
		if failed, _ := conditionFailed(err, i); failed {
			return i, kyc.Errorf(kyc.ETOOMANY, "too many attempts, try again later")
		}
	}
	return -1, fmt.Errorf("dynamo: reserve: %w", err)
}

// TryCodeLimited is one TransactWriteItems: TryCode's conditional update of the code
// (attempts + 1 if live and the hash is wrong) and the reservation of limit. A right
// hash fails the code's condition, which cancels the reservation too: only wrong tries
// are counted. The code's item comes back with its failed condition (ALL_OLD) and is
// read as TryCode reads it.
func (s *Store) TryCodeLimited(ctx context.Context, phone, purpose, codeHash string, now time.Time, limit kyc.Limit) (string, error) {
	if phone == "" || purpose == "" || strings.Contains(purpose, "#") {
		return "", errBadCode()
	}
	guard, err := s.reserveItem(limit, now)
	if err != nil {
		return "", err
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Update: s.codeTry(phone, purpose, codeHash, now)}, guard})
	if err == nil {
		return "", errBadCode() // a wrong try, counted on the code and against the limit
	}
	codeFailed, stored := conditionFailed(err, 0)
	if !codeFailed {
		if failed, _ := conditionFailed(err, 1); failed {
			return "", kyc.Errorf(kyc.ETOOMANY, "too many wrong codes, try again later")
		}
		return "", fmt.Errorf("dynamo: try code: %w", err)
	}
	return tried(stored, codeHash, now)
}

// OpenSessionReleasing is OpenSession's TransactWriteItems with one release per limit.
func (s *Store) OpenSessionReleasing(ctx context.Context, sess kyc.Session, release []kyc.Limit, reservedAt time.Time) error {
	var extra []types.TransactWriteItem
	for _, l := range release {
		it, err := s.releaseItem(l, reservedAt)
		if err != nil {
			return err
		}
		extra = append(extra, it)
	}
	return s.openSession(ctx, sess, extra)
}
