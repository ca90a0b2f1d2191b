// Command password-reset is the Lambda behind POST /v1/user/password/reset.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("password-reset", httpapi.ResetPassword, dynamo.Provide)
}
