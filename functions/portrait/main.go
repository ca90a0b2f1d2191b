// Command portrait is the Lambda behind POST /v1/user/portrait.
package main

import (
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() { lambdafn.StartHTTP("portrait", httpapi.SetPortrait) }
