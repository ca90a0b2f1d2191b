// Command verification-get is the Lambda behind GET /v1/user/verification.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("verification-get", httpapi.GetVerification, dynamo.Provide)
}
