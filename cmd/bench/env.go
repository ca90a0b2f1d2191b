package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

// Names of what the benchmark creates inside its own emulators.
const (
	bucket    = "bench-docs"
	accessKey = "benchaccess"
	secretKey = "benchsecretkey"
)

// env is the running stand-ins and the clients on them. Everything listens on 127.0.0.1.
type env struct {
	ddb    *dynamodb.Client // meters the calls made with a context from withMeter
	sqs    *sqs.Client
	docs   kyc.Documents
	dynEP  string
	sqsEP  string
	s3EP   string
	gw     *localgw.Gateway
	procs  []*emulators.Process
	s3Mode string
}

// startEnv starts DynamoDB Local and fauxqs as processes and VersityGW embedded in this
// process over s3Dir (an absolute path: the gateway changes the working directory).
func startEnv(ctx context.Context, s3Dir string) (*env, error) {
	e := &env{}
	progress("starting DynamoDB Local")
	ddb, err := emulators.StartDynamoDBLocal(ctx)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, ddb)
	e.dynEP = ddb.Endpoint
	progress("starting fauxqs")
	fq, err := emulators.StartFauxqs(ctx)
	if err != nil {
		e.close()
		return nil, err
	}
	e.procs = append(e.procs, fq)
	e.sqsEP = fq.Endpoint
	progress("starting embedded VersityGW over %s", s3Dir)
	gw, err := localgw.Start(ctx, localgw.Config{Dir: s3Dir, Addr: "127.0.0.1:0", AccessKey: accessKey, SecretKey: secretKey, Buckets: []string{bucket}})
	if err != nil {
		e.close()
		return nil, fmt.Errorf("embedded VersityGW: %w", err)
	}
	e.gw, e.s3EP, e.s3Mode = gw, gw.Endpoint, string(gw.MetadataMode)

	base, err := dynamo.NewLocalClient(ctx, e.dynEP)
	if err != nil {
		e.close()
		return nil, err
	}
	e.ddb = dynamodb.New(base.Options(), meterOption)
	if e.sqs, err = sqsqueue.NewEndpointClient(ctx, sqsqueue.Endpoint{URL: e.sqsEP}); err != nil {
		e.close()
		return nil, err
	}
	s3c, err := s3docs.NewClient(ctx, s3docs.Endpoint{URL: e.s3EP, AccessKey: accessKey, SecretKey: secretKey})
	if err != nil {
		e.close()
		return nil, err
	}
	e.docs = s3docs.New(s3c, bucket)
	return e, nil
}

// table creates a table of the store's design and returns the store on it.
func (e *env) table(ctx context.Context, name string) (*dynamo.Store, error) {
	if err := dynamo.CreateTable(ctx, e.ddb, name); err != nil {
		return nil, err
	}
	return dynamo.New(e.ddb, name), nil
}

// queue creates a review queue pair as template.yaml does (DLQ after 5 receives) with
// the given visibility timeout.
func (e *env) queue(ctx context.Context, name string, visibility time.Duration) (kyc.Queue, string, error) {
	url, _, err := sqsqueue.CreateQueues(ctx, e.sqs, name, visibility, 5)
	if err != nil {
		return nil, "", err
	}
	return sqsqueue.New(e.sqs, url), url, nil
}

func (e *env) close() {
	if e.gw != nil {
		_ = e.gw.Close()
	}
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].Stop()
	}
}
