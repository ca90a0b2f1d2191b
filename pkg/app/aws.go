package app

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/snssms"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

// FromEnv builds the services a Lambda function uses: DynamoDB, S3 and SQS, at their
// custom endpoints when the *_ENDPOINT variables name emulators.
func FromEnv(ctx context.Context, getenv func(string) string) (*Services, error) {
	c, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	return FromConfig(ctx, c)
}

// FromConfig is FromEnv for an already loaded configuration.
func FromConfig(ctx context.Context, c Config) (*Services, error) {
	// The buildable client keeps the SDK's transport options working when AWS_CA_BUNDLE
	// is set, which a plain *http.Client does not.
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region), config.WithHTTPClient(awshttp.NewBuildableClient())}
	if c.StaticAccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.StaticAccessKey, c.StaticSecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	ddb := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if c.DynamoEndpoint != "" {
			o.BaseEndpoint = aws.String(c.DynamoEndpoint)
			// DynamoDB Local's CRC32 header does not match what the SDK computes, which
			// only makes the SDK log a warning on every call.
			o.DisableValidateResponseChecksum = true
		}
	})
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Presigned PUTs are sent by apps without the SDK: they must not carry the SDK's
		// default CRC32 checksum parameters, which the app could not compute.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if c.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(c.S3Endpoint)
			o.UsePathStyle = true
		}
	})
	sqsc := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if c.SQSEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SQSEndpoint)
		}
	})
	snsc := sns.NewFromConfig(awsCfg, func(o *sns.Options) {
		if c.SNSEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SNSEndpoint)
		}
	})
	smsOpts := snssms.Options{SenderID: c.SMSSenderID}
	if err := smsOpts.Validate(); err != nil {
		return nil, fmt.Errorf("config: environment variable SMS_SENDER_ID: %w", err)
	}
	return &Services{
		Store:       dynamo.New(ddb, c.TableName),
		Docs:        s3docs.New(s3c, c.Bucket),
		Queue:       sqsqueue.New(sqsc, c.QueueURL),
		SMS:         snssms.New(snsc, smsOpts),
		Clock:       kyc.SystemClock{},
		IDs:         kyc.RandomIDs{},
		Log:         NewLogger(os.Stderr, c.LogLevel),
		Version:     c.Version,
		Backends:    Backends{Store: "dynamodb", Documents: "s3", Queue: "sqs", SMS: "sns"},
		TokenTTL:    c.TokenTTL,
		MaxAttempts: c.MaxAttempts,

		ReconcileAfter: c.ReconcileAfter,
	}, nil
}
