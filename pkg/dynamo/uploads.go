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

// PutUploadCounted is one TransactWriteItems of Reserve's Update of the limit's counter
// and PutUpload's conditional Put, so that a route that counts and records an upload stays
// within its three calls; a cancelled transaction says which condition failed: the
// counter's is ETOOMANY, the upload's EEXISTS.
func (s *Store) PutUploadCounted(ctx context.Context, u kyc.Upload, limit kyc.Limit, now time.Time) error {
	if u.Key == "" {
		return kyc.FieldError(kyc.EMISSING, "upload key", "required")
	}
	count, err := s.reserveItem(limit, now)
	if err != nil {
		return err
	}
	put := types.TransactWriteItem{Put: &types.Put{
		TableName:           s.table,
		Item:                encodeUpload(u),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}
	err = s.transact(ctx, []types.TransactWriteItem{count, put})
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
