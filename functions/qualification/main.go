// Command qualification is the Lambda behind GET /v1/user/qualification.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("qualification", httpapi.GetQualification, dynamo.Provide)
}
