package review_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// pendingPerson is a personal account in PENDING_REVIEW with name and tel.
func (f *fixture) pendingPerson(t *testing.T, name, tel string) kyc.Account {
	t.Helper()
	a := f.submittedWith(t, kyc.PersonalAccount, func(a *kyc.Account) { a.Name, a.Tel = name, tel }, personalDocs...)
	if failed := handle(t, f.worker(), messageFor(t, "m-"+a.ID, a)); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v", failed)
	}
	got := f.account(t, a.ID)
	if got.State != kyc.StatePendingReview {
		t.Fatalf("setup: %s is %s %q, want PENDING_REVIEW", a.ID, got.State, got.Reasons)
	}
	return got
}

func (f *fixture) actorAudit(t *testing.T, actor string) []kyc.ActorAuditRecord {
	t.Helper()
	rs, err := f.store.ListActorAudit(t.Context(), actor)
	if err != nil {
		t.Fatalf("ListActorAudit(%s): %v", actor, err)
	}
	return rs
}

// Issue 11: a list masks the phone and the name as well as the ID number; the full values
// stay on the (audited) detail view.
func TestListMasksPersonalData(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	r := f.reviewer(t, review.Reviewer{UserID: "reviewer-mask", Role: kyc.RoleReviewer, RequestID: "req-mask"})
	two := f.pendingPerson(t, "张三", "13800005678")
	f.clock.Advance(time.Minute)
	four := f.pendingPerson(t, "欧阳娜娜", "13912345678")

	page, err := svc.ListPending(t.Context(), r, kyc.PersonalAccount, "", "")
	if err != nil {
		t.Fatalf("ListPending: %v", err)
	}
	want := []review.ListItem{
		{ID: two.ID, Kind: review.KindApplication, Name: "张*", Tel: "138****5678", Type: string(kyc.PersonalAccount), IDNumber: idcheck.MaskID(two.IDNumber), NotAuthorized: true},
		{ID: four.ID, Kind: review.KindApplication, Name: "欧**娜", Tel: "139****5678", Type: string(kyc.PersonalAccount), IDNumber: idcheck.MaskID(four.IDNumber), NotAuthorized: true},
	}
	if !slices.Equal(page.Items, want) {
		t.Errorf("items:\n got %+v\nwant %+v", page.Items, want)
	}
	d, err := svc.Detail(t.Context(), r, two.ID)
	if err != nil {
		t.Fatalf("Detail: %v", err)
	}
	if d.Name != "张三" || d.Tel != "13800005678" || d.IDNumber != two.IDNumber {
		t.Errorf("detail shows %q %q %q, want the full name, phone and ID number", d.Name, d.Tel, d.IDNumber)
	}
}

// Issue 11: every list page is audited with one record under the reviewer naming the list
// and the accounts shown, in order. An empty page is recorded too (with no accounts): the
// record's write is what proves the caller's session live (issue 10). Records are
// appended, never rewritten.
func TestListReadsAreAudited(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	ctx := t.Context()
	r := f.reviewer(t, review.Reviewer{UserID: "reviewer-audit", Role: kyc.RoleReviewer, RequestID: "req-1"})
	first := f.pendingPerson(t, "张三", "13800005678")
	f.clock.Advance(time.Minute)
	second := f.pendingPerson(t, "李四", "13800005679")

	at0 := f.clock.Now()
	if _, err := svc.ListPending(ctx, r, kyc.CompanyAccount, "", ""); err != nil {
		t.Fatalf("ListPending company: %v", err)
	}
	f.clock.Advance(time.Second) // records of one instant list in either order
	at1 := f.clock.Now()
	p1, err := svc.ListPending(ctx, r, kyc.PersonalAccount, "1", "")
	if err != nil {
		t.Fatalf("ListPending page 1: %v", err)
	}
	f.clock.Advance(time.Second)
	r2 := r
	r2.RequestID = "req-2"
	if _, err := svc.ListPending(ctx, r2, kyc.PersonalAccount, "1", p1.NextCursor); err != nil {
		t.Fatalf("ListPending page 2: %v", err)
	}
	want := []kyc.ActorAuditRecord{
		{Actor: r.UserID, ActorRole: kyc.RoleReviewer, At: at0, Action: kyc.ActionListRead,
			Subject: string(kyc.CompanyAccount), RequestID: "req-1"},
		{Actor: r.UserID, ActorRole: kyc.RoleReviewer, At: at1, Action: kyc.ActionListRead,
			Subject: string(kyc.PersonalAccount), AccountIDs: []string{first.ID}, RequestID: "req-1"},
		{Actor: r.UserID, ActorRole: kyc.RoleReviewer, At: at1.Add(time.Second), Action: kyc.ActionListRead,
			Subject: string(kyc.PersonalAccount), AccountIDs: []string{second.ID}, RequestID: "req-2"},
	}
	got := f.actorAudit(t, r.UserID)
	if len(got) != len(want) {
		t.Fatalf("records %+v, want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.Actor != w.Actor || g.ActorRole != w.ActorRole || !g.At.Equal(w.At) || g.Action != w.Action ||
			g.Subject != w.Subject || !slices.Equal(g.AccountIDs, w.AccountIDs) || g.RequestID != w.RequestID {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
	if other := f.actorAudit(t, "someone-else"); len(other) != 0 {
		t.Errorf("another reviewer's records: %+v, want none", other)
	}
	// The accounts' own trails are not touched by a list read.
	for _, a := range []kyc.Account{first, second} {
		if n := countAction(f.audit(t, a.ID), kyc.ActionRead); n != 0 {
			t.Errorf("account %s has %d read records after list reads, want 0", a.ID, n)
		}
	}
}

// A caller whose session has ended gets 401 from a list or a detail, whatever its token
// says, and nothing is shown or recorded: these reads learn the caller from the token and
// prove the session live in their audit write.
func TestReadsRefuseAnEndedSession(t *testing.T) {
	f := newFixture(t)
	svc := f.service()
	ctx := t.Context()
	acct := f.pendingPerson(t, "张三", "13800005678")
	r := f.reviewer(t, review.Reviewer{UserID: "reviewer-ended", Role: kyc.RoleReviewer})
	if err := f.store.DeleteSession(ctx, r.TokenHash); err != nil {
		t.Fatal(err)
	}
	if page, err := svc.ListPending(ctx, r, kyc.PersonalAccount, "", ""); !kyc.IsCode(err, kyc.EUNAUTHORIZED) || len(page.Items) != 0 {
		t.Errorf("ListPending with an ended session = %+v, %v; want EUNAUTHORIZED and nothing", page, err)
	}
	if d, err := svc.Detail(ctx, r, acct.ID); !kyc.IsCode(err, kyc.EUNAUTHORIZED) || d.ID != "" {
		t.Errorf("Detail with an ended session = %+v, %v; want EUNAUTHORIZED and nothing", d, err)
	}
	// Nor does it learn which ids exist.
	if _, err := svc.Detail(ctx, r, "acct-does-not-exist"); !kyc.IsCode(err, kyc.EUNAUTHORIZED) {
		t.Errorf("Detail of a missing account with an ended session = %v, want EUNAUTHORIZED", err)
	}
	if got := f.actorAudit(t, r.UserID); len(got) != 0 {
		t.Errorf("records of an ended session: %+v", got)
	}
	if n := countAction(f.audit(t, acct.ID), kyc.ActionRead); n != 0 {
		t.Errorf("%d read records of an ended session", n)
	}
	// A live reviewer's miss is 404, recorded under the reviewer.
	live := f.reviewer(t, review.Reviewer{UserID: "reviewer-live", Role: kyc.RoleReviewer})
	if _, err := svc.Detail(ctx, live, "acct-does-not-exist"); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("Detail of a missing account = %v, want ENOTFOUND", err)
	}
	if got := f.actorAudit(t, live.UserID); len(got) != 1 || got[0].Subject != kyc.SubjectMissingAccount || !slices.Equal(got[0].AccountIDs, []string{"acct-does-not-exist"}) {
		t.Errorf("records of a miss: %+v, want one naming the id", got)
	}
}

// failingActorAudit is the real store whose actor audit writes fail.
type failingActorAudit struct{ kyc.Store }

func (failingActorAudit) AppendActorAuditLive(context.Context, kyc.LiveSession, kyc.ActorAuditRecord) error {
	return errors.New("injected: actor audit write failed")
}

// A page whose audit record cannot be written is not returned: nobody sees personal data
// that was not recorded.
func TestListNotShownUnlessAudited(t *testing.T) {
	f := newFixture(t)
	f.pendingPerson(t, "张三", "13800005678")
	svc := review.NewService(review.ServiceDeps{Store: failingActorAudit{f.store}, Clock: f.clock, Log: f.logger})
	r := f.reviewer(t, review.Reviewer{UserID: "reviewer-x", Role: kyc.RoleReviewer})
	page, err := svc.ListPending(t.Context(), r, kyc.PersonalAccount, "", "")
	if err == nil || len(page.Items) != 0 {
		t.Fatalf("ListPending with a failing audit = %+v, %v; want an error and no items", page, err)
	}
	if kyc.ErrorCode(err) != kyc.EINTERNAL {
		t.Errorf("error %v is %s, want an internal error", err, kyc.ErrorCode(err))
	}
}

// The list's DynamoDB calls: every page is one Query (the first reads the count with the
// page, a later one takes it from the cursor) and the record, whose write also proves the
// caller's session live: the route makes 2, since its middleware reads no session. A
// later page answers the total the listing began with.
func TestListCalls(t *testing.T) {
	f := newFixture(t)
	client, table := testenv.Table(t, testenv.Dynoxide)
	f.store = dynamo.New(client, table)
	f.workerStore = f.store
	calls := &testenv.CallLog{}
	svc := review.NewService(review.ServiceDeps{Store: dynamo.New(testenv.CountingClient(client, calls), table), Clock: f.clock, Log: f.logger})
	r := f.reviewer(t, review.Reviewer{UserID: "reviewer-calls", Role: kyc.RoleReviewer})
	f.pendingPerson(t, "张三", "13800005678")
	f.clock.Advance(time.Minute)
	f.pendingPerson(t, "李四", "13800005679")

	first, err := svc.ListPending(t.Context(), r, kyc.PersonalAccount, "1", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.Take(); !slices.Equal(got, []string{"Query", "TransactWriteItems"}) {
		t.Errorf("first page: calls %v, want [Query TransactWriteItems]", got)
	}
	if first.Total != 2 {
		t.Fatalf("first page total %d, want 2", first.Total)
	}
	f.clock.Advance(time.Minute)
	f.pendingPerson(t, "王五", "13800005680")
	second, err := svc.ListPending(t.Context(), r, kyc.PersonalAccount, "1", first.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.Take(); !slices.Equal(got, []string{"Query", "TransactWriteItems"}) {
		t.Errorf("later page: calls %v, want [Query TransactWriteItems]", got)
	}
	if second.Total != first.Total || len(second.Items) != 1 {
		t.Errorf("later page: total %d with %d items, want the first page's total %d and 1 item", second.Total, len(second.Items), first.Total)
	}
	if again, err := svc.ListPending(t.Context(), r, kyc.PersonalAccount, "1", ""); err != nil || again.Total != 3 {
		t.Errorf("a new listing: total %d, %v; want 3", again.Total, err)
	}
}
