package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Integrator items (issue 14):
//
//	Kind         PK                      SK                  notes
//	app          INTEGRATOR#<appKey>     APP                 name, secret hash, Revoked, Opened (sessions ever opened)
//	sessionRef   INTEGRATOR#<appKey>     APP#SESSION#<hash>  one per live token, so revoking finds them
//	personClaim  INTEGRATOR#<appKey>     PERSON#<digest>     the app's account of an ID number (digest: keyHasher)
//
// An app's tokens are sessions like a user's (SESSION#<hash>, with AppKey and role
// integrator), so the auth middleware reads one item for either.
const (
	kindApp          = "app"
	kindPersonClaim  = "personClaim"
	prefixIntegrator = "INTEGRATOR#"
	skApp            = "APP"
	prefixPerson     = "PERSON#"
)

func appItemKey(app string) item { return key(prefixIntegrator+app, skApp) }

// appSessionRefKey sorts after the app's own item under "APP", so one Query reads the app
// and its sessions (RevokeApp).
func appSessionRefKey(app, hash string) item {
	return key(prefixIntegrator+app, skApp+"#"+prefixSession+hash)
}

func (h keyHasher) personClaimKey(app, idNumber string) item {
	return key(prefixIntegrator+app, prefixPerson+h.digest(idNumber))
}

var _ integrator.Store = (*Store)(nil)

// PutApp is one conditional PutItem.
func (s *Store) PutApp(ctx context.Context, a integrator.App) error {
	if a.Key == "" || a.SecretHash == "" {
		return kyc.Errorf(kyc.EMISSING, "app key and secret hash are required")
	}
	it := appItemKey(a.Key)
	it[attrKind] = sv(kindApp)
	it["Name"] = sv(a.Name)
	it["SecretHash"] = sv(a.SecretHash)
	it["CreatedBy"] = sv(a.CreatedBy)
	it[attrCreatedAt] = tv(a.CreatedAt)
	it["Revoked"] = bv(false)
	it["Opened"] = nv(0)
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if _, taken := conditionFailedItem(err); taken {
		return kyc.Errorf(kyc.EEXISTS, "App already exists.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: put app: %w", err)
	}
	return nil
}

// GetApp is one strongly consistent GetItem.
func (s *Store) GetApp(ctx context.Context, key string) (integrator.App, error) {
	it, err := s.get(ctx, appItemKey(key))
	if err != nil {
		return integrator.App{}, fmt.Errorf("dynamo: get app: %w", err)
	}
	if it == nil {
		return integrator.App{}, notFound("App")
	}
	d := decoder{it: it}
	d.kind(kindApp)
	a := integrator.App{Key: key, Name: d.str("Name"), SecretHash: d.str("SecretHash"), CreatedBy: d.str("CreatedBy"),
		CreatedAt: d.time(attrCreatedAt), Revoked: d.bool("Revoked")}
	if _, ok := it["RevokedAt"]; ok {
		a.RevokedAt = d.time("RevokedAt")
	}
	if d.err != nil {
		return integrator.App{}, fmt.Errorf("dynamo: decode app: %w", d.err)
	}
	return a, nil
}

// revokeAttempts bounds RevokeApp's retries when tokens keep being issued meanwhile.
const revokeAttempts = 5

// RevokeApp is a Query of the app's partition's APP items (the app, with the count of
// sessions ever opened, and its session references) and one TransactWriteItems that marks
// the app revoked and deletes the sessions and references read, on condition that no
// session was opened since the read (OpenAppSession counts them on the app): two calls,
// plus a batched delete before it of the sessions beyond what one transaction holds. A
// token issued between the read and the write fails the condition, and the revocation
// reads again; one issued after it is refused by its own condition (revoked).
func (s *Store) RevokeApp(ctx context.Context, key string, at time.Time) error {
	for range revokeAttempts {
		opened, hashes, err := s.appSessions(ctx, key)
		if err != nil {
			return err
		}
		// The transaction holds the app and two items per session.
		const inTx = (maxTransactItems - 1) / 2
		if len(hashes) > inTx {
			var reqs []types.WriteRequest
			for _, h := range hashes[inTx:] {
				reqs = append(reqs,
					types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: sessionKey(h)}},
					types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: appSessionRefKey(key, h)}})
			}
			if err := s.batchWrite(ctx, reqs); err != nil {
				return fmt.Errorf("dynamo: revoke app: end sessions: %w", err)
			}
			hashes = hashes[:inTx]
		}
		items := []types.TransactWriteItem{{Update: &types.Update{
			TableName:                 s.table,
			Key:                       appItemKey(key),
			UpdateExpression:          aws.String("SET Revoked = :t, RevokedAt = if_not_exists(RevokedAt, :at)"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND Opened = :n"),
			ExpressionAttributeValues: item{":t": bv(true), ":at": tv(at), ":n": nv(opened)},
		}}}
		for _, h := range hashes {
			items = append(items,
				types.TransactWriteItem{Delete: &types.Delete{TableName: s.table, Key: sessionKey(h)}},
				types.TransactWriteItem{Delete: &types.Delete{TableName: s.table, Key: appSessionRefKey(key, h)}})
		}
		err = s.transact(ctx, items)
		if moved, _ := conditionFailed(err, 0); moved {
			continue // a token was issued meanwhile: read again
		}
		if err != nil {
			return fmt.Errorf("dynamo: revoke app: %w", err)
		}
		return nil
	}
	return kyc.Errorf(kyc.ECONFLICT, "Tokens kept being issued during the revocation; try again.")
}

// appSessions reads the app's count of opened sessions and the hashes of its live
// session references, in one Query; ENOTFOUND without the app.
func (s *Store) appSessions(ctx context.Context, key string) (opened int64, hashes []string, err error) {
	found := false
	err = s.queryEach(ctx, &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :app)"),
		ExpressionAttributeValues: item{":pk": sv(prefixIntegrator + key), ":app": sv(skApp)},
		ConsistentRead:            aws.Bool(true),
	}, func(it item) error {
		sk := (&decoder{it: it}).str(AttrSK)
		if sk == skApp {
			found = true
			d := decoder{it: it}
			opened = d.int("Opened")
			return d.err
		}
		hashes = append(hashes, strings.TrimPrefix(sk, skApp+"#"+prefixSession))
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("dynamo: revoke app: read sessions: %w", err)
	}
	if !found {
		return 0, nil, notFound("App")
	}
	return opened, hashes, nil
}

// OpenAppSession is one TransactWriteItems: the limit's reservation, the count of the
// session on the live app (RevokeApp's condition), the session and its reference.
func (s *Store) OpenAppSession(ctx context.Context, sess kyc.Session, limit kyc.Limit, now time.Time) error {
	if sess.TokenHash == "" || sess.AppKey == "" {
		return kyc.Errorf(kyc.EMISSING, "token hash and app key are required")
	}
	count, err := s.reserveItem(limit, now)
	if err != nil {
		return err
	}
	ref := appSessionRefKey(sess.AppKey, sess.TokenHash)
	ref[attrKind] = sv(kindSessionRef)
	ref[TTLAttribute] = nv(ttlEpoch(sess.ExpiresAt))
	err = s.transact(ctx, []types.TransactWriteItem{
		count,
		{Update: &types.Update{TableName: s.table, Key: appItemKey(sess.AppKey),
			UpdateExpression:          aws.String("SET Opened = Opened + :one"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND Revoked = :f"),
			ExpressionAttributeValues: item{":f": bv(false), ":one": nv(1)}}},
		{Put: &types.Put{TableName: s.table, Item: encodeSession(sess)}},
		{Put: &types.Put{TableName: s.table, Item: ref}},
	})
	if full, _ := conditionFailed(err, 0); full {
		return kyc.Errorf(kyc.ETOOMANY, "Too many tokens, try again later.")
	}
	if gone, _ := conditionFailed(err, 1); gone {
		return kyc.Errorf(kyc.EUNAUTHORIZED, "App revoked.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: open app session: %w", err)
	}
	return nil
}

// CreatePerson is one TransactWriteItems: the limit's reservation, the app's claim of
// the ID number (its failed condition returns the claim, so the existing account's id
// costs no read) and the account.
func (s *Store) CreatePerson(ctx context.Context, a kyc.Account, limit kyc.Limit, now time.Time) error {
	if a.ID == "" || a.OwnerKind != kyc.OwnerIntegrator || a.OwnerID == "" || a.IDNumber == "" {
		return kyc.Errorf(kyc.EMISSING, "account id, integrator owner and ID number are required")
	}
	count, err := s.reserveItem(limit, now)
	if err != nil {
		return err
	}
	claim := s.keys.personClaimKey(a.OwnerID, a.IDNumber)
	claim[attrKind] = sv(kindPersonClaim)
	claim[attrAccountID] = sv(a.ID)
	a.Version = 1
	err = s.transact(ctx, []types.TransactWriteItem{
		count,
		{Put: &types.Put{TableName: s.table, Item: claim, ConditionExpression: aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Put: &types.Put{TableName: s.table, Item: encodeAccount(a), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	if full, _ := conditionFailed(err, 0); full {
		return kyc.Errorf(kyc.ETOOMANY, "Too many accounts created, try again later.")
	}
	if taken, old := conditionFailed(err, 1); taken {
		e := kyc.Errorf(kyc.EEXISTS, "The app already has an account with this ID number.")
		if id := (&decoder{it: old}).str(attrAccountID); id != "" {
			e.Data = map[string]string{"accountId": id}
		}
		return e
	}
	if taken, _ := conditionFailed(err, 2); taken {
		return kyc.Errorf(kyc.EEXISTS, "Account already exists.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: create person: %w", err)
	}
	return nil
}
