package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/sessiontoken"
)

// Store is kyc.Store on one DynamoDB table laid out as the package documentation
// describes. It is safe for concurrent use.
type Store struct {
	client *dynamodb.Client
	table  *string
	keys   keyHasher
	tokens *sessiontoken.Codec
}

var _ kyc.Store = (*Store)(nil)

// New returns a store on the table of that name, which must exist (see CreateTable),
// whose keys are hashed with DevKeySecret: for local tables (the local runner, tests,
// benchmarks) only. Real data needs NewKeyed with a secret of its own.
func New(client *dynamodb.Client, table string) *Store {
	s, err := NewKeyed(client, table, []byte(DevKeySecret))
	if err != nil {
		panic(err) // DevKeySecret is a constant longer than MinKeySecret
	}
	return s
}

// NewKeyed returns a store on the table of that name whose keys of personal values are
// hashed with secret (at least MinKeySecret bytes; see keyHasher). A table must always be
// used with the same secret: with another, the items keyed by a hash are not found.
func NewKeyed(client *dynamodb.Client, table string, secret []byte) (*Store, error) {
	keys, err := newKeyHasher(secret)
	if err != nil {
		return nil, err
	}
	tokens, err := sessiontoken.New(secret)
	if err != nil {
		return nil, err
	}
	return &Store{client: client, table: aws.String(table), keys: keys, tokens: tokens}, nil
}

// Ping reads a key that never exists: it proves the table is there and readable with
// this role at the cost of half a read unit, without DescribeTable's control-plane limits
// or permission.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: key("PING", "PING")})
	if err != nil {
		return fmt.Errorf("dynamo: ping: %w", err)
	}
	return nil
}

// get reads one item with a strongly consistent read; nil if absent.
func (s *Store) get(ctx context.Context, k item) (item, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// Codes of transaction cancellation reasons.
const (
	reasonConditionFailed = "ConditionalCheckFailed"
	reasonConflict        = "TransactionConflict"
)

// transactRetries bounds the retries of a transaction that lost a race on an item only
// with another transaction (no condition failed): the pending counter is shared by all
// transitions of a type, so two reviewers deciding different accounts at once collide on
// it although neither is wrong.
const transactRetries = 6

// transact runs TransactWriteItems, retrying cancellations caused only by conflicts with
// other transactions. A cancellation with a failed condition is returned as is (a
// *types.TransactionCanceledException) for the caller to interpret.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	in := &dynamodb.TransactWriteItemsInput{TransactItems: items}
	for attempt := 0; ; attempt++ {
		_, err := s.client.TransactWriteItems(ctx, in)
		if err == nil || attempt == transactRetries || !onlyConflicts(err) {
			return err
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// queryEach runs in page after page (one Query per 1 MB) and gives each item to each, in
// order, until the last page.
func (s *Store) queryEach(ctx context.Context, in *dynamodb.QueryInput, each func(item) error) error {
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, it := range out.Items {
			if err := each(it); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// cancellation returns the reasons of a cancelled transaction, or nil if err is not one.
func cancellation(err error) []types.CancellationReason {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return tce.CancellationReasons
	}
	return nil
}

func onlyConflicts(err error) bool {
	reasons := cancellation(err)
	conflict := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case reasonConflict:
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

// conditionFailed reports whether the transaction item at index i failed its condition,
// and the stored item it saw (nil if the item was absent or no values were asked for).
func conditionFailed(err error, i int) (bool, item) {
	reasons := cancellation(err)
	if i >= len(reasons) || aws.ToString(reasons[i].Code) != reasonConditionFailed {
		return false, nil
	}
	return true, reasons[i].Item
}

func anyConditionFailed(err error) bool {
	for _, r := range cancellation(err) {
		if aws.ToString(r.Code) == reasonConditionFailed {
			return true
		}
	}
	return false
}

// backoff is exponential with full jitter, so colliding writers spread out.
func backoff(attempt int) time.Duration {
	d := 10 * time.Millisecond << attempt
	return time.Duration(mrand.Int64N(int64(d))) + time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// randomSuffix makes audit sort keys unique among records of the same instant.
func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func notFound(what string) error { return kyc.Errorf(kyc.ENOTFOUND, "%s not found.", what) }
