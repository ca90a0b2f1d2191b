package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// PutAccountsForLoad is for bulk loads (benchmarks, imports), not for request paths: it
// writes accounts as whole items in the store's own layout (the encoding Transition
// writes, sparse index keys included) with BatchWriteItem, 25 a call, resending what
// comes back unprocessed, and then adds the accounts in PENDING_REVIEW to their type's
// pending counter, so that ListPending's total stays right.
//
// Nothing is conditional and nothing else is written: no users, phones, audit records or
// identity claims, and the counters are updated after the items, not in one transaction
// with them. The accounts must be new to the table and distinct from each other;
// overwriting a stored account would leave the pending counters wrong. Calls may run
// concurrently.
func (s *Store) PutAccountsForLoad(ctx context.Context, accounts []kyc.Account) error {
	reqs := make([]types.WriteRequest, len(accounts))
	pending := map[kyc.AccountType]int64{}
	for i, a := range accounts {
		if a.ID == "" {
			return fmt.Errorf("dynamo: load accounts: account %d has no id", i)
		}
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: encodeAccount(a)}}
		if a.State == kyc.StatePendingReview {
			pending[a.Type]++
		}
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("dynamo: load accounts: %w", err)
	}
	for _, typ := range []kyc.AccountType{kyc.PersonalAccount, kyc.CompanyAccount} {
		if pending[typ] == 0 {
			continue
		}
		u := pendingCountUpdate(s.table, string(typ), pending[typ]).Update
		if _, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 u.TableName,
			Key:                       u.Key,
			UpdateExpression:          u.UpdateExpression,
			ExpressionAttributeNames:  u.ExpressionAttributeNames,
			ExpressionAttributeValues: u.ExpressionAttributeValues,
		}); err != nil {
			return fmt.Errorf("dynamo: load accounts: pending counter of %s: %w", typ, err)
		}
	}
	return nil
}
