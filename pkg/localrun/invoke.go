package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

// InvokeAPI serves the Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations)
// for every function, like `sam local start-lambda`, so the AWS CLI and SDKs can invoke
// functions that have no HTTP event. name may be the logical id or a function ARN. A
// payload that is not JSON is refused with 400 InvalidRequestContentException, as Lambda
// refuses it. The runner serves it behind GuardInvoke (guard.go).
func InvokeAPI(handlers map[string]lambda.Handler, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if i := strings.LastIndex(name, ":function:"); i >= 0 {
			name = name[i+len(":function:"):]
		}
		// A qualifier (Fn:$LATEST, Fn:1) names a version; locally there is only one.
		name, _, _ = strings.Cut(name, ":")
		h, ok := handlers[name]
		if !ok {
			writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+FunctionARN(name))
			return
		}
		payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
		if err != nil || len(payload) > 6<<20 {
			writeLambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
			return
		}
		if len(payload) == 0 {
			payload = []byte("{}")
		}
		// Lambda takes JSON only, and says so before any invocation type is looked at.
		if err := json.Unmarshal(payload, new(json.RawMessage)); err != nil {
			writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: "+err.Error())
			return
		}
		reqID := newRequestID()
		ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{AwsRequestID: reqID, InvokedFunctionArn: FunctionARN(name)})
		w.Header().Set("X-Amzn-RequestId", reqID)
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		if r.Header.Get("X-Amz-Invocation-Type") == "DryRun" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
			// Asynchronous: accepted now, run detached from the request.
			// The request's context ends with the 202; the invocation must outlive it.
			actx := lambdacontext.NewContext(context.WithoutCancel(r.Context()), &lambdacontext.LambdaContext{AwsRequestID: reqID, InvokedFunctionArn: FunctionARN(name)})
			go func() {
				if _, err := h.Invoke(actx, payload); err != nil {
					log.Error("async invoke failed", slog.String("function", name), slog.String("error", err.Error()))
				}
			}()
			w.WriteHeader(http.StatusAccepted)
			return
		}
		out, err := h.Invoke(ctx, payload)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			// A function error is still HTTP 200, flagged by a header, as Lambda does.
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.WriteHeader(http.StatusOK)
			_ = json.NewEncoder(w).Encode(functionError(err))
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeLambdaError(w, http.StatusNotFound, "UnknownOperationException", "Unknown operation "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// writeLambdaError answers in the Lambda API's error shape, which the SDKs decode by the
// X-Amzn-ErrorType header.
func writeLambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": msg, "__type": typ})
}

func functionError(err error) any {
	var ie *lambdafn.InvokeError
	if errors.As(err, &ie) {
		return ie
	}
	return &lambdafn.InvokeError{Type: "Runtime.Error", Message: err.Error()}
}
