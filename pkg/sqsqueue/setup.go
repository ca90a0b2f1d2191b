package sqsqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Endpoint says how to reach an SQS-compatible server that is not AWS's own.
type Endpoint struct {
	URL             string // e.g. http://127.0.0.1:4566
	Region          string // default us-east-1; emulators put it into queue ARNs
	AccessKeyID     string // default "test"; emulators accept any
	SecretAccessKey string // default "test"
}

// NewEndpointClient returns an SQS client for ep with static credentials, for emulators
// (tests, `make run-emulated`). On AWS, use sqs.NewFromConfig with the default config.
func NewEndpointClient(ctx context.Context, ep Endpoint) (*sqs.Client, error) {
	if ep.URL == "" {
		return nil, errors.New("sqs endpoint client: no endpoint URL")
	}
	region, key, secret := ep.Region, ep.AccessKeyID, ep.SecretAccessKey
	if region == "" {
		region = "us-east-1"
	}
	if key == "" {
		key = "test"
	}
	if secret == "" {
		secret = "test"
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")),
		// Not a plain *http.Client: with AWS_CA_BUNDLE set (as on these machines) the
		// config loader must add the bundle to the client's transport, and panics on a
		// client that has no WithTransportOptions. A BuildableClient has it, and sets
		// no overall timeout that would cut 20 s long polls short.
		config.WithHTTPClient(awshttp.NewBuildableClient()),
	)
	if err != nil {
		return nil, fmt.Errorf("sqs endpoint client for %s: %w", ep.URL, err)
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
	}), nil
}

// dlqRetention is the dead-letter queue's retention, SQS's maximum (14 days): a standard
// queue keeps a redriven message's original enqueue time, so a DLQ that kept messages
// no longer than the source queue could drop them soon after they arrive.
const dlqRetention = 14 * 24 * time.Hour

// CreateQueues creates (or finds, as CreateQueue is idempotent for equal attributes) the
// dead-letter queue name+"-dlq" and the queue name, whose messages move to the DLQ after
// maxReceives receives. visibility must be whole seconds, as SQS takes it; maxReceives
// is 1..1000. On AWS template.yaml creates the queues; this is for emulators.
func CreateQueues(ctx context.Context, client *sqs.Client, name string, visibility time.Duration, maxReceives int) (queueURL, dlqURL string, err error) {
	if visibility < 0 || visibility > 12*time.Hour || visibility%time.Second != 0 {
		return "", "", fmt.Errorf("create queue %s: visibility %s is not whole seconds within 0..12h", name, visibility)
	}
	if maxReceives < 1 || maxReceives > 1000 {
		return "", "", fmt.Errorf("create queue %s: maxReceives %d is not within 1..1000", name, maxReceives)
	}
	dlqName := name + "-dlq"
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(dlqName),
		Attributes: map[string]string{
			string(types.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(int(dlqRetention / time.Second)),
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("create dead-letter queue %s: %w", dlqName, err)
	}
	dlqURL = aws.ToString(dlq.QueueUrl)
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(dlqURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("read ARN of dead-letter queue %s: %w", dlqName, err)
	}
	dlqARN := attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	if dlqARN == "" {
		return "", "", fmt.Errorf("read ARN of dead-letter queue %s: none returned", dlqName)
	}
	redrive, err := json.Marshal(struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}{dlqARN, maxReceives})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: redrive policy: %w", name, err)
	}
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			string(types.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(visibility / time.Second)),
			string(types.QueueAttributeNameRedrivePolicy):     string(redrive),
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return aws.ToString(q.QueueUrl), dlqURL, nil
}
