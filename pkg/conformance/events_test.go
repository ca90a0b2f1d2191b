package conformance

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// wantStatus are the API sample events whose status code is known on a fresh store.
var wantStatus = map[string]int{
	"health/get.json": 200,
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
	for rel := range wantFailures {
		if _, err := os.Stat(filepath.Join(root(t), "events", filepath.FromSlash(rel))); err != nil {
			t.Errorf("wantFailures names events/%s, which does not exist", rel)
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
				status := checkProxyResponse(t, out)
				if want, ok := wantStatus[f.Rel]; ok && status != want {
					t.Errorf("status %d, want %d", status, want)
				}
			case lambdafn.KindSQS:
				checkBatchResponse(t, f.Rel, payload, out)
			default:
				t.Fatalf("unknown function kind %q", fn.Kind)
			}
		})
	}
}

// checkProxyResponse checks out is an API Gateway proxy response whose body is a JSON
// envelope with an integer error_code, and returns its status code.
func checkProxyResponse(t *testing.T, out []byte) int {
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
	var code int
	if err := json.Unmarshal(env["error_code"], &code); err != nil || code == 0 {
		t.Fatalf("body has no integer error_code: %s", resp.Body)
	}
	return resp.StatusCode
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
