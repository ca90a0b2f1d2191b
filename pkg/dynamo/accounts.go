package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// GetAccount is one strongly consistent GetItem.
func (s *Store) GetAccount(ctx context.Context, id string) (kyc.Account, error) {
	if id == "" {
		return kyc.Account{}, notFound("Account")
	}
	it, err := s.get(ctx, accountKey(id))
	if err != nil {
		return kyc.Account{}, fmt.Errorf("dynamo: get account: %w", err)
	}
	if it == nil {
		return kyc.Account{}, notFound("Account")
	}
	a, err := decodeAccount(it)
	if err != nil {
		return kyc.Account{}, fmt.Errorf("dynamo: get account: %w", err)
	}
	return a, nil
}

// pendingCountUpdate adds delta to the count of pending accounts of a type.
func pendingCountUpdate(table *string, typ kyc.AccountType, delta int64) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 table,
		Key:                       pendingCountKey(typ),
		UpdateExpression:          aws.String("SET #kind = :kind ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#kind": attrKind, "#n": attrN},
		ExpressionAttributeValues: item{":kind": sv(kindPendingCount), ":d": nv(delta)},
	}}
}

// Transition writes the new account, its audit record and the pending counters in one
// transaction: one call, conditional on the stored state and version.
//
// Leaving PENDING_REVIEW decrements the counter of the stored account's type, which the
// caller's new value need not share (a type change on approval). The transaction assumes
// the type is unchanged and checks it; in the rare case it changed, the stored item that
// the failed condition returns names the old type and the transaction is sent once more.
func (s *Store) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	if t.Account.ID == "" {
		return kyc.Account{}, notFound("Account")
	}
	if t.Audit.AccountID == "" {
		t.Audit.AccountID = t.Account.ID
	}
	if t.Audit.AccountID != t.Account.ID {
		return kyc.Account{}, kyc.FieldError(kyc.EINVALID, "audit.account_id", "does not match the account")
	}
	t.Account.Version = t.FromVersion + 1
	oldType := t.Account.Type
	for range 2 {
		err := s.transact(ctx, s.transitionItems(t, oldType))
		if err == nil {
			return t.Account, nil
		}
		failed, stored := conditionFailed(err, 0)
		if !failed {
			return kyc.Account{}, fmt.Errorf("dynamo: transition account: %w", err)
		}
		if stored == nil {
			return kyc.Account{}, notFound("Account")
		}
		cur, derr := decodeAccount(stored)
		if derr != nil {
			return kyc.Account{}, fmt.Errorf("dynamo: transition account: %w", derr)
		}
		if cur.Version != t.FromVersion || cur.State != t.FromState || cur.Type == oldType {
			return kyc.Account{}, kyc.Errorf(kyc.ECONFLICT, "The account was changed by someone else; reload and try again.")
		}
		oldType = cur.Type
	}
	return kyc.Account{}, kyc.Errorf(kyc.ECONFLICT, "The account was changed by someone else; reload and try again.")
}

func (s *Store) transitionItems(t kyc.Transition, oldType kyc.AccountType) []types.TransactWriteItem {
	cond := "attribute_exists(PK) AND #ver = :fromVersion AND #state = :fromState"
	names := map[string]string{"#ver": AttrVersion, "#state": "State"}
	values := item{":fromVersion": nv(t.FromVersion), ":fromState": sv(string(t.FromState))}
	wasPending := t.FromState == kyc.StatePendingReview
	if wasPending {
		cond += " AND #type = :oldType"
		names["#type"] = "Type"
		values[":oldType"] = sv(string(oldType))
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                           s.table,
			Item:                                encodeAccount(t.Account),
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Put: &types.Put{
			TableName:           s.table,
			Item:                encodeAudit(t.Audit, randomSuffix()),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}},
	}
	isPending := t.Account.State == kyc.StatePendingReview
	switch {
	case wasPending && isPending && oldType != t.Account.Type:
		items = append(items, pendingCountUpdate(s.table, oldType, -1), pendingCountUpdate(s.table, t.Account.Type, 1))
	case wasPending && !isPending:
		items = append(items, pendingCountUpdate(s.table, oldType, -1))
	case !wasPending && isPending:
		items = append(items, pendingCountUpdate(s.table, t.Account.Type, 1))
	}
	return items
}

// Page sizes: a ListPending limit below 1 means defaultPendingPage, above
// maxPendingPage means maxPendingPage (the API's page sizes; one page is one cheap Query).
const (
	defaultPendingPage = 20
	maxPendingPage     = 100
	maxSubmittedList   = 1000
)

// ListPending queries GSIPending for one page and reads the pending counter, in
// parallel: two calls, one round trip. It asks for one item more than the page so that
// the last page says so (an empty NextCursor) instead of leading to an empty page.
func (s *Store) ListPending(ctx context.Context, typ kyc.AccountType, limit int, cursor string) (kyc.PendingPage, error) {
	if limit < 1 {
		limit = defaultPendingPage
	}
	limit = min(limit, maxPendingPage)
	var start item
	if cursor != "" {
		sk, err := decodeCursor(cursor, typ)
		if err != nil {
			return kyc.PendingPage{}, err
		}
		id := sk[len(timeLayout)+1:]
		start = accountKey(id)
		start[AttrPendingPK] = sv(prefixPending + string(typ))
		start[AttrPendingSK] = sv(sk)
	}

	type total struct {
		n   int64
		err error
	}
	totalc := make(chan total, 1)
	go func() {
		it, err := s.get(ctx, pendingCountKey(typ))
		d := decoder{it: it}
		n := d.int(attrN)
		if err == nil {
			err = d.err
		}
		totalc <- total{n, err}
	}()

	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(GSIPending),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPendingPK},
		ExpressionAttributeValues: item{":pk": sv(prefixPending + string(typ))},
		ScanIndexForward:          aws.Bool(true),
		Limit:                     aws.Int32(int32(limit + 1)),
		ExclusiveStartKey:         start,
	})
	tot := <-totalc
	if err != nil {
		return kyc.PendingPage{}, fmt.Errorf("dynamo: list pending: %w", err)
	}
	if tot.err != nil {
		return kyc.PendingPage{}, fmt.Errorf("dynamo: read pending count: %w", tot.err)
	}
	page := kyc.PendingPage{Total: max(tot.n, 0)}
	items := out.Items
	more := out.LastEvaluatedKey != nil
	if len(items) > limit {
		items, more = items[:limit], true
	}
	page.Accounts = make([]kyc.Account, 0, len(items))
	for _, it := range items {
		a, err := decodeAccount(it)
		if err != nil {
			return kyc.PendingPage{}, fmt.Errorf("dynamo: list pending: %w", err)
		}
		page.Accounts = append(page.Accounts, a)
	}
	// A 1 MB response can end before the limit with more to come; the cursor then
	// continues after the last item returned.
	if more && len(page.Accounts) > 0 {
		last := page.Accounts[len(page.Accounts)-1]
		page.NextCursor = encodeCursor(typ, queueSK(last.SubmittedAt, last.ID))
	}
	return page, nil
}

// ListSubmittedBefore queries GSISubmitted for accounts submitted before t, oldest first:
// one Query per 1 MB of results. limit is clamped to 1..1000.
func (s *Store) ListSubmittedBefore(ctx context.Context, t time.Time, limit int) ([]kyc.Account, error) {
	limit = max(1, min(limit, maxSubmittedList))
	// "<t>" sorts after every "<earlier time>#id" and before "<t>#id": strictly before t.
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(GSISubmitted),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk < :before"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrSubmittedPK, "#sk": AttrSubmittedSK},
		ExpressionAttributeValues: item{":pk": sv(submittedPK), ":before": sv(fmtTime(t))},
		ScanIndexForward:          aws.Bool(true),
	}
	var accounts []kyc.Account
	for {
		in.Limit = aws.Int32(int32(limit - len(accounts)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo: list submitted: %w", err)
		}
		for _, it := range out.Items {
			a, err := decodeAccount(it)
			if err != nil {
				return nil, fmt.Errorf("dynamo: list submitted: %w", err)
			}
			accounts = append(accounts, a)
		}
		if out.LastEvaluatedKey == nil || len(accounts) >= limit {
			return accounts, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
