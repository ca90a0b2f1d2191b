// Package lambdafn is the table of Lambda functions (one per route plus the ones without
// an HTTP event) and how each is started, so that functions/*/main.go stays a few lines
// and the local runner invokes exactly the handlers Lambda would.
package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/users"
)

// Kind is how a function is triggered.
type Kind string

const (
	KindAPI      Kind = "api"      // an API Gateway route
	KindSQS      Kind = "sqs"      // the review queue's event source mapping
	KindInvoke   Kind = "invoke"   // no event: invoked directly (IAM decides who may)
	KindSchedule Kind = "schedule" // an EventBridge schedule
)

// Function is one Lambda of template.yaml.
type Function struct {
	Name      string // folder under functions/
	LogicalID string // logical id in template.yaml
	Kind      Kind
	Route     httpapi.Route // for KindAPI
}

// Folder names of the functions that are not routes.
const (
	ReviewWorker = "review-worker"
	GrantRole    = "grant-role"
	Reconciler   = "reconciler"
)

// Functions returns every function: the routes of the route table, then the others.
func Functions() []Function {
	var fs []Function
	for _, rt := range httpapi.Routes() {
		fs = append(fs, Function{Name: rt.Name, LogicalID: rt.LogicalID, Kind: KindAPI, Route: rt})
	}
	return append(fs,
		Function{Name: ReviewWorker, LogicalID: "ReviewWorkerFunction", Kind: KindSQS},
		Function{Name: GrantRole, LogicalID: "GrantRoleFunction", Kind: KindInvoke},
		Function{Name: Reconciler, LogicalID: "ReconcilerFunction", Kind: KindSchedule},
	)
}

// Lookup finds a function by folder name.
func Lookup(name string) (Function, bool) {
	for _, f := range Functions() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// HTTPHandler returns the http.Handler of the route function name, built over svc.
func HTTPHandler(svc *app.Services, name string) (http.Handler, error) {
	ctor, ok := httpapi.Constructors()[name]
	if !ok {
		return nil, fmt.Errorf("no API function named %q", name)
	}
	return ctor(app.EnvOf(svc))
}

// Handlers returns a lambda.Handler per function logical id, built over svc by the same
// constructors functions/*/main.go start, for the local runner and the event replay
// tests. It links every function; only cmd/ and tests call it.
func Handlers(svc *app.Services) map[string]lambda.Handler {
	hs := make(map[string]lambda.Handler)
	for _, f := range Functions() {
		env := app.EnvOf(svc)
		switch f.Kind {
		case KindAPI:
			h, err := HTTPHandler(svc, f.Name)
			if err != nil {
				hs[f.LogicalID] = failing(fmt.Errorf("%s: init failed: %w", f.Name, err))
				continue
			}
			hs[f.LogicalID] = Typed[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse](httpadapter.New(h).ProxyWithContext)
		case KindSQS:
			hs[f.LogicalID] = Typed[events.SQSEvent, events.SQSEventResponse](Worker(env))
		case KindInvoke:
			hs[f.LogicalID] = Typed[GrantRoleInput, GrantRoleOutput](GrantRoleHandler(env))
		case KindSchedule:
			hs[f.LogicalID] = Typed[json.RawMessage, review.ReconcileResult](ReconcilerHandler(env))
		}
	}
	return hs
}

// failing is a handler that answers every invocation with err, as a function whose init
// failed would.
func failing(err error) lambda.Handler {
	return lambda.NewHandler(func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, err })
}

// Worker is the review worker's handler: the store and the documents.
func Worker(env *app.Env) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	env.Store()
	env.Docs()
	return review.NewWorker(env.Services()).Handle
}

// ReconcilerHandler is the reconciler's schedule handler: the store and the queue.
func ReconcilerHandler(env *app.Env) func(context.Context, json.RawMessage) (review.ReconcileResult, error) {
	env.Store()
	env.Queue()
	return withRequestID(review.NewWorker(env.Services()).HandleSchedule)
}

// GrantRoleHandler is the GrantRole function's handler: the store only.
func GrantRoleHandler(env *app.Env) func(context.Context, GrantRoleInput) (GrantRoleOutput, error) {
	env.Store()
	return grantRole(users.New(env.Services()))
}

// Env loads the configuration from the environment and prepares the adapters, bounded in
// time so a function whose settings are wrong fails its init instead of hanging.
func Env(getenv func(string) string) (*app.Env, error) {
	c, err := app.LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	return app.NewEnv(ctx, c)
}
