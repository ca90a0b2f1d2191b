// Command sms-code is the Lambda behind POST /v1/user/sms-code.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/snssms"
)

func main() {
	lambdafn.StartHTTP("sms-code", httpapi.SendSMSCode, dynamo.Provide, snssms.Provide)
}
