package main

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// meter adds up what DynamoDB reports for the reads made with a context that carries it
// (withMeter), and counts every call by operation.
type meter struct {
	mu        sync.Mutex
	calls     map[string]int
	conflicts int     // TransactWriteItems cancelled only by TransactionConflict
	scanned   int64   // Query/Scan ScannedCount, plus 1 per GetItem that found an item
	returned  int64   // Query/Scan Count, plus 1 per GetItem that found an item
	capacity  float64 // ConsumedCapacity.CapacityUnits (ReturnConsumedCapacity TOTAL)
	noCap     int     // reads that came back without ConsumedCapacity
	maxScan   int64   // the largest ScannedCount of one Scan call
}

func newMeter() *meter { return &meter{calls: map[string]int{}} }

type meterKey struct{}

// withMeter makes the DynamoDB calls made with the returned context count on m.
func withMeter(ctx context.Context, m *meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// reads is a snapshot of a meter's read counts.
type reads struct {
	Calls     map[string]int `json:"calls"`
	Scanned   int64          `json:"items_read"`
	Returned  int64          `json:"items_returned"`
	Capacity  float64        `json:"read_capacity_units"`
	NoCap     int            `json:"calls_without_consumed_capacity,omitempty"`
	Conflicts int            `json:"transaction_conflicts,omitempty"`
	MaxScan   int64          `json:"max_items_per_scan_call,omitempty"`
}

func (m *meter) snapshot() reads {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		c[k] = v
	}
	return reads{Calls: c, Scanned: m.scanned, Returned: m.returned, Capacity: m.capacity, NoCap: m.noCap, Conflicts: m.conflicts, MaxScan: m.maxScan}
}

func (m *meter) record(op string, scanned, returned int64, cc *types.ConsumedCapacity, isRead bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[op]++
	m.scanned += scanned
	m.returned += returned
	if cc != nil {
		m.capacity += aws.ToFloat64(cc.CapacityUnits)
	} else if isRead {
		m.noCap++
	}
}

// meterOption is a dynamodb.Options function: it asks for ReturnConsumedCapacity TOTAL
// on every GetItem, Query and Scan and records the answer on the context's meter. Only
// the response's bookkeeping changes; the store's requests are otherwise untouched.
func meterOption(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("benchMeter", meterMiddleware), middleware.After)
	})
}

func meterMiddleware(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	m, _ := ctx.Value(meterKey{}).(*meter)
	if m != nil {
		switch p := in.Parameters.(type) {
		case *dynamodb.GetItemInput:
			p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		case *dynamodb.QueryInput:
			p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		case *dynamodb.ScanInput:
			p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		}
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if m == nil {
		return out, md, err
	}
	op := middleware.GetOperationName(ctx)
	if err != nil {
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && onlyConflicts(tce) {
			m.mu.Lock()
			m.conflicts++
			m.mu.Unlock()
		}
		m.record(op+" (error)", 0, 0, nil, false)
		return out, md, err
	}
	switch r := out.Result.(type) {
	case *dynamodb.GetItemOutput:
		n := int64(0)
		if r.Item != nil {
			n = 1
		}
		m.record(op, n, n, r.ConsumedCapacity, true)
	case *dynamodb.QueryOutput:
		m.record(op, int64(r.ScannedCount), int64(r.Count), r.ConsumedCapacity, true)
	case *dynamodb.ScanOutput:
		m.record(op, int64(r.ScannedCount), int64(r.Count), r.ConsumedCapacity, true)
		m.mu.Lock()
		m.maxScan = max(m.maxScan, int64(r.ScannedCount))
		m.mu.Unlock()
	default:
		m.record(op, 0, 0, nil, false)
	}
	return out, md, err
}

func onlyConflicts(tce *types.TransactionCanceledException) bool {
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}
