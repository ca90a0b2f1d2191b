package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Actor audit records: what a reviewer read across accounts (a page of a reviewer list).
//
//	Kind          PK                 SK                      notes
//	actorAudit    ACTOR#<userID>     AUDIT#<at>#<random>     append-only, never rewritten
//
// A list page shows many accounts, so its record is kept under the reader, in a partition
// of its own: one PutItem per page whatever its length, and a reviewer's reads are one
// Query. The ids of the accounts shown are a list attribute (ids are not personal data):
// a 100-item page is about 3 KB, far from the 400 KB item limit. No TTL: audit records
// are kept like the accounts' trails. The prefix ACTOR# is no other item's, and the random
// suffix keeps two records of one nanosecond apart, as for the accounts' trails.
const (
	kindActorAudit  = "actorAudit"
	prefixActor     = "ACTOR#"
	attrAccountIDs  = "AccountIDs"
	attrAuditAction = "Action"
)

func encodeActorAudit(r kyc.ActorAuditRecord, suffix string) item {
	it := key(prefixActor+r.Actor, prefixAudit+fmtTime(r.At)+"#"+suffix)
	it[attrKind] = sv(kindActorAudit)
	it["Actor"] = sv(r.Actor)
	it["ActorRole"] = sv(string(r.ActorRole))
	it["At"] = tv(r.At)
	it[attrAuditAction] = sv(r.Action)
	it["Subject"] = sv(r.Subject)
	it[attrAccountIDs] = lv(r.AccountIDs)
	it["RequestID"] = sv(r.RequestID)
	return it
}

func decodeActorAudit(it item) (kyc.ActorAuditRecord, error) {
	d := decoder{it: it}
	d.kind(kindActorAudit)
	r := kyc.ActorAuditRecord{
		Actor:      d.str("Actor"),
		ActorRole:  kyc.Role(d.str("ActorRole")),
		At:         d.time("At"),
		Action:     d.str(attrAuditAction),
		Subject:    d.str("Subject"),
		AccountIDs: d.strs(attrAccountIDs),
		RequestID:  d.str("RequestID"),
	}
	if d.err != nil {
		return kyc.ActorAuditRecord{}, fmt.Errorf("decode actor audit record: %w", d.err)
	}
	if len(r.AccountIDs) == 0 {
		r.AccountIDs = nil
	}
	return r, nil
}

// ListActorAudit queries the actor's partition, oldest first: one strongly consistent
// Query per 1 MB of records.
func (s *Store) ListActorAudit(ctx context.Context, actor string) ([]kyc.ActorAuditRecord, error) {
	if actor == "" {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: item{":pk": sv(prefixActor + actor), ":prefix": sv(prefixAudit)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(true),
	}
	var records []kyc.ActorAuditRecord
	err := s.queryEach(ctx, in, func(it item) error {
		r, err := decodeActorAudit(it)
		records = append(records, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: list actor audit: %w", err)
	}
	return records, nil
}
