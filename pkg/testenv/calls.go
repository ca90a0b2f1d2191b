package testenv

import (
	"context"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// CallLog records the DynamoDB operations a client makes, in order: how tests pin the
// number of calls an operation costs.
type CallLog struct {
	mu  sync.Mutex
	ops []string
}

// Take returns the operations since the last Take.
func (l *CallLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := l.ops
	l.ops = nil
	return ops
}

// CountingClient returns a client like c whose every call is recorded in l by operation
// name, with an Initialize-step middleware (as pkg/routeflow's meter counts for the bench).
func CountingClient(c *dynamodb.Client, l *CallLog) *dynamodb.Client {
	return dynamodb.New(c.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					l.mu.Lock()
					l.ops = append(l.ops, awsmiddleware.GetOperationName(ctx))
					l.mu.Unlock()
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	})
}
