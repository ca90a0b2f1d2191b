// Command logout is the Lambda behind POST /v1/user/logout.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("logout", httpapi.Logout, dynamo.Provide)
}
