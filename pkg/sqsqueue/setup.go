package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/realname-kyc/realname/pkg/awsconf"
)

// Endpoint says how to reach an SQS-compatible server that is not AWS's own.
type Endpoint = awsconf.Endpoint

// NewEndpointClient returns an SQS client for ep with static credentials, for emulators
// (tests, `make run-emulated`). On AWS, use sqs.NewFromConfig with the default config.
func NewEndpointClient(ctx context.Context, ep Endpoint) (*sqs.Client, error) {
	cfg, err := ep.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqs endpoint client: %w", err)
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
