package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
)

// Typed adapts a typed handler (what functions/*/main.go passes to lambda.Start) to
// lambda.Handler's Invoke(ctx, payload) with the same JSON encoding the runtime uses.
// lambda.NewHandler is not used for this because its Invoke returns a pooled buffer that
// is recycled after return, which concurrent callers (the local runner) cannot rely on.
type Typed[In, Out any] func(context.Context, In) (Out, error)

// Invoke decodes payload into In, calls the handler and encodes its result.
func (f Typed[In, Out]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in In
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, &InvokeError{Type: "Runtime.UnmarshalError", Message: fmt.Sprintf("could not decode the event: %v", err)}
	}
	out, err := f(ctx, in)
	if err != nil {
		return nil, &InvokeError{Type: reflect.TypeOf(err).String(), Message: err.Error()}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &InvokeError{Type: "Runtime.MarshalError", Message: err.Error()}
	}
	return b, nil
}

// InvokeError is a function error as the Lambda API reports it.
type InvokeError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *InvokeError) Error() string { return e.Message }
