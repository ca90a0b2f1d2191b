// Command certs-get is the Lambda behind GET /v1/certs/{certId}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("certs-get", httpapi.GetCertificate, dynamo.Provide)
}
