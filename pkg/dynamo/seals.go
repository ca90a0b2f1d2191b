package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// A company approved without an uploaded seal is recorded as SEALWANTED / <account id>,
// written by its approval's own transaction (Transition.WantSeal) and deleted by the
// transaction that adds the generated seal (Transition.SealDone): an outbox, so no
// approval's seal is lost. The seal function reads the partition with one Query; it
// holds only the approvals of the last moments, so it stays small.
const (
	pkSealWanted   = "SEALWANTED"
	kindSealWanted = "seal_wanted"
)

func sealWantedKey(accountID string) item { return key(pkSealWanted, accountID) }

func sealWantedItem(accountID string, at time.Time) item {
	it := sealWantedKey(accountID)
	it[attrKind] = sv(kindSealWanted)
	it[attrAccountID] = sv(accountID)
	it["At"] = tv(at)
	return it
}

// ListSealsWanted is one strongly consistent Query of up to limit (1 to 1000) accounts
// that want a generated seal.
func (s *Store) ListSealsWanted(ctx context.Context, limit int) ([]string, error) {
	limit = min(max(limit, 1), maxSubmittedList)
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": sv(pkSealWanted)},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: list seals wanted: %w", err)
	}
	ids := make([]string, 0, len(out.Items))
	for _, it := range out.Items {
		d := decoder{it: it}
		d.kind(kindSealWanted)
		id := d.str(attrAccountID)
		if d.err != nil {
			return nil, fmt.Errorf("dynamo: list seals wanted: %w", d.err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// DropSealWanted deletes the account's seal request (one DeleteItem; idempotent), for an
// account that no longer wants one.
func (s *Store) DropSealWanted(ctx context.Context, accountID string) error {
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.table, Key: sealWantedKey(accountID)}); err != nil {
		return fmt.Errorf("dynamo: drop seal request: %w", err)
	}
	return nil
}
