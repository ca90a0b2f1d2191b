// Command grant-role is the Lambda that gives a user a role, invoked directly (no HTTP
// event): IAM decides who may invoke it.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambda.Start(lambdafn.MustGrantRole())
}
