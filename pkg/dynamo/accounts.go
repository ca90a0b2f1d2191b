package dynamo

import (
	"context"
	"fmt"
	"slices"
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

// PendingCountSK is the pending counter's GSIPending sort key: it sorts before every queue key
// ("<time>#<id>", digits first), so the first page of the queue starts with the count and
// ListPending needs no second read for it.
const PendingCountSK = "!COUNT"

// pendingCountUpdate adds delta to the count of a GSIPending queue (an account type's
// pending accounts, or the pending qualification certificates), and keeps the counter in
// the queue's GSIPending partition.
func pendingCountUpdate(table *string, queue string, delta int64) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:        table,
		Key:              pendingCountKey(queue),
		UpdateExpression: aws.String("SET #kind = :kind, #ppk = :ppk, #psk = :psk ADD #n :d"),
		ExpressionAttributeNames: map[string]string{"#kind": attrKind, "#n": attrN,
			"#ppk": AttrPendingPK, "#psk": AttrPendingSK},
		ExpressionAttributeValues: item{":kind": sv(kindPendingCount), ":d": nv(delta),
			":ppk": sv(prefixPending + queue), ":psk": sv(PendingCountSK)},
	}}
}

// identity is what an account claims when approved: its type and ID number.
type identity struct {
	typ      kyc.AccountType
	idNumber string
}

// errIdentityTaken is the refusal of an approval whose identity another account holds.
func errIdentityTaken() error {
	return &kyc.Error{Code: kyc.ECONFLICT, Reason: kyc.ReasonIdentityTaken, Message: "identity already verified on another account"}
}

func errMovedOn() error {
	return kyc.Errorf(kyc.ECONFLICT, "The account was changed by someone else; reload and try again.")
}

// Transition writes the new account, its audit record, the pending counters and the
// identity claim in one transaction: one call, conditional on the stored state and version.
//
// Leaving PENDING_REVIEW decrements the counter of the stored account's type, and leaving
// APPROVED (or changing identity while in it) releases the claim of the stored type and ID
// number; the caller's new value need not share them (a type change on approval, a future
// modify flow). The transaction assumes they are t.FromType and t.FromIDNumber when set
// (an enterprise change's approval sets them: one write), else unchanged, and checks it; in the rare case
// they changed, the stored item that the failed condition returns names the old values and
// the transaction is sent once more.
//
// Approving with an ID number puts the claim item IDENTITY#<type>#<number> on condition
// "absent or already this account's"; when that condition alone fails, another account
// holds the identity and the answer is ECONFLICT, told apart from a lost race on the
// account by the transaction's cancellation reasons. A release is a Delete on condition
// "absent or this account's"; should another account hold it (only data approved before
// claims existed can get there) the transaction is sent again without the release.
func (s *Store) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	return s.transition(ctx, t, nil)
}

// transition is Transition with the items extra in the same transaction, after the
// transition's own; a failed condition of one of them is ECONFLICT (errMovedOn).
func (s *Store) transition(ctx context.Context, t kyc.Transition, extra []types.TransactWriteItem) (kyc.Account, error) {
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
	revocation, err := s.certRevocationItems(t)
	if err != nil {
		return kyc.Account{}, err
	}
	if revocation != nil {
		extra = append(slices.Clone(extra), revocation...)
	}
	// The event the transition announces rides in its transaction (the outbox): no
	// decision is written without it, and it adds no call.
	outbox, err := s.outboxPut(t)
	if err != nil {
		return kyc.Account{}, err
	}
	old := identity{t.Account.Type, t.Account.IDNumber}
	if t.FromType != "" {
		old = identity{t.FromType, t.FromIDNumber}
	}
	release := true
	for range 4 {
		tx := s.transitionItems(t, old, release)
		if outbox != nil {
			tx.items = append(tx.items, *outbox)
		}
		first := len(tx.items)
		tx.items = append(tx.items, extra...)
		err := s.transact(ctx, tx.items)
		if err == nil {
			return t.Account, nil
		}
		if failed, stored := conditionFailed(err, 0); failed {
			if stored == nil {
				return kyc.Account{}, notFound("Account")
			}
			cur, derr := decodeAccount(stored)
			if derr != nil {
				return kyc.Account{}, fmt.Errorf("dynamo: transition account: %w", derr)
			}
			was := identity{cur.Type, cur.IDNumber}
			if cur.Version != t.FromVersion || cur.State != t.FromState || was == old {
				return kyc.Account{}, errMovedOn()
			}
			old, release = was, true
			continue
		}
		if tx.claim >= 0 {
			if failed, _ := conditionFailed(err, tx.claim); failed {
				return kyc.Account{}, errIdentityTaken()
			}
		}
		if tx.release >= 0 {
			if failed, _ := conditionFailed(err, tx.release); failed {
				release = false
				continue
			}
		}
		for i := range extra {
			if failed, _ := conditionFailed(err, first+i); failed {
				return kyc.Account{}, errMovedOn()
			}
		}
		return kyc.Account{}, fmt.Errorf("dynamo: transition account: %w", err)
	}
	return kyc.Account{}, errMovedOn()
}

// transitionTx is the transaction of a transition and where its identity items are in it
// (-1 when absent), to read the cancellation reasons by.
type transitionTx struct {
	items          []types.TransactWriteItem
	claim, release int
}

// transitionItems builds the transaction of t, assuming the stored account has the type and
// ID number of old. release false leaves out the release of old's claim.
func (s *Store) transitionItems(t kyc.Transition, old identity, release bool) transitionTx {
	cond := "attribute_exists(PK) AND #ver = :fromVersion AND #state = :fromState"
	names := map[string]string{"#ver": AttrVersion, "#state": "State"}
	values := item{":fromVersion": nv(t.FromVersion), ":fromState": sv(string(t.FromState))}
	wasPending := t.FromState == kyc.StatePendingReview
	wasApproved := t.FromState == kyc.StateApproved
	if wasPending || wasApproved {
		cond += " AND #type = :oldType"
		names["#type"] = "Type"
		values[":oldType"] = sv(string(old.typ))
	}
	if wasApproved {
		cond += " AND #idn = :oldIDNumber"
		names["#idn"] = "IDNumber"
		values[":oldIDNumber"] = sv(old.idNumber)
	}
	if t.Create {
		cond, names, values = "attribute_not_exists(PK)", nil, nil
	}
	tx := transitionTx{claim: -1, release: -1}
	tx.items = []types.TransactWriteItem{
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

	if t.Profile != nil {
		tx.items = append(tx.items, types.TransactWriteItem{Put: &types.Put{
			TableName:           s.table,
			Item:                encodeProfile(*t.Profile, t.Account.ID),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, types.TransactWriteItem{Put: &types.Put{
			TableName: s.table,
			Item:      encodeCurrentProfile(*t.Profile, t.Account.ID),
		}})
	}

	// The claim: absent, or this account's already (a repeated approval keeps it).
	mine := aws.String("attribute_not_exists(PK) OR #acct = :acct")
	mineNames := map[string]string{"#acct": attrAccountID}
	mineValues := item{":acct": sv(t.Account.ID)}
	next := identity{t.Account.Type, t.Account.IDNumber}
	claims := t.Account.State == kyc.StateApproved && next.idNumber != ""
	if claims {
		claim := s.keys.claimKey(t.Account, next.typ, next.idNumber)
		claim[attrKind] = sv(kindIdentity)
		claim[attrAccountID] = sv(t.Account.ID)
		tx.claim = len(tx.items)
		tx.items = append(tx.items, types.TransactWriteItem{Put: &types.Put{
			TableName:                 s.table,
			Item:                      claim,
			ConditionExpression:       mine,
			ExpressionAttributeNames:  mineNames,
			ExpressionAttributeValues: mineValues,
		}})
	}
	if release && wasApproved && old.idNumber != "" && !(claims && old == next) {
		tx.release = len(tx.items)
		tx.items = append(tx.items, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 s.table,
			Key:                       s.keys.claimKey(t.Account, old.typ, old.idNumber),
			ConditionExpression:       mine,
			ExpressionAttributeNames:  mineNames,
			ExpressionAttributeValues: mineValues,
		}})
	}

	if t.WantSeal {
		tx.items = append(tx.items, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: sealWantedItem(t.Account.ID, t.Audit.At)}})
	}
	if t.SealDone {
		tx.items = append(tx.items, types.TransactWriteItem{Delete: &types.Delete{TableName: s.table, Key: sealWantedKey(t.Account.ID)}})
	}

	isPending := t.Account.State == kyc.StatePendingReview
	switch {
	case wasPending && isPending && old.typ != t.Account.Type:
		tx.items = append(tx.items, pendingCountUpdate(s.table, string(old.typ), -1), pendingCountUpdate(s.table, string(t.Account.Type), 1))
	case wasPending && !isPending:
		tx.items = append(tx.items, pendingCountUpdate(s.table, string(old.typ), -1))
	case !wasPending && isPending:
		tx.items = append(tx.items, pendingCountUpdate(s.table, string(t.Account.Type), 1))
	}
	return tx
}

// IdentityOwner is one strongly consistent GetItem of the identity's claim.
func (s *Store) IdentityOwner(ctx context.Context, typ kyc.AccountType, idNumber string) (string, error) {
	if typ != kyc.PersonalAccount && typ != kyc.CompanyAccount {
		return "", kyc.FieldError(kyc.EINVALID, "type", "unknown account type")
	}
	if idNumber == "" {
		return "", notFound("Identity")
	}
	it, err := s.get(ctx, s.keys.identityKey(typ, idNumber))
	if err != nil {
		return "", fmt.Errorf("dynamo: get identity owner: %w", err)
	}
	if it == nil {
		return "", notFound("Identity")
	}
	d := decoder{it: it}
	d.kind(kindIdentity)
	owner := d.str(attrAccountID)
	if d.err == nil && owner == "" {
		d.err = fmt.Errorf("attribute %s is empty", attrAccountID)
	}
	if d.err != nil {
		return "", fmt.Errorf("dynamo: get identity owner: decode identity: %w", d.err)
	}
	return owner, nil
}

// Page sizes: a ListPending limit below 1 means defaultPendingPage, above
// maxPendingPage means maxPendingPage (the API's page sizes; one page is one cheap Query).
const (
	defaultPendingPage = 20
	maxPendingPage     = 100
	maxSubmittedList   = 1000
)

// ListPending queries GSIPending for one page. It asks for one item more than the page so
// that the last page says so (an empty NextCursor) instead of leading to an empty page.
// The first page also carries the pending count, whose counter item heads the type's index
// partition: one call. A later page starts after the counter, so its cursor carries the
// count the first page read: one call too, and a listing's total is the count when it
// began. Through the index the count is as fresh as the page (both eventually consistent
// on DynamoDB).
func (s *Store) ListPending(ctx context.Context, typ kyc.AccountType, limit int, cursor string) (kyc.PendingPage, error) {
	q, err := s.queryQueue(ctx, string(typ), tableKeyOfQueueID, limit, cursor)
	if err != nil {
		return kyc.PendingPage{}, fmt.Errorf("dynamo: list pending: %w", err)
	}
	page := kyc.PendingPage{Total: q.total, Accounts: make([]kyc.Account, 0, len(q.items))}
	lastID := ""
	for _, it := range q.items {
		var a kyc.Account
		if (&decoder{it: it}).str(attrKind) == kindChange {
			c, err := decodeChange(it)
			if err != nil {
				return kyc.PendingPage{}, fmt.Errorf("dynamo: list pending: %w", err)
			}
			a, lastID = pendingChangeEntry(c), changeQueueID(c.AccountID)
			if page.Changes == nil {
				page.Changes = map[string]bool{}
			}
			page.Changes[a.ID] = true
		} else if a, err = decodeAccount(it); err != nil {
			return kyc.PendingPage{}, fmt.Errorf("dynamo: list pending: %w", err)
		} else {
			lastID = a.ID
		}
		page.Accounts = append(page.Accounts, a)
	}
	// A 1 MB response can end before the limit with more to come; the cursor then
	// continues after the last item returned.
	if q.more && len(page.Accounts) > 0 {
		last := page.Accounts[len(page.Accounts)-1]
		page.NextCursor = encodeCursor(string(typ), queueSK(last.SubmittedAt, lastID), page.Total)
	}
	return page, nil
}

// queuePage is one page of a GSIPending queue as queryQueue read it.
type queuePage struct {
	items []item // the queue's items, oldest first, at most the page's limit
	total int64  // the queue's count: read with the first page, from the cursor after
	more  bool   // another page follows the last item
}

// queryQueue reads one page of the GSIPending queue PENDING#<queue> (ListPending's account
// queues, the qualification certificates), whose counter item sits at PendingCountSK
// before every item, in one Query; see ListPending. tableKey is the table key of an item
// of the queue by its id (the cursor's id part). A cursor that is not one of this queue's
// is EINVALID.
func (s *Store) queryQueue(ctx context.Context, queue string, tableKey func(id string) item, limit int, cursor string) (queuePage, error) {
	if limit < 1 {
		limit = defaultPendingPage
	}
	limit = min(limit, maxPendingPage)
	var start item
	var total int64
	if cursor != "" {
		sk, n, err := decodeCursor(cursor, queue)
		if err != nil {
			return queuePage{}, err
		}
		id := sk[len(timeLayout)+1:]
		start = tableKey(id)
		start[AttrPendingPK] = sv(prefixPending + queue)
		start[AttrPendingSK] = sv(sk)
		total = n
	}
	ask := limit + 1
	if start == nil {
		ask++ // the counter, which sorts first: the first page reads the total with the page
	}
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(GSIPending),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPendingPK},
		ExpressionAttributeValues: item{":pk": sv(prefixPending + queue)},
		ScanIndexForward:          aws.Bool(true),
		Limit:                     aws.Int32(int32(ask)),
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return queuePage{}, err
	}
	items := out.Items
	if len(items) > 0 && (&decoder{it: items[0]}).str(attrKind) == kindPendingCount {
		if total, err = decodePendingCount(items[0]); err != nil {
			return queuePage{}, fmt.Errorf("read pending count: %w", err)
		}
		items = items[1:]
	}
	more := out.LastEvaluatedKey != nil
	if len(items) > limit {
		items, more = items[:limit], true
	}
	return queuePage{items: items, total: max(total, 0), more: more}, nil
}

// decodePendingCount reads N of a pending counter item; no item counts 0.
func decodePendingCount(it item) (int64, error) {
	d := decoder{it: it}
	n := d.int(attrN)
	return n, d.err
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
