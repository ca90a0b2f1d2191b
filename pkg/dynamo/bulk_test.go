package dynamo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// loadAccounts makes n accounts cycling through types and states: every third is a company,
// every other one is PENDING_REVIEW, the rest SUBMITTED or APPROVED. SubmittedAt grows with
// i so that the order the lists must give is the order of i.
func loadAccounts(prefix string, n int) []kyc.Account {
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	out := make([]kyc.Account, n)
	for i := range out {
		typ := kyc.PersonalAccount
		if i%3 == 0 {
			typ = kyc.CompanyAccount
		}
		state := kyc.StatePendingReview
		switch i % 4 {
		case 1:
			state = kyc.StateSubmitted
		case 3:
			state = kyc.StateApproved
		}
		at := base.Add(time.Duration(i) * time.Second)
		out[i] = kyc.Account{
			ID: fmt.Sprintf("%s%03d", prefix, i), OwnerID: fmt.Sprintf("u%s%03d", prefix, i),
			Type: typ, State: state, Name: "name", Attempts: 1,
			Documents:   map[string]kyc.Document{"front": {Key: "k/" + prefix, ContentType: "image/png", Size: 10, UploadedAt: at}},
			SubmittedAt: at, CreatedAt: at, UpdatedAt: at, Version: 3,
		}
	}
	return out
}

// pendingIDs walks every page of ListPending for typ and returns the ids in list order and
// the total of the last page.
func pendingIDs(t *testing.T, s kyc.Store, typ kyc.AccountType) ([]string, int64) {
	t.Helper()
	var ids []string
	var total int64
	cursor := ""
	for {
		page, err := s.ListPending(t.Context(), typ, 7, cursor)
		if err != nil {
			t.Fatalf("ListPending %s: %v", typ, err)
		}
		ids = append(ids, accountIDs(page.Accounts)...)
		total = page.Total
		if page.NextCursor == "" {
			return ids, total
		}
		cursor = page.NextCursor
	}
}

// TestPutAccountsForLoad: accounts loaded in bulk (more than one BatchWriteItem) read back
// whole, appear in the work lists in order with the right totals, and a second load adds
// to the pending counters instead of overwriting them.
func TestPutAccountsForLoad(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		first := loadAccounts("a", 60)
		if err := s.PutAccountsForLoad(t.Context(), first); err != nil {
			t.Fatalf("PutAccountsForLoad: %v", err)
		}
		for _, a := range first {
			got, err := s.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatalf("GetAccount %s: %v", a.ID, err)
			}
			if diff := cmp.Diff(a, got); diff != "" {
				t.Fatalf("account %s read back differs (-loaded +read):\n%s", a.ID, diff)
			}
		}
		second := loadAccounts("b", 30)
		if err := s.PutAccountsForLoad(t.Context(), second); err != nil {
			t.Fatalf("PutAccountsForLoad second: %v", err)
		}
		all := append(append([]kyc.Account{}, first...), second...)
		for _, typ := range []kyc.AccountType{kyc.PersonalAccount, kyc.CompanyAccount} {
			ids, total := pendingIDs(t, s, typ)
			wantIDs := idsOf(all, func(a kyc.Account) bool { return a.Type == typ && a.State == kyc.StatePendingReview })
			if diff := cmp.Diff(wantIDs, inOrder(t, ids, all)); diff != "" {
				t.Errorf("ListPending %s (-want +got):\n%s", typ, diff)
			}
			if total != int64(len(wantIDs)) {
				t.Errorf("ListPending %s total %d, want %d (counters must add up over loads)", typ, total, len(wantIDs))
			}
		}
		cut := first[40].SubmittedAt
		got, err := s.ListSubmittedBefore(t.Context(), cut, 100)
		if err != nil {
			t.Fatalf("ListSubmittedBefore: %v", err)
		}
		wantSub := idsOf(all, func(a kyc.Account) bool { return a.State == kyc.StateSubmitted && !a.SubmittedAt.After(cut) })
		if diff := cmp.Diff(wantSub, inOrder(t, accountIDs(got), all)); diff != "" {
			t.Errorf("ListSubmittedBefore (-want +got):\n%s", diff)
		}
	})
}

// idsOf lists the ids of the accounts that keep selects, ordered by SubmittedAt and then id.
func idsOf(all []kyc.Account, keep func(kyc.Account) bool) []string {
	var ids []string
	for _, a := range all {
		if keep(a) {
			ids = append(ids, a.ID)
		}
	}
	return byTimeThenID(ids, all)
}

// inOrder checks that ids, a list as the store returned it, never goes back in
// SubmittedAt, and returns it ordered by id among accounts submitted at the same instant:
// the index fixes the order of different instants only.
func inOrder(t *testing.T, ids []string, all []kyc.Account) []string {
	t.Helper()
	at := submittedAt(all)
	for i := 1; i < len(ids); i++ {
		if at[ids[i]].Before(at[ids[i-1]]) {
			t.Errorf("list goes back in time at %s after %s", ids[i], ids[i-1])
		}
	}
	return byTimeThenID(ids, all)
}

func submittedAt(all []kyc.Account) map[string]time.Time {
	at := map[string]time.Time{}
	for _, a := range all {
		at[a.ID] = a.SubmittedAt
	}
	return at
}

func byTimeThenID(ids []string, all []kyc.Account) []string {
	at := submittedAt(all)
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b string) int {
		if c := at[a].Compare(at[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// TestPutAccountsForLoadRefuses: an empty load writes nothing and an account without an id
// is refused before anything is written.
func TestPutAccountsForLoadRefuses(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		if err := s.PutAccountsForLoad(t.Context(), nil); err != nil {
			t.Fatalf("PutAccountsForLoad(nil): %v", err)
		}
		as := loadAccounts("c", 3)
		as[2].ID = ""
		if err := s.PutAccountsForLoad(t.Context(), as); err == nil {
			t.Fatal("PutAccountsForLoad with an empty id: no error")
		}
		if _, err := s.GetAccount(t.Context(), as[0].ID); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("GetAccount after a refused load: %v, want ENOTFOUND", err)
		}
		for _, typ := range []kyc.AccountType{kyc.PersonalAccount, kyc.CompanyAccount} {
			if ids, total := pendingIDs(t, s, typ); len(ids) != 0 || total != 0 {
				t.Errorf("ListPending %s after refused loads: %v total %d, want none", typ, ids, total)
			}
		}
	})
}
