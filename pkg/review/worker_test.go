package review_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/testenv"
)

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var errInjected = errors.New("injected failure: connection reset by 10.9.8.7")

// faultStore is the worker's real store whose BeginCheck (the account's read), Transition
// or CheckInputs (the identity's holder) fail on command.
type faultStore struct {
	review.WorkerStore
	getFails        map[string]bool
	transitionFails bool
	identityFails   bool
}

func (s *faultStore) BeginCheck(ctx context.Context, id string, version int64) (kyc.Account, kyc.CheckCounts, error) {
	if s.getFails[id] {
		return kyc.Account{}, kyc.CheckCounts{}, errInjected
	}
	return s.WorkerStore.BeginCheck(ctx, id, version)
}

func (s *faultStore) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	if s.transitionFails {
		return kyc.Account{}, errInjected
	}
	return s.WorkerStore.Transition(ctx, t)
}

func (s *faultStore) CheckInputs(ctx context.Context, acct kyc.Account) (string, *kyc.ProfileVersion, error) {
	if s.identityFails {
		return "", nil, errInjected
	}
	return s.WorkerStore.CheckInputs(ctx, acct)
}

// faultDocs is the embedded S3 document store whose Head fails on command.
type faultDocs struct {
	review.WorkerDocs
	headErr error
}

func (d faultDocs) Head(ctx context.Context, key string) (kyc.ObjectInfo, error) {
	if d.headErr != nil {
		return kyc.ObjectInfo{}, d.headErr
	}
	return d.WorkerDocs.Head(ctx, key)
}

// reconcileAfter is the fixture's RECONCILE_AFTER (the default of pkg/app).
const reconcileAfter = 2 * time.Minute

// fixture holds the real backends and what the worker and the reconciler are built with;
// a test swaps in a failing store, documents or queue before it builds them.
type fixture struct {
	store  kyc.Store // the real store, for setting up and checking
	clock  *kyc.FixedClock
	log    *testenv.SyncBuffer
	logger *slog.Logger // JSON records into log

	workerStore review.WorkerStore // the real store unless a test swaps it
	docs        review.WorkerDocs  // the embedded gateway's bucket unless a test swaps it
	queue       review.ReconcilerQueue
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := testenv.Store(t)
	f := &fixture{store: st, clock: kyc.NewFixedClock(testNow), log: &testenv.SyncBuffer{}, workerStore: st, docs: docsOf(t)}
	f.logger = slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return f
}

func (f *fixture) worker() *review.Worker {
	return review.NewWorker(review.WorkerDeps{Store: f.workerStore, Docs: f.docs, Clock: f.clock, Log: f.logger})
}

func (f *fixture) reconciler() *review.Reconciler {
	return review.NewReconciler(review.ReconcilerDeps{Store: f.store, Queue: f.queue, Clock: f.clock, Log: f.logger, After: reconcileAfter})
}

var idSeq atomic.Int64

// nextResidentID is a valid resident ID number (Beijing Xicheng, born 1949-12-31) that no
// other account of this test binary has.
func nextResidentID() string {
	return idchecktest.ResidentID(fmt.Sprintf("11010519491231%03d", idSeq.Add(1)%1000))
}

// nextUSCC is a valid unified social credit code no other account of this binary has.
func nextUSCC() string {
	return idchecktest.USCC(fmt.Sprintf("91350100M%08d", idSeq.Add(1)))
}

// Documents: valid files from filechecktest, each different, and broken ones.
var (
	frontPNG        = filechecktest.PNG(64, 40)
	backPNG         = filechecktest.PNG(64, 41)
	licencePDF      = filechecktest.PDF("")
	confirmationPNG = filechecktest.PNG(80, 60)

	// htmlPage is what a phishing kit uploads as "front.png".
	htmlPage = []byte("<!DOCTYPE html>\n<html><head><title>ID</title></head><body><script>document.location='https://evil.example/'</script></body></html>\n")
	// truncatedPNG is the first half of a valid PNG: a cut-off upload.
	truncatedPNG = frontPNG[:len(frontPNG)/2]
	// scriptPDF is a well-formed PDF that runs JavaScript when opened.
	scriptPDF = filechecktest.PDF("/OpenAction 3 0 R", "<< /Type /Action /S /JavaScript /JS (app.alert('hi')) >>")
)

// largePNG is a valid, uncompressed PNG of noise: 1000 x 800 opaque pixels, 2.3 MiB, just
// over the 2 MiB of an ID card side.
var largePNG = sync.OnceValue(func() []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 1000, 800))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
		if i%4 == 3 {
			m.Pix[i] = 0xff
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&b, m); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// contentTypeOf is the type the uploader declared: what the first bytes say for real
// documents, image/png for anything else (the disguise).
func contentTypeOf(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "image/gif"
	case bytes.HasPrefix(b, []byte("BM")):
		return "image/bmp"
	}
	return "image/png"
}

// doc is one document of a submission.
type doc struct {
	slot     string
	content  []byte
	missing  bool  // recorded on the account, but never put in the bucket
	recorded int64 // size recorded on the account; len(content) if 0
}

var (
	personalDocs = []doc{{slot: "frontOfID", content: frontPNG}, {slot: "backOfID", content: backPNG}}
	companyDocs  = []doc{{slot: "licence", content: licencePDF}, {slot: "confirmation", content: confirmationPNG}}
)

// unverified creates a user and its UNVERIFIED account through the store.
func (f *fixture) unverified(t *testing.T, typ kyc.AccountType) (kyc.User, kyc.Account) {
	t.Helper()
	ctx := t.Context()
	id := kyc.RandomIDs{}.NewID()
	now := f.clock.Now()
	u := kyc.User{ID: "user-" + id, Phone: "test-phone-" + id, PasswordHash: "test-hash", Role: kyc.RoleUser, AccountID: "acct-" + id, CreatedAt: now, UpdatedAt: now}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: typ, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
	if _, err := f.store.CreateUser(ctx, u, a); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	a, err := f.store.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	return u, a
}

// submitted creates a user and its account through the store, with a valid name and
// identifier of its own, puts the documents that are to exist in the bucket, and moves the
// account UNVERIFIED -> SUBMITTED at the clock's time as the submit handler does. It
// returns the account as stored.
func (f *fixture) submitted(t *testing.T, typ kyc.AccountType, docsIn ...doc) kyc.Account {
	t.Helper()
	return f.submittedWith(t, typ, nil, docsIn...)
}

// submittedWith is submitted with the account's fields changed by set before it is stored.
func (f *fixture) submittedWith(t *testing.T, typ kyc.AccountType, set func(*kyc.Account), docsIn ...doc) kyc.Account {
	t.Helper()
	ctx := t.Context()
	u, a := f.unverified(t, typ)
	now := f.clock.Now()
	next := a
	if typ == kyc.CompanyAccount {
		next.Organization, next.IDNumber = "深圳市示例科技有限公司", nextUSCC()
	} else {
		next.Name, next.IDNumber = "张三", nextResidentID()
	}
	next.State = kyc.StateSubmitted
	next.Attempts = 1
	next.SubmittedAt = now
	next.UpdatedAt = now
	next.Documents = map[string]kyc.Document{}
	for _, d := range docsIn {
		key := "accounts/" + a.ID + "/" + d.slot + "/" + kyc.RandomIDs{}.NewID()
		ct := contentTypeOf(d.content)
		if !d.missing {
			if err := docsOf(t).Put(ctx, key, ct, bytes.NewReader(d.content)); err != nil {
				t.Fatalf("Put %s: %v", key, err)
			}
		}
		size := d.recorded
		if size == 0 {
			size = int64(len(d.content))
		}
		next.Documents[d.slot] = kyc.Document{Slot: d.slot, Key: key, ContentType: ct, Size: size, UploadedAt: now}
	}
	if set != nil {
		set(&next)
	}
	stored, err := f.store.Transition(ctx, kyc.Transition{
		Account: next, FromState: kyc.StateUnverified, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: now, Actor: u.ID, ActorRole: kyc.RoleUser, Action: "submit", From: kyc.StateUnverified, To: kyc.StateSubmitted},
	})
	if err != nil {
		t.Fatalf("Transition to SUBMITTED: %v", err)
	}
	return stored
}

// approved is a submitted account that a reviewer approved (it claims its identity).
func (f *fixture) approved(t *testing.T, typ kyc.AccountType, idNumber string) kyc.Account {
	t.Helper()
	docsIn := personalDocs
	if typ == kyc.CompanyAccount {
		docsIn = companyDocs
	}
	a := f.submittedWith(t, typ, func(a *kyc.Account) { a.IDNumber = idNumber }, docsIn...)
	next := a
	next.State = kyc.StateApproved
	out, err := f.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{Actor: "reviewer-1", ActorRole: kyc.RoleReviewer, Action: "approve", From: a.State, To: kyc.StateApproved}})
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	return out
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

// checks returns each document's Check, by slot.
func checks(a kyc.Account) map[string]string {
	out := map[string]string{}
	for slot, d := range a.Documents {
		out[slot] = d.Check
	}
	return out
}

// TestHandleOutcomes runs the automated checks on each kind of document problem of
// DOMAIN.md: every problem rejects (RETRY) with "<code>:<slot>" and asks for that slot
// again, records the verdict on each document, and leaves the submission itself as it was.
func TestHandleOutcomes(t *testing.T) {
	tests := []struct {
		name         string
		typ          kyc.AccountType
		docs         []doc
		before       func(t *testing.T, a kyc.Account) // runs after the submission, before the check
		wantState    kyc.State
		wantReasons  []string
		wantReupload []string
		wantChecks   map[string]string
	}{
		{
			name: "personal documents valid", typ: kyc.PersonalAccount, docs: personalDocs,
			wantState:  kyc.StatePendingReview,
			wantChecks: map[string]string{"frontOfID": "ok", "backOfID": "ok"},
		},
		{
			name: "company documents valid", typ: kyc.CompanyAccount, docs: companyDocs,
			wantState:  kyc.StatePendingReview,
			wantChecks: map[string]string{"licence": "ok", "confirmation": "ok"},
		},
		{
			name: "other image formats", typ: kyc.PersonalAccount,
			docs:       []doc{{slot: "frontOfID", content: filechecktest.JPEG(64, 40)}, {slot: "backOfID", content: filechecktest.GIF(64, 40)}},
			wantState:  kyc.StatePendingReview,
			wantChecks: map[string]string{"frontOfID": "ok", "backOfID": "ok"},
		},
		{
			name: "one object missing", typ: kyc.PersonalAccount,
			docs:      []doc{{slot: "frontOfID", content: frontPNG}, {slot: "backOfID", content: backPNG, missing: true}},
			wantState: kyc.StateRejected, wantReasons: []string{"document_missing:backOfID"}, wantReupload: []string{"backOfID"},
			wantChecks: map[string]string{"frontOfID": "ok", "backOfID": "document_missing"},
		},
		{
			name: "every object missing, reasons in slot order", typ: kyc.PersonalAccount,
			docs:      []doc{{slot: "frontOfID", content: frontPNG, missing: true}, {slot: "backOfID", content: backPNG, missing: true}},
			wantState: kyc.StateRejected, wantReasons: []string{"document_missing:backOfID", "document_missing:frontOfID"},
			wantReupload: []string{"backOfID", "frontOfID"},
			wantChecks:   map[string]string{"frontOfID": "document_missing", "backOfID": "document_missing"},
		},
		{
			name: "object deleted from the bucket before the check", typ: kyc.PersonalAccount, docs: personalDocs,
			before: func(t *testing.T, a kyc.Account) {
				if err := docsOf(t).Delete(t.Context(), a.Documents["frontOfID"].Key); err != nil {
					t.Fatal(err)
				}
			},
			wantState: kyc.StateRejected, wantReasons: []string{"document_missing:frontOfID"}, wantReupload: []string{"frontOfID"},
			wantChecks: map[string]string{"frontOfID": "document_missing", "backOfID": "ok"},
		},
		{
			name: "required slot not on the account", typ: kyc.CompanyAccount,
			docs:      []doc{{slot: "licence", content: licencePDF}},
			wantState: kyc.StateRejected, wantReasons: []string{"document_missing:confirmation"}, wantReupload: []string{"confirmation"},
			wantChecks: map[string]string{"licence": "ok"},
		},
		{
			name: "size differs from the recorded one", typ: kyc.PersonalAccount,
			docs:      []doc{{slot: "frontOfID", content: frontPNG, recorded: 999}, {slot: "backOfID", content: backPNG}},
			wantState: kyc.StateRejected, wantReasons: []string{"corrupt:frontOfID"}, wantReupload: []string{"frontOfID"},
			wantChecks: map[string]string{"frontOfID": "corrupt", "backOfID": "ok"},
		},
		{
			name: "too large", typ: kyc.PersonalAccount,
			docs:      []doc{{slot: "frontOfID", content: frontPNG}, {slot: "backOfID", content: largePNG()}},
			wantState: kyc.StateRejected, wantReasons: []string{"too_large:backOfID"}, wantReupload: []string{"backOfID"},
			wantChecks: map[string]string{"frontOfID": "ok", "backOfID": "too_large"},
		},
		{
			name: "HTML stored in a png slot", typ: kyc.PersonalAccount,
			docs:      []doc{{slot: "frontOfID", content: htmlPage}, {slot: "backOfID", content: backPNG}},
			wantState: kyc.StateRejected, wantReasons: []string{"bad_format:frontOfID"}, wantReupload: []string{"frontOfID"},
			wantChecks: map[string]string{"frontOfID": "bad_format", "backOfID": "ok"},
		},
		{
			name: "truncated PNG", typ: kyc.PersonalAccount,
			docs:      []doc{{slot: "frontOfID", content: frontPNG}, {slot: "backOfID", content: truncatedPNG}},
			wantState: kyc.StateRejected, wantReasons: []string{"corrupt:backOfID"}, wantReupload: []string{"backOfID"},
			wantChecks: map[string]string{"frontOfID": "ok", "backOfID": "corrupt"},
		},
		{
			name: "PDF with JavaScript in licence", typ: kyc.CompanyAccount,
			docs:      []doc{{slot: "licence", content: scriptPDF}, {slot: "confirmation", content: confirmationPNG}},
			wantState: kyc.StateRejected, wantReasons: []string{"active_content:licence"}, wantReupload: []string{"licence"},
			wantChecks: map[string]string{"licence": "active_content", "confirmation": "ok"},
		},
		{
			name: "several problems, each reported", typ: kyc.CompanyAccount,
			docs:      []doc{{slot: "licence", content: scriptPDF}, {slot: "confirmation", content: htmlPage}},
			wantState: kyc.StateRejected, wantReasons: []string{"bad_format:confirmation", "active_content:licence"},
			wantReupload: []string{"confirmation", "licence"},
			wantChecks:   map[string]string{"licence": "active_content", "confirmation": "bad_format"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, tt.typ, tt.docs...)
			if tt.before != nil {
				tt.before(t, a)
			}
			f.clock.Advance(time.Minute)

			if failed := handle(t, f.worker(), messageFor(t, "m1", a)); len(failed) != 0 {
				t.Fatalf("BatchItemFailures = %v, want none", failed)
			}
			got := f.account(t, a.ID)
			wantReject := kyc.RejectType("")
			if tt.wantState == kyc.StateRejected {
				wantReject = kyc.RejectRetry
			}
			if got.State != tt.wantState || got.RejectType != wantReject || !slices.Equal(got.Reasons, tt.wantReasons) {
				t.Errorf("account = %s %q %q; want %s %q %q", got.State, got.RejectType, got.Reasons, tt.wantState, wantReject, tt.wantReasons)
			}
			if !slices.Equal(got.ReuploadSlots, tt.wantReupload) {
				t.Errorf("ReuploadSlots = %q, want %q", got.ReuploadSlots, tt.wantReupload)
			}
			if c := checks(got); !reflect.DeepEqual(c, tt.wantChecks) {
				t.Errorf("document checks = %v, want %v", c, tt.wantChecks)
			}
			if got.Version != a.Version+1 || !got.UpdatedAt.Equal(f.clock.Now()) {
				t.Errorf("version %d updated %v; want %d and %v", got.Version, got.UpdatedAt, a.Version+1, f.clock.Now())
			}
			if len(got.Documents) != len(tt.docs) || got.Attempts != a.Attempts || !got.SubmittedAt.Equal(a.SubmittedAt) ||
				got.IDNumber != a.IDNumber || got.Name != a.Name || got.Organization != a.Organization {
				t.Errorf("the worker changed the submission: %+v", got)
			}
			for slot, d := range got.Documents {
				want := a.Documents[slot]
				want.Check = d.Check
				if !reflect.DeepEqual(d, want) {
					t.Errorf("document %s = %+v, want %+v with only Check set", slot, d, want)
				}
			}
			trail := f.audit(t, a.ID)
			if len(trail) != 2 {
				t.Fatalf("audit trail has %d records, want submit + automated checks: %+v", len(trail), trail)
			}
			last := trail[1]
			if trail[0].Action == "automated_checks" { // records of one instant list in any order
				last = trail[0]
			}
			if last.Actor != "system" || last.Action != "automated_checks" || last.From != kyc.StateSubmitted || last.To != tt.wantState ||
				!last.At.Equal(f.clock.Now()) || last.AccountID != a.ID || last.Reason != strings.Join(tt.wantReasons, ",") {
				t.Errorf("audit record = %+v; want actor system, SUBMITTED -> %s, reason %q", last, tt.wantState, strings.Join(tt.wantReasons, ","))
			}
		})
	}
}

// Identifiers are checked again by the worker (an account may have been stored by an
// older build, or behind the API), and an identity already approved on another account
// is a duplicate.
func TestHandleIdentityChecks(t *testing.T) {
	tests := []struct {
		name        string
		typ         kyc.AccountType
		setup       func(t *testing.T, f *fixture) func(*kyc.Account) // returns the change to the new account
		wantReasons []string
	}{
		{
			name: "bad resident ID check character", typ: kyc.PersonalAccount,
			setup: func(*testing.T, *fixture) func(*kyc.Account) {
				return func(a *kyc.Account) { a.IDNumber = idchecktest.WrongCheck(nextResidentID(), "0123456789X") }
			},
			wantReasons: []string{"bad_checksum:ID_number"},
		},
		{
			name: "15-digit legacy ID number", typ: kyc.PersonalAccount,
			setup: func(*testing.T, *fixture) func(*kyc.Account) {
				return func(a *kyc.Account) { a.IDNumber = "110105491231002" }
			},
			wantReasons: []string{"bad_checksum:ID_number"},
		},
		{
			name: "bad registration number check character", typ: kyc.CompanyAccount,
			setup: func(*testing.T, *fixture) func(*kyc.Account) {
				return func(a *kyc.Account) { a.IDNumber = idchecktest.WrongCheck(nextUSCC(), idchecktest.USCCChars) }
			},
			wantReasons: []string{"bad_checksum:organizationRegNo"},
		},
		{
			name: "registration number of the wrong structure (issue 11)", typ: kyc.CompanyAccount,
			setup: func(*testing.T, *fixture) func(*kyc.Account) {
				return func(a *kyc.Account) { a.IDNumber = "9135A100M000100Y4Y" }
			},
			wantReasons: []string{"bad_checksum:organizationRegNo"},
		},
		{
			name: "company without a registration number (stored before it was required)", typ: kyc.CompanyAccount,
			setup: func(*testing.T, *fixture) func(*kyc.Account) {
				return func(a *kyc.Account) { a.IDNumber = "" }
			},
			wantReasons: []string{"bad_checksum:organizationRegNo"},
		},
		{
			name: "ID number approved on another account", typ: kyc.PersonalAccount,
			setup: func(t *testing.T, f *fixture) func(*kyc.Account) {
				id := nextResidentID()
				f.approved(t, kyc.PersonalAccount, id)
				return func(a *kyc.Account) { a.IDNumber = id }
			},
			wantReasons: []string{"duplicate_identity"},
		},
		{
			name: "registration number approved on another account", typ: kyc.CompanyAccount,
			setup: func(t *testing.T, f *fixture) func(*kyc.Account) {
				id := nextUSCC()
				f.approved(t, kyc.CompanyAccount, id)
				return func(a *kyc.Account) { a.IDNumber = id }
			},
			wantReasons: []string{"duplicate_identity"},
		},
		{
			name: "ID number approved on another account, bad name too", typ: kyc.PersonalAccount,
			setup: func(t *testing.T, f *fixture) func(*kyc.Account) {
				id := nextResidentID()
				f.approved(t, kyc.PersonalAccount, id)
				return func(a *kyc.Account) { a.IDNumber, a.Name = id, "<script>" }
			},
			wantReasons: []string{"bad_format:name", "duplicate_identity"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			set := tt.setup(t, f)
			docsIn := personalDocs
			if tt.typ == kyc.CompanyAccount {
				docsIn = companyDocs
			}
			a := f.submittedWith(t, tt.typ, set, docsIn...)
			if failed := handle(t, f.worker(), messageFor(t, "m", a)); len(failed) != 0 {
				t.Fatalf("BatchItemFailures = %v", failed)
			}
			got := f.account(t, a.ID)
			if got.State != kyc.StateRejected || got.RejectType != kyc.RejectRetry || !slices.Equal(got.Reasons, tt.wantReasons) {
				t.Errorf("account = %s %q %q; want REJECTED RETRY %q", got.State, got.RejectType, got.Reasons, tt.wantReasons)
			}
			if len(got.ReuploadSlots) != 0 {
				t.Errorf("ReuploadSlots = %q, want none: the documents are fine", got.ReuploadSlots)
			}
			for slot, c := range checks(got) {
				if c != "ok" {
					t.Errorf("document %s check = %q, want ok", slot, c)
				}
			}
			if got.IDNumber != a.IDNumber {
				t.Errorf("ID number changed to %q", got.IDNumber)
			}
		})
	}
}

// An account whose own identity claim is the one found (it was approved, then left
// APPROVED some other way) is not its own duplicate; an identity approved on an account of
// the other type is another identity.
func TestHandleIdentityNotDuplicate(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	if failed := handle(t, f.worker(), messageFor(t, "m", a)); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v", failed)
	}
	if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
		t.Fatalf("state %s %q, want PENDING_REVIEW", got.State, got.Reasons)
	}
	// A company with a registration number is approved; a company account with another
	// number is not affected.
	f.approved(t, kyc.CompanyAccount, nextUSCC())
	c := f.submitted(t, kyc.CompanyAccount, companyDocs...)
	if failed := handle(t, f.worker(), messageFor(t, "c", c)); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v", failed)
	}
	if got := f.account(t, c.ID); got.State != kyc.StatePendingReview {
		t.Fatalf("company: state %s %q, want PENDING_REVIEW", got.State, got.Reasons)
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
				t.Errorf("account = %s v%d %q; want PENDING_REVIEW v%d", got.State, got.Version, got.Reasons, a.Version+1)
			}
			if trail := f.audit(t, a.ID); len(trail) != 2 {
				t.Errorf("audit trail has %d records, want 2 (one transition by the worker): %+v", len(trail), trail)
			}
		})
	}
}

// The same message delivered again after it was handled changes nothing at all, whether
// the checks passed or rejected, even once the clock has moved on.
func TestHandleRedeliveryChangesNothing(t *testing.T) {
	for _, tt := range []struct {
		name string
		docs []doc
		want kyc.State
	}{
		{"passed", personalDocs, kyc.StatePendingReview},
		{"rejected", []doc{{slot: "frontOfID", content: truncatedPNG}, {slot: "backOfID", content: backPNG}}, kyc.StateRejected},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, kyc.PersonalAccount, tt.docs...)
			m := messageFor(t, "m", a)
			if failed := handle(t, f.worker(), m); len(failed) != 0 {
				t.Fatalf("failures %v", failed)
			}
			after, trail := f.account(t, a.ID), f.audit(t, a.ID)
			if after.State != tt.want {
				t.Fatalf("state %s, want %s", after.State, tt.want)
			}
			f.clock.Advance(time.Hour)
			// The object is gone by now too: a second check would reject differently.
			if err := docsOf(t).Delete(t.Context(), a.Documents["backOfID"].Key); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if failed := handle(t, f.worker(), m); len(failed) != 0 {
					t.Fatalf("redelivery failures %v", failed)
				}
			}
			if got := f.account(t, a.ID); !reflect.DeepEqual(got, after) {
				t.Errorf("redelivery changed the account:\n got %+v\nwant %+v", got, after)
			}
			if got := f.audit(t, a.ID); !reflect.DeepEqual(got, trail) {
				t.Errorf("redelivery changed the audit trail:\n got %+v\nwant %+v", got, trail)
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
	a := f.submitted(t, kyc.PersonalAccount, doc{slot: "frontOfID", content: frontPNG, missing: true}, doc{slot: "backOfID", content: backPNG})
	first := messageFor(t, "first", a)
	if failed := handle(t, f.worker(), first); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	rejected := f.account(t, a.ID)
	if rejected.State != kyc.StateRejected || !slices.Equal(rejected.ReuploadSlots, []string{"frontOfID"}) {
		t.Fatalf("state = %s, reupload %q; want REJECTED, [frontOfID]", rejected.State, rejected.ReuploadSlots)
	}
	// The owner uploads the front again and resubmits.
	key := "accounts/" + a.ID + "/frontOfID/again"
	again := filechecktest.PNG(64, 42)
	if err := docsOf(t).Put(t.Context(), key, "image/png", bytes.NewReader(again)); err != nil {
		t.Fatal(err)
	}
	next := rejected
	next.State, next.RejectType, next.Reasons, next.ReuploadSlots = kyc.StateSubmitted, "", nil, nil
	next.Attempts++
	next.Documents = map[string]kyc.Document{
		"frontOfID": {Slot: "frontOfID", Key: key, ContentType: "image/png", Size: int64(len(again)), UploadedAt: f.clock.Now()},
		"backOfID":  a.Documents["backOfID"],
	}
	resub, err := f.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: kyc.StateRejected, FromVersion: rejected.Version,
		Audit: kyc.AuditRecord{Actor: a.OwnerID, ActorRole: kyc.RoleUser, Action: "submit", From: kyc.StateRejected, To: kyc.StateSubmitted}})
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
	if got := f.account(t, a.ID); got.State != kyc.StatePendingReview || len(got.Reasons) != 0 || len(got.ReuploadSlots) != 0 {
		t.Errorf("state = %s %q %q, want PENDING_REVIEW without reasons", got.State, got.Reasons, got.ReuploadSlots)
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
		t.Errorf("good message in the same batch: state %s %q, want PENDING_REVIEW", got.State, got.Reasons)
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
	f.workerStore = &faultStore{WorkerStore: f.store, getFails: map[string]bool{broken.ID: true}}

	failed := handle(t, f.worker(), messageFor(t, "ok1", ok1), messageFor(t, "broken", broken), messageFor(t, "ok2", ok2))
	if !slices.Equal(failed, []string{"broken"}) {
		t.Fatalf("BatchItemFailures = %v, want [broken]", failed)
	}
	for _, a := range []kyc.Account{ok1, ok2} {
		if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
			t.Errorf("%s: state %s %q, want PENDING_REVIEW", a.ID, got.State, got.Reasons)
		}
	}
	if got := f.account(t, broken.ID); got.State != kyc.StateSubmitted || got.Version != broken.Version {
		t.Errorf("broken: %s v%d, want untouched", got.State, got.Version)
	}
	// Once the store recovers, the redelivered message goes through.
	f.workerStore = f.store
	if failed := handle(t, f.worker(), messageFor(t, "broken", broken)); len(failed) != 0 {
		t.Fatalf("after recovery: failures %v", failed)
	}
	if got := f.account(t, broken.ID); got.State != kyc.StatePendingReview {
		t.Errorf("after recovery: state %s %q, want PENDING_REVIEW", got.State, got.Reasons)
	}
}

// A failure of a backend the checks need is not a verdict: the message is retried and the
// account is left as it was (never rejected for an outage).
func TestHandleTransientFailures(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(f *fixture)
	}{
		{"document store fails", func(f *fixture) { f.docs = faultDocs{WorkerDocs: f.docs, headErr: errInjected} }},
		{"transition fails", func(f *fixture) { f.workerStore = &faultStore{WorkerStore: f.store, transitionFails: true} }},
		{"identity lookup fails", func(f *fixture) { f.workerStore = &faultStore{WorkerStore: f.store, identityFails: true} }},
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
			if strings.Contains(f.log.String(), a.IDNumber) {
				t.Errorf("the log shows the ID number: %s", f.log.String())
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
