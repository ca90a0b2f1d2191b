package storetest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// walk reads every page of ListPending with the given limit and checks the page shape:
// full pages while there is more, the Total on every page, a cursor exactly when more
// follows, and cursors that survive a query string unescaped.
func walk(t *testing.T, s kyc.Store, typ kyc.AccountType, limit int, total int64) []kyc.Account {
	t.Helper()
	var all []kyc.Account
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatalf("ListPending %s limit %d: more than 200 pages; the cursor does not advance", typ, limit)
		}
		page, err := s.ListPending(t.Context(), typ, limit, cursor)
		if err != nil {
			t.Fatalf("ListPending %s limit %d page %d: %v", typ, limit, pages, err)
		}
		if page.Total != total {
			t.Errorf("ListPending %s limit %d page %d: Total %d, want %d", typ, limit, pages, page.Total, total)
		}
		if len(page.Accounts) > limit {
			t.Fatalf("ListPending %s limit %d page %d: %d accounts", typ, limit, pages, len(page.Accounts))
		}
		all = append(all, page.Accounts...)
		if page.NextCursor == "" {
			return all
		}
		if len(page.Accounts) != limit {
			t.Errorf("ListPending %s limit %d page %d: a short page (%d) that is not the last", typ, limit, pages, len(page.Accounts))
		}
		if url.QueryEscape(page.NextCursor) != page.NextCursor {
			t.Errorf("ListPending: cursor %q needs escaping in a URL", page.NextCursor)
		}
		cursor = page.NextCursor
	}
}

func ids(accounts []kyc.Account) []string {
	out := make([]string, len(accounts))
	for i, a := range accounts {
		out[i] = a.ID
	}
	return out
}

// byID orders accounts by id, to compare lists whose order is checked apart or free.
var byID = cmpopts.SortSlices(func(a, b kyc.Account) bool { return a.ID < b.ID })

// checkPending checks the whole pending list of a type: exactly the accounts of want, each
// once and whole (not index stubs), oldest SubmittedAt first (ties in any order), all
// PENDING_REVIEW of that type.
func checkPending(t *testing.T, s kyc.Store, typ kyc.AccountType, limit int, want []kyc.Account) {
	t.Helper()
	got := walk(t, s, typ, limit, int64(len(want)))
	if d := diff(want, got, byID); d != "" {
		t.Fatalf("ListPending %s limit %d: listed %v, want each of %v exactly once, as stored (-want +got):\n%s", typ, limit, ids(got), ids(want), d)
	}
	for i, a := range got {
		if a.State != kyc.StatePendingReview || a.Type != typ {
			t.Errorf("ListPending %s: %s is %s %s", typ, a.ID, a.Type, a.State)
		}
		if i > 0 && a.SubmittedAt.Before(got[i-1].SubmittedAt) {
			t.Errorf("ListPending %s limit %d: %s (submitted %s) after %s (submitted %s): not oldest first",
				typ, limit, a.ID, a.SubmittedAt, got[i-1].ID, got[i-1].SubmittedAt)
		}
	}
}

func testPendingEmpty(t *testing.T, s kyc.Store) {
	for _, typ := range []kyc.AccountType{kyc.PersonalAccount, kyc.CompanyAccount} {
		page, err := s.ListPending(t.Context(), typ, 10, "")
		if err != nil {
			t.Fatalf("ListPending %s on an empty store: %v", typ, err)
		}
		wantSame(t, fmt.Sprintf("ListPending %s on an empty store", typ), kyc.PendingPage{}, page)
	}
}

func testPendingTotal(t *testing.T, s kyc.Store) {
	p1 := create(t, s, 1, kyc.PersonalAccount)
	p2 := create(t, s, 2, kyc.PersonalAccount)
	p3 := create(t, s, 3, kyc.PersonalAccount)
	c1 := create(t, s, 4, kyc.CompanyAccount)
	check := func(step string, personal, company []kyc.Account) {
		t.Helper()
		t.Run(step, func(t *testing.T) {
			checkPending(t, s, kyc.PersonalAccount, 10, personal)
			checkPending(t, s, kyc.CompanyAccount, 10, company)
		})
	}
	check("none", nil, nil)

	p1 = mustPending(t, s, p1, 10)
	check("one personal", []kyc.Account{p1}, nil)
	p2 = mustPending(t, s, p2, 20)
	c1 = mustPending(t, s, c1, 30)
	check("two personal one company", []kyc.Account{p1, p2}, []kyc.Account{c1})
	mustSubmit(t, s, p3, 40)
	check("a SUBMITTED account is not pending", []kyc.Account{p1, p2}, []kyc.Account{c1})

	approve := next(p1, kyc.StateApproved, 50)
	mustApply(t, s, approve)
	check("approved leaves", []kyc.Account{p2}, []kyc.Account{c1})

	reject := next(p2, kyc.StateRejected, 60)
	reject.Account.RejectType = kyc.RejectRetry
	reject.Account.Reasons = []string{"blurred"}
	p2 = mustApply(t, s, reject)
	check("rejected leaves", nil, []kyc.Account{c1})

	// A resubmission joins the queue again with its new submission time.
	resubmit := next(p2, kyc.StateSubmitted, 70)
	resubmit.Account.SubmittedAt = At(70)
	p2 = mustApply(t, s, resubmit)
	p2 = mustApply(t, s, next(p2, kyc.StatePendingReview, 71))
	check("resubmitted joins", []kyc.Account{p2}, []kyc.Account{c1})
}

func testPendingOrderAndPages(t *testing.T, s kyc.Store) {
	var personal, company []kyc.Account
	// Eight personal accounts submitted out of order, two at the same instant; two more below.
	for i, minute := range []int{50, 20, 70, 10, 30, 60, 40, 30} {
		personal = append(personal, mustPending(t, s, create(t, s, i+1, kyc.PersonalAccount), minute))
	}
	// Older accounts that must not be listed: not yet pending, or already decided.
	mustSubmit(t, s, create(t, s, 9, kyc.PersonalAccount), 1)
	mustSubmit(t, s, create(t, s, 10, kyc.PersonalAccount), 2)
	decided := mustPending(t, s, create(t, s, 11, kyc.PersonalAccount), 3)
	mustApply(t, s, next(decided, kyc.StateApproved, 90))
	decided = mustPending(t, s, create(t, s, 12, kyc.PersonalAccount), 4)
	mustApply(t, s, next(decided, kyc.StateRejected, 90))
	create(t, s, 13, kyc.PersonalAccount)
	// Two a millisecond apart, the later one with the smaller id: order is by time first,
	// to the millisecond.
	for i, at := range []time.Time{At(45).Add(time.Millisecond), At(45)} {
		a := mustSubmit(t, s, create(t, s, 17+i, kyc.PersonalAccount), 44)
		tr := next(a, kyc.StatePendingReview, 46)
		tr.Account.SubmittedAt = at
		personal = append(personal, mustApply(t, s, tr))
	}
	for i, minute := range []int{5, 25, 80} {
		company = append(company, mustPending(t, s, create(t, s, 14+i, kyc.CompanyAccount), minute))
	}

	for _, limit := range []int{1, 2, 3, 4, 5, 9, 10, 11, 100} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			checkPending(t, s, kyc.PersonalAccount, limit, personal)
		})
	}
	checkPending(t, s, kyc.CompanyAccount, 2, company)
}

func testPendingCursorSurvivesDecision(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	var p []kyc.Account
	for i := range 5 {
		p = append(p, mustPending(t, s, create(t, s, i+1, kyc.PersonalAccount), 10*(i+1)))
	}
	// A cursor is opaque: a page is compared whole but for it, and it must be there.
	anyCursor := cmpopts.IgnoreFields(kyc.PendingPage{}, "NextCursor")
	page1, err := s.ListPending(ctx, kyc.PersonalAccount, 2, "")
	if err != nil {
		t.Fatalf("ListPending: %v", err)
	}
	wantSame(t, "first page", kyc.PendingPage{Accounts: p[:2], Total: 5}, page1, anyCursor)
	if page1.NextCursor == "" {
		t.Fatal("first page: no cursor")
	}
	// The reviewer decides the last account of the page, then reads on.
	mustApply(t, s, next(p[1], kyc.StateApproved, 100))
	page2, err := s.ListPending(ctx, kyc.PersonalAccount, 2, page1.NextCursor)
	if err != nil {
		t.Fatalf("ListPending page 2 after the cursor's account left the queue: %v", err)
	}
	// A listing's total is the count when it began: a later page repeats it (its cursor
	// carries it), and a new listing sees the decision.
	wantSame(t, "second page", kyc.PendingPage{Accounts: p[2:4], Total: 5}, page2, anyCursor)
	if page2.NextCursor == "" {
		t.Fatal("second page: no cursor")
	}
	page3, err := s.ListPending(ctx, kyc.PersonalAccount, 2, page2.NextCursor)
	if err != nil {
		t.Fatalf("ListPending page 3: %v", err)
	}
	wantSame(t, "third page", kyc.PendingPage{Accounts: p[4:], Total: 5}, page3)
	again, err := s.ListPending(ctx, kyc.PersonalAccount, 2, "")
	if err != nil {
		t.Fatalf("ListPending again: %v", err)
	}
	if again.Total != 4 {
		t.Errorf("a new listing after the decision: total %d, want 4", again.Total)
	}
}

func testPendingLimits(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	const n = MaxPageLimit + 1
	// Distinct submission times in id order, so the queue's order is the creation order.
	all := createMany(t, s, 1, n, kyc.PersonalAccount, func(a kyc.Account) (kyc.Account, error) {
		return toPending(ctx, s, a, numberOf(a))
	})
	anyCursor := cmpopts.IgnoreFields(kyc.PendingPage{}, "NextCursor")

	for _, limit := range []int{0, -1} {
		page, err := s.ListPending(ctx, kyc.PersonalAccount, limit, "")
		if err != nil {
			t.Fatalf("ListPending limit %d: %v", limit, err)
		}
		wantSame(t, fmt.Sprintf("ListPending limit %d: the oldest %d", limit, DefaultPageLimit),
			kyc.PendingPage{Accounts: all[:DefaultPageLimit], Total: n}, page, anyCursor)
		if page.NextCursor == "" {
			t.Errorf("ListPending limit %d: no cursor", limit)
		}
	}
	for _, limit := range []int{MaxPageLimit, MaxPageLimit + 1, 1000} {
		page, err := s.ListPending(ctx, kyc.PersonalAccount, limit, "")
		if err != nil {
			t.Fatalf("ListPending limit %d: %v", limit, err)
		}
		if d := diff(kyc.PendingPage{Accounts: all[:MaxPageLimit], Total: n}, page, anyCursor); d != "" || page.NextCursor == "" {
			t.Fatalf("ListPending limit %d: want the oldest %d, Total %d and a cursor; cursor %q, (-want +got):\n%s", limit, MaxPageLimit, n, page.NextCursor, d)
		}
		rest, err := s.ListPending(ctx, kyc.PersonalAccount, limit, page.NextCursor)
		if err != nil {
			t.Fatalf("ListPending limit %d page 2: %v", limit, err)
		}
		wantSame(t, fmt.Sprintf("ListPending limit %d page 2", limit), kyc.PendingPage{Accounts: all[MaxPageLimit:], Total: n}, rest)
	}
}

// numberOf recovers n from AccountID(n).
func numberOf(a kyc.Account) int {
	var n int
	_, _ = fmt.Sscanf(a.ID, "acct-%d", &n)
	return n
}

func testPendingBadCursor(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	var personal, company []kyc.Account
	for i := range 3 {
		personal = append(personal, mustPending(t, s, create(t, s, i+1, kyc.PersonalAccount), 10*(i+1)))
		company = append(company, mustPending(t, s, create(t, s, i+4, kyc.CompanyAccount), 10*(i+1)))
	}
	first := func(typ kyc.AccountType) string {
		page, err := s.ListPending(ctx, typ, 1, "")
		if err != nil || page.NextCursor == "" {
			t.Fatalf("ListPending %s: cursor %q, %v", typ, page.NextCursor, err)
		}
		return page.NextCursor
	}
	pc, cc := first(kyc.PersonalAccount), first(kyc.CompanyAccount)

	// The cursors are good for their own type.
	for _, c := range []struct {
		typ    kyc.AccountType
		cursor string
		want   kyc.Account
	}{{kyc.PersonalAccount, pc, personal[1]}, {kyc.CompanyAccount, cc, company[1]}} {
		page, err := s.ListPending(ctx, c.typ, 1, c.cursor)
		if err != nil {
			t.Fatalf("ListPending %s with its own cursor: %v", c.typ, err)
		}
		if d := diff([]kyc.Account{c.want}, page.Accounts); d != "" {
			t.Fatalf("ListPending %s with its own cursor (-want +got):\n%s", c.typ, d)
		}
	}

	type bad struct {
		name   string
		typ    kyc.AccountType
		cursor string
	}
	cases := []bad{
		{"company cursor for personal", kyc.PersonalAccount, cc},
		{"personal cursor for company", kyc.CompanyAccount, pc},
		{"garbage", kyc.PersonalAccount, "garbage"},
		{"not base64", kyc.PersonalAccount, "!!!!"},
		{"one character", kyc.PersonalAccount, "a"},
		{"long", kyc.PersonalAccount, strings.Repeat("A", 4096)},
		{"NUL", kyc.PersonalAccount, "\x00"},
		{"JSON", kyc.PersonalAccount, `{"id":"acct-0002"}`},
		{"spaces", kyc.PersonalAccount, " " + pc},
		{"truncated by one", kyc.PersonalAccount, pc[:len(pc)-1]},
		{"truncated by half", kyc.PersonalAccount, pc[:len(pc)/2]},
		{"extended", kyc.PersonalAccount, pc + "A"},
		{"padded", kyc.PersonalAccount, pc + "="},
		{"doubled", kyc.PersonalAccount, pc + pc},
	}
	// Every position, changed twice: to another letter, and to the base64url digit one bit
	// away, which a decoder that ignores the unused low bits of the last digit would miss.
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range pc {
		swaps := []byte{'A'}
		if pc[i] == 'A' {
			swaps[0] = 'B'
		}
		if j := strings.IndexByte(b64, pc[i]); j >= 0 && b64[j^1] != swaps[0] {
			swaps = append(swaps, b64[j^1])
		}
		for _, c := range swaps {
			cases = append(cases, bad{fmt.Sprintf("character %d changed to %c", i, c), kyc.PersonalAccount, pc[:i] + string(c) + pc[i+1:]})
		}
	}
	for _, c := range cases {
		page, err := listPendingSafely(ctx, s, c.typ, 1, c.cursor)
		if !kyc.IsCode(err, kyc.EINVALID) || len(page.Accounts) != 0 {
			t.Errorf("ListPending %s with a bad cursor (%s): %v accounts, error %v; want %q", c.typ, c.name, ids(page.Accounts), err, kyc.EINVALID)
		}
	}
}

// listPendingSafely turns a panic into an error so one bad cursor does not hide the rest.
func listPendingSafely(ctx context.Context, s kyc.Store, typ kyc.AccountType, limit int, cursor string) (page kyc.PendingPage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return s.ListPending(ctx, typ, limit, cursor)
}
