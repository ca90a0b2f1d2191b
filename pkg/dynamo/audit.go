package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// AppendAudit is one PutItem that never overwrites (records are never rewritten).
func (s *Store) AppendAudit(ctx context.Context, r kyc.AuditRecord) error {
	if r.AccountID == "" {
		return kyc.FieldError(kyc.EMISSING, "account_id", "required")
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.table,
		Item:                encodeAudit(r, randomSuffix()),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if err != nil {
		return fmt.Errorf("dynamo: append audit record: %w", err)
	}
	return nil
}

// ListAudit queries the audit records in the account's partition, oldest first: one
// strongly consistent Query per 1 MB of trail.
func (s *Store) ListAudit(ctx context.Context, accountID string) ([]kyc.AuditRecord, error) {
	if accountID == "" {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: item{":pk": sv(prefixAccount + accountID), ":prefix": sv(prefixAudit)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(true),
	}
	var records []kyc.AuditRecord
	err := s.queryEach(ctx, in, func(it item) error {
		r, err := decodeAudit(it)
		records = append(records, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: list audit: %w", err)
	}
	return records, nil
}

// GetAccountAndAudit reads an account and its trail with one strongly consistent Query on
// the account's partition, which holds those items and the account's enterprise change
// (SK ACCOUNT sorts before AUDIT#... and CHANGE): one call per 1 MB, where GetAccount and
// ListAudit make two.
func (s *Store) GetAccountAndAudit(ctx context.Context, accountID string) (kyc.Account, []kyc.AuditRecord, error) {
	a, _, records, err := s.GetAccountChangeAndAudit(ctx, accountID)
	return a, records, err
}

// GetAccountChangeAndAudit is GetAccountAndAudit that also decodes the change item the
// same Query reads.
func (s *Store) GetAccountChangeAndAudit(ctx context.Context, accountID string) (kyc.Account, kyc.EnterpriseChange, []kyc.AuditRecord, error) {
	p, err := s.readPartition(ctx, accountID)
	if err != nil {
		return kyc.Account{}, kyc.EnterpriseChange{}, nil, err
	}
	return *p.acct, p.change, p.records, nil
}

// AppendAuditLive is AppendAudit on the condition that the session of live is still live,
// in one TransactWriteItems: a read route that knows its caller from the token alone
// authorizes and records the read in one call. EUNAUTHORIZED if the session has ended.
func (s *Store) AppendAuditLive(ctx context.Context, live kyc.LiveSession, r kyc.AuditRecord) error {
	if r.AccountID == "" {
		return kyc.FieldError(kyc.EMISSING, "account_id", "required")
	}
	return s.putLive(ctx, live, encodeAudit(r, randomSuffix()), "append audit record")
}

// AppendActorAuditLive is AppendActorAudit on the condition that the session of live is
// still live, in one TransactWriteItems (see AppendAuditLive).
func (s *Store) AppendActorAuditLive(ctx context.Context, live kyc.LiveSession, r kyc.ActorAuditRecord) error {
	if r.Actor == "" {
		return kyc.FieldError(kyc.EMISSING, "actor", "required")
	}
	return s.putLive(ctx, live, encodeActorAudit(r, randomSuffix()), "append actor audit record")
}

// putLive puts a new record (never overwriting one) if the session of live is live.
func (s *Store) putLive(ctx context.Context, live kyc.LiveSession, rec item, what string) error {
	check, err := s.liveSessionCheck(live)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{check, {Put: &types.Put{
		TableName: s.table, Item: rec, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}})
	if failed, _ := conditionFailed(err, 0); failed {
		return kyc.Errorf(kyc.EUNAUTHORIZED, "token invalid or expired")
	}
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", what, err)
	}
	return nil
}
