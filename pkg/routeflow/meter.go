package routeflow

import (
	"context"
	"errors"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter adds up what DynamoDB reports for the reads made with a context that carries it
// (WithMeter), counts every call by operation, and records the IAM actions the calls
// needed (Actions).
type Meter struct {
	mu        sync.Mutex
	calls     map[string]int
	actions   map[string]int
	conflicts int     // TransactWriteItems cancelled only by TransactionConflict
	scanned   int64   // Query/Scan ScannedCount, plus 1 per GetItem that found an item
	returned  int64   // Query/Scan Count, plus 1 per GetItem that found an item
	capacity  float64 // ConsumedCapacity.CapacityUnits (ReturnConsumedCapacity TOTAL)
	noCap     int     // reads that came back without ConsumedCapacity
	maxScan   int64   // the largest ScannedCount of one Scan call
}

// NewMeter returns an empty meter.
func NewMeter() *Meter { return &Meter{calls: map[string]int{}, actions: map[string]int{}} }

type meterKey struct{}

// WithMeter makes the DynamoDB calls made with the returned context, through a client
// with MeterOption, count on m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// Reads is a snapshot of a meter.
type Reads struct {
	// Calls counts the calls by operation name; a call that failed counts as "<Op> (error)".
	Calls     map[string]int `json:"calls"`
	Scanned   int64          `json:"items_read"`
	Returned  int64          `json:"items_returned"`
	Capacity  float64        `json:"read_capacity_units"`
	NoCap     int            `json:"calls_without_consumed_capacity,omitempty"`
	Conflicts int            `json:"transaction_conflicts,omitempty"`
	MaxScan   int64          `json:"max_items_per_scan_call,omitempty"`
	// Actions counts the IAM "action resource" pairs the calls needed (see Actions), failed
	// calls included: IAM is checked before anything else.
	Actions map[string]int `json:"iam_actions,omitempty"`
}

// Snapshot returns what m has counted so far.
func (m *Meter) Snapshot() Reads {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Reads{Calls: maps.Clone(m.calls), Scanned: m.scanned, Returned: m.returned, Capacity: m.capacity, NoCap: m.noCap,
		Conflicts: m.conflicts, MaxScan: m.maxScan, Actions: maps.Clone(m.actions)}
}

func (m *Meter) record(op string, scanned, returned int64, cc *types.ConsumedCapacity, isRead bool) {
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

func (m *Meter) needs(actions []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range actions {
		m.actions[a]++
	}
}

// MeterOption is a dynamodb.Options function: it asks for ReturnConsumedCapacity TOTAL
// on every GetItem, Query and Scan made with a metered context and records the call, its
// answer and the IAM actions it needed on the context's meter. Only the response's
// bookkeeping changes; the store's requests are otherwise untouched.
func MeterOption(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("routeflowMeter", meterMiddleware), middleware.After)
	})
}

func meterMiddleware(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	if m == nil {
		return next.HandleInitialize(ctx, in)
	}
	op := middleware.GetOperationName(ctx)
	m.needs(Actions(op, in.Parameters))
	switch p := in.Parameters.(type) {
	case *dynamodb.GetItemInput:
		p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.QueryInput:
		p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.ScanInput:
		p.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	}
	out, md, err := next.HandleInitialize(ctx, in)
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

// TableResource is the resource of a call on the table, as pkg/conformance's wantGrants
// names it: the logical id of template.yaml's one table. A Query or Scan of an index is
// on TableResource + "/index/<IndexName>".
const TableResource = "Table"

// Actions returns the IAM "action resource" pairs a DynamoDB call of operation op with
// input params needs, one per action (a transaction's items each need their own: a Put
// needs dynamodb:PutItem, an Update dynamodb:UpdateItem, a Delete dynamodb:DeleteItem, a
// ConditionCheck dynamodb:ConditionCheckItem; TransactGetItems needs dynamodb:GetItem).
// A Query or Scan of an index needs its action on the index. Any other operation needs
// the action of its own name.
func Actions(op string, params any) []string {
	table := func(action string) string { return "dynamodb:" + action + " " + TableResource }
	index := func(action string, name *string) string {
		if aws.ToString(name) == "" {
			return table(action)
		}
		return "dynamodb:" + action + " " + TableResource + "/index/" + aws.ToString(name)
	}
	switch p := params.(type) {
	case *dynamodb.QueryInput:
		return []string{index("Query", p.IndexName)}
	case *dynamodb.ScanInput:
		return []string{index("Scan", p.IndexName)}
	case *dynamodb.TransactWriteItemsInput:
		var out []string
		for _, it := range p.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, table("PutItem"))
			case it.Update != nil:
				out = append(out, table("UpdateItem"))
			case it.Delete != nil:
				out = append(out, table("DeleteItem"))
			case it.ConditionCheck != nil:
				out = append(out, table("ConditionCheckItem"))
			}
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		out := make([]string, 0, len(p.TransactItems))
		for range p.TransactItems {
			out = append(out, table("GetItem"))
		}
		return out
	}
	if op == "" {
		return nil
	}
	return []string{table(op)}
}
