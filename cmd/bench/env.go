package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/routeflow"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

// bucket is the one bucket the benchmark creates in its embedded gateway.
const bucket = "bench-docs"

// env is what every DynamoDB engine shares: fauxqs (a process) and VersityGW embedded in
// this process (one per process), with their clients. Everything listens on 127.0.0.1.
type env struct {
	sqs    *sqs.Client
	docs   kyc.Documents
	gw     *localgw.Gateway
	fauxqs *emulators.Process
	s3Mode string
}

// startEnv starts fauxqs and the embedded VersityGW over s3Dir (an absolute path: the
// gateway changes the working directory).
func startEnv(ctx context.Context, s3Dir string) (*env, error) {
	e := &env{}
	progress("starting fauxqs")
	fq, err := emulators.StartFauxqs(ctx)
	if err != nil {
		return nil, err
	}
	e.fauxqs = fq
	progress("starting embedded VersityGW over %s", s3Dir)
	gw, err := localgw.Start(ctx, localgw.Config{Dir: s3Dir, Addr: "127.0.0.1:0", Buckets: []string{bucket}})
	if err != nil {
		e.close()
		return nil, fmt.Errorf("embedded VersityGW: %w", err)
	}
	e.gw, e.s3Mode = gw, string(gw.MetadataMode)
	if e.sqs, err = sqsqueue.NewEndpointClient(ctx, sqsqueue.Endpoint{URL: fq.Endpoint}); err != nil {
		e.close()
		return nil, err
	}
	s3c, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
	if err != nil {
		e.close()
		return nil, err
	}
	e.docs = s3docs.New(s3c, bucket)
	return e, nil
}

// queue creates a review queue pair as template.yaml does (DLQ after 5 receives) with
// the given visibility timeout.
func (e *env) queue(ctx context.Context, name string, visibility time.Duration) (kyc.Queue, error) {
	url, _, err := sqsqueue.CreateQueues(ctx, e.sqs, name, visibility, 5)
	if err != nil {
		return nil, err
	}
	return sqsqueue.New(e.sqs, url), nil
}

func (e *env) close() {
	if e.gw != nil {
		_ = e.gw.Close()
	}
	e.fauxqs.Stop()
}

// Engines the store runs on, as -engines names them.
const (
	engineDynoxide      = "dynoxide"
	engineDynamoDBLocal = "dynamodb-local"
)

// engine is one running DynamoDB-compatible server and a metered client of it.
type engine struct {
	ID   string // engineDynoxide or engineDynamoDBLocal
	Name string // as the report prints it
	proc *emulators.Process
	ddb  *dynamodb.Client // meters the calls made with a context from routeflow.WithMeter
}

// startEngine starts the engine in memory on a free loopback port (pkg/emulators).
func startEngine(ctx context.Context, id string) (*engine, error) {
	g := &engine{ID: id, Name: engineName(id)}
	progress("starting %s", g.Name)
	var err error
	switch id {
	case engineDynoxide:
		g.proc, err = emulators.StartDynoxide(ctx, "")
	case engineDynamoDBLocal:
		g.proc, err = emulators.StartDynamoDBLocal(ctx)
	default:
		err = fmt.Errorf("unknown engine %q", id)
	}
	if err != nil {
		return nil, err
	}
	base, err := dynamo.NewLocalClient(ctx, g.proc.Endpoint)
	if err != nil {
		g.stop()
		return nil, err
	}
	g.ddb = dynamodb.New(base.Options(), routeflow.MeterOption)
	return g, nil
}

func engineName(id string) string {
	switch id {
	case engineDynoxide:
		return "dynoxide"
	case engineDynamoDBLocal:
		return "DynamoDB Local"
	}
	return id
}

// table creates a table of the store's design and returns the store on it.
func (g *engine) table(ctx context.Context, name string) (*dynamo.Store, error) {
	if err := dynamo.CreateTable(ctx, g.ddb, name); err != nil {
		return nil, err
	}
	return dynamo.New(g.ddb, name), nil
}

func (g *engine) stop() { g.proc.Stop() }

// dynoxideVersion asks the installed binary for its version.
func dynoxideVersion() string {
	bin, err := emulators.DynoxideBinary()
	if err != nil {
		return ""
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
