// Command me is the Lambda behind GET /v1/user/me.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("me", httpapi.Me, dynamo.Provide, s3presign.Provide)
}
