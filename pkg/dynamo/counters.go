package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// incrRounds bounds Incr's alternation between "add" and "start a window"; each round
// that fails means another caller made progress, so a handful is plenty.
const incrRounds = 10

// Incr adds one to the counter inside its window, or starts a new window at 1. Both are
// conditional UpdateItems, so concurrent callers are serialised by DynamoDB and every
// caller sees a distinct value. The first update also creates a counter that does not
// exist yet (if_not_exists sets the window's end only then), so a new counter and a
// running window cost one call; only a window that has ended but whose item TTL has not
// removed yet costs a second, conditional reset.
func (s *Store) Incr(ctx context.Context, key string, now, expiresAt time.Time) (int64, error) {
	if key == "" {
		return 0, errors.New("dynamo: incr: empty counter key")
	}
	k := s.keys.counterKey(key)
	for range incrRounds {
		// No counter yet, or its window is still open: add one (starting at 0).
		out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: s.table,
			Key:       k,
			UpdateExpression: aws.String("SET #n = if_not_exists(#n, :zero) + :one, #end = if_not_exists(#end, :end), " +
				"#ttl = if_not_exists(#ttl, :ttl), #kind = :kind"),
			ConditionExpression: aws.String("attribute_not_exists(PK) OR #end > :now"),
			ExpressionAttributeNames: map[string]string{
				"#n": attrN, "#end": attrWindowEnd, "#ttl": TTLAttribute, "#kind": attrKind,
			},
			ExpressionAttributeValues: item{
				":zero": nv(0),
				":one":  nv(1),
				":end":  nv(expiresAt.UnixNano()),
				":now":  nv(now.UnixNano()),
				":ttl":  nv(ttlEpoch(expiresAt)),
				":kind": sv(kindCounter),
			},
			ReturnValues: types.ReturnValueUpdatedNew,
		})
		if err == nil {
			d := decoder{it: out.Attributes}
			n := d.int(attrN)
			if d.err != nil {
				return 0, fmt.Errorf("dynamo: incr: %w", d.err)
			}
			return n, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamo: incr: %w", err)
		}
		// The window has ended: start a new one, unless someone else just did.
		_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           s.table,
			Key:                 k,
			UpdateExpression:    aws.String("SET #n = :one, #end = :end, #ttl = :ttl, #kind = :kind"),
			ConditionExpression: aws.String("#end <= :now"),
			ExpressionAttributeNames: map[string]string{
				"#n": attrN, "#end": attrWindowEnd, "#ttl": TTLAttribute, "#kind": attrKind,
			},
			ExpressionAttributeValues: item{
				":one":  nv(1),
				":end":  nv(expiresAt.UnixNano()),
				":now":  nv(now.UnixNano()),
				":ttl":  nv(ttlEpoch(expiresAt)),
				":kind": sv(kindCounter),
			},
		})
		if err == nil {
			return 1, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamo: incr: %w", err)
		}
	}
	// The counter's name is left out: it holds a phone or an IP, and errors reach logs.
	return 0, fmt.Errorf("dynamo: incr: too much contention after %d rounds", incrRounds)
}

// Counter is one strongly consistent GetItem; a counter whose window has passed is 0.
func (s *Store) Counter(ctx context.Context, key string, now time.Time) (int64, error) {
	if key == "" {
		return 0, nil
	}
	it, err := s.get(ctx, s.keys.counterKey(key))
	if err != nil {
		return 0, fmt.Errorf("dynamo: counter: %w", err)
	}
	if it == nil {
		return 0, nil
	}
	d := decoder{it: it}
	n, end := d.int(attrN), d.int(attrWindowEnd)
	if d.err != nil {
		return 0, fmt.Errorf("dynamo: counter: %w", d.err)
	}
	if end <= now.UnixNano() {
		return 0, nil
	}
	return n, nil
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
