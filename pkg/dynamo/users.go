package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// CreateUser writes the user, the phone's uniqueness item and the account in one
// transaction, each only if absent: one call. Both start at version 1.
func (s *Store) CreateUser(ctx context.Context, u kyc.User, a kyc.Account) (kyc.User, error) {
	items, _, u, err := s.newUserItems(u, a, 0)
	if err != nil {
		return kyc.User{}, err
	}
	if err := s.transact(ctx, items); err != nil {
		if anyConditionFailed(err) {
			return kyc.User{}, kyc.Errorf(kyc.EEXISTS, "The user already exists.")
		}
		return kyc.User{}, fmt.Errorf("dynamo: create user: %w", err)
	}
	return u, nil
}

// newUserItems checks a new user and its account and returns the writes that create them,
// for CreateUser and RegisterUser: the phone's uniqueness item (with the account id, so a
// login reads the user and the account at once), the user (with sessionsOpened when it
// opens sessions at once) and the account, each only if absent; the first taken items
// refuse a taken phone or id. An account that starts pending also counts, or Total would
// drift. u is returned as stored, at version 1.
func (s *Store) newUserItems(u kyc.User, a kyc.Account, sessionsOpened int64) (items []types.TransactWriteItem, taken int, stored kyc.User, err error) {
	switch {
	case u.ID == "":
		return nil, 0, kyc.User{}, kyc.FieldError(kyc.EMISSING, "user.id", "required")
	case u.Phone == "":
		return nil, 0, kyc.User{}, kyc.FieldError(kyc.EMISSING, "phone", "required")
	case a.ID == "":
		return nil, 0, kyc.User{}, kyc.FieldError(kyc.EMISSING, "account.id", "required")
	}
	u.Version, a.Version = 1, 1
	phone := s.keys.phoneKey(u.Phone)
	phone[attrKind] = sv(kindPhone)
	phone[attrUserID] = sv(u.ID)
	phone[attrAccountID] = sv(a.ID)
	user := encodeUser(u)
	if sessionsOpened > 0 {
		user[attrSessionsOpened] = nv(sessionsOpened)
	}
	absent := aws.String("attribute_not_exists(PK)")
	items = []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: phone, ConditionExpression: absent}},
		{Put: &types.Put{TableName: s.table, Item: user, ConditionExpression: absent}},
		{Put: &types.Put{TableName: s.table, Item: encodeAccount(a), ConditionExpression: absent}},
	}
	taken = len(items)
	if it, ok := s.adminCountChange(kyc.User{}, u); ok {
		items = append(items, it)
	}
	if a.State == kyc.StatePendingReview {
		items = append(items, pendingCountUpdate(s.table, string(a.Type), 1))
	}
	return items, taken, u, nil
}

// GetUser is one strongly consistent GetItem.
func (s *Store) GetUser(ctx context.Context, id string) (kyc.User, error) {
	if id == "" {
		return kyc.User{}, notFound("User")
	}
	it, err := s.get(ctx, userKey(id))
	if err != nil {
		return kyc.User{}, fmt.Errorf("dynamo: get user: %w", err)
	}
	if it == nil {
		return kyc.User{}, notFound("User")
	}
	u, err := decodeUser(it)
	if err != nil {
		return kyc.User{}, fmt.Errorf("dynamo: get user: %w", err)
	}
	return u, nil
}

// GetUserByPhone reads the phone's uniqueness item, then the user: two strongly
// consistent GetItems, so a user can log in the moment they registered (a GSI on the
// phone would be one call but eventually consistent).
func (s *Store) GetUserByPhone(ctx context.Context, phone string) (kyc.User, error) {
	if phone == "" {
		return kyc.User{}, notFound("User")
	}
	it, err := s.get(ctx, s.keys.phoneKey(phone))
	if err != nil {
		return kyc.User{}, fmt.Errorf("dynamo: get user by phone: %w", err)
	}
	if it == nil {
		return kyc.User{}, notFound("User")
	}
	d := decoder{it: it}
	id := d.str(attrUserID)
	if d.err != nil || id == "" {
		return kyc.User{}, fmt.Errorf("dynamo: get user by phone: bad phone item: %v", d.err)
	}
	return s.GetUser(ctx, id)
}

// UpdateUser sets every field but the id, phone and creation time, if the stored version
// is still u.Version: one UpdateItem that returns the new item. The role and Frozen are
// conditions, not updates: they change only through ChangeUser, which keeps the count of
// active admins and ends the user's sessions with them.
func (s *Store) UpdateUser(ctx context.Context, u kyc.User) (kyc.User, error) {
	if u.ID == "" {
		return kyc.User{}, notFound("User")
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.table,
		Key:       userKey(u.ID),
		UpdateExpression: aws.String("SET PasswordHash = :ph, AccountID = :acc, Portrait = :portrait, " +
			"RegistrationID = :reg, UpdatedAt = :updated, #ver = :next"),
		ConditionExpression: aws.String("#ver = :ver AND #role = :role AND Frozen = :frozen"),
		ExpressionAttributeNames: map[string]string{
			"#role": "Role",
			"#ver":  AttrVersion,
		},
		ExpressionAttributeValues: item{
			":ph":       sv(u.PasswordHash),
			":role":     sv(string(u.Role)),
			":acc":      sv(u.AccountID),
			":portrait": sv(u.Portrait),
			":reg":      sv(u.RegistrationID),
			":frozen":   bv(u.Frozen),
			":updated":  tv(u.UpdatedAt),
			":ver":      nv(u.Version),
			":next":     nv(u.Version + 1),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			if ccf.Item == nil {
				return kyc.User{}, notFound("User")
			}
			if old, derr := decodeUser(ccf.Item); derr == nil && old.Version == u.Version {
				return kyc.User{}, kyc.FieldError(kyc.EINVALID, "role", "role and frozen change only through ChangeUser")
			}
			return kyc.User{}, kyc.Errorf(kyc.ECONFLICT, "The user was changed by someone else; reload and try again.")
		}
		return kyc.User{}, fmt.Errorf("dynamo: update user: %w", err)
	}
	nu, err := decodeUser(out.Attributes)
	if err != nil {
		return kyc.User{}, fmt.Errorf("dynamo: update user: %w", err)
	}
	return nu, nil
}

// GetUserAndAccount reads a user and an account in one strongly consistent BatchGetItem
// (the profile needs both, and the session already names both), resending keys DynamoDB
// leaves unprocessed.
func (s *Store) GetUserAndAccount(ctx context.Context, userID, accountID string) (kyc.User, kyc.Account, error) {
	if userID == "" {
		return kyc.User{}, kyc.Account{}, notFound("User")
	}
	if accountID == "" {
		return kyc.User{}, kyc.Account{}, notFound("Account")
	}
	table := aws.ToString(s.table)
	pending := map[string]types.KeysAndAttributes{table: {Keys: []map[string]types.AttributeValue{userKey(userID), accountKey(accountID)}, ConsistentRead: aws.Bool(true)}}
	var found []item
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > batchWriteRetries {
			return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get user and account: keys still unprocessed after %d attempts", attempt)
		}
		if attempt > 0 {
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return kyc.User{}, kyc.Account{}, err
			}
		}
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get user and account: %w", err)
		}
		found = append(found, out.Responses[table]...)
		pending = out.UnprocessedKeys
	}
	var u, a item
	for _, it := range found {
		d := decoder{it: it}
		switch d.str(attrKind) {
		case kindUser:
			u = it
		case kindAccount:
			a = it
		}
	}
	if u == nil {
		return kyc.User{}, kyc.Account{}, notFound("User")
	}
	if a == nil {
		return kyc.User{}, kyc.Account{}, notFound("Account")
	}
	user, err := decodeUser(u)
	if err != nil {
		return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get user and account: %w", err)
	}
	acct, err := decodeAccount(a)
	if err != nil {
		return kyc.User{}, kyc.Account{}, fmt.Errorf("dynamo: get user and account: %w", err)
	}
	return user, acct, nil
}
