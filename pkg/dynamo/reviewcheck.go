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

// The review worker's counts of attempts at a submission's checks are attributes of the
// account item, not counter items of their own: the update that counts an attempt then
// also reads the account (one call instead of a GetItem and an UpdateItem), and the
// counts are the submission's by construction. Every transition Puts the account item
// whole, without them, and a transition is what ends a submission, so a resubmission (a
// new version) starts with none.
const (
	attrCheckAttempts = "CheckAttempts"
	attrCheckFailures = "CheckFailures"
)

// BeginCheck is one conditional UpdateItem of the account item that adds one to its
// check attempts and returns the account with both counts: ECONFLICT when the account is
// no longer SUBMITTED at version (the message is stale), ENOTFOUND when it is gone.
func (s *Store) BeginCheck(ctx context.Context, accountID string, version int64) (kyc.Account, kyc.CheckCounts, error) {
	if accountID == "" {
		return kyc.Account{}, kyc.CheckCounts{}, notFound("Account")
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.table,
		Key:                 accountKey(accountID),
		UpdateExpression:    aws.String("ADD #n :one"),
		ConditionExpression: aws.String("attribute_exists(PK) AND #ver = :ver AND #state = :state"),
		ExpressionAttributeNames: map[string]string{
			"#n": attrCheckAttempts, "#ver": AttrVersion, "#state": "State",
		},
		ExpressionAttributeValues: item{
			":one": nv(1), ":ver": nv(version), ":state": sv(string(kyc.StateSubmitted)),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			if len(ccf.Item) == 0 {
				return kyc.Account{}, kyc.CheckCounts{}, notFound("Account")
			}
			return kyc.Account{}, kyc.CheckCounts{}, errMovedOn()
		}
		return kyc.Account{}, kyc.CheckCounts{}, fmt.Errorf("dynamo: begin check: %w", err)
	}
	a, err := decodeAccount(out.Attributes)
	if err != nil {
		return kyc.Account{}, kyc.CheckCounts{}, fmt.Errorf("dynamo: begin check: %w", err)
	}
	return a, checkCounts(out.Attributes), nil
}

// checkCounts reads the counts of it, 0 for one never counted.
func checkCounts(it item) kyc.CheckCounts {
	var c kyc.CheckCounts
	if _, ok := it[attrCheckAttempts]; ok {
		d := decoder{it: it}
		c.Attempts = d.int(attrCheckAttempts)
	}
	if _, ok := it[attrCheckFailures]; ok {
		d := decoder{it: it}
		c.EndedWithoutVerdict = d.int(attrCheckFailures)
	}
	return c
}

// EndCheckWithoutVerdict is one conditional UpdateItem adding one to the account's
// attempts that ended without a verdict, while it is still SUBMITTED at version
// (ECONFLICT otherwise: nothing is left to count for).
func (s *Store) EndCheckWithoutVerdict(ctx context.Context, accountID string, version int64) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.table,
		Key:                 accountKey(accountID),
		UpdateExpression:    aws.String("ADD #n :one"),
		ConditionExpression: aws.String("attribute_exists(PK) AND #ver = :ver AND #state = :state"),
		ExpressionAttributeNames: map[string]string{
			"#n": attrCheckFailures, "#ver": AttrVersion, "#state": "State",
		},
		ExpressionAttributeValues: item{
			":one": nv(1), ":ver": nv(version), ":state": sv(string(kyc.StateSubmitted)),
		},
	})
	if isConditionFailed(err) {
		return errMovedOn()
	}
	if err != nil {
		return fmt.Errorf("dynamo: end check without verdict: %w", err)
	}
	return nil
}

// CheckInputs is one strongly consistent BatchGetItem of what the checks of acct read
// besides the account: the claim of its identity (owner "" when nobody holds it, or
// acct has no ID number) and, for a company that applied with seed 001's form, its
// current profile version (nil otherwise). No call when neither is needed.
func (s *Store) CheckInputs(ctx context.Context, acct kyc.Account) (string, *kyc.ProfileVersion, error) {
	var keys []item
	var claimK, profileK item
	if acct.IDNumber != "" && (acct.Type == kyc.PersonalAccount || acct.Type == kyc.CompanyAccount) {
		claimK = s.keys.claimKey(acct, acct.Type, acct.IDNumber)
		keys = append(keys, claimK)
	}
	if acct.Type == kyc.CompanyAccount && acct.ProfileVersion > 0 {
		profileK = key(prefixAccount+acct.ID, profileSK(acct.ProfileVersion))
		keys = append(keys, profileK)
	}
	if len(keys) == 0 {
		return "", nil, nil
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return "", nil, fmt.Errorf("dynamo: check inputs: %w", err)
	}
	var owner string
	if claimK != nil {
		if it, ok := found[itemID(claimK)]; ok {
			d := decoder{it: it}
			d.kind(kindIdentity)
			owner = d.str(attrAccountID)
			if d.err == nil && owner == "" {
				d.err = fmt.Errorf("attribute %s is empty", attrAccountID)
			}
			if d.err != nil {
				return "", nil, fmt.Errorf("dynamo: check inputs: decode identity: %w", d.err)
			}
		}
	}
	var prof *kyc.ProfileVersion
	if profileK != nil {
		it, ok := found[itemID(profileK)]
		if !ok {
			return "", nil, fmt.Errorf("dynamo: check inputs: account %s names profile version %d, none stored", acct.ID, acct.ProfileVersion)
		}
		p, err := decodeProfile(it)
		if err != nil {
			return "", nil, fmt.Errorf("dynamo: check inputs: %w", err)
		}
		prof = &p
	}
	return owner, prof, nil
}
