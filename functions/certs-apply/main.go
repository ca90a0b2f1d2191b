// Command certs-apply is the Lambda behind POST /v1/certs.
package main

import (
	"github.com/realname-kyc/realname/pkg/caprovide"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("certs-apply", httpapi.ApplyCertificate, dynamo.Provide, caprovide.Provide)
}
