package lambdafn_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

type in struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

type out struct {
	Greeting string `json:"greeting"`
	Double   int    `json:"double"`
}

// handlerError stands for "the type of the handler's error", whose exact spelling the
// tests leave open.
const handlerError = "<handler error>"

func TestTyped(t *testing.T) {
	greet := lambdafn.Typed[in, out](func(_ context.Context, v in) (out, error) {
		if v.Name == "fail" {
			return out{}, kyc.Errorf(kyc.EINTERNAL, "handler refused %s", v.Name)
		}
		if v.Name == "plain" {
			return out{}, errors.New("plain failure")
		}
		return out{Greeting: "hello " + v.Name, Double: 2 * v.N}, nil
	})
	var _ lambda.Handler = greet

	tests := []struct {
		name     string
		payload  string
		want     string
		wantType string
		wantMsg  string
	}{
		{name: "ok", payload: `{"name":"ann","n":21}`, want: `{"greeting":"hello ann","double":42}`},
		{name: "unknown fields ignored", payload: `{"name":"bo","extra":true}`, want: `{"greeting":"hello bo","double":0}`},
		{name: "bad JSON", payload: `{"name":`, wantType: "Runtime.UnmarshalError", wantMsg: "could not decode the event"},
		{name: "wrong type", payload: `{"n":"x"}`, wantType: "Runtime.UnmarshalError", wantMsg: "could not decode the event"},
		// A handler's own error is reported with its message under a type named after the
		// error, never as one of the runtime's own Runtime.* types.
		{name: "domain error", payload: `{"name":"fail"}`, wantType: handlerError, wantMsg: "handler refused fail"},
		{name: "plain error", payload: `{"name":"plain"}`, wantType: handlerError, wantMsg: "plain failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := greet.Invoke(t.Context(), []byte(tt.payload))
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				if string(got) != tt.want {
					t.Errorf("Invoke = %s, want %s", got, tt.want)
				}
				return
			}
			var ie *lambdafn.InvokeError
			if !errors.As(err, &ie) {
				t.Fatalf("Invoke = %s, %v; want an *InvokeError", got, err)
			}
			typeOK := ie.Type == tt.wantType
			if tt.wantType == handlerError {
				typeOK = ie.Type != "" && !strings.HasPrefix(ie.Type, "Runtime.")
			}
			if !typeOK || !strings.Contains(ie.Message, tt.wantMsg) {
				t.Errorf("InvokeError = %+v; want type %q and a message with %q", ie, tt.wantType, tt.wantMsg)
			}
			if ie.Error() != ie.Message {
				t.Errorf("Error() = %q, want the message", ie.Error())
			}
			b, _ := json.Marshal(ie)
			var shape map[string]string
			if err := json.Unmarshal(b, &shape); err != nil || shape["errorType"] != ie.Type || shape["errorMessage"] != ie.Message {
				t.Errorf("InvokeError JSON = %s; want errorType and errorMessage", b)
			}
		})
	}
}

func TestTypedMarshalError(t *testing.T) {
	f := lambdafn.Typed[struct{}, chan int](func(context.Context, struct{}) (chan int, error) { return make(chan int), nil })
	_, err := f.Invoke(t.Context(), []byte(`{}`))
	var ie *lambdafn.InvokeError
	if !errors.As(err, &ie) || ie.Type != "Runtime.MarshalError" {
		t.Fatalf("Invoke = %v; want a Runtime.MarshalError", err)
	}
}

// The function table is the route table plus the review worker, GrantRole, FreezeUser,
// the reconciler and the seal generator and the webhook worker, each once.
func TestFunctions(t *testing.T) {
	fs := lambdafn.Functions()
	routes := httpapi.Routes()
	if len(fs) != len(routes)+6 {
		t.Fatalf("%d functions for %d routes; want one per route plus the worker, GrantRole, FreezeUser, the reconciler and the seal generator and the webhook worker", len(fs), len(routes))
	}
	names, ids := map[string]bool{}, map[string]bool{}
	for i, f := range fs {
		if names[f.Name] || ids[f.LogicalID] {
			t.Errorf("function %+v repeats a name or logical id", f)
		}
		names[f.Name], ids[f.LogicalID] = true, true
		if i < len(routes) {
			rt := routes[i]
			if f.Kind != lambdafn.KindAPI || f.Name != rt.Name || f.LogicalID != rt.LogicalID || f.Route.Pattern() != rt.Pattern() {
				t.Errorf("function %d = %+v; want the API function of route %+v", i, f, rt)
			}
		}
		got, ok := lambdafn.Lookup(f.Name)
		if !ok || got.LogicalID != f.LogicalID {
			t.Errorf("Lookup(%q) = %+v, %v", f.Name, got, ok)
		}
	}
	worker, grant, freeze, rec, seal := fs[len(routes)], fs[len(routes)+1], fs[len(routes)+2], fs[len(routes)+3], fs[len(routes)+5]
	if seal.Name != lambdafn.Seal || seal.Kind != lambdafn.KindSchedule || seal.LogicalID != "SealFunction" ||
		!slices.Contains(seal.Adapters, app.AdapterSeal) {
		t.Errorf("last function = %+v; want the scheduled seal generator with the seal drawer", seal)
	}
	if freeze.Name != lambdafn.FreezeUser || freeze.Kind != lambdafn.KindInvoke || freeze.LogicalID != "FreezeUserFunction" {
		t.Errorf("function after GrantRole = %+v; want the FreezeUser function", freeze)
	}
	if rec.Name != lambdafn.Reconciler || rec.Kind != lambdafn.KindSchedule || rec.LogicalID != "ReconcilerFunction" {
		t.Errorf("function after FreezeUser = %+v; want the scheduled reconciler", rec)
	}
	if wh := fs[len(routes)+4]; wh.Name != lambdafn.WebhookWorker || wh.Kind != lambdafn.KindSQS || wh.LogicalID != "WebhookWorkerFunction" {
		t.Errorf("last function = %+v; want the SQS webhook worker", wh)
	}
	if worker.Name != lambdafn.ReviewWorker || worker.Kind != lambdafn.KindSQS || worker.LogicalID != "ReviewWorkerFunction" {
		t.Errorf("function after the routes = %+v; want the SQS review worker", worker)
	}
	if grant.Name != lambdafn.GrantRole || grant.Kind != lambdafn.KindInvoke || grant.LogicalID != "GrantRoleFunction" {
		t.Errorf("function after the worker = %+v; want the GrantRole function", grant)
	}
	if _, ok := lambdafn.Lookup("no-such-function"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}

func TestHTTPHandler(t *testing.T) {
	svc := &app.Services{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"health", false},
		{lambdafn.ReviewWorker, true}, // not an API function
		{"no-such-function", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := lambdafn.HTTPHandler(svc, tt.name)
			if (err != nil) != tt.wantErr || (err == nil && h == nil) {
				t.Errorf("HTTPHandler(%q) = %v, %v; want error %v", tt.name, h, err, tt.wantErr)
			}
		})
	}
}

func TestHandlersCoverEveryFunction(t *testing.T) {
	svc := &app.Services{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hs := lambdafn.Handlers(svc)
	if len(hs) != len(lambdafn.Functions()) {
		t.Errorf("Handlers has %d entries, want %d", len(hs), len(lambdafn.Functions()))
	}
	for _, f := range lambdafn.Functions() {
		if hs[f.LogicalID] == nil {
			t.Errorf("no handler for %s", f.LogicalID)
		}
	}
}
