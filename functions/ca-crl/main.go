// Command ca-crl is the Lambda behind GET /v1/ca/crl.
package main

import (
	"github.com/realname-kyc/realname/pkg/caprovide"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("ca-crl", httpapi.GetCRL, dynamo.Provide, caprovide.Provide)
}
