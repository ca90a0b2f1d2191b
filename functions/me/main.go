// Command me is the Lambda behind GET /v1/user/me.
package main

import (
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() { lambdafn.StartHTTP("me", httpapi.Me) }
