package dynamo_test

// The store at the edges of what DynamoDB does (engines_test.go checks the engines
// themselves): pages cut at 1 MB, cursors against the engine's own keys, nanosecond
// counter windows, items over 400 KB, empty keys, and transaction conflicts, which no
// engine here produces and are therefore injected.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// bigAccounts creates n accounts of typ whose Address alone is about 100 KB and moves each
// through SUBMITTED (at minute i) and, if pending, on to PENDING_REVIEW.
func bigAccounts(t *testing.T, s kyc.Store, n int, typ kyc.AccountType, pending bool) []kyc.Account {
	t.Helper()
	base := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
	var out []kyc.Account
	for i := range n {
		u, a := mkUser(100+i, typ)
		a.Address = strings.Repeat("a", 100_000)
		if _, err := s.CreateUser(t.Context(), u, a); err != nil {
			t.Fatalf("CreateUser %d: %v", i, err)
		}
		a.Version = 1
		at := base.Add(time.Duration(i) * time.Minute)
		a = move(t, s, a, kyc.StateSubmitted, at)
		if pending {
			a = move(t, s, a, kyc.StatePendingReview, at)
		}
		out = append(out, a)
	}
	return out
}

func accountIDs(as []kyc.Account) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

// TestListPendingAcrossOneMegabyte: a Query returns at most 1 MB, so 14 accounts of 100 KB
// do not fit one page of 20. ListPending then returns a short page with a cursor that
// continues after its last account; walking on lists every account once, in order.
// ListSubmittedBefore follows LastEvaluatedKey itself. The engines differ on where the
// 1 MB cut falls: DynamoDB Local returns the item that crosses 1 MB (11 here), dynoxide
// stops before it (10); the store does not depend on either.
func TestListPendingAcrossOneMegabyte(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.countingStore(d.table(t))
		ctx := t.Context()
		const n = 14
		want := bigAccounts(t, s, n, kyc.PersonalAccount, true)
		firstPage := map[testenv.Engine]int{testenv.DynamoDBLocal: 11, testenv.Dynoxide: 10}[d.id]
		var got []kyc.Account
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatal("the cursor does not advance")
			}
			page, err := s.ListPending(ctx, kyc.PersonalAccount, 20, cursor)
			if err != nil {
				t.Fatalf("ListPending page %d: %v", pages, err)
			}
			if page.Total != n {
				t.Errorf("page %d: Total %d, want %d", pages, page.Total, n)
			}
			if pages == 0 && (len(page.Accounts) != firstPage || page.NextCursor == "") {
				t.Errorf("first page: %d accounts, cursor %q; want %d (the 1 MB cut of %s) and a cursor",
					len(page.Accounts), page.NextCursor, firstPage, d.name)
			}
			got = append(got, page.Accounts...)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if !slices.Equal(accountIDs(got), accountIDs(want)) {
			t.Errorf("walking the pages listed %v, want %v", accountIDs(got), accountIDs(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i].Address != want[i].Address || got[i].Version != want[i].Version {
				t.Errorf("listed account %s is not the stored one", got[i].ID)
			}
		}

		s2 := d.countingStore(d.table(t))
		submitted := bigAccounts(t, s2, n, kyc.CompanyAccount, false)
		s2.take()
		list, err := s2.ListSubmittedBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
		if err != nil {
			t.Fatalf("ListSubmittedBefore: %v", err)
		}
		if !slices.Equal(accountIDs(list), accountIDs(submitted)) {
			t.Errorf("ListSubmittedBefore across 1 MB: %v, want %v", accountIDs(list), accountIDs(submitted))
		}
		if calls := s2.take(); !slices.Equal(calls, []string{"Query", "Query"}) {
			t.Errorf("ListSubmittedBefore across 1 MB: calls %v, want two Queries", calls)
		}
	})
}

// TestListPendingCursorMatchesEngine: the start key ListPending rebuilds from its cursor
// lands where the engine's own LastEvaluatedKey does: for several page sizes, the store's
// pages are the pages of a bare Query that follows LastEvaluatedKey (less the empty page
// DynamoDB ends with when the last page is full).
func TestListPendingCursorMatchesEngine(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := dynamo.New(d.client, table)
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		for i, minute := range []int{5, 3, 3, 9, 1, 7, 3} { // three at one instant
			u, a := mkUser(i, kyc.CompanyAccount)
			if _, err := s.CreateUser(ctx, u, a); err != nil {
				t.Fatal(err)
			}
			a.Version = 1
			when := at.Add(time.Duration(minute) * time.Minute)
			move(t, s, move(t, s, a, kyc.StateSubmitted, when), kyc.StatePendingReview, when)
		}
		for _, limit := range []int{1, 2, 3, 7} {
			var store, engine [][]string
			cursor := ""
			for {
				page, err := s.ListPending(ctx, kyc.CompanyAccount, limit, cursor)
				if err != nil {
					t.Fatalf("ListPending limit %d: %v", limit, err)
				}
				store = append(store, accountIDs(page.Accounts))
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			var start map[string]types.AttributeValue
			for {
				out, err := d.client.Query(ctx, &dynamodb.QueryInput{
					TableName: aws.String(table), IndexName: aws.String(dynamo.GSIPending),
					// The accounts only: the pending counter heads the partition.
					KeyConditionExpression:    aws.String("#pk = :pk AND #sk > :count"),
					ExpressionAttributeNames:  map[string]string{"#pk": dynamo.AttrPendingPK, "#sk": dynamo.AttrPendingSK},
					ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("PENDING#" + string(kyc.CompanyAccount)), ":count": str(dynamo.PendingCountSK)},
					Limit:                     aws.Int32(int32(limit)), ExclusiveStartKey: start,
				})
				if err != nil {
					t.Fatalf("Query limit %d: %v", limit, err)
				}
				var ids []string
				for _, it := range out.Items {
					ids = append(ids, it["ID"].(*types.AttributeValueMemberS).Value)
				}
				if len(ids) > 0 {
					engine = append(engine, ids)
				}
				if start = out.LastEvaluatedKey; start == nil {
					break
				}
			}
			if fmt.Sprint(store) != fmt.Sprint(engine) {
				t.Errorf("limit %d: ListPending pages %v, the engine's pages %v", limit, store, engine)
			}
		}
	})
}

// TestCounterWindowToTheNanosecond: a counter window ends at its exact expiry, to the
// nanosecond, both in the engine (Incr's condition compares 19-digit numbers) and in the
// store (Counter): one nanosecond before the end the window still counts.
func TestCounterWindowToTheNanosecond(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		ctx := t.Context()
		start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		end := start.Add(10*time.Second + 1) // an odd nanosecond
		step := func(what string, got int64, err error, want int64) {
			t.Helper()
			if err != nil || got != want {
				t.Errorf("%s: %d, %v; want %d", what, got, err, want)
			}
		}
		v, err := s.Incr(ctx, "k", start, end)
		step("Incr opening the window", v, err, 1)
		v, err = s.Incr(ctx, "k", end.Add(-time.Nanosecond), end.Add(time.Hour))
		step("Incr a nanosecond before the end", v, err, 2)
		v, err = s.Counter(ctx, "k", end.Add(-time.Nanosecond))
		step("Counter a nanosecond before the end", v, err, 2)
		v, err = s.Counter(ctx, "k", end)
		step("Counter at the end", v, err, 0)
		v, err = s.Incr(ctx, "k", end, end.Add(time.Minute))
		step("Incr at the end (a new window)", v, err, 1)
	})
}

// TestItemTooLarge: an account over DynamoDB's 400 KB item limit is refused by both
// engines, and the refusal writes nothing: not the user, phone or account of a
// CreateUser, not the audit record or pending count of a Transition.
func TestItemTooLarge(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		ctx := t.Context()
		huge := strings.Repeat("x", 410_000)

		u, a := mkUser(1, kyc.PersonalAccount)
		a.Address = huge
		if _, err := s.CreateUser(ctx, u, a); err == nil || kyc.IsCode(err, kyc.EEXISTS) {
			t.Errorf("CreateUser with a 410 KB account: %v, want an error that is not %s", err, kyc.EEXISTS)
		}
		if _, err := s.GetUser(ctx, u.ID); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("GetUser after the refused CreateUser: %v, want %s", err, kyc.ENOTFOUND)
		}
		if _, err := s.GetUserByPhone(ctx, u.Phone); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("GetUserByPhone after the refused CreateUser: %v, want %s", err, kyc.ENOTFOUND)
		}

		u, a = mkUser(2, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		a.Version = 1
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		a = move(t, s, a, kyc.StateSubmitted, at)
		tooBig := a
		tooBig.State = kyc.StatePendingReview
		tooBig.Address = huge
		_, err := s.Transition(ctx, kyc.Transition{Account: tooBig, FromState: a.State, FromVersion: a.Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "transition"}})
		if err == nil || kyc.IsCode(err, kyc.ECONFLICT) || kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("Transition to a 410 KB account: %v, want an error that is neither %s nor %s", err, kyc.ECONFLICT, kyc.ENOTFOUND)
		}
		if got, err := s.GetAccount(ctx, a.ID); err != nil || got.Version != a.Version || got.State != a.State || got.Address != a.Address {
			t.Errorf("account after the refused Transition: version %d %s, %v; want it unchanged", got.Version, got.State, err)
		}
		if recs, err := s.ListAudit(ctx, a.ID); err != nil || len(recs) != 1 {
			t.Errorf("audit trail after the refused Transition: %d records, %v; want the submission's only", len(recs), err)
		}
		if page, err := s.ListPending(ctx, kyc.PersonalAccount, 10, ""); err != nil || page.Total != 0 || len(page.Accounts) != 0 {
			t.Errorf("pending after the refused Transition: Total %d, %d listed, %v; want none", page.Total, len(page.Accounts), err)
		}
	})
}

// TestEmptyKeysNeverSent: DynamoDB refuses an empty string as a key (TestEngineEmptyStrings),
// so every operation given an empty id, key, phone or purpose answers by itself, with the
// documented domain result, and makes no call.
func TestEmptyKeysNeverSent(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.countingStore(d.table(t))
		ctx := t.Context()
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		u, a := mkUser(1, kyc.PersonalAccount)
		noID, noPhone, noAccount := u, u, a
		noID.ID, noPhone.Phone, noAccount.ID = "", "", ""
		code := kyc.SMSCode{Phone: "p1", Purpose: kyc.PurposeRegister, CodeHash: "h", ExpiresAt: now.Add(time.Minute)}
		noCodePhone, noPurpose := code, code
		noCodePhone.Phone, noPurpose.Purpose = "", ""
		second := func(_ any, err error) error { return err }
		change := func(u kyc.User) (kyc.User, bool, error) {
			t.Errorf("ChangeUser called change for an empty user id")
			return u, true, nil
		}
		decide := func([]int64, string) (int, bool, error) {
			t.Errorf("CountAndPutCode called decide for a code without a key")
			return 0, true, nil
		}
		cases := []struct {
			name string
			err  error
			want string
		}{
			{"GetUser", second(s.GetUser(ctx, "")), kyc.ENOTFOUND},
			{"GetUserByPhone", second(s.GetUserByPhone(ctx, "")), kyc.ENOTFOUND},
			{"GetAccount", second(s.GetAccount(ctx, "")), kyc.ENOTFOUND},
			{"UpdateUser", second(s.UpdateUser(ctx, noID)), kyc.ENOTFOUND},
			{"CreateUser without a user id", second(s.CreateUser(ctx, noID, a)), kyc.EMISSING},
			{"CreateUser without a phone", second(s.CreateUser(ctx, noPhone, a)), kyc.EMISSING},
			{"CreateUser without an account id", second(s.CreateUser(ctx, u, noAccount)), kyc.EMISSING},
			{"Transition", second(s.Transition(ctx, kyc.Transition{Account: noAccount, FromState: kyc.StateUnverified, FromVersion: 1})), kyc.ENOTFOUND},
			{"IdentityOwner", second(s.IdentityOwner(ctx, kyc.PersonalAccount, "")), kyc.ENOTFOUND},
			{"PutSession", s.PutSession(ctx, kyc.Session{UserID: "u1", ExpiresAt: now}), kyc.EMISSING},
			{"PutSession without a user", s.PutSession(ctx, kyc.Session{TokenHash: "h", ExpiresAt: now}), kyc.EMISSING},
			{"GetSession", second(s.GetSession(ctx, "", now)), kyc.ENOTFOUND},
			{"DeleteSession", s.DeleteSession(ctx, ""), ""},
			{"ChangeUser", second(s.ChangeUser(ctx, "", change)), kyc.ENOTFOUND},
			{"ResetPassword without a phone", second(s.ResetPassword(ctx, "", code.CodeHash, "u1", "hash", now)), kyc.EBADCODE},
			{"ResetPassword without a user", second(s.ResetPassword(ctx, code.Phone, code.CodeHash, "", "hash", now)), kyc.ENOTFOUND},
			{"AppendAudit", s.AppendAudit(ctx, kyc.AuditRecord{At: now, Action: "read"}), kyc.EMISSING},
			{"ListAudit", second(s.ListAudit(ctx, "")), ""},
			{"Counter", second(s.Counter(ctx, "", now)), ""},
			{"Incr", second(s.Incr(ctx, "", now, now.Add(time.Minute))), kyc.EINTERNAL},
			{"CountAndPutCode without a phone", s.CountAndPutCode(ctx, noCodePhone, nil, nil, now, decide), kyc.EMISSING},
			{"CountAndPutCode without a purpose", s.CountAndPutCode(ctx, noPurpose, nil, nil, now, decide), kyc.EMISSING},
			{"TryCode without a phone", second(s.TryCode(ctx, "", code.Purpose, code.CodeHash, now)), kyc.EBADCODE},
			{"TryCode without a purpose", second(s.TryCode(ctx, code.Phone, "", code.CodeHash, now)), kyc.EBADCODE},
			{"PutUpload", s.PutUpload(ctx, kyc.Upload{AccountID: "a1", ExpiresAt: now}), kyc.EMISSING},
			{"GetUpload", second(s.GetUpload(ctx, "", now)), kyc.ENOTFOUND},
		}
		for _, c := range cases {
			if got := kyc.ErrorCode(c.err); got != c.want || apiCode(c.err) != "" {
				t.Errorf("%s with an empty key: %v (code %q), want code %q from the store itself", c.name, c.err, got, c.want)
			}
		}
		if calls := s.take(); len(calls) != 0 {
			t.Errorf("operations with empty keys made calls %v, want none", calls)
		}
	})
}

// conflictInjector makes a client's TransactWriteItems calls fail, before they are sent,
// with the cancellation DynamoDB returns when transactions on one item overlap: reasons
// from reasonsFor (nil lets the call through). It counts the calls made and sent.
type conflictInjector struct {
	mu         sync.Mutex
	calls      int
	sent       int
	reasonsFor func(call int, items int) []string
}

func (ci *conflictInjector) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("injectConflicts",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				p, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
				if !ok {
					return next.HandleInitialize(ctx, in)
				}
				ci.mu.Lock()
				ci.calls++
				codes := ci.reasonsFor(ci.calls, len(p.TransactItems))
				if codes == nil {
					ci.sent++
				}
				ci.mu.Unlock()
				if codes == nil {
					return next.HandleInitialize(ctx, in)
				}
				reasons := make([]types.CancellationReason, len(codes))
				for i, c := range codes {
					reasons[i] = types.CancellationReason{Code: aws.String(c)}
				}
				return middleware.InitializeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
					Message:             aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"),
					CancellationReasons: reasons,
				}
			}), middleware.Before)
	})
}

// conflicts returns reasons that cancel the first n calls for a TransactionConflict on the
// last item (where the pending counter is) and no other reason.
func conflicts(n int) func(call, items int) []string {
	return func(call, items int) []string {
		if call > n {
			return nil
		}
		codes := make([]string, items)
		for i := range codes {
			codes[i] = "None"
		}
		codes[items-1] = "TransactionConflict"
		return codes
	}
}

// TestTransactRetriesConflicts: a transaction cancelled only by TransactionConflict (real
// DynamoDB's answer to overlapping transactions, which neither engine gives:
// TestEngineNoTransactionConflicts) is sent again, a few times; one whose reasons also
// include a failed condition is answered at once; and one that keeps conflicting fails
// having written nothing.
func TestTransactRetriesConflicts(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		plain := dynamo.New(d.client, table)
		ctx := t.Context()
		injected := func(reasons func(call, items int) []string) (*dynamo.Store, *conflictInjector) {
			ci := &conflictInjector{reasonsFor: reasons}
			return dynamo.New(dynamodb.New(d.client.Options(), ci.option), table), ci
		}
		wantCalls := func(what string, ci *conflictInjector, calls, sent int) {
			t.Helper()
			if ci.calls != calls || ci.sent != sent {
				t.Errorf("%s: %d TransactWriteItems calls, %d sent; want %d and %d", what, ci.calls, ci.sent, calls, sent)
			}
		}

		s, ci := injected(conflicts(2))
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatalf("CreateUser after 2 conflicts: %v", err)
		}
		wantCalls("CreateUser after 2 conflicts", ci, 3, 1)
		a.Version = 1
		at := time.Date(2025, 6, 1, 1, 0, 0, 0, time.UTC)
		a = move(t, plain, a, kyc.StateSubmitted, at)

		s, ci = injected(conflicts(3))
		a = move(t, s, a, kyc.StatePendingReview, at)
		wantCalls("Transition after 3 conflicts", ci, 4, 1)
		if page, err := plain.ListPending(ctx, kyc.PersonalAccount, 10, ""); err != nil || page.Total != 1 {
			t.Errorf("pending Total after the retried Transition: %d, %v; want 1", page.Total, err)
		}

		// A conflict and a failed condition: the condition decides, with no retry.
		s, ci = injected(func(call, items int) []string {
			if call > 1 {
				return nil
			}
			codes := conflicts(1)(call, items)
			codes[0] = "ConditionalCheckFailed"
			return codes
		})
		if _, err := s.CreateUser(ctx, u, a); !kyc.IsCode(err, kyc.EEXISTS) {
			t.Errorf("CreateUser cancelled for a failed condition and a conflict: %v, want %s", err, kyc.EEXISTS)
		}
		wantCalls("CreateUser cancelled for a failed condition and a conflict", ci, 1, 0)

		// Conflicts that never end: the retries are bounded and nothing is written.
		s, ci = injected(conflicts(1000))
		approved := a
		approved.State = kyc.StateApproved
		_, err := s.Transition(ctx, kyc.Transition{Account: approved, FromState: a.State, FromVersion: a.Version,
			Audit: kyc.AuditRecord{At: at, Actor: "system", Action: "transition"}})
		if err == nil {
			t.Fatal("Transition under endless conflicts succeeded")
		}
		if ci.calls < 2 || ci.calls > 10 || ci.sent != 0 {
			t.Errorf("Transition under endless conflicts: %d calls, %d sent; want a few retries", ci.calls, ci.sent)
		}
		if got, err := plain.GetAccount(ctx, a.ID); err != nil || got.State != kyc.StatePendingReview || got.Version != a.Version {
			t.Errorf("account after endless conflicts: %s v%d, %v; want it unchanged", got.State, got.Version, err)
		}
	})
}
