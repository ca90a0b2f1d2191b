package localrun_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/realname-kyc/realname/pkg/localqueue"

	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
)

func TestRegressionAsyncInvokeContext(t *testing.T) {
	got := make(chan error, 1)
	slow := lambdafn.Typed[ping, pong](func(ctx context.Context, _ ping) (pong, error) {
		time.Sleep(100 * time.Millisecond) // the invocation outlives the HTTP request
		got <- ctx.Err()
		return pong{}, nil
	})
	srv := httptest.NewServer(localrun.InvokeAPI(map[string]lambda.Handler{"Slow": slow}, quiet()))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/Slow/invocations", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if err := <-got; err != nil {
		t.Errorf("async invocation ran with an ended context: %v", err)
	}
}

func TestRegressionStatusOutOfRange(t *testing.T) {
	fn := apiFunction(t)
	rec := &recorder{respond: func(ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 42}, nil
	}}
	srv := httptest.NewServer(localrun.APIGateway(map[string]lambda.Handler{fn.LogicalID: rec.handler()}, quiet()))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + fn.Route.Path)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Errorf("status %d, want 502", resp.StatusCode)
	}
}

func TestRegressionUnknownItemIdentifier(t *testing.T) {
	q := localqueue.New(localqueue.Options{Visibility: 200 * time.Millisecond})
	send(t, q, "a")
	es := localrun.EventSource{Queue: q, BatchSize: 10, Wait: time.Second, Log: quiet(),
		Handler: lambdafn.Typed[events.SQSEvent, events.SQSEventResponse](func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ""}}}, nil
		})}
	n, err := es.Poll(t.Context())
	t.Logf("deleted %d err %v", n, err)
	if n != 0 {
		t.Errorf("deleted %d messages although the function reported a failure Lambda would treat as a whole-batch failure", n)
	}
}
