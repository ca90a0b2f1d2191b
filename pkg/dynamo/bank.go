package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/bankcheck"
	"github.com/realname-kyc/realname/pkg/bankverify"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Bank verifications (issue 15). An account's current verification is one item in the
// account's partition, ACCOUNT#<id> / BANK_VERIFICATION, so that a request reads the
// account and it in one BatchGetItem by keys it knows beforehand. A new verification
// replaces the item (a later one supersedes an earlier one: confirm always answers the
// latest); every change is conditional on the version read. The item holds the amount
// only as bankverify's keyed hash and the account number only masked.

var _ bankcheck.Store = (*Store)(nil)

const (
	skBankCheck   = "BANK_VERIFICATION"
	kindBankCheck = "bank_verification"
)

func bankCheckKey(accountID string) item { return key(prefixAccount+accountID, skBankCheck) }

func encodeBankCheck(r bankcheck.Record) item {
	it := bankCheckKey(r.AccountID)
	it[attrKind] = sv(kindBankCheck)
	it["ID"] = sv(r.ID)
	it[attrAccountID] = sv(r.AccountID)
	it["AccountName"] = sv(r.AccountName)
	it["AccountNoMasked"] = sv(r.AccountNoMasked)
	it["BankName"] = sv(r.BankName)
	it["Branch"] = sv(r.Branch)
	it["AmountHash"] = sv(r.AmountHash)
	it["Status"] = sv(string(r.Status))
	it["Wrong"] = nv(int64(r.Wrong))
	it[attrCreatedAt] = tv(r.CreatedAt)
	it[attrExpiresAt] = tv(r.ExpiresAt)
	it["DecidedAt"] = tv(r.DecidedAt)
	it[AttrVersion] = nv(r.Version)
	it["Provider"] = sv(r.Provider)
	return it
}

func decodeBankCheck(it item) (bankcheck.Record, error) {
	d := decoder{it: it}
	d.kind(kindBankCheck)
	r := bankcheck.Record{Verification: bankverify.Verification{
		ID: d.str("ID"), AccountID: d.str(attrAccountID), AccountName: d.str("AccountName"), AccountNoMasked: d.str("AccountNoMasked"),
		BankName: d.str("BankName"), Branch: d.str("Branch"), AmountHash: d.str("AmountHash"), Status: bankverify.Status(d.str("Status")),
		Wrong: int(d.int("Wrong")), CreatedAt: d.time(attrCreatedAt), ExpiresAt: d.time(attrExpiresAt), DecidedAt: d.time("DecidedAt"),
		Version: d.int(AttrVersion),
	}, Provider: d.str("Provider")}
	if d.err != nil {
		return bankcheck.Record{}, fmt.Errorf("decode bank verification: %w", d.err)
	}
	return r, nil
}

// GetAccountAndBankCheck is one strongly consistent BatchGetItem of the account and its
// current bank verification.
func (s *Store) GetAccountAndBankCheck(ctx context.Context, accountID string) (kyc.Account, bankcheck.Record, bool, error) {
	if accountID == "" {
		return kyc.Account{}, bankcheck.Record{}, false, notFound("Account")
	}
	ak, bk := accountKey(accountID), bankCheckKey(accountID)
	found, err := s.batchGet(ctx, []item{ak, bk})
	if err != nil {
		return kyc.Account{}, bankcheck.Record{}, false, fmt.Errorf("dynamo: get account and bank verification: %w", err)
	}
	it, ok := found[itemID(ak)]
	if !ok {
		return kyc.Account{}, bankcheck.Record{}, false, notFound("Account")
	}
	acct, err := decodeAccount(it)
	if err != nil {
		return kyc.Account{}, bankcheck.Record{}, false, fmt.Errorf("dynamo: get account and bank verification: %w", err)
	}
	it, ok = found[itemID(bk)]
	if !ok {
		return acct, bankcheck.Record{}, false, nil
	}
	r, err := decodeBankCheck(it)
	if err != nil {
		return kyc.Account{}, bankcheck.Record{}, false, fmt.Errorf("dynamo: get account and bank verification: %w", err)
	}
	return acct, r, true, nil
}

// StartBankCheck is one TransactWriteItems: the daily limit's conditional update and the
// verification's Put on condition that the current one is not VERIFIED.
func (s *Store) StartBankCheck(ctx context.Context, r bankcheck.Record, limit kyc.Limit, now time.Time) error {
	if r.ID == "" || r.AccountID == "" || r.Status != bankverify.StatusPaid {
		return kyc.Errorf(kyc.EMISSING, "a PAID verification of an account is required")
	}
	count, err := s.reserveItem(limit, now)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		count,
		{Put: &types.Put{TableName: s.table, Item: encodeBankCheck(r),
			// A VERIFIED one stays unless it was for another name (the company's before a
			// re-application renamed it).
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #st <> :verified OR #name <> :name"),
			ExpressionAttributeNames:  map[string]string{"#st": "Status", "#name": "AccountName"},
			ExpressionAttributeValues: item{":verified": sv(string(bankverify.StatusVerified)), ":name": sv(r.AccountName)}}},
	})
	if full, _ := conditionFailed(err, 0); full {
		return kyc.Errorf(kyc.ETOOMANY, "Too many bank verifications started today.")
	}
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ECONFLICT, "The bank account is verified already.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: start bank verification: %w", err)
	}
	return nil
}

// DropBankCheck is one conditional DeleteItem: the account's current verification, if it
// is still id (a later one is left alone).
func (s *Store) DropBankCheck(ctx context.Context, accountID, id string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: s.table, Key: bankCheckKey(accountID),
		ConditionExpression:       aws.String("ID = :id"),
		ExpressionAttributeValues: item{":id": sv(id)},
	})
	if _, failed := conditionFailedItem(err); failed {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamo: drop bank verification: %w", err)
	}
	return nil
}

// SaveBankAnswer is one TransactWriteItems: the verification's Put on condition of the
// version read, the event's and the factor's Puts when given and, with a transition,
// everything Transition writes (account, audit record, identity claim, account.approved
// event). ECONFLICT when any condition failed; nothing written then.
func (s *Store) SaveBankAnswer(ctx context.Context, a bankcheck.Answer) error {
	n := a.Next
	if n.ID == "" || n.AccountID == "" || n.Version != a.FromVersion+1 {
		return kyc.Errorf(kyc.EMISSING, "the next version of a verification is required")
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: s.table, Item: encodeBankCheck(n),
		ConditionExpression:       aws.String("ID = :id AND #ver = :from"),
		ExpressionAttributeNames:  map[string]string{"#ver": AttrVersion},
		ExpressionAttributeValues: item{":id": sv(n.ID), ":from": nv(a.FromVersion)}}}}
	if a.Event != nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: encodeOutbox(*a.Event),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	if f := a.Factor; f != nil {
		if f.AccountID != n.AccountID || f.Kind == "" || f.Result == "" || f.At.IsZero() {
			return kyc.FieldError(kyc.EMISSING, "factor", "account, kind, result and time are required")
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: encodeFactor(*f, randomSuffix()),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	if t := a.Transition; t != nil {
		if t.Account.ID != n.AccountID {
			return kyc.FieldError(kyc.EINVALID, "transition", "is not the verification's account")
		}
		_, err := s.transition(ctx, *t, items)
		return err
	}
	err := s.transact(ctx, items)
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ECONFLICT, "The bank verification was changed meanwhile.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: save bank answer: %w", err)
	}
	return nil
}
