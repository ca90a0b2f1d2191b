package dynamo

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// codeRequestRounds bounds CountAndPutCode's rounds of read, decide and write. A round
// is lost only when another request counted on one of the same counters in between, so
// each lost round means another request made progress.
const codeRequestRounds = 8

// maxTransactItems is TransactWriteItems' limit of items per call.
const maxTransactItems = 100

// CountAndPutCode is one BatchGetItem (the counters and the phone item, strongly
// consistent) and one TransactWriteItems (the counters decide asked for and the code):
// two calls; one when decide asks for nothing. Each counter is written on condition that
// it is as read: absent (attribute_not_exists), or with the N and WindowEnd read, so of
// two requests that read the same value one wins and the other reads again. A running
// window gets N+1; an absent counter or one whose window has ended (TTL may not have
// removed it yet) is put whole with N = 1 and the new window end, as Incr would.
func (s *Store) CountAndPutCode(ctx context.Context, c kyc.SMSCode, keys []string, ends []time.Time, now time.Time,
	decide func(counts []int64, userID string) (count int, put bool, err error)) error {
	if err := validCode(c); err != nil {
		return err
	}
	if len(ends) != len(keys) {
		return fmt.Errorf("dynamo: count and put code: %d counters but %d window ends", len(keys), len(ends))
	}
	if len(keys)+1 > maxTransactItems {
		return fmt.Errorf("dynamo: count and put code: %d counters do not fit one transaction", len(keys))
	}
	read := make([]item, 0, len(keys)+1)
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if k == "" || seen[k] {
			// By position, not by name: names hold phones and IPs, and errors reach logs.
			return fmt.Errorf("dynamo: count and put code: counter %d of %d is empty or repeated", i+1, len(keys))
		}
		seen[k] = true
		read = append(read, s.keys.counterKey(k))
	}
	read = append(read, s.keys.phoneKey(c.Phone))

	type counter struct {
		stored  bool
		n, end  int64 // as read
		running bool
	}
	for round := range codeRequestRounds {
		if round > 0 {
			if err := sleep(ctx, backoff(min(round-1, 4))); err != nil {
				return err
			}
		}
		found, err := s.batchGet(ctx, read)
		if err != nil {
			return fmt.Errorf("dynamo: count and put code: %w", err)
		}
		counters := make([]counter, len(keys))
		counts := make([]int64, len(keys))
		for i, k := range read[:len(keys)] {
			it := found[itemID(k)]
			if it == nil {
				continue
			}
			d := decoder{it: it}
			n, end := d.int(attrN), d.int(attrWindowEnd)
			if d.err != nil {
				return fmt.Errorf("dynamo: count and put code: counter: %w", d.err)
			}
			counters[i] = counter{stored: true, n: n, end: end, running: end > now.UnixNano()}
			if counters[i].running {
				counts[i] = n
			}
		}
		userID := ""
		if it := found[itemID(read[len(keys)])]; it != nil {
			d := decoder{it: it}
			userID = d.str(attrUserID)
			if d.err != nil {
				return fmt.Errorf("dynamo: count and put code: bad phone item: %w", d.err)
			}
		}
		count, put, result := decide(counts, userID)
		if count < 0 || count > len(keys) {
			return fmt.Errorf("dynamo: count and put code: decide asked to count %d of %d counters", count, len(keys))
		}
		if count == 0 && !put {
			return result
		}
		var items []types.TransactWriteItem
		for i, k := range keys[:count] {
			cur := counters[i]
			names := map[string]string{"#n": attrN, "#end": attrWindowEnd}
			asRead := item{":n": nv(cur.n), ":end": nv(cur.end)}
			switch {
			case cur.running:
				asRead[":one"] = nv(1)
				items = append(items, types.TransactWriteItem{Update: &types.Update{
					TableName:                 s.table,
					Key:                       s.keys.counterKey(k),
					UpdateExpression:          aws.String("SET #n = #n + :one"),
					ConditionExpression:       aws.String("#n = :n AND #end = :end"),
					ExpressionAttributeNames:  names,
					ExpressionAttributeValues: asRead,
				}})
			default:
				fresh := s.keys.counterKey(k)
				fresh[attrKind] = sv(kindCounter)
				fresh[attrN] = nv(1)
				fresh[attrWindowEnd] = nv(ends[i].UnixNano())
				fresh[TTLAttribute] = nv(ttlEpoch(ends[i]))
				p := &types.Put{TableName: s.table, Item: fresh, ConditionExpression: aws.String("attribute_not_exists(PK)")}
				if cur.stored {
					p.ConditionExpression = aws.String("#n = :n AND #end = :end")
					p.ExpressionAttributeNames = names
					p.ExpressionAttributeValues = asRead
				}
				items = append(items, types.TransactWriteItem{Put: p})
			}
		}
		if put {
			code := encodeCode(s.keys.codeKey(c.Phone, c.Purpose), c)
			if userID != "" {
				code[attrUserID] = sv(userID)
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: code}})
		}
		err = s.transact(ctx, items)
		if err == nil {
			return result
		}
		if !anyConditionFailed(err) {
			return fmt.Errorf("dynamo: count and put code: %w", err)
		}
		// Another request counted meanwhile: read again.
	}
	return fmt.Errorf("dynamo: count and put code: the counters kept changing for %d rounds", codeRequestRounds)
}

// TryCode is one conditional UpdateItem: SET Attempts = Attempts + 1 on condition "live
// AND CodeHash <> :h". It succeeds only for a wrong hash against a live code, which is
// then counted in the same step, so concurrent wrong tries are counted one by one and
// never past kyc.MaxCodeAttempts; once the code is dead no try is compared any more.
// Every other case fails the condition and returns the stored item (ALL_OLD): absent,
// or not live, is EBADCODE; live is a match, which is confirmed in constant time here.
func (s *Store) TryCode(ctx context.Context, phone, purpose, codeHash string, now time.Time) (string, error) {
	if phone == "" || purpose == "" || strings.Contains(purpose, "#") {
		return "", errBadCode() // no such code can have been stored
	}
	u := s.codeTry(phone, purpose, codeHash, now)
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return "", errBadCode() // a wrong try, counted
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return "", fmt.Errorf("dynamo: try code: %w", err)
	}
	userID, err := tried(ccf.Item, codeHash, now)
	if kyc.IsCode(err, kyc.ECONFLICT) {
		return "", errBadCode() // used: TryCode does not tell a used code from a dead one
	}
	return userID, err
}

// codeTry is the update of a try: Attempts + 1 on condition that the code is live and
// its hash is not codeHash, returning the stored item when the condition fails.
func (s *Store) codeTry(phone, purpose, codeHash string, now time.Time) *types.Update {
	values := codeLiveValues(now)
	values[":h"] = sv(codeHash)
	values[":one"] = nv(1)
	return &types.Update{
		TableName:                           s.table,
		Key:                                 s.keys.codeKey(phone, purpose),
		UpdateExpression:                    aws.String("SET #att = #att + :one"),
		ConditionExpression:                 aws.String(codeLive + " AND #hash <> :h"),
		ExpressionAttributeNames:            codeNames,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
}

// tried reads the code item stored (nil if absent) whose try's condition failed: a live
// code with codeHash is a match, whose user id is returned; a used code with codeHash is
// ECONFLICT; anything else EBADCODE. The hashes are compared in constant time.
func tried(stored item, codeHash string, now time.Time) (string, error) {
	if stored == nil {
		return "", errBadCode()
	}
	c, err := decodeCode(stored)
	if err != nil {
		return "", fmt.Errorf("dynamo: try code: %w", err)
	}
	match := subtle.ConstantTimeCompare([]byte(c.CodeHash), []byte(codeHash)) == 1
	switch {
	case c.Used && match:
		return "", kyc.Errorf(kyc.ECONFLICT, "This code was used already.")
	case c.Used || c.Attempts >= kyc.MaxCodeAttempts || !now.Before(c.ExpiresAt):
		return "", errBadCode()
	case !match:
		// The condition failed on a live code with another hash: the item is malformed.
		return "", errors.New("dynamo: try code: condition failed on a live code with another hash")
	}
	d := decoder{it: stored}
	userID := d.str(attrUserID)
	if d.err != nil {
		return "", fmt.Errorf("dynamo: try code: %w", d.err)
	}
	return userID, nil
}

// codeUse is the TransactWriteItems item that uses the live code of (phone, purpose)
// with this hash: SET Used = true on condition "live AND CodeHash = :h".
func (s *Store) codeUse(phone, purpose, codeHash string, now time.Time) types.TransactWriteItem {
	values := codeLiveValues(now)
	values[":h"] = sv(codeHash)
	values[":true"] = bv(true)
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 s.table,
		Key:                       s.keys.codeKey(phone, purpose),
		UpdateExpression:          aws.String("SET #used = :true"),
		ConditionExpression:       aws.String(codeLive + " AND #hash = :h"),
		ExpressionAttributeNames:  codeNames,
		ExpressionAttributeValues: values,
	}}
}
