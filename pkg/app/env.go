package app

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

// Env is what a function is built from: the configuration and the adapters, each made on
// first use. A function's constructor asks for the adapters it uses and nothing else, so a
// function that never asks for the queue never builds an SQS client, and, because each
// adapter is built in a method of its own that only such a constructor calls, its binary
// does not even link the SQS code.
//
// On Lambda (NewEnv) the adapters are made from the configuration; the local runner and
// the tests give ready ones (EnvOf), which a constructor still gets only by asking: a
// constructor that forgot to ask for an adapter its route uses fails every test of the
// route with a nil adapter, as it would fail on Lambda.
type Env struct {
	Config Config
	aws    aws.Config
	svc    Services  // the settings and the adapters asked for so far
	given  *Services // EnvOf's ready adapters; nil on Lambda
}

// NewEnv loads the SDK configuration of c; no client is made yet.
func NewEnv(ctx context.Context, c Config) (*Env, error) {
	awsCfg, err := AWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return &Env{Config: c, aws: awsCfg, svc: Services{
		Clock:          kyc.SystemClock{},
		IDs:            kyc.RandomIDs{},
		Log:            NewLogger(os.Stderr, c.LogLevel),
		Version:        c.Version,
		Backends:       Backends{Store: "dynamodb", Documents: "s3", Queue: "sqs", SMS: "sns"},
		TokenTTL:       c.TokenTTL,
		MaxAttempts:    c.MaxAttempts,
		ReconcileAfter: c.ReconcileAfter,
	}}, nil
}

// EnvOf is an Env whose adapters are svc's, already made (the local runner's, a test's).
func EnvOf(svc *Services) *Env {
	settings := *svc
	settings.Store, settings.Docs, settings.Queue, settings.SMS = nil, nil, nil, nil
	return &Env{svc: settings, given: svc}
}

// Store is the DynamoDB store.
func (e *Env) Store() kyc.Store {
	if e.svc.Store == nil && e.given != nil {
		e.svc.Store = e.given.Store
	}
	if e.svc.Store == nil {
		e.svc.Store = dynamo.New(DynamoClient(e.aws, e.Config), e.Config.TableName)
	}
	return e.svc.Store
}

// Docs is the S3 document store.
func (e *Env) Docs() kyc.Documents {
	if e.svc.Docs == nil && e.given != nil {
		e.svc.Docs = e.given.Docs
	}
	if e.svc.Docs == nil {
		e.svc.Docs = s3docs.New(S3Client(e.aws, e.Config), e.Config.Bucket)
	}
	return e.svc.Docs
}

// Queue is the SQS review queue.
func (e *Env) Queue() kyc.Queue {
	if e.svc.Queue == nil && e.given != nil {
		e.svc.Queue = e.given.Queue
	}
	if e.svc.Queue == nil {
		e.svc.Queue = sqsqueue.New(SQSClient(e.aws, e.Config), e.Config.QueueURL)
	}
	return e.svc.Queue
}

// SMS is the SNS sender; it fails on a malformed SMS_SENDER_ID.
func (e *Env) SMS() (kyc.SMSSender, error) {
	if e.svc.SMS == nil && e.given != nil {
		e.svc.SMS = e.given.SMS
	}
	if e.svc.SMS == nil {
		s, err := SMSSender(e.aws, e.Config)
		if err != nil {
			return nil, fmt.Errorf("sms: %w", err)
		}
		e.svc.SMS = s
	}
	return e.svc.SMS, nil
}

// Services returns the services with the adapters asked for so far and the settings;
// adapters not asked for are nil. Callers ask for adapters first, then take this.
func (e *Env) Services() *Services {
	s := e.svc
	return &s
}
