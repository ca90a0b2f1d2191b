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

// HTTPHandler returns the http.Handler a route's function serves.
func HTTPHandler(svc *app.Services, name string) (http.Handler, error) {
	f, ok := Lookup(name)
	if !ok || f.Kind != KindAPI {
		return nil, fmt.Errorf("no API function named %q", name)
	}
	return httpapi.New(svc).RouteHandler(f.Route), nil
}

// Handlers returns a lambda.Handler per function logical id, built over svc: the exact
// handlers functions/*/main.go start, for the local runner and the event replay tests.
func Handlers(svc *app.Services) map[string]lambda.Handler {
	api := httpapi.New(svc)
	hs := make(map[string]lambda.Handler)
	for _, f := range Functions() {
		switch f.Kind {
		case KindAPI:
			hs[f.LogicalID] = Typed[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse](httpadapter.New(api.RouteHandler(f.Route)).ProxyWithContext)
		case KindSQS:
			hs[f.LogicalID] = Typed[events.SQSEvent, events.SQSEventResponse](review.NewWorker(svc).Handle)
		case KindInvoke:
			hs[f.LogicalID] = Typed[GrantRoleInput, GrantRoleOutput](grantRole(users.New(svc)))
		case KindSchedule:
			hs[f.LogicalID] = Typed[json.RawMessage, review.ReconcileResult](withRequestID(review.NewWorker(svc).HandleSchedule))
		}
	}
	return hs
}

// Services builds the services from the environment, bounded in time so a function whose
// endpoints are wrong fails its init instead of hanging.
func Services(getenv func(string) string) (*app.Services, error) {
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	return app.FromEnv(ctx, getenv)
}
