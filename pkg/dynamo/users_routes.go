package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// attrSessionsOpened, on a user item, counts the sessions opened with OpenSession (and
// RegisterUser's first). ChangeUser and ResetPassword write the user on condition that it
// is as they read it, so a session opened after their read of the user's sessions makes
// them read again instead of leaving it alive. Items written before it existed lack it.
const attrSessionsOpened = "SessionsOpened"

// changeUserRounds bounds ChangeUser's and ResetPassword's rounds of read and write: one
// and three retries, like the service's own retries of a conditional UpdateUser.
const changeUserRounds = 4

// itemID names an item by its key, to find it among BatchGetItem's answers.
func itemID(k item) string {
	d := decoder{it: k}
	return d.str(AttrPK) + "\x00" + d.str(AttrSK)
}

// batchGet reads the items of keys (distinct) with strongly consistent BatchGetItem
// calls of up to 100 keys, resending the keys DynamoDB leaves unprocessed, with backoff.
// The items found are keyed by itemID; absent ones are missing from the map.
func (s *Store) batchGet(ctx context.Context, keys []item) (map[string]item, error) {
	const perCall = 100
	table := aws.ToString(s.table)
	found := make(map[string]item, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), perCall)
		pending := map[string]types.KeysAndAttributes{table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > batchWriteRetries {
				return nil, fmt.Errorf("batch get: keys still unprocessed after %d attempts", attempt)
			}
			if attempt > 0 {
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return nil, err
				}
			}
			out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, err
			}
			for _, it := range out.Responses[table] {
				found[itemID(it)] = it
			}
			pending = out.UnprocessedKeys
		}
	}
	return found, nil
}

// PhoneAndCounter is one strongly consistent BatchGetItem of the phone item and the
// counter (or of whichever is asked for).
func (s *Store) PhoneAndCounter(ctx context.Context, phone, key string, now time.Time) (string, string, int64, error) {
	// Each digest is computed once: the keys also find the items in the answer.
	phoneK, counterK := s.keys.phoneKey(phone), s.keys.counterKey(key)
	var keys []item
	if phone != "" {
		keys = append(keys, phoneK)
	}
	if key != "" {
		keys = append(keys, counterK)
	}
	if len(keys) == 0 {
		return "", "", 0, nil
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return "", "", 0, fmt.Errorf("dynamo: phone and counter: %w", err)
	}
	var userID, accountID string
	var n int64
	if it := found[itemID(phoneK)]; phone != "" && it != nil {
		d := decoder{it: it}
		userID, accountID = d.str(attrUserID), d.str(attrAccountID)
		if d.err != nil || userID == "" {
			return "", "", 0, fmt.Errorf("dynamo: phone and counter: bad phone item: %v", d.err)
		}
	}
	if it := found[itemID(counterK)]; key != "" && it != nil {
		d := decoder{it: it}
		v, end := d.int(attrN), d.int(attrWindowEnd)
		if d.err != nil {
			return "", "", 0, fmt.Errorf("dynamo: phone and counter: %w", d.err)
		}
		if end > now.UnixNano() {
			n = v
		}
	}
	return userID, accountID, n, nil
}

// sessionItems are the two Puts of a session: the session and its reference in the
// user's partition.
func (s *Store) sessionItems(sess kyc.Session) []types.TransactWriteItem {
	ref := sessionRefKey(sess.UserID, sess.TokenHash)
	ref[attrKind] = sv(kindSessionRef)
	ref[TTLAttribute] = nv(ttlEpoch(sess.ExpiresAt))
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: encodeSession(sess)}},
		{Put: &types.Put{TableName: s.table, Item: ref}},
	}
}

// RegisterUser is one TransactWriteItems: CreateUser's items (the phone item first,
// then the user and the account, each only if absent), the use of the code, and the
// session with its reference. The cancellation reasons name the items that failed: a
// taken phone or id is EEXISTS before a code that is no longer live.
func (s *Store) RegisterUser(ctx context.Context, u kyc.User, a kyc.Account, codeHash string, now time.Time, sess kyc.Session) (kyc.User, error) {
	items, taken, u, err := s.newUserItems(u, a, 1)
	if err != nil {
		return kyc.User{}, err
	}
	if sess.TokenHash == "" || sess.UserID != u.ID {
		return kyc.User{}, kyc.FieldError(kyc.EMISSING, "session", "a token hash and the new user's id are required")
	}
	codeAt := len(items)
	items = append(items, s.codeUse(u.Phone, kyc.PurposeRegister, codeHash, now))
	items = append(items, s.sessionItems(sess)...)
	err = s.transact(ctx, items)
	if err == nil {
		return u, nil
	}
	for i := range taken {
		if failed, _ := conditionFailed(err, i); failed {
			return kyc.User{}, kyc.Errorf(kyc.EEXISTS, "The user already exists.")
		}
	}
	if failed, _ := conditionFailed(err, codeAt); failed {
		return kyc.User{}, errBadCode()
	}
	return kyc.User{}, fmt.Errorf("dynamo: register user: %w", err)
}

// OpenSession is one TransactWriteItems: the session, its reference, and on the user item
// SessionsOpened + 1 on condition Version = s.UserVersion.
func (s *Store) OpenSession(ctx context.Context, sess kyc.Session) error {
	return s.openSession(ctx, sess, nil)
}

// openSession writes the session's items, the user's condition and extra in one
// TransactWriteItems; extra must not have conditions of their own.
func (s *Store) openSession(ctx context.Context, sess kyc.Session, extra []types.TransactWriteItem) error {
	switch {
	case sess.TokenHash == "" || sess.UserID == "":
		return kyc.FieldError(kyc.EMISSING, "session", "token hash and user id are required")
	case sess.UserVersion <= 0:
		return kyc.FieldError(kyc.EMISSING, "session", "the version of the user it is opened from is required")
	}
	items := append(s.sessionItems(sess), types.TransactWriteItem{Update: &types.Update{
		TableName:                 s.table,
		Key:                       userKey(sess.UserID),
		UpdateExpression:          aws.String("SET #so = if_not_exists(#so, :zero) + :one"),
		ConditionExpression:       aws.String("#ver = :ver"),
		ExpressionAttributeNames:  map[string]string{"#so": attrSessionsOpened, "#ver": AttrVersion},
		ExpressionAttributeValues: item{":zero": nv(0), ":one": nv(1), ":ver": nv(sess.UserVersion)},
	}})
	items = append(items, extra...)
	if err := s.transact(ctx, items); err != nil {
		if anyConditionFailed(err) {
			return kyc.Errorf(kyc.ECONFLICT, "the user changed while the session was opened")
		}
		return fmt.Errorf("dynamo: open session: %w", err)
	}
	return nil
}

func isFailed(err error, i int) bool {
	failed, _ := conditionFailed(err, i)
	return failed
}

// userWithSessions is a user's partition as one Query reads it.
type userWithSessions struct {
	user   kyc.User
	opened *int64   // SessionsOpened; nil if the item has none
	tokens []string // hashes of the user's sessions
}

// readUserWithSessions is one strongly consistent Query of the user's partition (one per
// 1 MB: a session reference is about a hundred bytes): the user item and the references
// of its sessions. ok is false if there is no such user.
func (s *Store) readUserWithSessions(ctx context.Context, userID string) (userWithSessions, bool, error) {
	var r userWithSessions
	ok := false
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": sv(prefixUser + userID)},
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return r, false, err
		}
		for _, it := range out.Items {
			d := decoder{it: it}
			sk := d.str(AttrSK)
			switch {
			case sk == skUser:
				u, err := decodeUser(it)
				if err != nil {
					return r, false, err
				}
				r.user = u
				if _, has := it[attrSessionsOpened]; has {
					n := d.int(attrSessionsOpened)
					r.opened = &n
				}
				ok = true
			case strings.HasPrefix(sk, prefixSession):
				r.tokens = append(r.tokens, strings.TrimPrefix(sk, prefixSession))
			}
			if d.err != nil {
				return r, false, d.err
			}
		}
		if out.LastEvaluatedKey == nil {
			return r, ok, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// userRewrite is the transaction item that writes u over the stored user read as cur:
// every field UpdateUser sets, Version+1, on condition that the version and SessionsOpened
// are still as read.
func (s *Store) userRewrite(u kyc.User, cur userWithSessions) types.TransactWriteItem {
	cond := "#ver = :ver AND attribute_not_exists(#so)"
	values := item{
		":ph":       sv(u.PasswordHash),
		":role":     sv(string(u.Role)),
		":acc":      sv(u.AccountID),
		":portrait": sv(u.Portrait),
		":reg":      sv(u.RegistrationID),
		":frozen":   bv(u.Frozen),
		":updated":  tv(u.UpdatedAt),
		":ver":      nv(cur.user.Version),
		":next":     nv(cur.user.Version + 1),
	}
	if cur.opened != nil {
		cond = "#ver = :ver AND #so = :so"
		values[":so"] = nv(*cur.opened)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: s.table,
		Key:       userKey(cur.user.ID),
		UpdateExpression: aws.String("SET PasswordHash = :ph, #role = :role, AccountID = :acc, Portrait = :portrait, " +
			"RegistrationID = :reg, Frozen = :frozen, UpdatedAt = :updated, #ver = :next"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#role": "Role", "#ver": AttrVersion, "#so": attrSessionsOpened},
		ExpressionAttributeValues: values,
	}}
}

// ChangeUser is one Query of the user's partition and one TransactWriteItems (see
// rewriteUser): two calls, one if change writes nothing.
func (s *Store) ChangeUser(ctx context.Context, userID string, change func(u kyc.User) (kyc.User, bool, error)) (kyc.User, error) {
	return s.rewriteUser(ctx, userID, nil, nil, change)
}

// ChangeUserAudited is ChangeUser with the audit record's Put in the same
// TransactWriteItems: two calls.
func (s *Store) ChangeUserAudited(ctx context.Context, userID string, audit func(was, now kyc.User) kyc.AuditRecord,
	change func(u kyc.User) (kyc.User, bool, error)) (kyc.User, error) {
	return s.rewriteUser(ctx, userID, nil, audit, change)
}

// ResetPassword is rewriteUser with the use of the code as the transaction's first item:
// two calls.
func (s *Store) ResetPassword(ctx context.Context, phone, codeHash, userID, passwordHash string, now time.Time) (kyc.User, error) {
	if phone == "" {
		return kyc.User{}, errBadCode()
	}
	use := s.codeUse(phone, kyc.PurposeResetPassword, codeHash, now)
	return s.rewriteUser(ctx, userID, &use, nil, func(u kyc.User) (kyc.User, bool, error) {
		if u.Phone != phone {
			return u, false, errBadCode()
		}
		u.PasswordHash, u.UpdatedAt = passwordHash, now
		return u, true, nil
	})
}

// rewriteUser reads the user's partition, asks change for the new user, and writes it with
// the deletion of every session read (and use, if given, first) in one TransactWriteItems.
// A user whose version or SessionsOpened moved since the read fails its condition: it
// reads again, up to changeUserRounds times. Sessions that do not fit the transaction
// are deleted, before it, with BatchWriteItem: those are sessions the change ends anyway.
func (s *Store) rewriteUser(ctx context.Context, userID string, use *types.TransactWriteItem, audit func(was, now kyc.User) kyc.AuditRecord,
	change func(u kyc.User) (kyc.User, bool, error)) (kyc.User, error) {
	if userID == "" {
		return kyc.User{}, notFound("User")
	}
	for round := range changeUserRounds {
		if round > 0 {
			if err := sleep(ctx, backoff(round-1)); err != nil {
				return kyc.User{}, err
			}
		}
		cur, ok, err := s.readUserWithSessions(ctx, userID)
		if err != nil {
			return kyc.User{}, fmt.Errorf("dynamo: read user and sessions: %w", err)
		}
		if !ok {
			return kyc.User{}, notFound("User")
		}
		next, write, err := change(cur.user)
		if err != nil {
			return kyc.User{}, err
		}
		if !write {
			return cur.user, nil
		}
		var items []types.TransactWriteItem
		if use != nil {
			items = append(items, *use)
		}
		userAt := len(items)
		items = append(items, s.userRewrite(next, cur))
		adminsAt := -1
		if it, ok := s.adminCountChange(cur.user, next); ok {
			adminsAt = len(items)
			items = append(items, it)
		}
		if audit != nil {
			r := audit(cur.user, next)
			if r.AccountID == "" {
				r.AccountID = cur.user.AccountID
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: s.table, Item: encodeAudit(r, randomSuffix()), ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}})
		}
		tokens := cur.tokens
		if fit := (maxTransactItems - len(items)) / 2; len(tokens) > fit {
			var deletes []types.WriteRequest
			for _, h := range tokens[fit:] {
				deletes = append(deletes,
					types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: sessionKey(h)}},
					types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: sessionRefKey(userID, h)}})
			}
			if err := s.batchWrite(ctx, deletes); err != nil {
				return kyc.User{}, fmt.Errorf("dynamo: delete user sessions: %w", err)
			}
			tokens = tokens[:fit]
		}
		for _, h := range tokens {
			items = append(items,
				types.TransactWriteItem{Delete: &types.Delete{TableName: s.table, Key: sessionKey(h)}},
				types.TransactWriteItem{Delete: &types.Delete{TableName: s.table, Key: sessionRefKey(userID, h)}})
		}
		err = s.transact(ctx, items)
		if err == nil {
			next.ID, next.Phone, next.CreatedAt, next.Version = cur.user.ID, cur.user.Phone, cur.user.CreatedAt, cur.user.Version+1
			return next, nil
		}
		if use != nil {
			if failed, _ := conditionFailed(err, 0); failed {
				return kyc.User{}, errBadCode()
			}
		}
		if failed, _ := conditionFailed(err, userAt); !failed {
			if adminsAt >= 0 && isFailed(err, adminsAt) {
				return kyc.User{}, errLastAdmin()
			}
			return kyc.User{}, fmt.Errorf("dynamo: change user: %w", err)
		}
		// The user changed, or a session was opened, since the read: read again.
	}
	return kyc.User{}, kyc.Errorf(kyc.ECONFLICT, "The user was changed by someone else; reload and try again.")
}

// GetLoginByPhone reads what a login needs: the phone's user and that user's account. A
// user registered with the ids of UserIDsForPhone (every user the service registers)
// costs one strongly consistent BatchGetItem of the phone item, the user and the account;
// one made with other ids (tests, or data written before the ids were derived) costs a
// second read, of the ids its phone item names. ENOTFOUND if the phone has no user.
func (s *Store) GetLoginByPhone(ctx context.Context, phone string) (kyc.User, kyc.Account, error) {
	if phone == "" {
		return kyc.User{}, kyc.Account{}, notFound("User")
	}
	uid, aid := s.UserIDsForPhone(phone)
	phoneK, userK, acctK := s.keys.phoneKey(phone), userKey(uid), accountKey(aid)
	found, err := s.batchGet(ctx, []item{phoneK, userK, acctK})
	if err != nil {
		return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get login by phone: %w", err)
	}
	p := found[itemID(phoneK)]
	if p == nil {
		return kyc.User{}, kyc.Account{}, notFound("User")
	}
	d := decoder{it: p}
	phoneUID, phoneAID := d.str(attrUserID), d.str(attrAccountID)
	if d.err != nil || phoneUID == "" {
		return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get login by phone: bad phone item: %v", d.err)
	}
	u, a := found[itemID(userK)], found[itemID(acctK)]
	if phoneUID != uid || u == nil || a == nil {
		if phoneAID == "" {
			// A phone item from before it kept the account id: the user names it.
			user, err := s.GetUser(ctx, phoneUID)
			if err != nil {
				return kyc.User{}, kyc.Account{}, err
			}
			acct, err := s.GetAccount(ctx, user.AccountID)
			return user, acct, err
		}
		return s.GetUserAndAccount(ctx, phoneUID, phoneAID)
	}
	user, err := decodeUser(u)
	if err != nil {
		return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get login by phone: %w", err)
	}
	if user.AccountID != aid {
		// The user owns another account than the derived one: read that one.
		return s.GetUserAndAccount(ctx, uid, user.AccountID)
	}
	acct, err := decodeAccount(a)
	if err != nil {
		return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get login by phone: %w", err)
	}
	return user, acct, nil
}
