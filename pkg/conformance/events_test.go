package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
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

// apiOutcome is the status and envelope error_code an API sample event gets; Code is 0
// for a redirect, which has no envelope.
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
	// The document routes: an unknown token is refused before the body is read, whether
	// it comes as a bearer header or (GET only) as ?auth_token=.
	"uploads/unknown-token.json":                           {401, 999},
	"portrait/form-unknown-token.json":                     {401, 999},
	"account/unknown-token.json":                           {401, 999},
	"download-confirmation-file/query-unknown-token.json":  {401, 999},
	"upload-company-license/multipart-unknown-token.json":  {401, 999},
	"upload-company-license/keys-unknown-token.json":       {401, 999},
	"upload-personal-licence/multipart-unknown-token.json": {401, 999},
	"upload-personal-licence/form-keys-unknown-token.json": {401, 999},
	"down-auth-licence/unknown-token.json":                 {401, 999},
	"down-auth-confirmation/query-unknown-token.json":      {401, 999},
	"download-auth-front-of-id/unknown-token.json":         {401, 999},
	"download-auth-back-of-id/query-unknown-token.json":    {401, 999},
	// The reviewer routes: the session is checked before the role, the query and the
	// body, so a list with ?limit=&cursor= and a rejection with a full body (JSON, or a
	// form with the documents comma-separated) are still 401.
	"get-unauthored-company-account/unknown-token.json":         {401, 999},
	"get-unauthored-personal-account/cursor-unknown-token.json": {401, 999},
	"account-detail/unknown-token.json":                         {401, 999},
	"authorize-account/unknown-token.json":                      {401, 999},
	"reject-account/unknown-token.json":                         {401, 999},
	"reject-account/form-unknown-token.json":                    {401, 999},
	// Integrators (issue 14): the token route answers as RFC 6749 does (no envelope:
	// code 0), an app that does not exist being invalid_client.
	"admin-apps-create/unknown-token.json":     {401, 999},
	"admin-apps-revoke/unknown-token.json":     {401, 999},
	"oauth-token/unknown-client.json":          {401, 0},
	"accounts-person/unknown-token.json":       {401, 999},
	"accounts-organization/unknown-token.json": {401, 999},
	"accounts-get/unknown-token.json":          {401, 999},
	// Identity factors: the token is opened before the body is read or the provider asked.
	"verification/unknown-token.json":     {401, 999},
	"verification-get/unknown-token.json": {401, 999},
	// The qualification certificates: the session first, whatever the body or query.
	"qualification-submit/unknown-token.json":          {401, 999},
	"qualification-submit/form-unknown-token.json":     {401, 999},
	"qualification/unknown-token.json":                 {401, 999},
	"qualifications-pending/cursor-unknown-token.json": {401, 999},
	"qualification-approve/unknown-token.json":         {401, 999},
	"qualification-reject/unknown-token.json":          {401, 999},
	// Hosted verification: a ticket no verification has. The page answers HTML (code 0).
	"identify-start/unknown-token.json":  {401, 999},
	"identify-get/unknown-token.json":    {401, 999},
	"verify-page/unknown-ticket.json":    {404, 0},
	"verify-code/unknown-ticket.json":    {404, 1015},
	"verify-confirm/unknown-ticket.json": {404, 1015},
	// Certificates: the session first; the CA certificate and the CRL are public and
	// answer in their own media types (code 0).
	"certs-apply/unknown-token.json":  {401, 999},
	"certs-get/unknown-token.json":    {401, 999},
	"certs-revoke/unknown-token.json": {401, 999},
	"ca-cert/get.json":                {200, 0},
	"ca-crl/get.json":                 {200, 0},
	// Bank verification: the session first.
	"bank-verification-start/unknown-token.json":   {401, 999},
	"bank-verification-confirm/unknown-token.json": {401, 999},
}

// nonEnvelope are the functions whose answers are not the API envelope, by the media
// type they answer: the token route answers as RFC 6749 does (API.md), the hosted page is
// HTML for a browser, the CA certificate is PEM and the CRL DER (API.md).
var nonEnvelope = map[string]string{"oauth-token": "application/json", "verify-page": "text/html",
	"ca-cert": "application/x-pem-file", "ca-crl": "application/pkix-crl"}

// wantSMS is how many SMS each sample of an SMS-sending function texts when it is first
// replayed on a store; every sample of those functions must be listed.
var wantSMS = map[string]int{
	"sms-code/register-new-phone.json":           1,
	"sms-code/reset-password-unknown-phone.json": 0,
	"verify-code/unknown-ticket.json":            0,
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
	"grant-role/unknown-phone.json":  "not found",
	"freeze-user/unknown-phone.json": "not found",
}

// invokeInputs are the event types of the invoke-only functions, by folder: their samples
// must decode into them with no unknown field, so a sample cannot drift from the type.
var invokeInputs = map[string]func() any{
	lambdafn.GrantRole:  func() any { return new(lambdafn.GrantRoleInput) },
	lambdafn.FreezeUser: func() any { return new(lambdafn.FreezeUserInput) },
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
// API Gateway, a batch response naming only the event's own messages for SQS, the
// reconciler's {requeued, failed} for an EventBridge schedule.
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
			case lambdafn.KindSchedule:
				checkScheduleSample(t, f.Rel, payload)
				checkScheduleResult(t, f.Rel, out)
			default:
				t.Fatalf("unknown function kind %q", fn.Kind)
			}
		})
	}
}

// checkScheduleSample checks a scheduled function's sample is the event an EventBridge
// schedule (a SAM Schedule event) delivers: a "Scheduled Event" from aws.events naming
// its rule, with an empty detail, and no field events.EventBridgeEvent does not know.
func checkScheduleSample(t *testing.T, rel string, payload []byte) {
	t.Helper()
	var ev events.EventBridgeEvent
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("%s is not an EventBridge event: %v", rel, err)
	}
	if ev.Version != "0" || ev.ID == "" || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.Time.IsZero() || ev.Region == "" || ev.AccountID == "" {
		t.Errorf("%s: version %q id %q detail-type %q source %q time %v region %q account %q; want a scheduled event: version 0, an id, \"Scheduled Event\" from aws.events, with time, region and account",
			rel, ev.Version, ev.ID, ev.DetailType, ev.Source, ev.Time, ev.Region, ev.AccountID)
	}
	if len(ev.Resources) != 1 || !strings.HasPrefix(ev.Resources[0], "arn:aws:events:"+ev.Region+":"+ev.AccountID+":rule/") {
		t.Errorf("%s: resources %v, want the one ARN of the rule that fired", rel, ev.Resources)
	}
	if d := strings.TrimSpace(string(ev.Detail)); d != "{}" {
		t.Errorf("%s: detail %s, want {} (a schedule carries none)", rel, d)
	}
}

// checkScheduleResult checks what the reconciler returned: exactly {"requeued", "failed"}
// (review.ReconcileResult), counts that are whole and not negative. A run in which some
// re-queue failed ends in a function error instead, so a result has failed 0.
func checkScheduleResult(t *testing.T, rel string, out []byte) {
	t.Helper()
	var res map[string]json.RawMessage
	if err := json.Unmarshal(out, &res); err != nil || res == nil {
		t.Fatalf("%s: result is not a JSON object: %v\n%s", rel, err, out)
	}
	if keys := slices.Sorted(maps.Keys(res)); !slices.Equal(keys, []string{"failed", "requeued"}) {
		t.Errorf("%s: result has the fields %v, want exactly failed and requeued\n%s", rel, keys, out)
	}
	counts := map[string]int{}
	for _, k := range []string{"requeued", "failed"} {
		var n int
		if err := json.Unmarshal(res[k], &n); err != nil || n < 0 {
			t.Errorf("%s: %s = %s, want a whole number >= 0", rel, k, res[k])
		}
		counts[k] = n
	}
	if counts["failed"] != 0 {
		t.Errorf("%s: a result with failed = %d; a run with failed re-queues must end in a function error", rel, counts["failed"])
	}
}

// checkAPIOutcome checks out is a proxy response with an envelope and, for the samples
// of wantStatus replayed on a fresh store, the expected status and error_code.
func checkAPIOutcome(t *testing.T, rel string, out []byte, fresh bool) {
	t.Helper()
	status, code := proxyResponse(t, out, nonEnvelope[strings.SplitN(rel, "/", 2)[0]])
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
// envelope with an integer error_code, and returns its status code and error_code. A 302
// (the document downloads) has no envelope: it must carry a Location and forbid caching,
// and its error_code is reported as 0.
func proxyResponse(t *testing.T, out []byte, bare string) (status, code int) {
	t.Helper()
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response is not an API Gateway proxy response: %v\n%s", err, out)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		t.Fatalf("statusCode %d is not an HTTP status\n%s", resp.StatusCode, out)
	}
	if resp.StatusCode == http.StatusFound {
		checkRedirectHeaders(t, proxyHeader(resp))
		return resp.StatusCode, 0
	}
	// Only a binary media type (the DER CRL) may come back base64-encoded: API Gateway
	// decodes that for the client, and would hand anything else over still encoded.
	if resp.IsBase64Encoded && (bare == "" || !binaryMediaType(bare)) {
		t.Fatalf("a body of a type that is not binary came back base64-encoded\n%s", out)
	}
	if bare != "" {
		// A route that answers outside the envelope: its media type, and code 0.
		if ct := proxyHeader(resp).Get("Content-Type"); !strings.HasPrefix(ct, bare) {
			t.Fatalf("Content-Type %q, want %s\n%s", ct, bare, out)
		}
		return resp.StatusCode, 0
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

// proxyHeader is a proxy response's headers as API Gateway sends them: multiValueHeaders
// replace the single-value headers of the same name.
func proxyHeader(resp events.APIGatewayProxyResponse) http.Header {
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

// checkRedirectHeaders checks a 302 to a presigned URL: an absolute http(s) Location, and
// the URL (a credential until it expires) neither cached nor sent on as a Referer.
func checkRedirectHeaders(t *testing.T, h http.Header) {
	t.Helper()
	loc, err := url.Parse(h.Get("Location"))
	if err != nil || !loc.IsAbs() || (loc.Scheme != "https" && loc.Scheme != "http") {
		t.Errorf("302 Location %q is not an absolute http(s) URL (%v)", h.Get("Location"), err)
	}
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("302 Cache-Control = %q, want no-store (the Location is a presigned URL)", got)
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("302 Referrer-Policy = %q, want no-referrer", got)
	}
}

// checkProxyResponse is proxyResponse's status code.
func checkProxyResponse(t *testing.T, out []byte) int {
	t.Helper()
	status, _ := proxyResponse(t, out, "")
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

// TestEventsRequests: every API sample is a request API Gateway could send. Its path
// fills its resource's {params} with the values of pathParameters; the single- and
// multi-value maps of headers and query agree; a body of a binary media type (template.yaml's
// BinaryMediaTypes, which localrun.BinaryMediaTypes mirrors) is base64-encoded and any
// other is not; a Content-Length header is the size of the decoded body; and a multipart
// body parses to its end with every part named.
func TestEventsRequests(t *testing.T) {
	for _, f := range eventFiles(t) {
		fn, ok := lambdafn.Lookup(f.Folder)
		if !ok || fn.Kind != lambdafn.KindAPI {
			continue
		}
		t.Run(f.Rel, func(t *testing.T) {
			payload, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatalf("not an API Gateway proxy event: %v", err)
			}
			checkEventPath(t, ev)
			if d := singleMultiDiff(ev.Headers, ev.MultiValueHeaders); d != "" {
				t.Errorf("headers and multiValueHeaders disagree: %s", d)
			}
			if d := singleMultiDiff(ev.QueryStringParameters, ev.MultiValueQueryStringParameters); d != "" {
				t.Errorf("queryStringParameters and multiValueQueryStringParameters disagree: %s", d)
			}
			ct := eventHeader(ev, "Content-Type")
			body := []byte(ev.Body)
			if ev.IsBase64Encoded {
				if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
					t.Fatalf("isBase64Encoded, but the body is not base64: %v", err)
				}
			}
			if ev.Body != "" && ev.IsBase64Encoded != binaryMediaType(ct) {
				t.Errorf("isBase64Encoded = %v for Content-Type %q; API Gateway base64-encodes exactly the BinaryMediaTypes %v", ev.IsBase64Encoded, ct, localrun.BinaryMediaTypes())
			}
			if cl := eventHeader(ev, "Content-Length"); cl != "" {
				if n, err := strconv.Atoi(cl); err != nil || n != len(body) {
					t.Errorf("Content-Length %q, but the body is %d bytes", cl, len(body))
				}
			}
			mt, params, _ := mime.ParseMediaType(ct)
			if mt != "multipart/form-data" {
				return
			}
			mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
			var parts int
			for {
				p, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("multipart body, part %d: %v", parts+1, err)
				}
				if p.FormName() == "" {
					t.Errorf("multipart part %d has no form name", parts+1)
				}
				if _, err := io.ReadAll(p); err != nil {
					t.Fatalf("multipart part %q: %v", p.FormName(), err)
				}
				parts++
			}
			if parts == 0 {
				t.Error("multipart body has no parts")
			}
		})
	}
}

// checkEventPath checks an event's path is its resource with each {param} replaced by
// the pathParameters value of that name, and that there are no other path parameters.
func checkEventPath(t *testing.T, ev events.APIGatewayProxyRequest) {
	t.Helper()
	var names []string
	expr := "^"
	rest := ev.Resource
	for _, loc := range pathParamRE.FindAllStringSubmatchIndex(ev.Resource, -1) {
		prefix := ev.Resource[len(ev.Resource)-len(rest) : loc[0]]
		expr += regexp.QuoteMeta(prefix) + "([^/]+)"
		names = append(names, ev.Resource[loc[2]:loc[3]])
		rest = ev.Resource[loc[1]:]
	}
	expr += regexp.QuoteMeta(rest) + "$"
	m := regexp.MustCompile(expr).FindStringSubmatch(ev.Path)
	if m == nil {
		t.Errorf("path %q does not match resource %q", ev.Path, ev.Resource)
		return
	}
	if len(ev.PathParameters) != len(names) {
		t.Errorf("pathParameters %v, want exactly %v", ev.PathParameters, names)
	}
	for i, n := range names {
		if got := ev.PathParameters[n]; got != m[i+1] {
			t.Errorf("pathParameters[%s] = %q, the path has %q", n, got, m[i+1])
		}
	}
	if want := "/" + ev.RequestContext.Stage + ev.Path; ev.RequestContext.Path != want {
		t.Errorf("requestContext.path = %q, want %q (stage + path)", ev.RequestContext.Path, want)
	}
	if ev.RequestContext.ResourcePath != ev.Resource || ev.RequestContext.HTTPMethod != ev.HTTPMethod {
		t.Errorf("requestContext says %s %s, the event %s %s", ev.RequestContext.HTTPMethod, ev.RequestContext.ResourcePath, ev.HTTPMethod, ev.Resource)
	}
}

// singleMultiDiff describes how a single-value map differs from its multi-value form, in
// which API Gateway puts every value of a name (the single-value map has the last).
func singleMultiDiff(single map[string]string, multi map[string][]string) string {
	var diffs []string
	for k, v := range single {
		vs := multi[k]
		if len(vs) == 0 || vs[len(vs)-1] != v {
			diffs = append(diffs, k+": "+v+" vs "+strings.Join(vs, ","))
		}
	}
	for k := range multi {
		if _, ok := single[k]; !ok {
			diffs = append(diffs, k+": only multi-value")
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}

// eventHeader is a header of the event, by case-insensitive name.
func eventHeader(ev events.APIGatewayProxyRequest, name string) string {
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// binaryMediaType reports whether API Gateway base64-encodes a body of contentType, by
// localrun.BinaryMediaTypes (checked equal to template.yaml's by TestTemplateAPI).
func binaryMediaType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	for _, b := range localrun.BinaryMediaTypes() {
		if prefix, ok := strings.CutSuffix(b, "*"); (ok && strings.HasPrefix(mt, prefix)) || mt == b {
			return true
		}
	}
	return false
}
