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

// Names the table design is built on. template.yaml must declare the same key schema,
// indexes and TTL attribute; TableDefinition is the source it is checked against.
const (
	// AttrPK and AttrSK are the table's partition and sort key.
	AttrPK = "PK"
	AttrSK = "SK"
	// AttrVersion is the optimistic-locking version of users and accounts.
	AttrVersion = "Version"
	// TTLAttribute holds the epoch second after which DynamoDB may delete the item
	// (sessions, counters and SMS codes).
	TTLAttribute = "ExpiresEpoch"

	// GSIPending lists accounts in PENDING_REVIEW per account type, oldest first.
	GSIPending = "GSIPending"
	// AttrPendingPK and AttrPendingSK are GSIPending's keys, present only on pending accounts.
	AttrPendingPK = "PendingPK"
	AttrPendingSK = "PendingSK"

	// GSISubmitted lists accounts in SUBMITTED, oldest first, for the reconciler.
	GSISubmitted = "GSISubmitted"
	// AttrSubmittedPK and AttrSubmittedSK are GSISubmitted's keys, present only on
	// submitted accounts.
	AttrSubmittedPK = "SubmittedPK"
	AttrSubmittedSK = "SubmittedSK"
)

// TableDefinition returns the CreateTable input of the store's table: on-demand billing,
// PK/SK string keys and the two sparse GSIs (projection ALL, since the lists return whole
// accounts). The TTL attribute cannot be part of CreateTable; CreateTable enables it.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	str := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	keys := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	gsi := func(name, pk, sk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName:  aws.String(name),
			KeySchema:  keys(pk, sk),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			str(AttrPK), str(AttrSK),
			str(AttrPendingPK), str(AttrPendingSK),
			str(AttrSubmittedPK), str(AttrSubmittedSK),
		},
		KeySchema: keys(AttrPK, AttrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(GSIPending, AttrPendingPK, AttrPendingSK),
			gsi(GSISubmitted, AttrSubmittedPK, AttrSubmittedSK),
		},
	}
}

// CreateTable creates the table from TableDefinition, waits until it is active and
// enables TTL on TTLAttribute. It is idempotent: an existing table (and an already enabled
// TTL) is fine, so the local runner can call it on every start. It does not check that an
// existing table has the right schema.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.CreateTable(ctx, TableDefinition(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamo: create table %s: %w", name, err)
	}
	// DynamoDB Local is active at once; real DynamoDB takes seconds, so poll briskly
	// rather than with the waiter's default 20 s.
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 200 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 5*time.Minute); err != nil {
		return fmt.Errorf("dynamo: wait for table %s: %w", name, err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("dynamo: describe TTL of %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == TTLAttribute &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("dynamo: enable TTL on %s: %w", name, err)
	}
	return nil
}
