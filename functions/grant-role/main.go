// Command grant-role is the Lambda that gives a user a role, invoked directly (no HTTP
// event): IAM decides who may invoke it.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.Start(lambdafn.GrantRole, lambdafn.GrantRoleHandler, dynamo.Provide)
}
