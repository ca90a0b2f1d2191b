package lambdafn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/httpapi"
)

// StartHTTP starts the Lambda of route function name with the handler ctor builds from
// the environment and the adapters of providers, or fails the function's init loudly
// (see failInit).
func StartHTTP(name string, ctor httpapi.Constructor, providers ...app.Provider) {
	h, err := ctor(mustEnv(name, providers))
	if err != nil {
		failInit(name, err)
	}
	lambda.Start(httpadapter.New(h).ProxyWithContext)
}

// Start starts a function without an HTTP event: handler builds its handler from the
// environment and the adapters of providers (Worker, ReconcilerHandler, GrantRoleHandler).
func Start[H any](name string, handler func(*app.Env) H, providers ...app.Provider) {
	lambda.Start(handler(mustEnv(name, providers)))
}

// mustEnv is the function's Env, with every adapter the function table gives it.
func mustEnv(name string, providers []app.Provider) *app.Env {
	env, err := Env(os.Getenv, providers...)
	if err == nil {
		f, ok := Lookup(name)
		if !ok {
			err = fmt.Errorf("no function named %q in the function table", name)
		} else {
			err = env.Require(f.Adapters...)
		}
	}
	if err != nil {
		failInit(name, err)
	}
	return env
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
