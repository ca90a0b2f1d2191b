package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Hosted verifications (issue 14, three factors). One item, HOSTED#<id> / HOSTED, holds
// the whole verification: the id is derived from the ticket's hash (pkg/hosted), so the
// page and its two POST routes find it by the ticket in one GetItem, and the integrator by
// the id. Every change is one conditional write whose condition is the state the change
// starts from; the item lives 30 days past its expiry (TTL) so that its integrator can
// still read how it ended.

const (
	prefixHosted = "HOSTED#"
	skHosted     = "HOSTED"
	kindHosted   = "hosted_verification"
	// hostedKeep is how long an ended or expired verification stays readable.
	hostedKeep = 30 * 24 * time.Hour
)

func hostedKey(id string) item { return key(prefixHosted+id, skHosted) }

func encodeHosted(v kyc.HostedVerification) item {
	it := hostedKey(v.ID)
	it[attrKind] = sv(kindHosted)
	it["ID"] = sv(v.ID)
	it["TicketHash"] = sv(v.TicketHash)
	it["App"] = sv(v.App)
	it[attrAccountID] = sv(v.AccountID)
	// Personal values: ordinary attributes, never part of a key.
	it["Name"] = sv(v.Name)
	it["IDNumber"] = sv(v.IDNumber)
	it["Mobile"] = sv(v.Mobile)
	it["ReturnURL"] = sv(v.ReturnURL)
	it["Status"] = sv(string(v.Status))
	it["Reason"] = sv(v.Reason)
	it[attrCreatedAt] = tv(v.CreatedAt)
	it[attrExpiresAt] = tv(v.ExpiresAt)
	// The zero times are written so that the conditions below compare strings that
	// always exist ("0001-…" sorts before every real time).
	it["FinishedAt"] = tv(v.FinishedAt)
	it[attrCodeHash] = sv(v.CodeHash)
	it["CodeExpiresAt"] = tv(v.CodeExpiresAt)
	it["LastCodeAt"] = tv(v.LastCodeAt)
	it["CodesSent"] = nv(int64(v.CodesSent))
	it["WrongCodes"] = nv(int64(v.WrongCodes))
	it["Lease"] = sv(v.Lease)
	it["LeaseUntil"] = tv(v.LeaseUntil)
	it[TTLAttribute] = nv(ttlEpoch(v.ExpiresAt.Add(hostedKeep)))
	return it
}

func decodeHosted(it item) (kyc.HostedVerification, error) {
	d := decoder{it: it}
	d.kind(kindHosted)
	v := kyc.HostedVerification{
		ID: d.str("ID"), TicketHash: d.str("TicketHash"), App: d.str("App"), AccountID: d.str(attrAccountID),
		Name: d.str("Name"), IDNumber: d.str("IDNumber"), Mobile: d.str("Mobile"), ReturnURL: d.str("ReturnURL"),
		Status: kyc.HostedStatus(d.str("Status")), Reason: d.str("Reason"),
		CreatedAt: d.time(attrCreatedAt), ExpiresAt: d.time(attrExpiresAt), FinishedAt: d.time("FinishedAt"),
		CodeHash: d.str(attrCodeHash), CodeExpiresAt: d.time("CodeExpiresAt"), LastCodeAt: d.time("LastCodeAt"),
		CodesSent: int(d.int("CodesSent")), WrongCodes: int(d.int("WrongCodes")),
		Lease: d.str("Lease"), LeaseUntil: d.time("LeaseUntil"),
	}
	if d.err != nil {
		return kyc.HostedVerification{}, fmt.Errorf("decode hosted verification: %w", d.err)
	}
	return v, nil
}

// CreateHosted is one TransactWriteItems: the app's limit, the verification's Put (never
// overwriting) and a ConditionCheck that the account is still at the version the caller
// read (ECONFLICT otherwise; ETOOMANY if the limit is full; nothing written then).
func (s *Store) CreateHosted(ctx context.Context, v kyc.HostedVerification, acct kyc.Account, limit kyc.Limit, now time.Time) error {
	if v.ID == "" || v.AccountID != acct.ID || acct.ID == "" {
		return kyc.Errorf(kyc.EMISSING, "verification id and its account are required")
	}
	count, err := s.reserveItem(limit, now)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		count,
		{Put: &types.Put{TableName: s.table, Item: encodeHosted(v), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{ConditionCheck: &types.ConditionCheck{TableName: s.table, Key: accountKey(acct.ID),
			ConditionExpression:       aws.String("#ver = :v"),
			ExpressionAttributeNames:  map[string]string{"#ver": AttrVersion},
			ExpressionAttributeValues: item{":v": nv(acct.Version)}}},
	})
	if full, _ := conditionFailed(err, 0); full {
		return kyc.Errorf(kyc.ETOOMANY, "Too many verifications started, try again later.")
	}
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ECONFLICT, "The account was changed meanwhile; try again.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: create hosted verification: %w", err)
	}
	return nil
}

// GetHosted is one strongly consistent GetItem; ENOTFOUND when there is none.
func (s *Store) GetHosted(ctx context.Context, id string) (kyc.HostedVerification, error) {
	it, err := s.get(ctx, hostedKey(id))
	if err != nil {
		return kyc.HostedVerification{}, fmt.Errorf("dynamo: get hosted verification: %w", err)
	}
	if it == nil {
		return kyc.HostedVerification{}, notFound("Verification")
	}
	return decodeHosted(it)
}

// updateHosted runs one conditional UpdateItem and returns the item as written (ok) or,
// when the condition failed, as stored (ok false; the zero verification if none is).
func (s *Store) updateHosted(ctx context.Context, id, update, cond string, values item) (kyc.HostedVerification, bool, error) {
	values[":pending"] = sv(string(kyc.HostedPending))
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table, Key: hostedKey(id),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String("attribute_exists(PK) AND #st = :pending AND " + cond),
		ExpressionAttributeNames:            map[string]string{"#st": "Status"},
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old, failed := conditionFailedItem(err); failed {
		if old == nil {
			return kyc.HostedVerification{}, false, nil
		}
		v, derr := decodeHosted(old)
		return v, false, derr
	}
	if err != nil {
		return kyc.HostedVerification{}, false, fmt.Errorf("dynamo: update hosted verification: %w", err)
	}
	v, err := decodeHosted(out.Attributes)
	return v, true, err
}

// PutHostedCode stores a new code's hash on a PENDING, unexpired verification that has
// sent fewer than max codes, the last one at least every ago: one UpdateItem that
// returns the verification (the mobile to text). ok false: refused, v as stored.
func (s *Store) PutHostedCode(ctx context.Context, id, codeHash string, now, codeExpires time.Time, every time.Duration, max int) (kyc.HostedVerification, bool, error) {
	return s.updateHosted(ctx, id,
		"SET CodeHash = :h, CodeExpiresAt = :cexp, LastCodeAt = :now, CodesSent = CodesSent + :one",
		"ExpiresAt > :now AND CodesSent < :max AND LastCodeAt <= :since",
		item{":h": sv(codeHash), ":cexp": tv(codeExpires), ":now": tv(now), ":one": nv(1), ":max": nv(int64(max)), ":since": tv(now.Add(-every))})
}

// ClaimHosted takes the lease of a PENDING, unexpired verification whose live code has
// codeHash and that has fewer than maxWrong wrong codes and no live lease: of two
// confirmations at once exactly one gets it. ok false: refused, v as stored.
func (s *Store) ClaimHosted(ctx context.Context, id, codeHash, lease string, now, until time.Time, maxWrong int) (kyc.HostedVerification, bool, error) {
	return s.updateHosted(ctx, id,
		"SET Lease = :lease, LeaseUntil = :until",
		"ExpiresAt > :now AND LeaseUntil <= :now AND CodeHash = :h AND CodeExpiresAt > :now AND WrongCodes < :max",
		item{":lease": sv(lease), ":until": tv(until), ":now": tv(now), ":h": sv(codeHash), ":max": nv(int64(maxWrong))})
}

// CountWrongHostedCode adds one wrong code to a PENDING, unexpired verification and
// returns it. ok false: it was not PENDING or has expired.
func (s *Store) CountWrongHostedCode(ctx context.Context, id string, now time.Time) (kyc.HostedVerification, bool, error) {
	return s.updateHosted(ctx, id, "SET WrongCodes = WrongCodes + :one", "ExpiresAt > :now",
		item{":one": nv(1), ":now": tv(now)})
}

// ReleaseHosted gives back lease (a provider outage: nothing consumed, the code still
// good); a lease taken over meanwhile is left alone.
func (s *Store) ReleaseHosted(ctx context.Context, id, lease string) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table, Key: hostedKey(id),
		UpdateExpression:          aws.String("SET LeaseUntil = :zero"),
		ConditionExpression:       aws.String("Lease = :lease"),
		ExpressionAttributeValues: item{":zero": tv(time.Time{}), ":lease": sv(lease)},
	})
	if _, failed := conditionFailedItem(err); failed {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamo: release hosted verification: %w", err)
	}
	return nil
}

// FinishHosted is one TransactWriteItems: the verification's end (on the condition that
// it is PENDING and, when f.Lease is set, still held by it), the factor if any, the
// verification.completed event in the outbox and, with a transition, everything
// Transition writes (account, audit, identity claim, account.approved event). ECONFLICT
// when the verification or the account moved on; nothing written then.
func (s *Store) FinishHosted(ctx context.Context, f kyc.HostedFinish) (kyc.Account, error) {
	v := f.Verification
	if v.ID == "" || (v.Status != kyc.HostedVerified && v.Status != kyc.HostedFailed) {
		return kyc.Account{}, kyc.Errorf(kyc.EMISSING, "an ended verification is required")
	}
	ev, err := webhook.VerificationOutbox(v, v.FinishedAt)
	if err != nil {
		return kyc.Account{}, fmt.Errorf("dynamo: verification event: %w", err)
	}
	cond := "attribute_exists(PK) AND #st = :pending"
	values := item{":pending": sv(string(kyc.HostedPending)), ":status": sv(string(v.Status)), ":reason": sv(v.Reason),
		":at": tv(v.FinishedAt), ":zero": tv(time.Time{})}
	if f.Lease != "" {
		cond += " AND Lease = :lease"
		values[":lease"] = sv(f.Lease)
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: s.table, Key: hostedKey(v.ID),
			UpdateExpression:          aws.String("SET #st = :status, Reason = :reason, FinishedAt = :at, LeaseUntil = :zero"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#st": "Status"},
			ExpressionAttributeValues: values}},
		{Put: &types.Put{TableName: s.table, Item: encodeOutbox(ev), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	if f.Factor.Kind != "" {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: s.table, Item: encodeFactor(f.Factor, randomSuffix()), ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	if f.Transition != nil {
		return s.transition(ctx, *f.Transition, items)
	}
	err = s.transact(ctx, items)
	if anyConditionFailed(err) {
		return kyc.Account{}, kyc.Errorf(kyc.ECONFLICT, "The verification was changed meanwhile.")
	}
	if err != nil {
		return kyc.Account{}, fmt.Errorf("dynamo: finish hosted verification: %w", err)
	}
	return kyc.Account{}, nil
}
