// Command qualification-approve is the Lambda behind POST /v1/cms/qualification/{id}/approve.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("qualification-approve", httpapi.ApproveQualification, dynamo.Provide)
}
