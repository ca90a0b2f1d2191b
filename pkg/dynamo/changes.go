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

// An account's enterprise change (seed 002) is the item ACCOUNT#<id> / CHANGE beside the
// account item: the account item, its state, claim and documents, stays untouched until a
// reviewer decides. The company's data are attributes, never in the key.
const (
	skChange   = "CHANGE"
	kindChange = "change"
)

func changeKey(accountID string) item { return key(prefixAccount+accountID, skChange) }

// GetAccountChangeAndUploads is GetAccountAndUploads with the account's change item in the
// same BatchGetItem: one call.
func (s *Store) GetAccountChangeAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, kyc.EnterpriseChange, map[string]kyc.Upload, error) {
	if accountID == "" {
		return kyc.Account{}, kyc.EnterpriseChange{}, nil, notFound("Account")
	}
	acct, uploads, found, err := s.accountAndUploads(ctx, accountID, keys, now, changeKey(accountID))
	if err != nil {
		return kyc.Account{}, kyc.EnterpriseChange{}, nil, err
	}
	var c kyc.EnterpriseChange
	if it, ok := found[itemID(changeKey(accountID))]; ok {
		if c, err = decodeChange(it); err != nil {
			return kyc.Account{}, kyc.EnterpriseChange{}, nil, fmt.Errorf("dynamo: get account change: %w", err)
		}
	}
	return acct, c, uploads, nil
}

// PutChange is one transaction: a condition check that the account is still acct (its
// version) and an APPROVED personal account, and the put of c as the pending change, on
// condition that the stored change is still the one read (c.Version; absent for 0) and
// not pending. So of concurrent changes of an account exactly one is stored, and none
// while one awaits review.
func (s *Store) PutChange(ctx context.Context, acct kyc.Account, c kyc.EnterpriseChange) (kyc.EnterpriseChange, error) {
	if c.AccountID == "" || c.AccountID != acct.ID {
		return kyc.EnterpriseChange{}, kyc.FieldError(kyc.EINVALID, "change.account_id", "does not match the account")
	}
	c.Pending = true
	read := c.Version
	c.Version = read + 1
	changeCond := "attribute_not_exists(PK)"
	values := item{}
	if read > 0 {
		changeCond = "#ver = :read AND #pending = :false"
		values = item{":read": nv(read), ":false": bv(false)}
	}
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName:                s.table,
			Key:                      accountKey(acct.ID),
			ConditionExpression:      aws.String("#ver = :ver AND #state = :approved AND #type = :personal"),
			ExpressionAttributeNames: map[string]string{"#ver": AttrVersion, "#state": "State", "#type": "Type"},
			ExpressionAttributeValues: item{":ver": nv(acct.Version), ":approved": sv(string(kyc.StateApproved)),
				":personal": sv(string(kyc.PersonalAccount))},
		}},
		{Put: changePut(s.table, c, changeCond, values)},
		// Only a change that was not pending gets here (the conditions): one more waits.
		pendingCountUpdate(s.table, string(kyc.CompanyAccount), 1),
	}
	if err := s.transact(ctx, items); err != nil {
		if anyConditionFailed(err) {
			return kyc.EnterpriseChange{}, errMovedOn()
		}
		return kyc.EnterpriseChange{}, fmt.Errorf("dynamo: put change: %w", err)
	}
	return c, nil
}

// changePut puts c on cond; values are cond's values (names #ver and #pending are given).
func changePut(table *string, c kyc.EnterpriseChange, cond string, values item) *types.Put {
	p := &types.Put{TableName: table, Item: encodeChange(c), ConditionExpression: aws.String(cond)}
	if len(values) > 0 {
		p.ExpressionAttributeNames = map[string]string{"#ver": AttrVersion, "#pending": "Pending"}
		p.ExpressionAttributeValues = values
	}
	return p
}

func encodeChange(c kyc.EnterpriseChange) item {
	it := changeKey(c.AccountID)
	it[attrKind] = sv(kindChange)
	it[attrAccountID] = sv(c.AccountID)
	it["Pending"] = bv(c.Pending)
	it["CorpName"] = sv(c.CorpName)
	it["VerifiedNumber"] = sv(c.VerifiedNumber)
	it["OrganizationType"] = nv(int64(c.OrganizationType))
	it["RegCountry"] = sv(c.RegCountry)
	it["RegAddress"] = sv(c.RegAddress)
	it["LegalName"] = sv(c.LegalName)
	it["LegalIDNumber"] = sv(c.LegalIDNumber)
	it["CertifierRole"] = sv(c.CertifierRole)
	// The documents are kept exactly as an account's, so the account's codec writes them.
	if docs, ok := encodeAccount(kyc.Account{Documents: c.Documents})["Documents"]; ok {
		it["Documents"] = docs
	}
	it[attrAttempts] = nv(int64(c.Attempts))
	it["SubmittedAt"] = tv(c.SubmittedAt)
	it["SubmittedBy"] = sv(c.SubmittedBy)
	it[AttrVersion] = nv(c.Version)
	if c.Pending {
		// In the company queue (GSIPending) while it waits: the reviewers' company list
		// shows it beside the applications.
		it[AttrPendingPK] = sv(prefixPending + string(kyc.CompanyAccount))
		it[AttrPendingSK] = sv(queueSK(c.SubmittedAt, changeQueueID(c.AccountID)))
	}
	return it
}

// changeQueuePrefix starts a pending change's id in the company queue's sort key, so that
// a cursor after it names the change's item, not the account's (tableKeyOfQueueID).
const changeQueuePrefix = "change:"

func changeQueueID(accountID string) string { return changeQueuePrefix + accountID }

// tableKeyOfQueueID is the table key of the queue entry whose sort key ends in id.
func tableKeyOfQueueID(id string) item {
	if acct, ok := strings.CutPrefix(id, changeQueuePrefix); ok {
		return changeKey(acct)
	}
	return accountKey(id)
}

// pendingChangeEntry is the company queue's entry of a pending change c: the company it
// asks to become, under the account's id.
func pendingChangeEntry(c kyc.EnterpriseChange) kyc.Account {
	return kyc.Account{ID: c.AccountID, Type: kyc.CompanyAccount, State: kyc.StatePendingReview, Organization: c.CorpName,
		IDNumber: c.VerifiedNumber, Name: c.LegalName, Address: c.RegAddress, SubmittedAt: c.SubmittedAt, Attempts: c.Attempts}
}

func decodeChange(it item) (kyc.EnterpriseChange, error) {
	d := decoder{it: it}
	d.kind(kindChange)
	c := kyc.EnterpriseChange{
		AccountID:        d.str(attrAccountID),
		Pending:          d.bool("Pending"),
		CorpName:         d.str("CorpName"),
		VerifiedNumber:   d.str("VerifiedNumber"),
		OrganizationType: int(d.int("OrganizationType")),
		RegCountry:       d.str("RegCountry"),
		RegAddress:       d.str("RegAddress"),
		LegalName:        d.str("LegalName"),
		LegalIDNumber:    d.str("LegalIDNumber"),
		CertifierRole:    d.str("CertifierRole"),
		Attempts:         int(d.int(attrAttempts)),
		SubmittedAt:      d.time("SubmittedAt"),
		SubmittedBy:      d.str("SubmittedBy"),
		Version:          d.int(AttrVersion),
	}
	if d.err != nil {
		return kyc.EnterpriseChange{}, fmt.Errorf("decode change: %w", d.err)
	}
	if docs, ok := it["Documents"]; ok {
		holder := encodeAccount(kyc.Account{})
		holder["Documents"] = docs
		a, err := decodeAccount(holder)
		if err != nil {
			return kyc.EnterpriseChange{}, fmt.Errorf("decode change: %w", err)
		}
		c.Documents = a.Documents
	}
	return c, nil
}

// DecideChange is Transition of t with the put of c (decided: not pending) in the same
// transaction, on condition that the stored change is still pending at c.Version: one
// call. An approval's t claims the company identity (and releases the personal one) as
// any transition does; of concurrent decisions exactly one is written.
func (s *Store) DecideChange(ctx context.Context, t kyc.Transition, c kyc.EnterpriseChange) (kyc.Account, error) {
	if c.AccountID == "" || c.AccountID != t.Account.ID {
		return kyc.Account{}, kyc.FieldError(kyc.EINVALID, "change.account_id", "does not match the account")
	}
	read := c.Version
	c.Pending, c.Version = false, read+1
	put := changePut(s.table, c, "#ver = :read AND #pending = :true", item{":read": nv(read), ":true": bv(true)})
	return s.transition(ctx, t, []types.TransactWriteItem{{Put: put}, pendingCountUpdate(s.table, string(kyc.CompanyAccount), -1)})
}

// GetChange is one strongly consistent GetItem of the account's change; the zero change
// (AccountID "") when the account never asked for one.
func (s *Store) GetChange(ctx context.Context, accountID string) (kyc.EnterpriseChange, error) {
	if accountID == "" {
		return kyc.EnterpriseChange{}, nil
	}
	it, err := s.get(ctx, changeKey(accountID))
	if err != nil || it == nil {
		if err != nil {
			return kyc.EnterpriseChange{}, fmt.Errorf("dynamo: get change: %w", err)
		}
		return kyc.EnterpriseChange{}, nil
	}
	c, err := decodeChange(it)
	if err != nil {
		return kyc.EnterpriseChange{}, fmt.Errorf("dynamo: get change: %w", err)
	}
	return c, nil
}
