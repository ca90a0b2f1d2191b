// Command freeze-user is the Lambda that freezes or unfreezes a user, invoked directly (no
// HTTP event): IAM decides who may invoke it.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.Start(lambdafn.FreezeUser, lambdafn.FreezeUserHandler, dynamo.Provide)
}
