package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/testenv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/review"
)

// The reviewer routes (seed 000's paths).
const (
	personalListPath = "/v1/cms/account/getUnAuthoredPersonalAccount"
	companyListPath  = "/v1/cms/account/getUnAuthoredCompanyAccount"
)

func detailPath(id string) string    { return "/v1/cms/account/" + id }
func authorizePath(id string) string { return "/v1/cms/account/" + id + "/authorizeAccount" }
func rejectPath(id string) string    { return "/v1/cms/account/" + id + "/rejectAccount" }

// newDocFixtureOn is newDocFixture over store instead of a fresh dynoxide table.
func newDocFixtureOn(t *testing.T, store kyc.Store) *docFixture {
	t.Helper()
	q := localqueue.New(localqueue.Options{})
	f := &fixture{store: store, clock: kyc.NewFixedClock(testNow), log: &testenv.SyncBuffer{}}
	f.svc = &app.Services{
		Store: store, Docs: sharedDocs(t), Queue: q, Clock: f.clock, IDs: kyc.RandomIDs{}, Log: app.NewLogger(f.log, "debug"),
		Version: "test-version", TokenTTL: time.Hour, MaxAttempts: 5, ReconcileAfter: 2 * time.Minute,
		Backends:   app.Backends{Store: "test", Documents: "embedded (VersityGW)", Queue: "in-process"},
		BankSecret: []byte(app.DevBankVerifySecret),
	}
	f.svc.PasswordParams = cheapParams
	return &docFixture{fixture: f, mux: muxOf(t, f.svc), queue: q}
}

// rvUser creates a user of role whose account has the fields set sets, with a session
// that outlives every clock advance of these tests.
func (d *docFixture) rvUser(t *testing.T, role kyc.Role, set func(*kyc.Account)) docUser {
	t.Helper()
	id := d.svc.IDs.NewID()
	now := d.clock.Now()
	u := kyc.User{ID: "user-" + id, Phone: "test-phone-" + id, PasswordHash: "test-hash", Role: role, AccountID: "acct-" + id, CreatedAt: now, UpdatedAt: now}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
	if set != nil {
		set(&a)
	}
	if _, err := d.store.CreateUser(t.Context(), u, a); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return docUser{ID: u.ID, AccountID: u.AccountID, Token: d.session(t, u.ID, 30*24*time.Hour)}
}

// rvCall sends one request through the mux as Lambda would invoke it, with the request id
// reqID (for the audit trail), and a JSON body unless body is nil.
func (d *docFixture) rvCall(t *testing.T, method, path, token, reqID string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: reqID})
	req := httptest.NewRequestWithContext(ctx, method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return serve(d.mux, req)
}

// rvWork feeds every queued message to the review worker, as the event source does.
func (d *docFixture) rvWork(t *testing.T) {
	t.Helper()
	w := review.NewWorker(review.WorkerDeps{Store: d.svc.Store, Docs: d.svc.Docs, Clock: d.svc.Clock, Log: d.svc.Log})
	for {
		msgs, err := d.queue.Receive(t.Context(), 10, 0)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if len(msgs) == 0 {
			return
		}
		var ev events.SQSEvent
		for _, m := range msgs {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, EventSource: "aws:sqs"})
		}
		resp, err := w.Handle(t.Context(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("worker: %+v, %v", resp.BatchItemFailures, err)
		}
		for _, m := range msgs {
			if err := d.queue.Delete(t.Context(), m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var rvSeq atomic.Int64

// rvResidentID is a valid resident ID number (GB 11643's own sample area and birth date,
// 1880-01-01) that no other account of this test binary has.
func rvResidentID() string {
	return idchecktest.ResidentID(fmt.Sprintf("44052418800101%03d", rvSeq.Add(1)%1000))
}

// rvUSCC is a valid unified social credit code no other account of this binary has.
func rvUSCC() string { return idchecktest.USCC(fmt.Sprintf("91440300M%08d", rvSeq.Add(1))) }

func masked(id string) string { return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:] }

// applicant is a user with an account, and what the account should show once submitted.
type applicant struct {
	docUser
	typ                                        kyc.AccountType
	name, tel, address, organization, idNumber string
	notActive                                  bool
}

var applicantNames = []string{"张三", "李四", "王五", "赵六", "欧阳娜娜", "阿依古丽·买买提"}

// newApplicant creates the n-th applicant of a test: a user whose account carries the
// seed's contact fields, and the name and identifier it will submit.
func (d *docFixture) newApplicant(t *testing.T, typ kyc.AccountType, n int) applicant {
	t.Helper()
	a := applicant{typ: typ, tel: fmt.Sprintf("1390000%04d", n), address: fmt.Sprintf("深圳市南山区科技园%d号", n), notActive: n%2 == 1}
	if typ == kyc.CompanyAccount {
		a.name, a.organization, a.idNumber = "联系人"+applicantNames[n%len(applicantNames)], fmt.Sprintf("深圳市示例%d号科技有限公司", n), rvUSCC()
	} else {
		a.name, a.idNumber = applicantNames[n%len(applicantNames)], rvResidentID()
	}
	a.docUser = d.rvUser(t, kyc.RoleUser, func(acct *kyc.Account) {
		acct.Type, acct.Tel, acct.Address, acct.NotActive = typ, a.tel, a.address, a.notActive
		if typ == kyc.CompanyAccount {
			acct.Name = a.name // the contact person; a company submission names the organization
		}
	})
	return a
}

// submit sends the applicant's submission with presigned uploads: for a person the two
// sides of the ID card (front replaces the valid front if not nil), for a company the
// licence and the confirmation.
func (d *docFixture) submit(t *testing.T, a applicant, front []byte) {
	t.Helper()
	if a.typ == kyc.CompanyAccount {
		body := map[string]string{"organization": a.organization, "organizationRegNo": a.idNumber,
			"licence": d.upload(t, a.Token, "licence", licPNG), "confirmation": d.upload(t, a.Token, "confirmation", confPDF)}
		wantEnvelope(t, d.call(t, http.MethodPost, companyPath, a.Token, body), http.StatusOK, CodeCompanyAccepted, "")
		return
	}
	if front == nil {
		front = frontPNG
	}
	body := map[string]string{"ID_number": a.idNumber, "name": a.name,
		"frontOfID": d.upload(t, a.Token, "frontOfID", front), "backOfID": d.upload(t, a.Token, "backOfID", backPNG)}
	wantEnvelope(t, d.call(t, http.MethodPost, personalPath, a.Token, body), http.StatusOK, CodePersonalAccepted, "")
}

// pending submits the applicant's documents and runs the worker; the account must reach
// PENDING_REVIEW.
func (d *docFixture) pending(t *testing.T, a applicant) kyc.Account {
	t.Helper()
	d.submit(t, a, nil)
	d.rvWork(t)
	acct := d.account(t, a.AccountID)
	if acct.State != kyc.StatePendingReview {
		t.Fatalf("account %s is %s %q, want PENDING_REVIEW", acct.ID, acct.State, acct.Reasons)
	}
	return acct
}

// item is the applicant's entry of a reviewer list, exactly: name, phone and ID number
// masked (issue 11; kyc's tests pin the masks).
func (a applicant) item() map[string]any {
	return map[string]any{"id": a.AccountID, "kind": "application", "name": kyc.MaskName(a.name), "address": a.address, "tel": kyc.MaskPhone(a.tel), "not_active": a.notActive,
		"organization": a.organization, "type": string(a.typ), "id_number": masked(a.idNumber), "not_authorized": true}
}

// listJSON is a reviewer list's envelope; unknown fields fail the decode.
type listJSON struct {
	ErrorCode  int              `json:"error_code"`
	Msg        string           `json:"msg"`
	Data       []map[string]any `json:"data"`
	TotalCount *int64           `json:"totalCount"`
	NextCursor string           `json:"next_cursor"`
}

// list GETs one page of a reviewer list and expects 200 / 1000.
func (d *docFixture) list(t *testing.T, path, token string, q url.Values) (listJSON, string) {
	t.Helper()
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	w := d.call(t, http.MethodGet, path, token, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
	}
	var l listJSON
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil || l.ErrorCode != CodeOK || l.Msg == "" || l.TotalCount == nil || l.Data == nil {
		t.Fatalf("GET %s = %s (%v), want a list envelope", path, w.Body, err)
	}
	return l, w.Body.String()
}

func ids(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		s, _ := it["id"].(string)
		out = append(out, s)
	}
	return out
}

// walk pages through a list with limit and returns the ids in order and the pages seen.
func (d *docFixture) walk(t *testing.T, path, token string, limit int, wantTotal int64) (all []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		l, _ := d.list(t, path, token, q)
		pages++
		if len(l.Data) == 0 || len(l.Data) > limit || *l.TotalCount != wantTotal {
			t.Fatalf("page %d: %d items, totalCount %d; want 1..%d items of %d", pages, len(l.Data), *l.TotalCount, limit, wantTotal)
		}
		all = append(all, ids(l.Data)...)
		if l.NextCursor == "" {
			return all, pages
		}
		if pages > 100 {
			t.Fatalf("paging does not end")
		}
		cursor = l.NextCursor
	}
}

// The reviewer lists show only PENDING_REVIEW accounts of their type, oldest submission
// first, each with exactly seed 000's fields and the ID number masked, with totalCount and
// a cursor while more pages follow. Bad limits and cursors are refused.
func TestReviewLists(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	var people []applicant
	for i := range 6 {
		people = append(people, d.newApplicant(t, kyc.PersonalAccount, i))
	}
	c0, c1 := d.newApplicant(t, kyc.CompanyAccount, 0), d.newApplicant(t, kyc.CompanyAccount, 1)
	p0, p1, p2, rejected, approved, submittedOnly := people[0], people[1], people[2], people[3], people[4], people[5]
	d.newApplicant(t, kyc.PersonalAccount, 7) // never submits

	// Submitted a minute apart, in an order that is neither creation nor id order.
	for _, s := range []struct {
		a     applicant
		front []byte
	}{{p2, nil}, {c1, nil}, {approved, nil}, {p0, nil}, {rejected, frontPNG[:len(frontPNG)-20]}, {c0, nil}, {p1, nil}} {
		d.submit(t, s.a, s.front)
		d.clock.Advance(time.Minute)
	}
	d.rvWork(t)
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(approved.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	d.submit(t, submittedOnly, nil) // its message is not handled yet
	for a, want := range map[applicant]kyc.State{rejected: kyc.StateRejected, approved: kyc.StateApproved, submittedOnly: kyc.StateSubmitted} {
		if got := d.account(t, a.AccountID); got.State != want {
			t.Fatalf("setup: %s is %s, want %s", a.AccountID, got.State, want)
		}
	}

	t.Run("personal", func(t *testing.T) {
		l, raw := d.list(t, personalListPath, rev.Token, nil)
		want := []map[string]any{p2.item(), p0.item(), p1.item()}
		if !reflect.DeepEqual(l.Data, want) {
			t.Errorf("items:\n got %v\nwant %v", l.Data, want)
		}
		if *l.TotalCount != 3 || l.NextCursor != "" {
			t.Errorf("totalCount %d, next_cursor %q; want 3 and none", *l.TotalCount, l.NextCursor)
		}
		for _, a := range people {
			if strings.Contains(raw, a.idNumber) {
				t.Errorf("the list shows a full ID number: %s", raw)
			}
		}
	})
	t.Run("company", func(t *testing.T) {
		l, raw := d.list(t, companyListPath, rev.Token, nil)
		want := []map[string]any{c1.item(), c0.item()}
		if !reflect.DeepEqual(l.Data, want) {
			t.Errorf("items:\n got %v\nwant %v", l.Data, want)
		}
		if *l.TotalCount != 2 || l.NextCursor != "" {
			t.Errorf("totalCount %d, next_cursor %q; want 2 and none", *l.TotalCount, l.NextCursor)
		}
		if strings.Contains(raw, c0.idNumber) || strings.Contains(raw, c1.idNumber) {
			t.Errorf("the list shows a full registration number: %s", raw)
		}
	})
	t.Run("paging visits every account once, in order", func(t *testing.T) {
		want := []string{p2.AccountID, p0.AccountID, p1.AccountID}
		for limit, wantPages := range map[int]int{1: 3, 2: 2, 3: 1, 100: 1} {
			got, pages := d.walk(t, personalListPath, rev.Token, limit, 3)
			if !slices.Equal(got, want) || pages != wantPages {
				t.Errorf("limit=%d: %q in %d pages, want %q in %d", limit, got, pages, want, wantPages)
			}
		}
		if got, _ := d.walk(t, companyListPath, rev.Token, 1, 2); !slices.Equal(got, []string{c1.AccountID, c0.AccountID}) {
			t.Errorf("company pages %q", got)
		}
	})
	t.Run("bad limit", func(t *testing.T) {
		for _, limit := range []string{"0", "abc", "-1", "1.5", "1e2", "0x10", "٣"} {
			w := d.call(t, http.MethodGet, personalListPath+"?limit="+url.QueryEscape(limit), rev.Token, nil)
			wantEnvelope(t, w, http.StatusBadRequest, 1006, "limit")
		}
	})
	first, _ := d.list(t, personalListPath, rev.Token, url.Values{"limit": {"1"}})
	companyFirst, _ := d.list(t, companyListPath, rev.Token, url.Values{"limit": {"1"}})
	if first.NextCursor == "" || companyFirst.NextCursor == "" {
		t.Fatalf("no cursor on a first page of 1")
	}
	t.Run("tampered cursor", func(t *testing.T) {
		c := first.NextCursor
		var bad []string
		for i := range len(c) {
			flip := byte('A')
			if c[i] == 'A' {
				flip = 'B'
			}
			bad = append(bad, c[:i]+string(flip)+c[i+1:])
		}
		bad = append(bad, c[:len(c)-1], c+"A", c[1:], "", "not-a-cursor", strings.Repeat("A", 5000))
		for _, cur := range bad {
			if cur == "" {
				continue
			}
			w := d.call(t, http.MethodGet, personalListPath+"?limit=1&cursor="+url.QueryEscape(cur), rev.Token, nil)
			if w.Code != http.StatusBadRequest {
				t.Errorf("cursor %q: %d %s, want 400", cur, w.Code, w.Body)
				continue
			}
			wantEnvelope(t, w, http.StatusBadRequest, 1006, "cursor")
		}
	})
	t.Run("cursor of the other list", func(t *testing.T) {
		w := d.call(t, http.MethodGet, personalListPath+"?limit=1&cursor="+url.QueryEscape(companyFirst.NextCursor), rev.Token, nil)
		wantEnvelope(t, w, http.StatusBadRequest, 1006, "cursor")
		w = d.call(t, http.MethodGet, companyListPath+"?limit=1&cursor="+url.QueryEscape(first.NextCursor), rev.Token, nil)
		wantEnvelope(t, w, http.StatusBadRequest, 1006, "cursor")
	})
	t.Run("an admin may list too", func(t *testing.T) {
		admin := d.rvUser(t, kyc.RoleAdmin, nil)
		if l, _ := d.list(t, personalListPath, admin.Token, nil); *l.TotalCount != 3 {
			t.Errorf("admin sees %d", *l.TotalCount)
		}
	})
}

// pendingInStore puts an account in PENDING_REVIEW straight through the store (for lists
// longer than a page, where the documents do not matter).
func (d *docFixture) pendingInStore(t *testing.T) string {
	t.Helper()
	u := d.rvUser(t, kyc.RoleUser, nil)
	a := d.account(t, u.AccountID)
	next := a
	next.State, next.Name, next.IDNumber, next.Attempts = kyc.StateSubmitted, "张三", rvResidentID(), 1
	next.SubmittedAt, next.UpdatedAt = d.clock.Now(), d.clock.Now()
	next.Documents = map[string]kyc.Document{
		"frontOfID": {Slot: "frontOfID", Key: "accounts/" + a.ID + "/frontOfID/x", ContentType: "image/png", Size: 10, UploadedAt: d.clock.Now(), Check: "ok"},
		"backOfID":  {Slot: "backOfID", Key: "accounts/" + a.ID + "/backOfID/x", ContentType: "image/png", Size: 10, UploadedAt: d.clock.Now(), Check: "ok"},
	}
	s, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{Actor: u.ID, ActorRole: kyc.RoleUser, Action: "submit", From: a.State, To: kyc.StateSubmitted}})
	if err != nil {
		t.Fatal(err)
	}
	next = s
	next.State = kyc.StatePendingReview
	if _, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: s.State, FromVersion: s.Version,
		Audit: kyc.AuditRecord{Actor: "system", Action: "automated_checks", From: s.State, To: kyc.StatePendingReview}}); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(time.Second)
	return a.ID
}

// A page holds at most 100 accounts whatever limit asks for; without a limit, 20.
func TestReviewListLimitClamped(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	var want []string
	for range 105 {
		want = append(want, d.pendingInStore(t))
	}
	l, _ := d.list(t, personalListPath, rev.Token, url.Values{"limit": {"500"}})
	if len(l.Data) != 100 || *l.TotalCount != 105 || l.NextCursor == "" {
		t.Fatalf("limit=500: %d items, totalCount %d, cursor %q; want 100 of 105 and a cursor", len(l.Data), *l.TotalCount, l.NextCursor)
	}
	rest, _ := d.list(t, personalListPath, rev.Token, url.Values{"limit": {"500"}, "cursor": {l.NextCursor}})
	if got := append(ids(l.Data), ids(rest.Data)...); !slices.Equal(got, want) || rest.NextCursor != "" {
		t.Errorf("two pages of 500 give %d accounts (cursor %q), want the 105 in order", len(got), rest.NextCursor)
	}
	if l, _ := d.list(t, personalListPath, rev.Token, nil); len(l.Data) != 20 || l.NextCursor == "" {
		t.Errorf("no limit: %d items, want 20 and a cursor", len(l.Data))
	}
	if l, _ := d.list(t, personalListPath, rev.Token, url.Values{"limit": {"100"}}); len(l.Data) != 100 {
		t.Errorf("limit=100: %d items", len(l.Data))
	}
}

// detailJSON is the detail route's data; unknown fields fail the decode.
type detailJSON struct {
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	State         string         `json:"state"`
	Name          string         `json:"name"`
	Tel           string         `json:"tel"`
	Address       string         `json:"address"`
	Organization  string         `json:"organization"`
	IDNumber      string         `json:"id_number"`
	NotActive     bool           `json:"not_active"`
	NotAuthorized bool           `json:"not_authorized"`
	Attempts      int            `json:"attempts"`
	Reasons       []string       `json:"reasons"`
	RejectType    string         `json:"reject_type"`
	ReuploadSlots []string       `json:"reupload_slots"`
	SubmittedAt   time.Time      `json:"submitted_at"`
	Documents     []documentJSON `json:"documents"`
	Audit         []auditJSON    `json:"audit"`
	// Profiles are a company's profile versions (seed 000's companies have one too).
	Profiles []struct {
		Version int64             `json:"version"`
		At      time.Time         `json:"at"`
		Actor   string            `json:"actor"`
		Changed []string          `json:"changed"`
		Fields  map[string]string `json:"fields"`
	} `json:"profiles"`
}

type documentJSON struct {
	Slot        string    `json:"slot"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	UploadedAt  time.Time `json:"uploaded_at"`
	Check       string    `json:"check"`
}

type auditJSON struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorRole string    `json:"actor_role"`
	Action    string    `json:"action"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Reason    string    `json:"reason"`
	RequestID string    `json:"request_id"`
}

func (d *docFixture) detail(t *testing.T, token, id, reqID string) (detailJSON, string) {
	t.Helper()
	w := d.rvCall(t, http.MethodGet, detailPath(id), token, reqID, nil)
	e := wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	var out detailJSON
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("detail %s: %v", e.Data, err)
	}
	return out, w.Body.String()
}

// wantAudit checks that an account's trail in the store holds want among its latest
// records: the test clock stands still, so records of one instant may list in any order.
func (d *docFixture) wantAudit(t *testing.T, id string, want kyc.AuditRecord) {
	t.Helper()
	trail, err := d.store.ListAudit(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	want.AccountID = id
	if len(trail) == 0 {
		t.Fatalf("no audit records, want %+v", want)
	}
	last := trail[len(trail)-1].At
	for _, r := range trail {
		if r.At.Equal(last) && reflect.DeepEqual(r, want) {
			return
		}
	}
	t.Errorf("latest audit records:\n got %+v\nwant %+v among them", trail, want)
}

// A reviewer's detail view has the full ID number, the documents with the automated
// checks' verdicts (never where they are stored), and the audit trail; the read itself is
// audited, with who, their role, when, and the request id.
// sortTrail orders an audit trail by time, then action.
func sortTrail(trail []auditJSON) {
	slices.SortStableFunc(trail, func(a, b auditJSON) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Action, b.Action)
	})
}

func TestReviewDetail(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	submittedAt := d.clock.Now()
	acct := d.pending(t, a)
	d.clock.Advance(time.Hour)

	got, raw := d.detail(t, rev.Token, a.AccountID, "req-read-1")
	readAt := d.clock.Now()
	want := detailJSON{ID: a.AccountID, Type: "personal_account", State: "PENDING_REVIEW", Name: a.name, Tel: a.tel, Address: a.address,
		IDNumber: a.idNumber, NotActive: a.notActive, NotAuthorized: true, Attempts: 1, Reasons: []string{}, ReuploadSlots: []string{},
		SubmittedAt: submittedAt,
		Documents: []documentJSON{
			{Slot: "backOfID", ContentType: "image/png", Size: int64(len(backPNG)), UploadedAt: submittedAt, Check: "ok"},
			{Slot: "frontOfID", ContentType: "image/png", Size: int64(len(frontPNG)), UploadedAt: submittedAt, Check: "ok"},
		},
		Audit: []auditJSON{
			{At: submittedAt, Actor: a.ID, ActorRole: "user", Action: "submit", From: "UNVERIFIED", To: "SUBMITTED"},
			{At: submittedAt, Actor: "system", Action: "automated_checks", From: "SUBMITTED", To: "PENDING_REVIEW"},
			{At: readAt, Actor: rev.ID, ActorRole: "reviewer", Action: "read", From: "PENDING_REVIEW", To: "PENDING_REVIEW", RequestID: "req-read-1"},
		},
	}
	// The trail is ordered by time; records of one instant (the fixed clock's submission
	// and check) come in any order, so both sides are put in one order before comparing.
	sortTrail(got.Audit)
	sortTrail(want.Audit)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("detail:\n got %+v\nwant %+v", got, want)
	}
	for _, leak := range []string{"accounts/", "uploads/", "http", docsBucket, "test-hash"} {
		if strings.Contains(raw, leak) {
			t.Errorf("the detail shows %q: %s", leak, raw)
		}
	}
	d.wantAudit(t, a.AccountID, kyc.AuditRecord{At: readAt, Actor: rev.ID, ActorRole: kyc.RoleReviewer, Action: "read",
		From: kyc.StatePendingReview, To: kyc.StatePendingReview, RequestID: "req-read-1"})
	if after := d.account(t, a.AccountID); !reflect.DeepEqual(after, acct) {
		t.Errorf("reading changed the account")
	}

	// Every read is a record of its own: an admin reads it too.
	admin := d.rvUser(t, kyc.RoleAdmin, nil)
	d.clock.Advance(time.Minute)
	got, _ = d.detail(t, admin.Token, a.AccountID, "req-read-2")
	if len(got.Audit) != 4 || got.Audit[3].Actor != admin.ID || got.Audit[3].ActorRole != "admin" || got.Audit[3].RequestID != "req-read-2" || !got.Audit[3].At.Equal(d.clock.Now()) {
		t.Errorf("second read's trail %+v", got.Audit)
	}

	// A rejected company: reasons, reupload slots and the failed check are shown.
	c := d.newApplicant(t, kyc.CompanyAccount, 2)
	body := map[string]string{"organization": c.organization, "organizationRegNo": c.idNumber,
		"licence": d.upload(t, c.Token, "licence", filechecktest.PDF("/OpenAction 3 0 R", "<< /S /JavaScript /JS (app.alert(1)) >>")), "confirmation": d.upload(t, c.Token, "confirmation", confPDF)}
	wantEnvelope(t, d.call(t, http.MethodPost, companyPath, c.Token, body), http.StatusOK, CodeCompanyAccepted, "")
	// The trail is ordered by time only (records of one instant come in any order), so
	// each step happens a second after the one before.
	d.clock.Advance(time.Second)
	d.rvWork(t)
	d.clock.Advance(time.Second)
	cd, _ := d.detail(t, rev.Token, c.AccountID, "req-read-3")
	if cd.State != "REJECTED" || cd.RejectType != "RETRY" || !slices.Equal(cd.Reasons, []string{"active_content:licence"}) ||
		!slices.Equal(cd.ReuploadSlots, []string{"licence"}) || cd.IDNumber != c.idNumber || cd.Organization != c.organization {
		t.Errorf("company detail %+v", cd)
	}
	checks := map[string]string{}
	for _, doc := range cd.Documents {
		checks[doc.Slot] = doc.Check
	}
	if !reflect.DeepEqual(checks, map[string]string{"licence": "active_content", "confirmation": "ok"}) {
		t.Errorf("company document checks %v", checks)
	}
	if n := len(cd.Audit); n != 3 || cd.Audit[1].Reason != "active_content:licence" {
		t.Errorf("company trail %+v", cd.Audit)
	}

	// An unknown account: 404, and nothing is audited.
	wantEnvelope(t, d.rvCall(t, http.MethodGet, detailPath("acct-nope"), rev.Token, "req-x", nil), http.StatusNotFound, 1015, "")
	if trail, _ := d.store.ListAudit(t.Context(), "acct-nope"); len(trail) != 0 {
		t.Errorf("audit of an unknown account: %+v", trail)
	}
}

// meJSON is the part of GET /v1/user/me these tests read.
type meJSON struct {
	Status              int `json:"status"`
	AuthenticationState int `json:"authenticationState"`
}

func (d *docFixture) me(t *testing.T, token string) meJSON {
	t.Helper()
	e := wantEnvelope(t, d.call(t, http.MethodGet, "/v1/user/me", token, nil), http.StatusOK, CodeOK, "")
	var m meJSON
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Approving a PENDING_REVIEW account answers 12001, certifies the user (status 0,
// authenticationState 1), claims the identity, takes the account off the list and is
// audited.
func TestReviewAuthorize(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	before := d.pending(t, a)
	if m := d.me(t, a.Token); m.Status != 4 || m.AuthenticationState != 0 {
		t.Fatalf("before approval: me %+v, want status 4, authenticationState 0", m)
	}
	d.clock.Advance(time.Hour)

	w := d.rvCall(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, "req-approve-1", nil)
	wantEnvelope(t, w, http.StatusOK, CodePersonalAccepted, "")
	if m := d.me(t, a.Token); m.Status != 0 || m.AuthenticationState != 1 {
		t.Errorf("after approval: me %+v, want status 0, authenticationState 1", m)
	}
	got := d.account(t, a.AccountID)
	if got.State != kyc.StateApproved || got.Version != before.Version+1 || got.NotAuthorized() || !got.UpdatedAt.Equal(d.clock.Now()) {
		t.Errorf("account %s v%d, want APPROVED v%d", got.State, got.Version, before.Version+1)
	}
	if owner, err := d.store.IdentityOwner(t.Context(), kyc.PersonalAccount, a.idNumber); err != nil || owner != a.AccountID {
		t.Errorf("IdentityOwner = %q, %v; want the approved account", owner, err)
	}
	d.wantAudit(t, a.AccountID, kyc.AuditRecord{At: d.clock.Now(), Actor: rev.ID, ActorRole: kyc.RoleReviewer, Action: "approve",
		From: kyc.StatePendingReview, To: kyc.StateApproved, RequestID: "req-approve-1"})
	if l, _ := d.list(t, personalListPath, rev.Token, nil); len(l.Data) != 0 || *l.TotalCount != 0 {
		t.Errorf("list after approval: %v, totalCount %d", l.Data, *l.TotalCount)
	}
	view, _ := d.accountView(t, a.Token)
	if view.State != "APPROVED" || view.NotAuthorized || view.Status != 0 {
		t.Errorf("GET /v1/account %+v", view)
	}
	// Approving again is a conflict.
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusConflict, 1021, "")

	// A company is approved the same way.
	c := d.newApplicant(t, kyc.CompanyAccount, 2)
	d.pending(t, c)
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(c.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	if m := d.me(t, c.Token); m.Status != 0 || m.AuthenticationState != 1 {
		t.Errorf("company after approval: me %+v", m)
	}
}

// Two accounts passed the automated checks with one ID number (neither was approved yet):
// the first approval claims it, the second is a conflict and the account stays pending.
func TestReviewAuthorizeDuplicateIdentity(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a, b := d.newApplicant(t, kyc.PersonalAccount, 1), d.newApplicant(t, kyc.PersonalAccount, 2)
	b.idNumber = a.idNumber
	d.pending(t, a)
	pb := d.pending(t, b)
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(b.AccountID), rev.Token, nil), http.StatusConflict, 1021, "")
	if got := d.account(t, b.AccountID); !reflect.DeepEqual(got, pb) {
		t.Errorf("the refused approval changed the account: %s v%d", got.State, got.Version)
	}
	if m := d.me(t, b.Token); m.AuthenticationState != 0 {
		t.Errorf("second holder certified: %+v", m)
	}
	// The reviewer can still reject it.
	wantEnvelope(t, d.call(t, http.MethodPost, rejectPath(b.AccountID), rev.Token, map[string]any{"reason": "身份证号已被其他账户认证", "reject_type": "FINAL"}), http.StatusOK, CodeOK, "")
}

// Issue 11: a company's organizationRegNo is required, and it is the identity approval
// claims. A company cannot leave it out (which would let it be approved claiming nothing);
// two companies apply with one USCC (the second typed in lower case between spaces, which
// normalises to the same code) and both pass the automated checks, neither being approved
// yet; the first approval claims the code, the second is 409 / 1021 and changes nothing.
func TestReviewAuthorizeDuplicateCompanyIdentity(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a, b := d.newApplicant(t, kyc.CompanyAccount, 1), d.newApplicant(t, kyc.CompanyAccount, 2)

	before := d.snapshot(t, b.AccountID)
	body := map[string]string{"organization": b.organization,
		"licence": d.upload(t, b.Token, "licence", licPNG), "confirmation": d.upload(t, b.Token, "confirmation", confPDF)}
	wantEnvelope(t, d.call(t, http.MethodPost, companyPath, b.Token, body), http.StatusBadRequest, 997, "organizationRegNo")
	d.wantUnchanged(t, b.AccountID, before)

	b.idNumber = " " + strings.ToLower(a.idNumber) + " "
	d.pending(t, a)
	pb := d.pending(t, b)
	if pb.IDNumber != a.idNumber {
		t.Fatalf("second company stored %q, want the normalised %q", pb.IDNumber, a.idNumber)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
	if owner, err := d.store.IdentityOwner(t.Context(), kyc.CompanyAccount, a.idNumber); err != nil || owner != a.AccountID {
		t.Errorf("IdentityOwner = %q, %v; want the first company", owner, err)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(b.AccountID), rev.Token, nil), http.StatusConflict, 1021, "")
	if got := d.account(t, b.AccountID); !reflect.DeepEqual(got, pb) {
		t.Errorf("the refused approval changed the account: %s v%d", got.State, got.Version)
	}
	if m := d.me(t, b.Token); m.AuthenticationState != 0 {
		t.Errorf("second holder certified: %+v", m)
	}
}

// Only PENDING_REVIEW accounts can be decided: in every other state both decisions are
// 409 / 1021 and change nothing; an unknown account is 404 / 1015.
func TestReviewDecisionNeedsPendingReview(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	states := map[string]func(t *testing.T) string{
		"UNVERIFIED": func(t *testing.T) string { return d.newApplicant(t, kyc.PersonalAccount, 1).AccountID },
		"SUBMITTED": func(t *testing.T) string {
			a := d.newApplicant(t, kyc.PersonalAccount, 2)
			d.submit(t, a, nil)
			return a.AccountID
		},
		"APPROVED": func(t *testing.T) string {
			a := d.newApplicant(t, kyc.PersonalAccount, 3)
			d.pending(t, a)
			wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
			return a.AccountID
		},
		"REJECTED by the checks": func(t *testing.T) string {
			a := d.newApplicant(t, kyc.PersonalAccount, 4)
			d.submit(t, a, frontPNG[:100])
			d.rvWork(t)
			return a.AccountID
		},
		"REJECTED RETRY": func(t *testing.T) string {
			a := d.newApplicant(t, kyc.PersonalAccount, 5)
			d.pending(t, a)
			wantEnvelope(t, d.call(t, http.MethodPost, rejectPath(a.AccountID), rev.Token, map[string]any{"reason": "模糊", "reject_type": "RETRY"}), http.StatusOK, CodeOK, "")
			return a.AccountID
		},
		"REJECTED FINAL": func(t *testing.T) string {
			a := d.newApplicant(t, kyc.PersonalAccount, 6)
			d.pending(t, a)
			wantEnvelope(t, d.call(t, http.MethodPost, rejectPath(a.AccountID), rev.Token, map[string]any{"reason": "伪造", "reject_type": "FINAL"}), http.StatusOK, CodeOK, "")
			return a.AccountID
		},
	}
	for name, setup := range states {
		t.Run(name, func(t *testing.T) {
			id := setup(t)
			before := d.account(t, id)
			trail, _ := d.store.ListAudit(t.Context(), id)
			wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(id), rev.Token, nil), http.StatusConflict, 1021, "")
			wantEnvelope(t, d.call(t, http.MethodPost, rejectPath(id), rev.Token, map[string]any{"reason": "x", "reject_type": "FINAL"}), http.StatusConflict, 1021, "")
			if got := d.account(t, id); !reflect.DeepEqual(got, before) {
				t.Errorf("account changed: %s v%d -> %s v%d", before.State, before.Version, got.State, got.Version)
			}
			if got, _ := d.store.ListAudit(t.Context(), id); len(got) != len(trail) {
				t.Errorf("audit records added: %+v", got[len(trail):])
			}
		})
	}
	t.Run("unknown account", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodPost, authorizePath("acct-nope"), rev.Token, nil), http.StatusNotFound, 1015, "")
		wantEnvelope(t, d.call(t, http.MethodPost, rejectPath("acct-nope"), rev.Token, map[string]any{"reason": "x"}), http.StatusNotFound, 1015, "")
	})
}

// A rejection needs a reason; its type is RETRY or FINAL and the slots to upload again are
// real slots. A refused request changes nothing.
func TestReviewRejectInput(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	before := d.pending(t, a)
	path := rejectPath(a.AccountID)
	tests := []struct {
		name          string
		body          string
		ctype         string
		status, code  int
		field         string
		wantAccountID bool
	}{
		{"no body", "", "", 400, 997, "reason", false},
		{"no reason", `{"reject_type":"RETRY"}`, "application/json", 400, 997, "reason", false},
		{"blank reason", `{"reason":"   ","reject_type":"RETRY"}`, "application/json", 400, 997, "reason", false},
		{"null reason", `{"reason":null}`, "application/json", 400, 997, "reason", false},
		{"no reason in a form", "reject_type=FINAL", "application/x-www-form-urlencoded", 400, 997, "reason", false},
		{"bad reject_type", `{"reason":"模糊","reject_type":"MAYBE"}`, "application/json", 400, 1006, "reject_type", false},
		{"reject_type in a form", "reason=x&reject_type=LATER", "application/x-www-form-urlencoded", 400, 1006, "reject_type", false},
		{"unknown slot", `{"reason":"模糊","reject_type":"RETRY","documents":["frontOfID","passport"]}`, "application/json", 400, 1006, "documents", false},
		{"unknown slot in a form", "reason=x&documents=frontOfID,passport", "application/x-www-form-urlencoded", 400, 1006, "documents", false},
		{"slot of another case", `{"reason":"模糊","documents":["FrontOfID"]}`, "application/json", 400, 1006, "documents", false},
		{"documents not names", `{"reason":"模糊","documents":[1]}`, "application/json", 400, 1006, "documents", false},
		{"reason is a list", `{"reason":["a"]}`, "application/json", 400, 1006, "reason", false},
		{"reason too long", `{"reason":"` + strings.Repeat("字", 501) + `"}`, "application/json", 400, 1006, "reason", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			w := d.callRaw(t, http.MethodPost, path, rev.Token, tt.ctype, body)
			wantEnvelope(t, w, tt.status, tt.code, tt.field)
			if got := d.account(t, a.AccountID); !reflect.DeepEqual(got, before) {
				t.Errorf("account changed to %s v%d", got.State, got.Version)
			}
		})
	}
}

// A RETRY rejection shows the user the reason and the slots to upload again; the user can
// submit again (a second attempt), and the account goes back to the reviewers.
func TestReviewRejectRetry(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	d.pending(t, a)
	d.clock.Advance(time.Hour)
	const reason = "身份证正面照片模糊，请重新上传"
	w := d.rvCall(t, http.MethodPost, rejectPath(a.AccountID), rev.Token, "req-reject-1",
		map[string]any{"reason": reason, "reject_type": "RETRY", "documents": []string{"frontOfID"}})
	wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	d.wantAudit(t, a.AccountID, kyc.AuditRecord{At: d.clock.Now(), Actor: rev.ID, ActorRole: kyc.RoleReviewer, Action: "reject",
		From: kyc.StatePendingReview, To: kyc.StateRejected, Reason: reason, RequestID: "req-reject-1"})

	view, _ := d.accountView(t, a.Token)
	if view.State != "REJECTED" || view.Status != 3 || view.RejectType != "RETRY" || !slices.Equal(view.Reasons, []string{reason}) ||
		!slices.Equal(view.ReuploadSlots, []string{"frontOfID"}) || view.Attempts != 1 || !view.NotAuthorized {
		t.Errorf("GET /v1/account after the rejection: %+v", view)
	}
	if m := d.me(t, a.Token); m.Status != 3 || m.AuthenticationState != 0 {
		t.Errorf("me after the rejection %+v", m)
	}

	// The user submits again.
	d.clock.Advance(time.Minute)
	d.submit(t, a, filechecktest.PNG(64, 44))
	view, _ = d.accountView(t, a.Token)
	if view.State != "SUBMITTED" || view.Attempts != 2 || len(view.Reasons) != 0 || len(view.ReuploadSlots) != 0 || view.RejectType != "" {
		t.Errorf("GET /v1/account after resubmitting: %+v", view)
	}
	d.rvWork(t)
	l, _ := d.list(t, personalListPath, rev.Token, nil)
	if !slices.Equal(ids(l.Data), []string{a.AccountID}) {
		t.Errorf("list after the resubmission: %v", ids(l.Data))
	}
	dt, _ := d.detail(t, rev.Token, a.AccountID, "req-read")
	if dt.State != "PENDING_REVIEW" || dt.Attempts != 2 {
		t.Errorf("detail after the resubmission: %s, attempts %d", dt.State, dt.Attempts)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, authorizePath(a.AccountID), rev.Token, nil), http.StatusOK, CodePersonalAccepted, "")
}

// After a FINAL rejection no submission of any kind is taken.
func TestReviewRejectFinal(t *testing.T) {
	d := newDocFixture(t)
	rev := d.rvUser(t, kyc.RoleReviewer, nil)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	d.pending(t, a)
	// The seed's apps post forms.
	w := d.callRaw(t, http.MethodPost, rejectPath(a.AccountID), rev.Token, "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"reason": {"证件伪造"}, "reject_type": {"FINAL"}}.Encode()))
	wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	view, _ := d.accountView(t, a.Token)
	if view.State != "REJECTED" || view.RejectType != "FINAL" || !slices.Equal(view.Reasons, []string{"证件伪造"}) || view.Status != 3 {
		t.Fatalf("GET /v1/account %+v", view)
	}

	t.Run("personal with upload keys", func(t *testing.T) {
		body := map[string]string{"ID_number": a.idNumber, "name": a.name, "frontOfID": d.upload(t, a.Token, "frontOfID", frontPNG), "backOfID": d.upload(t, a.Token, "backOfID", backPNG)}
		before := d.snapshot(t, a.AccountID)
		wantEnvelope(t, d.call(t, http.MethodPost, personalPath, a.Token, body), http.StatusConflict, 1021, "")
		d.wantUnchanged(t, a.AccountID, before)
	})
	t.Run("personal multipart", func(t *testing.T) {
		before := d.snapshot(t, a.AccountID)
		b, ct := multipartBody(t, map[string]string{"ID_number": a.idNumber},
			formFile{"frontOfID", "front.png", "image/png", frontPNG}, formFile{"backOfID", "back.png", "image/png", backPNG})
		wantEnvelope(t, d.callRaw(t, http.MethodPost, personalPath, a.Token, ct, b), http.StatusConflict, 1021, "")
		d.wantUnchanged(t, a.AccountID, before)
	})
	t.Run("company multipart", func(t *testing.T) {
		before := d.snapshot(t, a.AccountID)
		b, ct := multipartBody(t, map[string]string{"organization": "深圳市示例科技有限公司", "organizationRegNo": rvUSCC()},
			formFile{"licence", "licence.png", "image/png", licPNG}, formFile{"confirmation", "confirmation.pdf", "application/pdf", confPDF})
		wantEnvelope(t, d.callRaw(t, http.MethodPost, companyPath, a.Token, ct, b), http.StatusConflict, 1021, "")
		d.wantUnchanged(t, a.AccountID, before)
	})
}

// A user calling any reviewer route is 403 / 1020 (401 / 999 without a token), and
// nothing is read into the audit trail or changed.
func TestReviewRoutesForbiddenToUsers(t *testing.T) {
	d := newDocFixture(t)
	a := d.newApplicant(t, kyc.PersonalAccount, 1)
	before := d.pending(t, a)
	trail, _ := d.store.ListAudit(t.Context(), a.AccountID)
	other := d.rvUser(t, kyc.RoleUser, nil)
	calls := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, personalListPath, nil},
		{http.MethodGet, companyListPath, nil},
		{http.MethodGet, detailPath(a.AccountID), nil},
		{http.MethodPost, authorizePath(a.AccountID), nil},
		{http.MethodPost, rejectPath(a.AccountID), map[string]any{"reason": "x", "reject_type": "FINAL"}},
	}
	for _, c := range calls {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			for _, tok := range []string{a.Token, other.Token} { // the owner is no reviewer either
				wantEnvelope(t, d.call(t, c.method, c.path, tok, c.body), http.StatusForbidden, 1020, "")
			}
			wantEnvelope(t, d.call(t, c.method, c.path, "", c.body), http.StatusUnauthorized, 999, "")
		})
	}
	if got := d.account(t, a.AccountID); !reflect.DeepEqual(got, before) {
		t.Errorf("account changed")
	}
	if got, _ := d.store.ListAudit(t.Context(), a.AccountID); len(got) != len(trail) {
		t.Errorf("audit records added: %+v", got[len(trail):])
	}
}

// Many reviewers deciding at once make exactly one transition: 50 simultaneous approvals
// of one account give one 12001 and 49 conflicts, and simultaneous approvals of several
// accounts with one ID number approve exactly one. On dynoxide and on DynamoDB Local.
func TestReviewConcurrentApprovals(t *testing.T) {
	stores := []struct {
		name string
		open func(*testing.T) kyc.Store
	}{
		{"dynoxide", storeOn(testenv.Dynoxide)},
		{"dynamodb-local", storeOn(testenv.DynamoDBLocal)},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			d := newDocFixtureOn(t, st.open(t))
			var reviewers []docUser
			for range 5 {
				reviewers = append(reviewers, d.rvUser(t, kyc.RoleReviewer, nil))
			}
			// approveAll sends one approval per target at once and returns the answers.
			approveAll := func(t *testing.T, targets []string) []*httptest.ResponseRecorder {
				out := make([]*httptest.ResponseRecorder, len(targets))
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, id := range targets {
					wg.Go(func() {
						ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%02d", i)})
						r := httptest.NewRequestWithContext(ctx, http.MethodPost, authorizePath(id), nil)
						r.Header.Set("Authorization", "Bearer "+reviewers[i%len(reviewers)].Token)
						<-start
						out[i] = serve(d.mux, r)
					})
				}
				close(start)
				wg.Wait()
				return out
			}
			// tally returns the index of the one approval, failing unless all others conflict.
			tally := func(t *testing.T, answers []*httptest.ResponseRecorder) int {
				t.Helper()
				winner, conflicts := -1, 0
				for i, w := range answers {
					e := envelopeOf(t, w)
					switch {
					case w.Code == http.StatusOK && e.ErrorCode == CodePersonalAccepted:
						if winner >= 0 {
							t.Errorf("approvals %d and %d both succeeded", winner, i)
						}
						winner = i
					case w.Code == http.StatusConflict && e.ErrorCode == 1021:
						conflicts++
					default:
						t.Errorf("approval %d: %d %s", i, w.Code, w.Body)
					}
				}
				if winner < 0 || conflicts != len(answers)-1 {
					t.Fatalf("%d conflicts and winner %d, want exactly one approval and %d conflicts", conflicts, winner, len(answers)-1)
				}
				return winner
			}

			t.Run("50 approvals of one account", func(t *testing.T) {
				a := d.newApplicant(t, kyc.PersonalAccount, 1)
				before := d.pending(t, a)
				targets := make([]string, 50)
				for i := range targets {
					targets[i] = a.AccountID
				}
				winner := tally(t, approveAll(t, targets))
				got := d.account(t, a.AccountID)
				if got.State != kyc.StateApproved || got.Version != before.Version+1 {
					t.Errorf("account %s v%d, want APPROVED v%d", got.State, got.Version, before.Version+1)
				}
				trail, err := d.store.ListAudit(t.Context(), a.AccountID)
				if err != nil {
					t.Fatal(err)
				}
				var approvals []kyc.AuditRecord
				for _, r := range trail {
					if r.Action == "approve" {
						approvals = append(approvals, r)
					}
				}
				wantRec := kyc.AuditRecord{AccountID: a.AccountID, At: d.clock.Now(), Actor: reviewers[winner%len(reviewers)].ID, ActorRole: kyc.RoleReviewer,
					Action: "approve", From: kyc.StatePendingReview, To: kyc.StateApproved, RequestID: fmt.Sprintf("req-%02d", winner)}
				if len(approvals) != 1 || !reflect.DeepEqual(approvals[0], wantRec) {
					t.Errorf("approve records %+v, want exactly %+v", approvals, wantRec)
				}
				if m := d.me(t, a.Token); m.AuthenticationState != 1 || m.Status != 0 {
					t.Errorf("me %+v", m)
				}
			})
			t.Run("one ID number on several accounts", func(t *testing.T) {
				var apps []applicant
				var targets []string
				for i := range 8 {
					a := d.newApplicant(t, kyc.PersonalAccount, 10+i)
					if i > 0 {
						a.idNumber = apps[0].idNumber
					}
					d.pending(t, a)
					apps, targets = append(apps, a), append(targets, a.AccountID)
				}
				winner := tally(t, approveAll(t, targets))
				for i, a := range apps {
					want := kyc.StatePendingReview
					if i == winner {
						want = kyc.StateApproved
					}
					if got := d.account(t, a.AccountID); got.State != want {
						t.Errorf("account %d: %s, want %s", i, got.State, want)
					}
				}
				if owner, err := d.store.IdentityOwner(t.Context(), kyc.PersonalAccount, apps[0].idNumber); err != nil || owner != apps[winner].AccountID {
					t.Errorf("IdentityOwner = %q, %v; want %s", owner, err, apps[winner].AccountID)
				}
				if l, _ := d.list(t, personalListPath, reviewers[0].Token, nil); *l.TotalCount != 7 {
					t.Errorf("pending count %d, want 7", *l.TotalCount)
				}
			})
		})
	}
}
