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

// PutSession writes the session and its reference in the user's partition in one
// transaction: one call. With a UserVersion the same transaction checks the user is still
// at that version, so a session never outlives a change of the user it was opened from.
func (s *Store) PutSession(ctx context.Context, sess kyc.Session) error {
	if sess.TokenHash == "" || sess.UserID == "" {
		return kyc.FieldError(kyc.EMISSING, "session", "token hash and user id are required")
	}
	ref := sessionRefKey(sess.UserID, sess.TokenHash)
	ref[attrKind] = sv(kindSessionRef)
	ref[TTLAttribute] = nv(ttlEpoch(sess.ExpiresAt))
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: encodeSession(sess)}},
		{Put: &types.Put{TableName: s.table, Item: ref}},
	}
	if sess.UserVersion > 0 {
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:                 s.table,
			Key:                       userKey(sess.UserID),
			ConditionExpression:       aws.String("#ver = :ver"),
			ExpressionAttributeNames:  map[string]string{"#ver": AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{":ver": nv(sess.UserVersion)},
		}})
	}
	if err := s.transact(ctx, items); err != nil {
		if anyConditionFailed(err) {
			return kyc.Errorf(kyc.ECONFLICT, "the user changed while the session was opened")
		}
		return fmt.Errorf("dynamo: put session: %w", err)
	}
	return nil
}

// SealToken makes a bearer token that carries p (see pkg/sessiontoken), sealed under a
// key derived from the store's key-hash secret: the one secret a deployment keeps.
func (s *Store) SealToken(p kyc.Principal, expires time.Time) (string, error) {
	return s.tokens.Seal(p, expires)
}

// OpenToken returns the caller a token of SealToken carries, reading nothing: EUNAUTHORIZED
// for a token that is not one of this store's, was altered or has expired. Whether its
// session is still live is GetSession's answer, or the condition of a write that names it
// (kyc.LiveSession).
func (s *Store) OpenToken(token string, now time.Time) (kyc.Principal, error) {
	p, err := s.tokens.Open(token, now)
	if err != nil {
		return kyc.Principal{}, kyc.Errorf(kyc.EUNAUTHORIZED, "token invalid or expired")
	}
	return p, nil
}

// liveSessionCheck is the condition, in a write's transaction, that the session of live
// exists and has not expired at live.Now: a read route that learnt its caller from the
// token alone authorizes in the same call that audits it.
func (s *Store) liveSessionCheck(live kyc.LiveSession) (types.TransactWriteItem, error) {
	if live.TokenHash == "" || live.Now.IsZero() {
		return types.TransactWriteItem{}, kyc.Errorf(kyc.EUNAUTHORIZED, "no session to check")
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                 s.table,
		Key:                       sessionKey(live.TokenHash),
		ConditionExpression:       aws.String("attribute_exists(PK) AND #exp > :now"),
		ExpressionAttributeNames:  map[string]string{"#exp": attrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": tv(live.Now)},
	}}, nil
}

// GetSession is one strongly consistent GetItem (a token is used the moment it is
// issued); an item past its expiry counts as absent whether or not TTL removed it yet.
func (s *Store) GetSession(ctx context.Context, tokenHash string, now time.Time) (kyc.Session, error) {
	if tokenHash == "" {
		return kyc.Session{}, notFound("Session")
	}
	it, err := s.get(ctx, sessionKey(tokenHash))
	if err != nil {
		return kyc.Session{}, fmt.Errorf("dynamo: get session: %w", err)
	}
	if it == nil {
		return kyc.Session{}, notFound("Session")
	}
	sess, err := decodeSession(it)
	if err != nil {
		return kyc.Session{}, fmt.Errorf("dynamo: get session: %w", err)
	}
	if !sess.ExpiresAt.After(now) {
		return kyc.Session{}, notFound("Session")
	}
	return sess, nil
}

// DeleteSession deletes the session, learning its user from the deleted item, then the
// reference: two calls (one if there was no such session).
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if tokenHash == "" {
		return nil
	}
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:    s.table,
		Key:          sessionKey(tokenHash),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return fmt.Errorf("dynamo: delete session: %w", err)
	}
	if out.Attributes == nil {
		return nil
	}
	d := decoder{it: out.Attributes}
	uid := d.str(attrUserID)
	if d.err != nil || uid == "" {
		return nil // nothing to unlink; the session itself is gone
	}
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.table, Key: sessionRefKey(uid, tokenHash)}); err != nil {
		return fmt.Errorf("dynamo: delete session reference: %w", err)
	}
	return nil
}

// batchWriteSize is BatchWriteItem's limit of requests per call.
const batchWriteSize = 25

// batchWriteRetries bounds the resubmissions of unprocessed (throttled) requests.
const batchWriteRetries = 8

// batchWrite sends the requests in batches of 25 and resubmits whatever DynamoDB leaves
// unprocessed, with backoff.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		n := min(len(reqs), batchWriteSize)
		pending := map[string][]types.WriteRequest{aws.ToString(s.table): reqs[:n]}
		reqs = reqs[n:]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > batchWriteRetries {
				return fmt.Errorf("batch write: requests still unprocessed after %d attempts", attempt)
			}
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
