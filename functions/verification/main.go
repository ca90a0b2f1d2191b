// Command verification is the Lambda behind POST /v1/user/verification.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("verification", httpapi.VerifyIdentity, dynamo.Provide, identity.Provide)
}
