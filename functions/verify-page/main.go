// Command verify-page is the Lambda behind GET /v1/verify/{ticket}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("verify-page", httpapi.HostedPage, dynamo.Provide)
}
