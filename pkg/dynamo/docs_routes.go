package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// maxUploadKeyBytes is the longest upload key GetAccountAndUploads looks up: DynamoDB
// refuses a whole request that holds a partition key over 2048 bytes, and the service's
// keys are a small fraction of this.
const maxUploadKeyBytes = 1024

// storableUploadKey reports whether k can be the key of an upload record: a key that
// cannot would make DynamoDB refuse the whole batch it is read in.
func storableUploadKey(k string) bool {
	return k != "" && len(k) <= maxUploadKeyBytes && utf8.ValidString(k)
}

// GetAccountAndUploads is one strongly consistent BatchGetItem of the account and the
// upload records (keys deduplicated: BatchGetItem refuses a repeated key), resending keys
// DynamoDB leaves unprocessed. A record past its expiry counts as absent, as in GetUpload.
func (s *Store) GetAccountAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, map[string]kyc.Upload, error) {
	if accountID == "" {
		return kyc.Account{}, nil, notFound("Account")
	}
	acct, uploads, _, err := s.accountAndUploads(ctx, accountID, keys, now)
	return acct, uploads, err
}

// accountAndUploads reads the account, the upload records of keys and the items extra in
// one BatchGetItem; it returns the items found too, by itemID, for the caller's extras.
func (s *Store) accountAndUploads(ctx context.Context, accountID string, keys []string, now time.Time, extra ...item) (kyc.Account, map[string]kyc.Upload, map[string]item, error) {
	acctKey := accountKey(accountID)
	read := append([]item{acctKey}, extra...)
	wanted := make([]string, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if !storableUploadKey(k) || seen[k] {
			continue
		}
		seen[k] = true
		wanted = append(wanted, k)
		read = append(read, uploadKey(k))
	}
	found, err := s.batchGet(ctx, read)
	if err != nil {
		return kyc.Account{}, nil, nil, fmt.Errorf("dynamo: get account and uploads: %w", err)
	}
	it, ok := found[itemID(acctKey)]
	if !ok {
		return kyc.Account{}, nil, nil, notFound("Account")
	}
	acct, err := decodeAccount(it)
	if err != nil {
		return kyc.Account{}, nil, nil, fmt.Errorf("dynamo: get account and uploads: %w", err)
	}
	uploads := make(map[string]kyc.Upload, len(wanted))
	for _, k := range wanted {
		it, ok := found[itemID(uploadKey(k))]
		if !ok {
			continue
		}
		u, err := decodeUpload(it)
		if err != nil {
			return kyc.Account{}, nil, nil, fmt.Errorf("dynamo: get account and uploads: %w", err)
		}
		if u.ExpiresAt.After(now) {
			uploads[k] = u
		}
	}
	return acct, uploads, found, nil
}

// SetUserPortrait is one UpdateItem on condition that the user exists: it sets Portrait
// and UpdatedAt, adds one to Version and returns the replaced values (UPDATED_OLD), of
// which the old Portrait is the answer. No read comes first, so no version is compared:
// the portrait replaces whatever is stored, and the version it advances makes writers
// that read before it (UpdateUser, ChangeUser) fail and read again.
func (s *Store) SetUserPortrait(ctx context.Context, userID, key string, at time.Time) (string, error) {
	if key == "" {
		return "", kyc.FieldError(kyc.EMISSING, "portrait key", "required")
	}
	if userID == "" {
		return "", notFound("User")
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.table,
		Key:                       userKey(userID),
		UpdateExpression:          aws.String("SET #portrait = :portrait, #updated = :updated, #ver = if_not_exists(#ver, :zero) + :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames:  map[string]string{"#portrait": "Portrait", "#updated": "UpdatedAt", "#ver": AttrVersion},
		ExpressionAttributeValues: item{":portrait": sv(key), ":updated": tv(at), ":zero": nv(0), ":one": nv(1)},
		ReturnValues:              types.ReturnValueUpdatedOld,
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return "", notFound("User")
		}
		return "", fmt.Errorf("dynamo: set user portrait: %w", err)
	}
	d := decoder{it: out.Attributes}
	old := d.str("Portrait")
	if d.err != nil {
		return "", fmt.Errorf("dynamo: set user portrait: %w", d.err)
	}
	return old, nil
}
