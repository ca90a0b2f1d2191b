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

// PutUpload is one conditional PutItem (attribute_not_exists): of two callers with the
// same key exactly one wins, and the other gets EEXISTS. A record past its expiry that
// TTL has not removed yet still holds its key; keys are server-chosen and never reused.
func (s *Store) PutUpload(ctx context.Context, u kyc.Upload) error {
	if u.Key == "" {
		return kyc.FieldError(kyc.EMISSING, "upload key", "required")
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           s.table,
		Item:                encodeUpload(u),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if isConditionFailed(err) {
		return kyc.Errorf(kyc.EEXISTS, "Upload already recorded.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: put upload: %w", err)
	}
	return nil
}

// GetUpload is one strongly consistent GetItem (a record is read right after it is
// written); an item past its expiry counts as absent whether or not TTL removed it yet.
func (s *Store) GetUpload(ctx context.Context, key string, now time.Time) (kyc.Upload, error) {
	if key == "" {
		return kyc.Upload{}, notFound("Upload")
	}
	it, err := s.get(ctx, uploadKey(key))
	if err != nil {
		return kyc.Upload{}, fmt.Errorf("dynamo: get upload: %w", err)
	}
	if it == nil {
		return kyc.Upload{}, notFound("Upload")
	}
	u, err := decodeUpload(it)
	if err != nil {
		return kyc.Upload{}, fmt.Errorf("dynamo: get upload: %w", err)
	}
	if !u.ExpiresAt.After(now) {
		return kyc.Upload{}, notFound("Upload")
	}
	return u, nil
}

// PutUploadCounted is one TransactWriteItems of an Update of the counter key and
// PutUpload's conditional Put, so that a route that counts and records an upload stays
// within its three calls. The Update adds one to N, creating the counter at 1 with its
// window end and TTL (if_not_exists, as Incr does), on condition that it is absent or
// below limit; a cancelled transaction says which condition failed: the counter's is
// ETOOMANY, the upload's EEXISTS. A counter never restarts here (there is no second
// write to reset it): each window has its own key.
func (s *Store) PutUploadCounted(ctx context.Context, u kyc.Upload, key string, limit int64, windowEnd time.Time) error {
	if u.Key == "" {
		return kyc.FieldError(kyc.EMISSING, "upload key", "required")
	}
	if key == "" || limit < 1 {
		return fmt.Errorf("dynamo: put upload counted: counter %q with limit %d", key, limit)
	}
	count := types.TransactWriteItem{Update: &types.Update{
		TableName: s.table,
		// The one place this file names a counter item; Incr and Counter use the same key.
		Key: counterKey(key),
		UpdateExpression: aws.String("SET #n = if_not_exists(#n, :zero) + :one, #end = if_not_exists(#end, :end), " +
			"#ttl = if_not_exists(#ttl, :ttl), #kind = :kind"),
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{"#n": attrN, "#end": attrWindowEnd, "#ttl": TTLAttribute, "#kind": attrKind},
		ExpressionAttributeValues: item{
			":zero":  nv(0),
			":one":   nv(1),
			":limit": nv(limit),
			":end":   nv(windowEnd.UnixNano()),
			":ttl":   nv(ttlEpoch(windowEnd)),
			":kind":  sv(kindCounter),
		},
	}}
	put := types.TransactWriteItem{Put: &types.Put{
		TableName:           s.table,
		Item:                encodeUpload(u),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}
	err := s.transact(ctx, []types.TransactWriteItem{count, put})
	if full, _ := conditionFailed(err, 0); full {
		return kyc.Errorf(kyc.ETOOMANY, "Upload limit reached.")
	}
	if taken, _ := conditionFailed(err, 1); taken {
		return kyc.Errorf(kyc.EEXISTS, "Upload already recorded.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: put upload counted: %w", err)
	}
	return nil
}
