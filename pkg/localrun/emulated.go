package localrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
	"github.com/realname-kyc/realname/pkg/submission"
)

// emulatedTable and emulatedQueue name the resources created in the emulators.
const (
	emulatedTable = "realname"
	emulatedQueue = "realname-review"
)

// StartEmulated starts DynamoDB Local, fauxqs and a VersityGW process, creates the table,
// the queue pair and the bucket, and wires the same AWS adapters the Lambdas use
// (app.FromConfig) at those endpoints. DynamoDB Local and fauxqs run in memory; the
// documents are kept under dir/emulated-s3.
func StartEmulated(ctx context.Context, dir string, log *slog.Logger) (*Backends, error) {
	b := &Backends{Describe: map[string]string{}}
	ddb, err := emulators.StartDynamoDBLocal(ctx)
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, ddb.Stop)
	sqsProc, err := emulators.StartFauxqs(ctx)
	if err != nil {
		b.close()
		return nil, err
	}
	b.closers = append(b.closers, sqsProc.Stop)
	s3Proc, err := emulators.StartVersityGW(ctx, filepath.Join(dir, "emulated-s3"), LocalAccessKey, LocalSecretKey)
	if err != nil {
		b.close()
		return nil, err
	}
	b.closers = append(b.closers, s3Proc.Stop)
	if err := createEmulatedResources(ctx, ddb.Endpoint, sqsProc.Endpoint, s3Proc.Endpoint); err != nil {
		b.close()
		return nil, err
	}
	queueURL, _, err := queueURLs(ctx, sqsProc.Endpoint)
	if err != nil {
		b.close()
		return nil, err
	}
	cfg, err := app.LoadConfig(func(name string) string {
		return map[string]string{
			"TABLE_NAME": emulatedTable, "DOCS_BUCKET": LocalBucket, "REVIEW_QUEUE_URL": queueURL,
			"DYNAMODB_ENDPOINT": ddb.Endpoint, "S3_ENDPOINT": s3Proc.Endpoint, "SQS_ENDPOINT": sqsProc.Endpoint,
			"SNS_ENDPOINT": sqsProc.Endpoint, // fauxqs serves SNS on the same port
			"AWS_REGION":   "us-east-1",
		}[name]
	})
	if err != nil {
		b.close()
		return nil, err
	}
	cfg.StaticAccessKey, cfg.StaticSecretKey = LocalAccessKey, LocalSecretKey
	svc, err := app.FromConfig(ctx, cfg)
	if err != nil {
		b.close()
		return nil, err
	}
	if err := submission.EnsureConfirmationSample(ctx, svc.Docs); err != nil {
		b.close()
		return nil, err
	}
	svc.Log = log
	svc.Backends = app.Backends{Store: "DynamoDB Local", Documents: "VersityGW (process)", Queue: "fauxqs", SMS: "fauxqs (SNS)"}
	b.Services = svc
	b.Describe["store"] = "DynamoDB Local " + ddb.Endpoint + " (in memory)"
	b.Describe["documents"] = "VersityGW " + s3Proc.Endpoint + " (data " + filepath.Join(dir, "emulated-s3") + ")"
	b.Describe["queue"] = "fauxqs " + sqsProc.Endpoint
	b.Describe["sms"] = "fauxqs SNS " + sqsProc.Endpoint
	return b, nil
}

func createEmulatedResources(ctx context.Context, ddbURL, sqsURL, s3URL string) error {
	dc, err := dynamo.NewLocalClient(ctx, ddbURL)
	if err != nil {
		return err
	}
	if err := dynamo.CreateTable(ctx, dc, emulatedTable); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	sc, err := s3docs.NewClient(ctx, s3docs.Endpoint{URL: s3URL, AccessKey: LocalAccessKey, SecretKey: LocalSecretKey})
	if err != nil {
		return err
	}
	_, err = sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(LocalBucket)})
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket: %w", err)
	}
	return nil
}

func queueURLs(ctx context.Context, sqsURL string) (string, string, error) {
	qc, err := sqsqueue.NewEndpointClient(ctx, sqsqueue.Endpoint{URL: sqsURL})
	if err != nil {
		return "", "", err
	}
	// 6x the worker timeout, as template.yaml; DLQ after 5 receives.
	q, dlq, err := sqsqueue.CreateQueues(ctx, qc, emulatedQueue, 3*time.Minute, 5)
	if err != nil {
		return "", "", fmt.Errorf("create queues: %w", err)
	}
	return q, dlq, nil
}
