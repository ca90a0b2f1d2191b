// Command review-worker is the Lambda the review queue's event source mapping invokes.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambda.Start(lambdafn.MustWorker())
}
