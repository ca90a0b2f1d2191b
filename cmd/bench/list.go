package main

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/routeflow"
)

// pageSize is the reviewer list's page, as the admin UI asks for it.
const pageSize = 20

const listTable = "bench-list"

type listConfig struct {
	sizes       []int
	pendingFrac float64 // share of the accounts that are personal and pending
	pendingMin  int     // ... but at least this many, so that the first page is full
	backlog     int     // company accounts pending, the same at every size
	queryReps   int
	scanReps    int
	writers     int
}

// listMethod is one way of producing the first page of one account type's pending list.
type listMethod struct {
	Method    string         `json:"method"`
	Type      string         `json:"type"`
	Pending   int            `json:"pending_of_type"`
	Returned  int            `json:"accounts_on_page"`
	ItemsRead int64          `json:"items_read"`
	Capacity  float64        `json:"read_capacity_units"`
	Calls     map[string]int `json:"calls"`
	Latency   latency        `json:"latency_ms"`
	SamePage  *bool          `json:"same_page_as_list_pending,omitempty"`
}

type listSize struct {
	Accounts        int          `json:"accounts"`
	PendingPersonal int          `json:"pending_personal"`
	PendingCompany  int          `json:"pending_company"`
	AddedSeconds    float64      `json:"seed_seconds"`
	AddedPerSecond  float64      `json:"seed_items_per_second"`
	Methods         []listMethod `json:"methods"`
}

// listResult is the list part on every engine.
type listResult struct {
	Table       string       `json:"table"`
	PageSize    int          `json:"page_size"`
	PendingFrac float64      `json:"pending_fraction_personal"`
	PendingMin  int          `json:"pending_min_personal"`
	Backlog     int          `json:"pending_company_backlog"`
	Writers     int          `json:"seed_writers"`
	ScanLimit   int          `json:"scan_limit"`
	Engines     []listEngine `json:"engines"`
}

// listEngine is the list part on one engine.
type listEngine struct {
	Engine     string     `json:"engine"`
	MaxPerScan int64      `json:"max_items_per_scan_call"`
	Checked    int        `json:"accounts_read_back_equal"`
	Sizes      []listSize `json:"sizes"`
}

// Method names, as the report prints them.
const (
	methodQuery     = "GSI Query (Store.ListPending)"
	methodScanFirst = "Scan + filter, first 20 matches"
	methodScanAll   = "Scan + filter, oldest 20 (whole table)"
)

// pendingPersonal is how many personal accounts are pending in a table of n accounts.
func (c listConfig) pendingPersonal(n int) int {
	return max(int(float64(n)*c.pendingFrac+0.5), c.pendingMin)
}

func newListResult(cfg listConfig) *listResult {
	return &listResult{Table: listTable, PageSize: pageSize, PendingFrac: cfg.pendingFrac, PendingMin: cfg.pendingMin, Backlog: cfg.backlog, Writers: cfg.writers, ScanLimit: scanLimit}
}

// runList grows one table through cfg.sizes (by default 1k, then 9k more, then 40k more) and
// measures the first page of each type's pending list at every size.
func runList(ctx context.Context, g *engine, cfg listConfig) (listEngine, error) {
	res := listEngine{Engine: g.Name}
	store, err := g.table(ctx, listTable)
	if err != nil {
		return res, err
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	prev, prevPP, prevPC := 0, 0, 0
	for _, n := range cfg.sizes {
		pp, pc := cfg.pendingPersonal(n), cfg.backlog
		progress("list on %s: adding accounts %d..%d (%d personal + %d company pending in all)", g.Name, prev, n-1, pp, pc)
		start := time.Now()
		plan, err := seedList(ctx, store, prev, n, pp-prevPP, pc-prevPC, base, cfg.writers)
		if err != nil {
			return res, err
		}
		secs := time.Since(start).Seconds()
		sz := listSize{Accounts: n, PendingPersonal: pp, PendingCompany: pc, AddedSeconds: secs, AddedPerSecond: float64(n-prev) / secs}
		progress("list on %s: %d accounts written in %.1fs (%.0f items/s); measuring", g.Name, n-prev, secs, sz.AddedPerSecond)
		if prev == 0 {
			// The accounts went in through Store.PutAccountsForLoad: read a sample of
			// every state back through the store and compare.
			if res.Checked, err = checkLoaded(ctx, store, plan, n); err != nil {
				return res, err
			}
		}
		for _, typ := range []kyc.AccountType{kyc.PersonalAccount, kyc.CompanyAccount} {
			pending := pp
			if typ == kyc.CompanyAccount {
				pending = pc
			}
			ms, err := measureList(ctx, g, store, typ, pending, cfg, &res.MaxPerScan)
			if err != nil {
				return res, fmt.Errorf("%d accounts, %s: %w", n, typ, err)
			}
			sz.Methods = append(sz.Methods, ms...)
		}
		res.Sizes = append(res.Sizes, sz)
		prev, prevPP, prevPC = n, pp, pc
	}
	return res, nil
}

// checkLoaded reads accounts 0..min(n, 200)-1 back with Store.GetAccount and compares
// each with the account the plan wrote; it returns how many it compared.
func checkLoaded(ctx context.Context, store *dynamo.Store, plan func(int) kyc.Account, n int) (int, error) {
	k := min(n, 200)
	err := parallel(k, 8, func(i int) error {
		want := plan(i)
		got, err := store.GetAccount(ctx, want.ID)
		if err != nil {
			return fmt.Errorf("read back %s: %w", want.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("account %s read back differs from what Store.PutAccountsForLoad wrote:\n got %+v\nwant %+v", want.ID, got, want)
		}
		return nil
	})
	return k, err
}

// measureList measures the three ways of listing one type's first page.
func measureList(ctx context.Context, g *engine, store *dynamo.Store, typ kyc.AccountType, pending int, cfg listConfig, maxPerScan *int64) ([]listMethod, error) {
	want := min(pageSize, pending)
	// The store's list: warm up, then time cfg.queryReps pages; each page is metered.
	var page kyc.PendingPage
	var m *routeflow.Meter
	var times []time.Duration
	for i := range cfg.queryReps + 3 {
		m = routeflow.NewMeter()
		t0 := time.Now()
		p, err := store.ListPending(routeflow.WithMeter(ctx, m), typ, pageSize, "")
		d := time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("ListPending: %w", err)
		}
		if i >= 3 {
			times = append(times, d)
		}
		page = p
	}
	if len(page.Accounts) != want || page.Total != int64(pending) {
		return nil, fmt.Errorf("ListPending returned %d accounts (total %d), want %d (total %d)", len(page.Accounts), page.Total, want, pending)
	}
	for _, a := range page.Accounts {
		if a.State != kyc.StatePendingReview || a.Type != typ {
			return nil, fmt.Errorf("ListPending returned %s in %s of type %s", a.ID, a.State, a.Type)
		}
	}
	q := m.Snapshot()
	out := []listMethod{{Method: methodQuery, Type: string(typ), Pending: pending, Returned: len(page.Accounts),
		ItemsRead: q.Scanned, Capacity: q.Capacity, Calls: q.Calls, Latency: summarize(times)}}
	if q.NoCap > 0 {
		return nil, fmt.Errorf("DynamoDB returned no ConsumedCapacity for %d calls", q.NoCap)
	}

	for _, whole := range []bool{false, true} {
		var got []item
		times = times[:0]
		var spent time.Duration
		for rep := 0; rep < cfg.scanReps && (rep == 0 || spent < 4*time.Second); rep++ { // slow scans are timed fewer times
			m = routeflow.NewMeter()
			t0 := time.Now()
			items, err := scanPending(routeflow.WithMeter(ctx, m), g.ddb, typ, whole)
			d := time.Since(t0)
			if err != nil {
				return nil, err
			}
			times, spent = append(times, d), spent+d
			got = items
		}
		if len(got) != want {
			return nil, fmt.Errorf("scan found %d accounts, want %d", len(got), want)
		}
		s := m.Snapshot()
		*maxPerScan = max(*maxPerScan, s.MaxScan)
		lm := listMethod{Method: methodScanFirst, Type: string(typ), Pending: pending, Returned: len(got),
			ItemsRead: s.Scanned, Capacity: s.Capacity, Calls: s.Calls, Latency: summarize(times)}
		if whole {
			lm.Method = methodScanAll
			same := sameAccounts(got, page.Accounts)
			lm.SamePage = &same
			if !same {
				return nil, fmt.Errorf("the oldest %d pending accounts found by Scan are not the page ListPending returned", want)
			}
		}
		out = append(out, lm)
	}
	return out, nil
}

// item is a raw DynamoDB item, as the naive Scan reads it.
type item = map[string]types.AttributeValue

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// scanLimit is the Limit of every Scan call. DynamoDB ends a Scan call at 1 MB of data
// read; DynamoDB Local without a Limit takes seconds per call on a 100k-item table
// (measured: 3 to 5 s for one 1 MB page, against 0.3 s with a Limit), an emulator
// artifact that would blow the time budget. A Limit above the number of items 1 MB
// holds (about 1,580 of these accounts) leaves every call ending at 1 MB as before, so
// the items read are those of a Scan without Limit; scanPending reports any call that
// the Limit did end.
const scanLimit = 2000

// scanPending is the naive list without an index: Scan the table with a filter on
// state and type, 1 MB per call as DynamoDB pages it. Unless whole, it stops as soon as
// it has a page of matches, which are then in no useful order; with whole it reads the
// table to the end and returns the oldest pageSize matches, the page ListPending
// returns.
func scanPending(ctx context.Context, c *dynamodb.Client, typ kyc.AccountType, whole bool) ([]item, error) {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(listTable),
		Limit:                     aws.Int32(scanLimit),
		FilterExpression:          aws.String("#state = :state AND #type = :type"),
		ExpressionAttributeNames:  map[string]string{"#state": "State", "#type": "Type"},
		ExpressionAttributeValues: item{":state": sv(string(kyc.StatePendingReview)), ":type": sv(string(typ))},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	var matches []item
	for {
		out, err := c.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		if out.ScannedCount >= scanLimit && out.LastEvaluatedKey != nil {
			return nil, fmt.Errorf("a Scan call ended at its Limit of %d items before 1 MB: raise scanLimit", scanLimit)
		}
		matches = append(matches, out.Items...)
		if !whole && len(matches) >= pageSize {
			return matches[:pageSize], nil
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if !whole {
		return matches, nil
	}
	sk := func(it item) string {
		v, _ := it[dynamo.AttrPendingSK].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	sort.Slice(matches, func(i, j int) bool { return sk(matches[i]) < sk(matches[j]) })
	return matches[:min(pageSize, len(matches))], nil
}

func sameAccounts(items []item, accounts []kyc.Account) bool {
	if len(items) != len(accounts) {
		return false
	}
	for i, it := range items {
		id, _ := it["ID"].(*types.AttributeValueMemberS)
		if id == nil || id.Value != accounts[i].ID {
			return false
		}
	}
	return true
}

// seedList writes accounts lo..hi-1 with Store.PutAccountsForLoad (25 a call, writers
// goroutines), newPersonal + newCompany of them pending and spread evenly over the range,
// the rest APPROVED, REJECTED or UNVERIFIED. It returns the plan: account i as written.
func seedList(ctx context.Context, store *dynamo.Store, lo, hi, newPersonal, newCompany int, base time.Time, writers int) (func(int) kyc.Account, error) {
	pending := map[int]kyc.AccountType{}
	if k := newPersonal + newCompany; k > 0 {
		step := float64(hi-lo) / float64(k)
		for j := range k {
			typ := kyc.PersonalAccount
			if j*newCompany/k != (j+1)*newCompany/k { // exactly newCompany of k, spread evenly
				typ = kyc.CompanyAccount
			}
			pending[lo+int(step*float64(j)+step/2)] = typ
		}
	}
	nCompany := 0
	for _, t := range pending {
		if t == kyc.CompanyAccount {
			nCompany++
		}
	}
	if len(pending) != newPersonal+newCompany || nCompany != newCompany {
		return nil, fmt.Errorf("seed: pending plan has %d accounts, want %d", len(pending), newPersonal+newCompany)
	}
	plan := func(i int) kyc.Account {
		at := base.Add(time.Duration(i) * time.Second)
		if typ, ok := pending[i]; ok {
			return benchAccount(i, typ, kyc.StatePendingReview, at)
		}
		typ := kyc.PersonalAccount
		if i%2 == 1 {
			typ = kyc.CompanyAccount
		}
		state := kyc.StateApproved // 60% approved, 20% rejected, 20% not yet submitted
		switch i % 10 {
		case 6, 7:
			state = kyc.StateRejected
		case 8, 9:
			state = kyc.StateUnverified
		}
		return benchAccount(i, typ, state, at)
	}

	const chunk = 25
	chunks := (hi - lo + chunk - 1) / chunk
	var written atomic.Int64
	next := time.Now().Add(10 * time.Second)
	var mu sync.Mutex
	err := parallel(chunks, writers, func(c int) error {
		first := lo + c*chunk
		as := make([]kyc.Account, 0, chunk)
		for i := first; i < min(first+chunk, hi); i++ {
			as = append(as, plan(i))
		}
		if err := store.PutAccountsForLoad(ctx, as); err != nil {
			return err
		}
		w := written.Add(int64(len(as)))
		mu.Lock()
		if time.Now().After(next) {
			progress("list: ... %d of %d written", w, hi-lo)
			next = time.Now().Add(10 * time.Second)
		}
		mu.Unlock()
		return nil
	})
	return plan, err
}
