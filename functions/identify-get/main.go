// Command identify-get is the Lambda behind GET /v1/identify/{verificationId}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("identify-get", httpapi.GetHostedVerification, dynamo.Provide)
}
