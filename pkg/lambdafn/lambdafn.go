// Package lambdafn is the table of Lambda functions (one per route plus the ones without
// an HTTP event: the review worker, the reconciler, and the invoke-only GrantRole and
// FreezeUser), the adapters each uses, and how each is started: from the environment and
// the providers its main names, checked against the table before the first poll. So
// functions/*/main.go stays a few lines, and the local runner invokes exactly the
// handlers Lambda would.
package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/outbox"
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
	// Adapters are the outside systems the function uses: its main names exactly their
	// providers, and the runner builds it with nothing else.
	Adapters []app.Adapter
}

// Folder names of the functions that are not routes.
const (
	ReviewWorker = "review-worker"
	GrantRole    = "grant-role"
	FreezeUser   = "freeze-user"
	Reconciler   = "reconciler"
	// Seal generates the seals of approved companies that uploaded none (a schedule).
	Seal = "seal"
	// WebhookWorker is the webhook queue's consumer (issue 13): fan-out and delivery.
	WebhookWorker = "webhook-worker"
)

// Functions returns every function: the routes of the route table, then the others.
func Functions() []Function {
	var fs []Function
	for _, rt := range httpapi.Routes() {
		fs = append(fs, Function{Name: rt.Name, LogicalID: rt.LogicalID, Kind: KindAPI, Route: rt, Adapters: rt.Adapters})
	}
	return append(fs,
		// The worker checks a personal submission's name and ID number with the identity
		// provider under VERIFY_POLICY=documents (issue 14).
		Function{Name: ReviewWorker, LogicalID: "ReviewWorkerFunction", Kind: KindSQS, Adapters: []app.Adapter{app.AdapterStore, app.AdapterDocs, app.AdapterIdentity}},
		Function{Name: GrantRole, LogicalID: "GrantRoleFunction", Kind: KindInvoke, Adapters: []app.Adapter{app.AdapterStore}},
		Function{Name: FreezeUser, LogicalID: "FreezeUserFunction", Kind: KindInvoke, Adapters: []app.Adapter{app.AdapterStore}},
		// The reconciler also sweeps the webhook outbox and overdue deliveries.
		Function{Name: Reconciler, LogicalID: "ReconcilerFunction", Kind: KindSchedule, Adapters: []app.Adapter{app.AdapterStore, app.AdapterQueue, app.AdapterWebhookQueue}},
		Function{Name: WebhookWorker, LogicalID: "WebhookWorkerFunction", Kind: KindSQS, Adapters: []app.Adapter{app.AdapterStore, app.AdapterWebhookQueue, app.AdapterSecrets}},
		Function{Name: Seal, LogicalID: "SealFunction", Kind: KindSchedule, Adapters: []app.Adapter{app.AdapterStore, app.AdapterDocs, app.AdapterSeal}},
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

// HTTPHandler returns the http.Handler of the route function name, built over svc's
// adapters that the function has.
func HTTPHandler(svc *app.Services, name string) (http.Handler, error) {
	ctor, ok := httpapi.Constructors()[name]
	rt, found := httpapi.Lookup(name)
	if !ok || !found {
		return nil, fmt.Errorf("no API function named %q", name)
	}
	return ctor(app.EnvOf(svc).Only(rt.Adapters...))
}

// Handlers returns a lambda.Handler per function logical id, built over svc by the same
// constructors functions/*/main.go start, for the local runner and the event replay
// tests. It links every function; only cmd/ and tests call it.
func Handlers(svc *app.Services) map[string]lambda.Handler {
	hs := make(map[string]lambda.Handler)
	for _, f := range Functions() {
		env := app.EnvOf(svc).Only(f.Adapters...)
		switch f.Kind {
		case KindAPI:
			h, err := HTTPHandler(svc, f.Name)
			if err != nil {
				hs[f.LogicalID] = failing(fmt.Errorf("%s: init failed: %w", f.Name, err))
				continue
			}
			hs[f.LogicalID] = Typed[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse](httpadapter.New(h).ProxyWithContext)
		case KindSQS:
			if f.Name == WebhookWorker {
				hs[f.LogicalID] = Typed[events.SQSEvent, events.SQSEventResponse](WebhookWorkerHandler(env))
				continue
			}
			hs[f.LogicalID] = Typed[events.SQSEvent, events.SQSEventResponse](Worker(env))
		case KindInvoke:
			if f.Name == FreezeUser {
				hs[f.LogicalID] = Typed[FreezeUserInput, FreezeUserOutput](FreezeUserHandler(env))
			} else {
				hs[f.LogicalID] = Typed[GrantRoleInput, GrantRoleOutput](GrantRoleHandler(env))
			}
		case KindSchedule:
			if f.Name == Seal {
				hs[f.LogicalID] = Typed[json.RawMessage, review.SealResult](SealHandler(env))
				continue
			}
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
	d := review.WorkerDeps{Store: env.Store, Docs: env.Docs, Clock: env.Clock, Log: env.Log}
	if env.VerifyPolicy != app.PolicyFactors {
		// Under VERIFY_POLICY=documents a reviewer decides on documents, so the worker
		// checks the submitted name and ID number first (a mismatch never reaches one).
		d.Identity = env.Identity
	}
	return withRequestID(review.NewWorker(d).Handle)
}

// SealHandler is the seal function's schedule handler: the store, the documents and the
// seal drawer (given by seal.Provide in the function's main, so that only it links the
// font).
func SealHandler(env *app.Env) func(context.Context, json.RawMessage) (review.SealResult, error) {
	s := review.NewSealer(review.SealerDeps{Store: env.Store, Docs: env.Docs, Draw: env.DrawSeal, Clock: env.Clock, IDs: env.IDs, Log: env.Log})
	return withRequestID(func(ctx context.Context, _ json.RawMessage) (review.SealResult, error) { return s.Run(ctx) })
}

// ReconcilerHandler is the reconciler's schedule handler: the store and the queue.
// ReconcilerHandler is the reconciler's schedule handler: the store and the queue. With
// the webhook queue it also sweeps the webhook outbox and overdue deliveries (pkg/outbox),
// counting what it queued in requeued.
func ReconcilerHandler(env *app.Env) func(context.Context, json.RawMessage) (review.ReconcileResult, error) {
	rec := review.NewReconciler(review.ReconcilerDeps{Store: env.Store, Queue: env.Queue, Clock: env.Clock,
		Log: env.Log, After: env.ReconcileAfter})
	sweeper := webhookSweeper(env)
	return withRequestID(func(ctx context.Context, ev json.RawMessage) (review.ReconcileResult, error) {
		res, err := rec.HandleSchedule(ctx, ev)
		if sweeper != nil {
			sw, serr := sweeper.Sweep(ctx)
			res.Requeued += sw.Events + sw.Deliveries
			res.Failed += sw.Failed
			err = errors.Join(err, serr)
		}
		return res, err
	})
}

// webhookSweeper is the sweeper over env's store and webhook queue; nil without the queue.
func webhookSweeper(env *app.Env) *outbox.Sweeper {
	st, ok := env.Store.(outbox.SweeperStore)
	if env.WebhookQueue == nil || !ok {
		return nil
	}
	return &outbox.Sweeper{Store: st, Queue: env.WebhookQueue, Clock: env.Clock, Log: env.Log}
}

// WebhookWorkerHandler is the webhook worker's handler: the store, the webhook queue and
// the secret box.
func WebhookWorkerHandler(env *app.Env) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	st, _ := env.Store.(outbox.WorkerStore)
	return withRequestID(outbox.NewWorker(st, env.WebhookQueue, env.Secrets, env.WebhookOptions, env.Clock, env.Log).Handle)
}

// GrantRoleHandler is the GrantRole function's handler: the store only.
func GrantRoleHandler(env *app.Env) func(context.Context, GrantRoleInput) (GrantRoleOutput, error) {
	return grantRole(operatorUsers(env))
}

// FreezeUserHandler is the FreezeUser function's handler: the store only.
func FreezeUserHandler(env *app.Env) func(context.Context, FreezeUserInput) (FreezeUserOutput, error) {
	return freezeUser(operatorUsers(env))
}

// operatorUsers is the users service of the invoke-only functions, which open no session
// and send no SMS.
func operatorUsers(env *app.Env) *users.Service {
	return users.New(users.Deps{Store: env.Store, Clock: env.Clock, IDs: env.IDs, Log: env.Log, TokenTTL: env.TokenTTL})
}

// Env loads the configuration from the environment and runs the providers a function's
// main names.
func Env(getenv func(string) string, providers ...app.Provider) (*app.Env, error) {
	c, err := app.LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	return app.NewEnv(c, providers...)
}
