// Command ca-cert is the Lambda behind GET /v1/ca/cert.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("ca-cert", httpapi.GetCACertificate, dynamo.Provide)
}
