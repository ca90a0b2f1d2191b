package localrun

import (
	"context"
	"errors"
	"fmt"
	"github.com/realname-kyc/realname/pkg/identity"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/seal"
	"github.com/realname-kyc/realname/pkg/snssms"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
	"github.com/realname-kyc/realname/pkg/submission"
)

// Local defaults: the table, bucket and queue names and the credentials of the local
// stand-ins. They guard nothing but a developer's loopback, and make presigned URLs
// really signed and checked.
const (
	LocalTable     = "realname"
	LocalBucket    = "realname-docs"
	LocalQueue     = "realname-review"
	LocalAccessKey = "realnamelocal"
	LocalSecretKey = "realnamelocalsecret"
	// inProcessQueueURL stands in for REVIEW_QUEUE_URL, which the functions require, when
	// the queue is the in-process one; nothing ever sends to it.
	inProcessQueueURL = "http://127.0.0.1/in-process-review-queue"
	// Queue semantics as template.yaml: visibility 6x the worker timeout would make local
	// retries slow, so locally a failed message comes back after 30 s; 5 receives then DLQ.
	localVisibility  = 30 * time.Second
	localMaxReceives = 5
	// sqsVisibility is template.yaml's: 6x the worker's 30 s timeout.
	sqsVisibility = 3 * time.Minute
)

// Backends are the wired services plus what to close at shutdown.
type Backends struct {
	Services *app.Services
	Config   app.Config        // the configuration the services were built from
	Describe map[string]string // what the banner prints: kind -> where
	closers  []func()
	// webhookQueue is the in-process webhook queue the runner's webhook event source reads.
	webhookQueue *localqueue.Queue
}

// Close releases the backends (store process, gateway, outbox).
func (b *Backends) Close() { b.close() }

func (b *Backends) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// LocalConfig reads the functions' configuration (app.LoadConfig, the same variables and
// checks as on AWS) with local defaults for what template.yaml sets on AWS: the table,
// bucket and queue names and the region.
func LocalConfig(getenv func(string) string) (app.Config, error) {
	defaults := map[string]string{
		"TABLE_NAME": LocalTable, "DOCS_BUCKET": LocalBucket, "REVIEW_QUEUE_URL": inProcessQueueURL, "AWS_REGION": "us-east-1",
	}
	return app.LoadConfig(func(name string) string {
		if v := getenv(name); strings.TrimSpace(v) != "" {
			return v
		}
		return defaults[name]
	})
}

// StartEmbedded is StartLocal with the process's environment.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Backends, error) {
	cfg, err := LocalConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	return StartLocal(ctx, dir, cfg, log)
}

// StartLocal wires the services of the local runner from cfg. Every backend is the code
// the Lambdas run (pkg/dynamo, pkg/s3docs) on a local stand-in, unless cfg names an
// endpoint for it:
//   - store: cfg.DynamoEndpoint, or else dynoxide as a child process over dir/dynamo.db;
//     the table is created when missing (the definition template.yaml declares);
//   - documents: cfg.S3Endpoint, or else VersityGW embedded in this process over dir/s3;
//     the bucket is created when missing;
//   - queue: SQS at cfg.SQSEndpoint (the queue pair is created), or else in-process;
//   - SMS: SNS at cfg.SNSEndpoint, or else the outbox file dir/outbox/sms.jsonl.
//
// Without cfg.StaticAccessKey the stand-ins are signed for with the local keys. Data in
// dir survives a restart. ctx bounds the backends' lifetime (the embedded gateway stops
// with it); Close releases them.
func StartLocal(ctx context.Context, dir string, cfg app.Config, log *slog.Logger) (*Backends, error) {
	// VersityGW's posix backend changes the process's working directory to its root, so
	// every path is made absolute before it starts.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	if cfg.StaticAccessKey == "" {
		cfg.StaticAccessKey, cfg.StaticSecretKey = LocalAccessKey, LocalSecretKey
	}
	b := &Backends{Describe: map[string]string{}}
	kinds := app.Backends{Store: "dynamodb", Documents: "s3", Queue: "sqs", SMS: "sns"}
	fail := func(err error) (*Backends, error) { b.close(); return nil, err }

	if cfg.DynamoEndpoint == "" {
		dbPath := filepath.Join(dir, "dynamo.db")
		p, err := emulators.StartDynoxide(ctx, dbPath)
		if err != nil {
			return nil, fmt.Errorf("start the store (dynoxide): %w", err)
		}
		b.closers = append(b.closers, p.Stop)
		cfg.DynamoEndpoint = p.Endpoint
		kinds.Store = "dynamodb (dynoxide)"
		b.Describe["store"] = "dynoxide " + emulators.DynoxideVersion + " " + p.Endpoint + " (data " + dbPath + "), table " + cfg.TableName
	} else {
		kinds.Store = "dynamodb (DYNAMODB_ENDPOINT)"
		b.Describe["store"] = "DynamoDB API at " + cfg.DynamoEndpoint + " (DYNAMODB_ENDPOINT), table " + cfg.TableName
	}
	if cfg.S3Endpoint == "" {
		s3Dir := filepath.Join(dir, "s3")
		gw, err := localgw.Start(ctx, localgw.Config{Dir: s3Dir, Addr: "127.0.0.1:0", AccessKey: cfg.StaticAccessKey, SecretKey: cfg.StaticSecretKey, Region: cfg.Region, Buckets: []string{cfg.Bucket}})
		if err != nil {
			return fail(fmt.Errorf("start embedded S3 (VersityGW): %w", err))
		}
		b.closers = append(b.closers, func() { _ = gw.Close() })
		cfg.S3Endpoint = gw.Endpoint
		kinds.Documents = "s3 (embedded VersityGW)"
		b.Describe["documents"] = gw.Endpoint + " embedded VersityGW (data " + s3Dir + ", metadata " + string(gw.MetadataMode) + "), bucket " + cfg.Bucket
	} else {
		kinds.Documents = "s3 (S3_ENDPOINT)"
		b.Describe["documents"] = "S3 API at " + cfg.S3Endpoint + " (S3_ENDPOINT), bucket " + cfg.Bucket
	}

	awsCfg, err := app.AWSConfig(cfg, os.Getenv)
	if err != nil {
		return fail(err)
	}
	ddb := dynamo.Client(awsCfg, cfg.DynamoEndpoint)
	if err := dynamo.CreateTable(ctx, ddb, cfg.TableName); err != nil {
		return fail(fmt.Errorf("create the table: %w", err))
	}
	s3c := s3docs.Client(awsCfg, cfg.S3Endpoint)
	if err := ensureBucket(ctx, s3c, cfg.Bucket); err != nil {
		return fail(err)
	}
	docs := s3docs.New(s3c, cfg.Bucket)
	if err := submission.EnsureConfirmationSample(ctx, docs); err != nil {
		return fail(err)
	}

	var queue kyc.Queue
	if cfg.SQSEndpoint == "" {
		dlq := localqueue.New(localqueue.Options{Visibility: localVisibility})
		queue = localqueue.New(localqueue.Options{Visibility: localVisibility, MaxReceives: localMaxReceives, DeadLetter: dlq})
		kinds.Queue = "in-process"
		b.Describe["queue"] = "in-process, visibility 30s, DLQ after 5 receives"
	} else {
		sqsc := sqsqueue.Client(awsCfg, cfg.SQSEndpoint)
		// The queue pair as template.yaml declares it: DLQ after 5 receives.
		url, _, err := sqsqueue.CreateQueues(ctx, sqsc, LocalQueue, sqsVisibility, localMaxReceives)
		if err != nil {
			return fail(fmt.Errorf("create the review queues at SQS_ENDPOINT: %w", err))
		}
		cfg.QueueURL = url
		queue = sqsqueue.New(sqsc, url)
		kinds.Queue = "sqs (SQS_ENDPOINT)"
		b.Describe["queue"] = "SQS API at " + cfg.SQSEndpoint + " (SQS_ENDPOINT), queue " + url
	}

	var sms kyc.SMSSender
	if cfg.SNSEndpoint == "" {
		outbox, err := localsms.New(filepath.Join(dir, "outbox", "sms.jsonl"), kyc.SystemClock{})
		if err != nil {
			return fail(fmt.Errorf("SMS outbox: %w", err))
		}
		b.closers = append(b.closers, func() { _ = outbox.Close() })
		sms = outbox
		kinds.SMS = "outbox file"
		b.Describe["sms"] = outbox.Path() + " (codes are written here, not sent)"
	} else {
		if sms, err = snssms.FromConfig(awsCfg, cfg); err != nil {
			return fail(err)
		}
		kinds.SMS = "sns (SNS_ENDPOINT)"
		b.Describe["sms"] = "SNS API at " + cfg.SNSEndpoint + " (SNS_ENDPOINT)"
	}

	idp, err := identity.FromConfig(cfg)
	if err != nil {
		return fail(err)
	}
	kinds.Identity = cfg.IdentityProvider
	b.Describe["identity"] = cfg.IdentityProvider + " identity provider (IDENTITY_PROVIDER), VERIFY_POLICY=" + cfg.VerifyPolicy
	b.Config = cfg
	b.Services = &app.Services{
		Identity: idp, VerifyPolicy: cfg.VerifyPolicy,
		Store: dynamo.New(ddb, cfg.TableName), Docs: docs, Queue: queue, SMS: sms, DrawSeal: seal.Draw,
		Clock: kyc.SystemClock{}, IDs: kyc.RandomIDs{}, Log: log,
		Version: cfg.Version, Backends: kinds,
		TokenTTL: cfg.TokenTTL, MaxAttempts: cfg.MaxAttempts, UploadGrantsPerHour: cfg.UploadGrantsPerHour, ReconcileAfter: cfg.ReconcileAfter,
	}
	if err := addWebhooks(b, dir); err != nil {
		return fail(err)
	}
	if err := addCA(ctx, b, dir); err != nil {
		return fail(err)
	}
	if err := addBank(b, dir); err != nil {
		return fail(err)
	}
	return b, nil
}

// ensureBucket creates bucket unless it exists.
func ensureBucket(ctx context.Context, c *s3.Client, bucket string) error {
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return nil
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}
