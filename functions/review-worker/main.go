// Command review-worker is the Lambda the review queue's event source mapping invokes.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

func main() {
	lambdafn.Start(lambdafn.ReviewWorker, lambdafn.Worker, dynamo.Provide, s3docs.Provide, identity.Provide)
}
