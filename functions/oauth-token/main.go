// Command oauth-token is the Lambda behind POST /v1/oauth/token.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("oauth-token", httpapi.IssueToken, dynamo.Provide)
}
