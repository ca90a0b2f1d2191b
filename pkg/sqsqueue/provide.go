package sqsqueue

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/app"
)

// Client is the SQS client of awsCfg, at endpoint when it is not "" (an emulator).
func Client(awsCfg aws.Config, endpoint string) *sqs.Client {
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Provide gives e the review queue at REVIEW_QUEUE_URL (through SQS_ENDPOINT when set).
func Provide(e *app.Env) error {
	e.Queue = New(Client(e.AWS, e.Config.SQSEndpoint), e.Config.QueueURL)
	e.Backends.Queue = "sqs"
	return nil
}
