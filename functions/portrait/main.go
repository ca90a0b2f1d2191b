// Command portrait is the Lambda behind POST /v1/user/portrait.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

func main() {
	lambdafn.StartHTTP("portrait", httpapi.SetPortrait, dynamo.Provide, s3docs.Provide)
}
