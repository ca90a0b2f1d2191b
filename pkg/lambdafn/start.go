package lambdafn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/review"
)

const initTimeout = 5 * time.Second

// MustHTTP returns the handler of the route function name, configured from the
// environment, or fails the function's init loudly (see failInit).
func MustHTTP(name string) http.Handler {
	svc, err := Services(os.Getenv)
	if err != nil {
		failInit(name, err)
	}
	h, err := HTTPHandler(svc, name)
	if err != nil {
		failInit(name, err)
	}
	return h
}

// MustWorker returns the review worker's handler, or fails the init loudly.
func MustWorker() func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	svc, err := Services(os.Getenv)
	if err != nil {
		failInit(ReviewWorker, err)
	}
	return review.NewWorker(svc).Handle
}

// failInit reports an init error the way a managed runtime does: to the Runtime API's
// init/error endpoint (so `sam local invoke` and the Lambda console show it), and to
// stderr (CloudWatch), then exits non-zero.
func failInit(name string, err error) {
	msg := fmt.Sprintf("%s: init failed: %v", name, err)
	fmt.Fprintln(os.Stderr, msg)
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		body, _ := json.Marshal(map[string]any{"errorMessage": msg, "errorType": "InitError"})
		req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
		if rerr == nil {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
			if resp, derr := (&http.Client{Timeout: 2 * time.Second}).Do(req); derr == nil {
				resp.Body.Close()
			}
		}
	}
	os.Exit(1)
}

// MustReconciler returns the reconciler's schedule handler, or fails the init loudly.
func MustReconciler() func(ctx context.Context, ev json.RawMessage) (review.ReconcileResult, error) {
	svc, err := Services(os.Getenv)
	if err != nil {
		failInit(Reconciler, err)
	}
	return withRequestID(review.NewWorker(svc).HandleSchedule)
}
