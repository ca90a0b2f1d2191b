package review_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localstore"
	"github.com/realname-kyc/realname/pkg/review"
)

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var errInjected = errors.New("injected failure: connection reset by 10.9.8.7")

// faultStore is a real store whose GetAccount or Transition fail for chosen account ids.
type faultStore struct {
	kyc.Store
	getFails        map[string]bool
	transitionFails bool
}

func (s *faultStore) GetAccount(ctx context.Context, id string) (kyc.Account, error) {
	if s.getFails[id] {
		return kyc.Account{}, errInjected
	}
	return s.Store.GetAccount(ctx, id)
}

func (s *faultStore) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	if s.transitionFails {
		return kyc.Account{}, errInjected
	}
	return s.Store.Transition(ctx, t)
}

// faultDocs is the embedded S3 document store whose Head fails on command.
type faultDocs struct {
	kyc.Documents
	headErr error
}

func (d faultDocs) Head(ctx context.Context, key string) (kyc.ObjectInfo, error) {
	if d.headErr != nil {
		return kyc.ObjectInfo{}, d.headErr
	}
	return d.Documents.Head(ctx, key)
}

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	store *localstore.Store // the real store, for setting up and checking
	svc   *app.Services
	clock *kyc.FixedClock
	log   *lockedBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := localstore.Open(filepath.Join(t.TempDir(), "store.db"), localstore.WithNoSync())
	if err != nil {
		t.Fatalf("localstore.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{store: st, clock: kyc.NewFixedClock(testNow), log: &lockedBuffer{}}
	f.svc = &app.Services{Store: st, Docs: docs, Clock: f.clock, IDs: kyc.RandomIDs{}, Log: app.NewLogger(f.log, "debug")}
	return f
}

func (f *fixture) worker() *review.Worker { return review.NewWorker(f.svc) }

// doc is one document of a submission; upload false records it without putting the object.
type doc struct {
	slot     string
	content  string
	upload   bool
	recorded int64 // size recorded on the account; len(content) if 0
}

// submitted creates a user and its account through the store, uploads the documents that
// are to exist, and moves the account UNVERIFIED -> SUBMITTED as the submit handler does.
// It returns the account as stored.
func (f *fixture) submitted(t *testing.T, typ kyc.AccountType, docsIn ...doc) kyc.Account {
	t.Helper()
	ctx := t.Context()
	id := kyc.RandomIDs{}.NewID()
	u := kyc.User{ID: "user-" + id, Phone: "test-phone-" + id, PasswordHash: "test-hash", Role: kyc.RoleUser, AccountID: "acct-" + id, CreatedAt: testNow, UpdatedAt: testNow}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: typ, Name: "Test Person", State: kyc.StateUnverified, CreatedAt: testNow, UpdatedAt: testNow}
	if _, err := f.store.CreateUser(ctx, u, a); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	a, err := f.store.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	next := a
	next.State = kyc.StateSubmitted
	next.Attempts = 1
	next.SubmittedAt = testNow
	next.UpdatedAt = testNow
	next.Documents = map[string]kyc.Document{}
	for _, d := range docsIn {
		key := "accounts/" + a.ID + "/" + d.slot + "/" + kyc.RandomIDs{}.NewID()
		if d.upload {
			if err := docs.Put(ctx, key, "image/png", strings.NewReader(d.content)); err != nil {
				t.Fatalf("Put %s: %v", key, err)
			}
		}
		size := d.recorded
		if size == 0 {
			size = int64(len(d.content))
		}
		next.Documents[d.slot] = kyc.Document{Slot: d.slot, Key: key, ContentType: "image/png", Size: size, UploadedAt: testNow}
	}
	stored, err := f.store.Transition(ctx, kyc.Transition{
		Account: next, FromState: kyc.StateUnverified, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: testNow, Actor: u.ID, ActorRole: kyc.RoleUser, Action: "transition", From: kyc.StateUnverified, To: kyc.StateSubmitted},
	})
	if err != nil {
		t.Fatalf("Transition to SUBMITTED: %v", err)
	}
	return stored
}

func message(t *testing.T, msgID string, m kyc.ReviewMessage) events.SQSMessage {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: msgID, Body: string(b), EventSource: "aws:sqs"}
}

func messageFor(t *testing.T, msgID string, a kyc.Account) events.SQSMessage {
	return message(t, msgID, kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
}

func handle(t *testing.T, w *review.Worker, recs ...events.SQSMessage) []string {
	t.Helper()
	resp, err := w.Handle(t.Context(), events.SQSEvent{Records: recs})
	if err != nil {
		t.Fatalf("Handle returned an error (fails the whole batch): %v", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	slices.Sort(failed)
	return failed
}

func (f *fixture) account(t *testing.T, id string) kyc.Account {
	t.Helper()
	a, err := f.store.GetAccount(t.Context(), id)
	if err != nil {
		t.Fatalf("GetAccount(%s): %v", id, err)
	}
	return a
}

func (f *fixture) audit(t *testing.T, id string) []kyc.AuditRecord {
	t.Helper()
	rs, err := f.store.ListAudit(t.Context(), id)
	if err != nil {
		t.Fatalf("ListAudit(%s): %v", id, err)
	}
	return rs
}

var personalDocs = []doc{
	{slot: "frontOfID", content: "front image bytes", upload: true},
	{slot: "backOfID", content: "back image", upload: true},
}

func TestHandleOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		typ         kyc.AccountType
		docs        []doc
		wantState   kyc.State
		wantReject  kyc.RejectType
		wantReasons []string
	}{
		{
			name: "documents present", typ: kyc.PersonalAccount, docs: personalDocs,
			wantState: kyc.StatePendingReview,
		},
		{
			name: "company documents present", typ: kyc.CompanyAccount,
			docs: []doc{
				{slot: "licence", content: "%PDF-1.7 licence", upload: true},
				{slot: "confirmation", content: "confirmation", upload: true},
			},
			wantState: kyc.StatePendingReview,
		},
		{
			name: "one object missing", typ: kyc.PersonalAccount,
			docs: []doc{
				{slot: "frontOfID", content: "front", upload: true},
				{slot: "backOfID", content: "back", upload: false},
			},
			wantState: kyc.StateRejected, wantReject: kyc.RejectRetry,
			wantReasons: []string{"document_missing:backOfID"},
		},
		{
			name: "every object missing, reasons in slot order", typ: kyc.PersonalAccount,
			docs: []doc{
				{slot: "frontOfID", content: "front", upload: false},
				{slot: "backOfID", content: "back", upload: false},
			},
			wantState: kyc.StateRejected, wantReject: kyc.RejectRetry,
			wantReasons: []string{"document_missing:backOfID", "document_missing:frontOfID"},
		},
		{
			name: "size differs from the recorded one", typ: kyc.PersonalAccount,
			docs: []doc{
				{slot: "frontOfID", content: "front", upload: true, recorded: 999},
				{slot: "backOfID", content: "back", upload: true},
			},
			wantState: kyc.StateRejected, wantReject: kyc.RejectRetry,
			wantReasons: []string{"corrupt:frontOfID"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, tt.typ, tt.docs...)
			f.clock.Advance(time.Minute)

			if failed := handle(t, f.worker(), messageFor(t, "m1", a)); len(failed) != 0 {
				t.Fatalf("BatchItemFailures = %v, want none", failed)
			}
			got := f.account(t, a.ID)
			if got.State != tt.wantState || got.RejectType != tt.wantReject || !slices.Equal(got.Reasons, tt.wantReasons) {
				t.Errorf("account = %s %q %q; want %s %q %q", got.State, got.RejectType, got.Reasons, tt.wantState, tt.wantReject, tt.wantReasons)
			}
			if got.Version != a.Version+1 || !got.UpdatedAt.Equal(f.clock.Now()) {
				t.Errorf("version %d updated %v; want %d and %v", got.Version, got.UpdatedAt, a.Version+1, f.clock.Now())
			}
			if len(got.Documents) != len(tt.docs) || got.Attempts != a.Attempts || !got.SubmittedAt.Equal(a.SubmittedAt) {
				t.Errorf("the worker changed the submission: %+v", got)
			}
			trail := f.audit(t, a.ID)
			if len(trail) != 2 {
				t.Fatalf("audit trail has %d records, want submit + automated checks: %+v", len(trail), trail)
			}
			last := trail[1]
			if last.Actor != "system" || last.From != kyc.StateSubmitted || last.To != tt.wantState || !last.At.Equal(f.clock.Now()) || last.AccountID != a.ID {
				t.Errorf("audit record = %+v; want actor system, SUBMITTED -> %s", last, tt.wantState)
			}
		})
	}
}

// Redelivery is harmless: a message handled twice (in turn, in one batch, or by two
// concurrent invocations) makes one transition and no failure.
func TestHandleDuplicateDelivery(t *testing.T) {
	tests := []struct {
		name    string
		deliver func(t *testing.T, w *review.Worker, m events.SQSMessage) []string
	}{
		{"twice in turn", func(t *testing.T, w *review.Worker, m events.SQSMessage) []string {
			failed := handle(t, w, m)
			return append(failed, handle(t, w, m)...)
		}},
		{"twice in one batch", func(t *testing.T, w *review.Worker, m events.SQSMessage) []string {
			return handle(t, w, m, m)
		}},
		{"concurrently", func(t *testing.T, w *review.Worker, m events.SQSMessage) []string {
			var (
				mu     sync.Mutex
				failed []string
				wg     sync.WaitGroup
			)
			for range 8 {
				wg.Go(func() {
					resp, err := w.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{m}})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed = append(failed, "error: "+err.Error())
					}
					for _, f := range resp.BatchItemFailures {
						failed = append(failed, f.ItemIdentifier)
					}
				})
			}
			wg.Wait()
			return failed
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			if failed := tt.deliver(t, f.worker(), messageFor(t, "dup", a)); len(failed) != 0 {
				t.Fatalf("failures = %v, want none", failed)
			}
			got := f.account(t, a.ID)
			if got.State != kyc.StatePendingReview || got.Version != a.Version+1 {
				t.Errorf("account = %s v%d; want PENDING_REVIEW v%d", got.State, got.Version, a.Version+1)
			}
			if trail := f.audit(t, a.ID); len(trail) != 2 {
				t.Errorf("audit trail has %d records, want 2 (one transition by the worker): %+v", len(trail), trail)
			}
		})
	}
}

// A message of an older (or any other) version than the stored account is stale: the
// account moved on, or was resubmitted and has its own message. Nothing is written.
func TestHandleStaleVersion(t *testing.T) {
	tests := []struct {
		name    string
		version func(stored int64) int64
	}{
		{"older version", func(v int64) int64 { return v - 1 }},
		{"much older version", func(v int64) int64 { return v - 5 }},
		{"no version in the body", func(int64) int64 { return 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			v := tt.version(a.Version)
			if failed := handle(t, f.worker(), message(t, "old", kyc.ReviewMessage{AccountID: a.ID, Version: v})); len(failed) != 0 {
				t.Fatalf("BatchItemFailures = %v, want none", failed)
			}
			got := f.account(t, a.ID)
			if got.State != kyc.StateSubmitted || got.Version != a.Version {
				t.Errorf("account = %s v%d; want it untouched (SUBMITTED v%d)", got.State, got.Version, a.Version)
			}
			if trail := f.audit(t, a.ID); len(trail) != 1 {
				t.Errorf("audit trail has %d records, want only the submission", len(trail))
			}
		})
	}
}

// A resubmission after a RETRY rejection makes the first submission's message stale.
func TestHandleMessageOfEarlierSubmission(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, doc{slot: "frontOfID", content: "x", upload: false})
	first := messageFor(t, "first", a)
	if failed := handle(t, f.worker(), first); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	rejected := f.account(t, a.ID)
	if rejected.State != kyc.StateRejected {
		t.Fatalf("state = %s, want REJECTED", rejected.State)
	}
	// The owner uploads again and resubmits.
	key := "accounts/" + a.ID + "/frontOfID/again"
	if err := docs.Put(t.Context(), key, "image/png", strings.NewReader("again")); err != nil {
		t.Fatal(err)
	}
	next := rejected
	next.State, next.RejectType, next.Reasons = kyc.StateSubmitted, "", nil
	next.Attempts++
	next.Documents = map[string]kyc.Document{"frontOfID": {Slot: "frontOfID", Key: key, Size: 5}}
	resub, err := f.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: kyc.StateRejected, FromVersion: rejected.Version,
		Audit: kyc.AuditRecord{Actor: a.OwnerID, ActorRole: kyc.RoleUser, Action: "transition", From: kyc.StateRejected, To: kyc.StateSubmitted}})
	if err != nil {
		t.Fatal(err)
	}
	// The first message comes back (redelivery): stale, nothing happens.
	if failed := handle(t, f.worker(), first); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := f.account(t, a.ID); got.State != kyc.StateSubmitted || got.Version != resub.Version {
		t.Fatalf("stale message changed the account: %s v%d", got.State, got.Version)
	}
	// The resubmission's own message is handled.
	if failed := handle(t, f.worker(), messageFor(t, "second", resub)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
		t.Errorf("state = %s, want PENDING_REVIEW", got.State)
	}
}

// A message whose account is not SUBMITTED any more is done.
func TestHandleAccountNotSubmitted(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	approved := a
	approved.State = kyc.StateApproved
	moved, err := f.store.Transition(t.Context(), kyc.Transition{Account: approved, FromState: kyc.StateSubmitted, FromVersion: a.Version,
		Audit: kyc.AuditRecord{Actor: "reviewer-1", ActorRole: kyc.RoleReviewer, Action: "transition", From: kyc.StateSubmitted, To: kyc.StateApproved}})
	if err != nil {
		t.Fatal(err)
	}
	if failed := handle(t, f.worker(), messageFor(t, "m", moved)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := f.account(t, a.ID); got.State != kyc.StateApproved || got.Version != moved.Version {
		t.Errorf("account = %s v%d, want APPROVED v%d", got.State, got.Version, moved.Version)
	}
}

func TestHandleUnknownAccount(t *testing.T) {
	f := newFixture(t)
	const id = "acct-does-not-exist"
	if failed := handle(t, f.worker(), message(t, "ghost", kyc.ReviewMessage{AccountID: id, Version: 2})); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v, want none (the message is dropped)", failed)
	}
	if _, err := f.store.GetAccount(t.Context(), id); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("GetAccount after = %v, want ENOTFOUND", err)
	}
	if trail := f.audit(t, id); len(trail) != 0 {
		t.Errorf("audit records written for an unknown account: %+v", trail)
	}
	if !strings.Contains(f.log.String(), "account not found") {
		t.Errorf("the drop is not logged: %s", f.log.String())
	}
}

func TestHandleMalformedMessages(t *testing.T) {
	f := newFixture(t)
	good := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	bad := []events.SQSMessage{
		{MessageId: "not-json", Body: "hello"},
		{MessageId: "empty", Body: ""},
		{MessageId: "no-account", Body: `{"version":3}`},
		{MessageId: "empty-account", Body: `{"account_id":"","version":3}`},
		{MessageId: "wrong-type", Body: `{"account_id":42,"version":3}`},
		{MessageId: "array", Body: `[]`},
		{MessageId: "null", Body: `null`},
	}
	var want []string
	for _, m := range bad {
		want = append(want, m.MessageId)
	}
	slices.Sort(want)
	recs := append([]events.SQSMessage{messageFor(t, "good", good)}, bad...)
	if failed := handle(t, f.worker(), recs...); !slices.Equal(failed, want) {
		t.Errorf("BatchItemFailures = %v, want %v", failed, want)
	}
	if got := f.account(t, good.ID); got.State != kyc.StatePendingReview {
		t.Errorf("good message in the same batch: state %s, want PENDING_REVIEW", got.State)
	}
	if strings.Contains(f.log.String(), "hello") {
		t.Errorf("log contains a message body: %s", f.log.String())
	}
}

func TestHandleStoreFailure(t *testing.T) {
	f := newFixture(t)
	ok1 := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	broken := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	ok2 := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	f.svc.Store = &faultStore{Store: f.store, getFails: map[string]bool{broken.ID: true}}

	failed := handle(t, f.worker(), messageFor(t, "ok1", ok1), messageFor(t, "broken", broken), messageFor(t, "ok2", ok2))
	if !slices.Equal(failed, []string{"broken"}) {
		t.Fatalf("BatchItemFailures = %v, want [broken]", failed)
	}
	for _, a := range []kyc.Account{ok1, ok2} {
		if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
			t.Errorf("%s: state %s, want PENDING_REVIEW", a.ID, got.State)
		}
	}
	if got := f.account(t, broken.ID); got.State != kyc.StateSubmitted || got.Version != broken.Version {
		t.Errorf("broken: %s v%d, want untouched", got.State, got.Version)
	}
	// Once the store recovers, the redelivered message goes through.
	f.svc.Store = f.store
	if failed := handle(t, f.worker(), messageFor(t, "broken", broken)); len(failed) != 0 {
		t.Fatalf("after recovery: failures %v", failed)
	}
	if got := f.account(t, broken.ID); got.State != kyc.StatePendingReview {
		t.Errorf("after recovery: state %s, want PENDING_REVIEW", got.State)
	}
}

func TestHandleTransientFailures(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(f *fixture)
	}{
		{"document store fails", func(f *fixture) { f.svc.Docs = faultDocs{Documents: docs, headErr: errInjected} }},
		{"transition fails", func(f *fixture) { f.svc.Store = &faultStore{Store: f.store, transitionFails: true} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			tt.breakIt(f)
			if failed := handle(t, f.worker(), messageFor(t, "m", a)); !slices.Equal(failed, []string{"m"}) {
				t.Fatalf("BatchItemFailures = %v, want [m] so it is retried", failed)
			}
			if got := f.account(t, a.ID); got.State != kyc.StateSubmitted || got.Version != a.Version {
				t.Errorf("account = %s v%d, want untouched", got.State, got.Version)
			}
			if len(f.audit(t, a.ID)) != 1 {
				t.Errorf("audit written on failure")
			}
		})
	}
}

func TestHandleEmptyBatch(t *testing.T) {
	f := newFixture(t)
	if failed := handle(t, f.worker()); len(failed) != 0 {
		t.Errorf("failures %v", failed)
	}
}
