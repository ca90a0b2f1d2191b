package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

// wantFailures are the SQS sample events whose outcome is known exactly: the message ids
// the worker must report as failed (nil: none). Other SQS samples only have to name ids
// of their own event.
var wantFailures = map[string][]string{
	// An account that does not exist: the worker drops the message (no retry).
	"review-worker/account-missing.json": nil,
	// A body that is not a review message fails (and ends in the DLQ); the valid
	// message beside it in the batch does not.
	"review-worker/malformed-body.json": {"2e1424d4-f796-459a-8184-9c92662be6da"},
}

// apiOutcome is the status and envelope error_code an API sample event gets.
type apiOutcome struct{ Status, Code int }

// wantStatus are the API sample events whose outcome is known when they are replayed
// on a store for the first time (no user is registered: the samples are chosen so that
// none creates one, whatever their order). A second replay on the same store (go test
// -count=2 reuses the store) may meet a rate limit or a login lock instead.
var wantStatus = map[string]apiOutcome{
	"health/get.json": {200, 1000},
	// A code for a phone without an account: sent (to SNS, or the local outbox).
	"sms-code/register-new-phone.json": {200, 1000},
	// reset_password for a phone without an account: the same 200 as with one, and
	// nothing is sent.
	"sms-code/reset-password-unknown-phone.json": {200, 1000},
	"register/bad-code.json":                     {400, 1008},
	"login/unknown-phone.json":                   {401, 1010},
	"login/form-unknown-phone.json":              {401, 1010}, // the url-encoded form body
	"logout/unknown-token.json":                  {401, 999},
	"password-reset/bad-code.json":               {400, 1008},
	"me/unknown-token.json":                      {401, 999},
	"admin-set-role/unknown-token.json":          {401, 999},
}

// wantSMS is how many SMS each sample of an SMS-sending function texts when it is first
// replayed on a store; every sample of those functions must be listed.
var wantSMS = map[string]int{
	"sms-code/register-new-phone.json":           1,
	"sms-code/reset-password-unknown-phone.json": 0,
}

// replays counts the replays of each sample per store, for freshReplay.
var replays = struct {
	sync.Mutex
	n map[[2]string]int
}{n: map[[2]string]int{}}

// freshReplay records a replay of the sample rel on store and reports whether it is the
// first in this test binary: the expectations of wantStatus and wantSMS hold only then.
func freshReplay(store, rel string) bool {
	replays.Lock()
	defer replays.Unlock()
	k := [2]string{store, rel}
	replays.n[k]++
	return replays.n[k] == 1
}

// wantInvokeError are the samples of invoke-only functions that must end in a function
// error on a fresh store, with a message containing the text given (the operator who
// invoked the function reads only that message). Other invoke samples may succeed or fail.
var wantInvokeError = map[string]string{
	// No user has the phone.
	"grant-role/unknown-phone.json": "not found",
}

// invokeInputs are the event types of the invoke-only functions, by folder: their samples
// must decode into them with no unknown field, so a sample cannot drift from the type.
var invokeInputs = map[string]func() any{
	lambdafn.GrantRole: func() any { return new(lambdafn.GrantRoleInput) },
}

// TestEventsCoverFunctions: every file under events/ is events/<function folder>/*.json,
// and every function has at least one (`sam local invoke -e` and the tests below use them).
func TestEventsCoverFunctions(t *testing.T) {
	have := map[string]int{}
	for _, f := range eventFiles(t) {
		if f.Folder == "" || !strings.HasSuffix(f.Rel, ".json") {
			t.Errorf("events/%s: want events/<functions folder>/<name>.json", f.Rel)
			continue
		}
		if _, ok := lambdafn.Lookup(f.Folder); !ok {
			t.Errorf("events/%s: no function has the folder %q", f.Rel, f.Folder)
		}
		have[f.Folder]++
	}
	for _, fn := range lambdafn.Functions() {
		if have[fn.Name] == 0 {
			t.Errorf("%s has no sample event under events/%s/", fn.LogicalID, fn.Name)
		}
	}
	for name, rels := range map[string][]string{
		"wantFailures":    slices.Collect(maps.Keys(wantFailures)),
		"wantStatus":      slices.Collect(maps.Keys(wantStatus)),
		"wantInvokeError": slices.Collect(maps.Keys(wantInvokeError)),
		"wantSMS":         slices.Collect(maps.Keys(wantSMS)),
	} {
		for _, rel := range rels {
			if _, err := os.Stat(filepath.Join(root(t), "events", filepath.FromSlash(rel))); err != nil {
				t.Errorf("%s names events/%s, which does not exist", name, rel)
			}
		}
	}
	for _, fn := range lambdafn.Functions() {
		if fn.Kind == lambdafn.KindInvoke && invokeInputs[fn.Name] == nil {
			t.Errorf("%s is invoked directly but invokeInputs has no event type for %s", fn.LogicalID, fn.Name)
		}
	}
	for _, f := range eventFiles(t) {
		if _, ok := wantSMS[f.Rel]; smsSenders[f.Folder] && !ok {
			t.Errorf("events/%s is a sample of a function that texts SMS, but wantSMS does not say how many it sends", f.Rel)
		}
	}
}

// TestEventsReplay invokes each function's handler (lambdafn.Handlers, the ones the
// binaries start) over the embedded backends with each of its sample events, and checks
// the response has the shape its trigger expects: a proxy response with an envelope for
// API Gateway, a batch response naming only the event's own messages for SQS.
func TestEventsReplay(t *testing.T) {
	handlers := sharedHandlers(t)
	for _, f := range eventFiles(t) {
		fn, ok := lambdafn.Lookup(f.Folder)
		if !ok {
			continue // reported by TestEventsCoverFunctions
		}
		t.Run(f.Rel, func(t *testing.T) {
			payload, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			h, ok := handlers[fn.LogicalID]
			if !ok {
				t.Fatalf("lambdafn.Handlers has no %s", fn.LogicalID)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "conformance-" + f.Folder, InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:" + fn.LogicalID})
			out, err := h.Invoke(ctx, payload)
			if fn.Kind == lambdafn.KindInvoke {
				checkInvokeSample(t, fn, f.Rel, payload)
				if err != nil {
					var ie *lambdafn.InvokeError
					if !errors.As(err, &ie) {
						t.Fatalf("invoke %s: the error is a %T, not the *lambdafn.InvokeError the runtime reports: %v", fn.LogicalID, err, err)
					}
					b, merr := json.Marshal(ie)
					if merr != nil {
						t.Fatal(merr)
					}
					checkFunctionError(t, f.Rel, b)
					return
				}
				checkInvokeResult(t, f.Rel, out)
				return
			}
			if err != nil {
				t.Fatalf("invoke %s: %v", fn.LogicalID, err)
			}
			switch fn.Kind {
			case lambdafn.KindAPI:
				var ev events.APIGatewayProxyRequest
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Fatalf("not an API Gateway proxy event: %v", err)
				}
				if ev.HTTPMethod != fn.Route.Method || ev.Resource != fn.Route.Path {
					t.Errorf("event is %s %s (resource), route is %s %s", ev.HTTPMethod, ev.Resource, fn.Route.Method, fn.Route.Path)
				}
				if ev.RequestContext.Stage == "" || ev.RequestContext.RequestID == "" {
					t.Error("event has no requestContext.stage or requestContext.requestId")
				}
				checkAPIOutcome(t, f.Rel, out, freshReplay("embedded", f.Rel))
			case lambdafn.KindSQS:
				checkBatchResponse(t, f.Rel, payload, out)
			default:
				t.Fatalf("unknown function kind %q", fn.Kind)
			}
		})
	}
}

// checkAPIOutcome checks out is a proxy response with an envelope and, for the samples
// of wantStatus replayed on a fresh store, the expected status and error_code.
func checkAPIOutcome(t *testing.T, rel string, out []byte, fresh bool) {
	t.Helper()
	status, code := proxyResponse(t, out)
	if want, ok := wantStatus[rel]; ok && fresh && (status != want.Status || code != want.Code) {
		t.Errorf("%s: status %d error_code %d, want %d %d\n%s", rel, status, code, want.Status, want.Code, out)
	}
}

// checkInvokeSample checks an invoke-only function's sample decodes into its event type
// with no unknown field.
func checkInvokeSample(t *testing.T, fn lambdafn.Function, rel string, payload []byte) {
	t.Helper()
	newIn := invokeInputs[fn.Name]
	if newIn == nil {
		t.Fatalf("invokeInputs has no event type for %s", fn.Name)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(newIn()); err != nil {
		t.Errorf("%s does not decode into %s's event type: %v", rel, fn.LogicalID, err)
	}
}

// checkInvokeResult checks what an invoke-only function returned: a JSON object, for a
// sample that is not expected to fail.
func checkInvokeResult(t *testing.T, rel string, out []byte) {
	t.Helper()
	if want, ok := wantInvokeError[rel]; ok {
		t.Fatalf("%s: the function returned %s, want a function error about %q", rel, out, want)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(out, &obj); err != nil || obj == nil {
		t.Fatalf("%s: result is not a JSON object: %v\n%s", rel, err, out)
	}
}

// checkFunctionError checks body is a function error as the Lambda Runtime and Invoke
// APIs carry it, {"errorType", "errorMessage"}, whose message names the expected problem.
func checkFunctionError(t *testing.T, rel string, body []byte) {
	t.Helper()
	var fe struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if err := json.Unmarshal(body, &fe); err != nil || fe.Type == "" || fe.Message == "" {
		t.Fatalf("%s: function error is not {errorType, errorMessage} with both set: %v\n%s", rel, err, body)
	}
	if want, ok := wantInvokeError[rel]; ok && !strings.Contains(strings.ToLower(fe.Message), want) {
		t.Errorf("%s: function error %q does not say %q", rel, fe.Message, want)
	}
}

// proxyResponse checks out is an API Gateway proxy response whose body is a JSON
// envelope with an integer error_code, and returns its status code and error_code.
func proxyResponse(t *testing.T, out []byte) (status, code int) {
	t.Helper()
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response is not an API Gateway proxy response: %v\n%s", err, out)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		t.Fatalf("statusCode %d is not an HTTP status\n%s", resp.StatusCode, out)
	}
	if resp.IsBase64Encoded {
		t.Fatalf("a JSON envelope came back base64-encoded\n%s", out)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal([]byte(resp.Body), &env); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, resp.Body)
	}
	if err := json.Unmarshal(env["error_code"], &code); err != nil || code == 0 {
		t.Fatalf("body has no integer error_code: %s", resp.Body)
	}
	return resp.StatusCode, code
}

// checkProxyResponse is proxyResponse's status code.
func checkProxyResponse(t *testing.T, out []byte) int {
	t.Helper()
	status, _ := proxyResponse(t, out)
	return status
}

// checkBatchResponse checks out is an SQS batch response naming only messages of the
// event (a foreign id would make Lambda fail the whole batch) and, for the samples whose
// outcome is known, exactly the expected ones.
func checkBatchResponse(t *testing.T, rel string, payload, out []byte) {
	t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
		t.Fatalf("not an SQS event with records: %v", err)
	}
	var ids []string
	for _, r := range ev.Records {
		ids = append(ids, r.MessageId)
		if r.EventSource != "aws:sqs" {
			t.Errorf("record %s: eventSource %q, want aws:sqs", r.MessageId, r.EventSource)
		}
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response is not an SQS batch response: %v\n%s", err, out)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		if !slices.Contains(ids, f.ItemIdentifier) {
			t.Errorf("batch failure names %q, which is not a message of the event %v", f.ItemIdentifier, ids)
		}
		failed = append(failed, f.ItemIdentifier)
	}
	if want, ok := wantFailures[rel]; ok {
		slices.Sort(failed)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(failed, want) {
			t.Errorf("batch failures %v, want %v", failed, want)
		}
	}
}
