// Command verify-code is the Lambda behind POST /v1/verify/{ticket}/code.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/snssms"
)

func main() {
	lambdafn.StartHTTP("verify-code", httpapi.HostedSendCode, dynamo.Provide, snssms.Provide)
}
