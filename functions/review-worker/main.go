// Command review-worker is the Lambda the review queue's event source mapping invokes.
package main

import "github.com/realname-kyc/realname/pkg/lambdafn"

func main() { lambdafn.Start(lambdafn.ReviewWorker, lambdafn.Worker) }
