// Command identify-start is the Lambda behind POST /v1/identify/person/3/async.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("identify-start", httpapi.StartHostedVerification, dynamo.Provide)
}
