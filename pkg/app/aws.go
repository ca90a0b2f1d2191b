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

// AWSConfig is the SDK configuration of c: its region, and c's static credentials when
// set (the local runner's, for emulators), else the default chain.
func AWSConfig(ctx context.Context, c Config) (aws.Config, error) {
	// The buildable client keeps the SDK's transport options working when AWS_CA_BUNDLE
	// is set, which a plain *http.Client does not.
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region), config.WithHTTPClient(awshttp.NewBuildableClient())}
	if c.StaticAccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.StaticAccessKey, c.StaticSecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return awsCfg, nil
}

// DynamoClient is the DynamoDB client of c, at DYNAMODB_ENDPOINT when set.
func DynamoClient(awsCfg aws.Config, c Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if c.DynamoEndpoint != "" {
			o.BaseEndpoint = aws.String(c.DynamoEndpoint)
			// Emulators' CRC32 headers do not always match what the SDK computes, which
			// only makes the SDK log a warning on every call.
			o.DisableValidateResponseChecksum = true
		}
	})
}

// S3Client is the S3 client of c, path-style at S3_ENDPOINT when set.
func S3Client(awsCfg aws.Config, c Config) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Presigned PUTs are sent by apps without the SDK: they must not carry the SDK's
		// default CRC32 checksum parameters, which the app could not compute.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if c.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(c.S3Endpoint)
			o.UsePathStyle = true
		}
	})
}

// SQSClient is the SQS client of c, at SQS_ENDPOINT when set.
func SQSClient(awsCfg aws.Config, c Config) *sqs.Client {
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if c.SQSEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SQSEndpoint)
		}
	})
}

// SMSSender is the SNS SMS sender of c, at SNS_ENDPOINT when set.
func SMSSender(awsCfg aws.Config, c Config) (*snssms.Sender, error) {
	smsOpts := snssms.Options{SenderID: c.SMSSenderID}
	if err := smsOpts.Validate(); err != nil {
		return nil, fmt.Errorf("config: environment variable SMS_SENDER_ID: %w", err)
	}
	client := sns.NewFromConfig(awsCfg, func(o *sns.Options) {
		if c.SNSEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SNSEndpoint)
		}
	})
	return snssms.New(client, smsOpts), nil
}

// FromConfig is FromEnv for an already loaded configuration.
func FromConfig(ctx context.Context, c Config) (*Services, error) {
	awsCfg, err := AWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	sms, err := SMSSender(awsCfg, c)
	if err != nil {
		return nil, err
	}
	return &Services{
		Store:       dynamo.New(DynamoClient(awsCfg, c), c.TableName),
		Docs:        s3docs.New(S3Client(awsCfg, c), c.Bucket),
		Queue:       sqsqueue.New(SQSClient(awsCfg, c), c.QueueURL),
		SMS:         sms,
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
