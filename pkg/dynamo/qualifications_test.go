package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// qualificationOf is a PENDING certificate of account a made at at, with its audit record.
func qualificationOf(a kyc.Account, n int, at time.Time) (kyc.Qualification, kyc.AuditRecord) {
	d := kyc.Document{Slot: kyc.SlotQualification, Key: fmt.Sprintf("accounts/%s/qualification/doc%d", a.ID, n), ContentType: "image/png", Size: 1234, UploadedAt: at}
	return kyc.NewQualification(fmt.Sprintf("q%d-%s", n, a.ID), a, kyc.Principal{UserID: a.OwnerID, AccountID: a.ID, Role: kyc.RoleUser}, d, at, "req")
}

// TestQualificationStore: the certificates' store methods on both engines, each with the
// calls the routes count on: the submission's read (one BatchGetItem) and write (one
// transaction, refused while one is pending and beyond the limit, writing nothing then),
// the reads (one GetItem each), the list (one Query; a queue of its own, apart from the
// accounts'), and the decision (one transaction, written once).
func TestQualificationStore(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.countingStore(d.table(t))
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		a.Version = 1
		up := kyc.Upload{Key: "uploads/" + a.ID + "/qualification/k1", AccountID: a.ID, UserID: u.ID, Slot: kyc.SlotQualification,
			ContentType: "image/png", Length: 1234, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := s.PutUpload(ctx, up); err != nil {
			t.Fatal(err)
		}
		s.take()
		acct, uploads, current, err := s.GetAccountUploadAndQualification(ctx, a.ID, up.Key, at)
		if err != nil || acct.ID != a.ID || current != nil || len(uploads) != 1 {
			t.Fatalf("read before any certificate: %+v %v %+v %v", acct, uploads, current, err)
		}
		if diff := cmp.Diff(up, uploads[up.Key]); diff != "" {
			t.Fatalf("upload (-want +got):\n%s", diff)
		}
		if calls := s.take(); !slices.Equal(calls, []string{"BatchGetItem"}) {
			t.Fatalf("the submission's read made %v, want one BatchGetItem", calls)
		}

		limit := kyc.Limit{Key: "test-qualifications:" + a.ID, Max: 2, Window: 24 * time.Hour}
		q1, rec1 := qualificationOf(a, 1, at)
		if err := s.PutQualification(ctx, q1, rec1, limit, at); err != nil {
			t.Fatal(err)
		}
		if calls := s.take(); !slices.Equal(calls, []string{"TransactWriteItems"}) {
			t.Fatalf("the submission's write made %v, want one TransactWriteItems", calls)
		}
		for _, get := range []func() (kyc.Qualification, error){
			func() (kyc.Qualification, error) { return s.GetQualification(ctx, q1.ID) },
			func() (kyc.Qualification, error) { return s.GetCurrentQualification(ctx, a.ID) },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(q1, got); diff != "" {
				t.Fatalf("stored certificate (-want +got):\n%s", diff)
			}
			if calls := s.take(); !slices.Equal(calls, []string{"GetItem"}) {
				t.Fatalf("a read made %v, want one GetItem", calls)
			}
		}
		if _, _, cur, err := s.GetAccountUploadAndQualification(ctx, a.ID, "", at); err != nil || cur == nil || cur.ID != q1.ID {
			t.Fatalf("current after the submission: %+v, %v", cur, err)
		}

		// One pending per account: a second is refused and writes nothing.
		q2, rec2 := qualificationOf(a, 2, at.Add(time.Minute))
		if err := s.PutQualification(ctx, q2, rec2, limit, at); !kyc.IsCode(err, kyc.ECONFLICT) {
			t.Fatalf("a second pending certificate: %v, want ECONFLICT", err)
		}
		if _, err := s.GetQualification(ctx, q2.ID); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Fatalf("the refused certificate: %v, want ENOTFOUND", err)
		}

		// The list: its own queue, with its count, apart from the accounts' queues.
		s.take()
		page, err := s.ListPendingQualifications(ctx, 10, "")
		if err != nil || page.Total != 1 || len(page.Qualifications) != 1 || page.NextCursor != "" {
			t.Fatalf("list = %+v, %v", page, err)
		}
		if diff := cmp.Diff(q1, page.Qualifications[0]); diff != "" {
			t.Fatalf("listed certificate (-want +got):\n%s", diff)
		}
		if calls := s.take(); !slices.Equal(calls, []string{"Query"}) {
			t.Fatalf("the list made %v, want one Query", calls)
		}
		if p, err := s.ListPending(ctx, kyc.PersonalAccount, 10, ""); err != nil || p.Total != 0 || len(p.Accounts) != 0 {
			t.Fatalf("the personal accounts' list shows %+v, %v", p, err)
		}

		// The decision: once.
		decided, drec, err := kyc.DecideQualification(q1, false, "expired", kyc.Actor{ID: "reviewer-1", Role: kyc.RoleReviewer}, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		s.take()
		if err := s.DecideQualification(ctx, decided, drec); err != nil {
			t.Fatal(err)
		}
		if calls := s.take(); !slices.Equal(calls, []string{"TransactWriteItems"}) {
			t.Fatalf("the decision made %v, want one TransactWriteItems", calls)
		}
		again, arec, _ := kyc.DecideQualification(q1, true, "", kyc.Actor{ID: "reviewer-2", Role: kyc.RoleReviewer}, at.Add(time.Hour))
		if err := s.DecideQualification(ctx, again, arec); !kyc.IsCode(err, kyc.ECONFLICT) {
			t.Fatalf("a second decision from the same read: %v, want ECONFLICT", err)
		}
		for _, got := range []func() (kyc.Qualification, error){
			func() (kyc.Qualification, error) { return s.GetQualification(ctx, q1.ID) },
			func() (kyc.Qualification, error) { return s.GetCurrentQualification(ctx, a.ID) },
		} {
			q, err := got()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(decided, q); diff != "" {
				t.Fatalf("decided certificate (-want +got):\n%s", diff)
			}
		}
		if page, err := s.ListPendingQualifications(ctx, 10, ""); err != nil || page.Total != 0 || len(page.Qualifications) != 0 {
			t.Fatalf("list after the decision = %+v, %v", page, err)
		}
		trail, err := s.ListAudit(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range trail {
			actions = append(actions, r.Action+":"+string(r.From)+">"+string(r.To)+":"+r.Reason)
		}
		if want := []string{"qualification_submit:>PENDING:", "qualification_decide:PENDING>REJECTED:expired"}; !slices.Equal(actions, want) {
			t.Fatalf("trail %v, want %v", actions, want)
		}
		if acct, err := s.GetAccount(ctx, a.ID); err != nil || acct.Version != a.Version || acct.State != kyc.StateUnverified {
			t.Fatalf("the account after its certificate: %+v, %v", acct, err)
		}

		// The limit: the second of two a window is stored, the third refused, writing nothing.
		if err := s.PutQualification(ctx, q2, rec2, limit, at); err != nil {
			t.Fatal(err)
		}
		d2, drec2, _ := kyc.DecideQualification(q2, true, "", kyc.Actor{ID: "reviewer-1", Role: kyc.RoleReviewer}, at.Add(time.Hour))
		if err := s.DecideQualification(ctx, d2, drec2); err != nil {
			t.Fatal(err)
		}
		q3, rec3 := qualificationOf(a, 3, at.Add(2*time.Minute))
		if err := s.PutQualification(ctx, q3, rec3, limit, at); !kyc.IsCode(err, kyc.ETOOMANY) {
			t.Fatalf("a third certificate in the window: %v, want ETOOMANY", err)
		}
		if cur, err := s.GetCurrentQualification(ctx, a.ID); err != nil || cur.ID != q2.ID {
			t.Fatalf("current after the refusal: %+v, %v", cur, err)
		}
	})
}

// TestQualificationListPages: the certificates' list pages oldest first with the count of
// the listing's start, and its cursors and the account lists' are not each other's.
func TestQualificationListPages(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		var want []string
		for i := range 5 {
			u, a := mkUser(10+i, kyc.CompanyAccount)
			if _, err := s.CreateUser(ctx, u, a); err != nil {
				t.Fatal(err)
			}
			q, rec := qualificationOf(a, i, at.Add(time.Duration(5-i)*time.Minute)) // the later accounts submitted first
			if err := s.PutQualification(ctx, q, rec, kyc.QualificationLimit(a.ID), at); err != nil {
				t.Fatal(err)
			}
			want = append([]string{q.ID}, want...)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := s.ListPendingQualifications(ctx, 2, cursor)
			if err != nil || p.Total != 5 {
				t.Fatalf("page %d: total %d, %v", pages, p.Total, err)
			}
			for _, q := range p.Qualifications {
				got = append(got, q.ID)
			}
			if p.NextCursor == "" {
				break
			}
			if _, err := s.ListPending(ctx, kyc.CompanyAccount, 2, p.NextCursor); !kyc.IsCode(err, kyc.EINVALID) {
				t.Fatalf("the company list took the certificates' cursor: %v", err)
			}
			cursor = p.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("order %v, want %v", got, want)
		}
	})
}
