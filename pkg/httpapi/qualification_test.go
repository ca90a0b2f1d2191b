package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// qualificationJSON is a certificate as the user routes and the decisions answer it.
type qualificationJSON struct {
	ID          string     `json:"id"`
	State       string     `json:"state"`
	Reason      string     `json:"reason"`
	SubmittedAt *time.Time `json:"submitted_at"`
	DecidedAt   *time.Time `json:"decided_at"`
}

// pendingQualificationJSON is an item of the reviewers' list.
type pendingQualificationJSON struct {
	ID               string    `json:"id"`
	AccountID        string    `json:"account_id"`
	AccountType      string    `json:"account_type"`
	SubmittedAt      time.Time `json:"submitted_at"`
	ContentType      string    `json:"content_type"`
	Size             int64     `json:"size"`
	PictureURL       string    `json:"picture_url"`
	PictureExpiresAt time.Time `json:"picture_expires_at"`
}

// qualListJSON is the whole envelope of a page of the reviewers' list.
type qualListJSON struct {
	ErrorCode  int                        `json:"error_code"`
	Msg        string                     `json:"msg"`
	Data       []pendingQualificationJSON `json:"data"`
	TotalCount *int64                     `json:"totalCount"`
	NextCursor string                     `json:"next_cursor"`
}

var qualPNG = filechecktest.PNG(120, 90)

func decodeData[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("data %s: %v", raw, err)
	}
	return v
}

// submitQual uploads data to slot qualification as u and submits it, wanting status and code.
func (d *docFixture) submitQual(t *testing.T, u docUser, data []byte, status, code int, field string) envelopeJSON {
	t.Helper()
	key := d.upload(t, u.Token, "qualification", data)
	return wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/qualification", u.Token, map[string]string{"picture": key}), status, code, field)
}

func (d *docFixture) currentQual(t *testing.T, u docUser) qualificationJSON {
	t.Helper()
	e := wantEnvelope(t, d.call(t, http.MethodGet, "/v1/user/qualification", u.Token, nil), http.StatusOK, CodeOK, "")
	return decodeData[qualificationJSON](t, e.Data)
}

func (d *docFixture) listQuals(t *testing.T, token, query string) qualListJSON {
	t.Helper()
	w := d.call(t, http.MethodGet, "/v1/cms/qualification"+query, token, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("list = %d: %s", w.Code, w.Body)
	}
	var l qualListJSON
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil || l.ErrorCode != CodeOK || l.TotalCount == nil {
		t.Fatalf("list body %s: %v", w.Body, err)
	}
	return l
}

// storedQualObjects are the objects under the account's qualification documents.
func (d *docFixture) storedQualObjects(t *testing.T, accountID string) []string {
	t.Helper()
	keys, err := d.svc.Docs.List(t.Context(), "accounts/"+accountID+"/qualification/")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestQualificationFlow: a user submits a certificate and reads it PENDING, while the
// account stays as it was; a second one is refused while the first waits; the reviewer's
// list shows it with a working link to the very bytes uploaded and records the read; a
// rejection needs a reason; the user reads the outcome; a decided certificate cannot be
// decided again and leaves the list; the account's trail holds the submission and the
// decision (who, when, from, to, reason); the user may then submit another.
func TestQualificationFlow(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	rev := d.newUser(t, kyc.RoleReviewer)
	if got := d.currentQual(t, u); got.State != "NONE" || got.ID != "" || got.SubmittedAt != nil {
		t.Fatalf("before any submission: %+v, want state NONE only", got)
	}
	before := d.account(t, u.AccountID)

	e := d.submitQual(t, u, qualPNG, http.StatusOK, CodeOK, "")
	sub := decodeData[qualificationJSON](t, e.Data)
	if sub.ID == "" || sub.State != "PENDING" || sub.SubmittedAt == nil || !sub.SubmittedAt.Equal(testNow) || sub.DecidedAt != nil {
		t.Fatalf("submission answered %+v", sub)
	}
	if got := d.currentQual(t, u); got.ID != sub.ID || got.State != "PENDING" {
		t.Fatalf("GET /v1/user/qualification = %+v, want %s PENDING", got, sub.ID)
	}
	if after := d.account(t, u.AccountID); after.State != before.State || after.Version != before.Version {
		t.Fatalf("the account changed: %s v%d -> %s v%d", before.State, before.Version, after.State, after.Version)
	}
	stored := d.storedQualObjects(t, u.AccountID)
	if len(stored) != 1 {
		t.Fatalf("stored pictures %v, want one", stored)
	}

	// One pending at a time: refused before anything is copied.
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/qualification", u.Token, map[string]string{"picture": d.upload(t, u.Token, "qualification", filechecktest.JPEG(50, 50))}),
		http.StatusConflict, 1021, "")
	if got := d.storedQualObjects(t, u.AccountID); len(got) != 1 {
		t.Fatalf("a refused second certificate left %v", got)
	}

	l := d.listQuals(t, rev.Token, "")
	if *l.TotalCount != 1 || len(l.Data) != 1 || l.NextCursor != "" {
		t.Fatalf("list = %+v, want the one certificate", l)
	}
	it := l.Data[0]
	if it.ID != sub.ID || it.AccountID != u.AccountID || it.AccountType != string(kyc.PersonalAccount) || !it.SubmittedAt.Equal(testNow) ||
		it.ContentType != "image/png" || it.Size != int64(len(qualPNG)) || !it.PictureExpiresAt.Equal(testNow.Add(5*time.Minute)) {
		t.Fatalf("list item %+v", it)
	}
	if strings.Contains(it.PictureURL, "uploads/") || !strings.Contains(it.PictureURL, "/accounts/"+u.AccountID+"/qualification/") {
		t.Fatalf("picture_url %s is not the account's stored copy", it.PictureURL)
	}
	resp, err := http.Get(it.PictureURL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, qualPNG) {
		t.Fatalf("GET picture_url = %d, %d bytes, want the %d bytes uploaded", resp.StatusCode, len(got), len(qualPNG))
	}
	reads, err := d.store.ListActorAudit(t.Context(), rev.ID)
	if err != nil || len(reads) != 1 || reads[0].Action != kyc.ActionListRead || reads[0].Subject != "qualification" ||
		len(reads[0].AccountIDs) != 1 || reads[0].AccountIDs[0] != u.AccountID {
		t.Fatalf("reviewer's reads %+v (%v), want one list_read of qualification naming the account", reads, err)
	}

	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+sub.ID+"/reject", rev.Token, map[string]string{"reason": "  "}), http.StatusBadRequest, 997, "reason")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+sub.ID+"/reject", rev.Token, nil), http.StatusBadRequest, 997, "reason")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+sub.ID+"/reject", rev.Token, map[string]string{"reason": strings.Repeat("长", 501)}), http.StatusBadRequest, 1006, "reason")
	if got := d.currentQual(t, u); got.State != "PENDING" {
		t.Fatalf("refused rejections decided it: %+v", got)
	}
	d.clock.Advance(10 * time.Minute)
	e = wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+sub.ID+"/reject", rev.Token, map[string]string{"reason": "the certificate has expired"}), http.StatusOK, CodeOK, "")
	if got := decodeData[qualificationJSON](t, e.Data); got.State != "REJECTED" || got.Reason != "the certificate has expired" || got.DecidedAt == nil || !got.DecidedAt.Equal(testNow.Add(10*time.Minute)) {
		t.Fatalf("rejection answered %+v", got)
	}
	if got := d.currentQual(t, u); got.ID != sub.ID || got.State != "REJECTED" || got.Reason != "the certificate has expired" {
		t.Fatalf("the user reads %+v, want it REJECTED with the reason", got)
	}
	for _, verb := range []string{"approve", "reject"} {
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+sub.ID+"/"+verb, rev.Token, map[string]string{"reason": "again"}), http.StatusConflict, 1021, "")
	}
	if l := d.listQuals(t, rev.Token, ""); *l.TotalCount != 0 || len(l.Data) != 0 {
		t.Fatalf("after the decision the list is %+v, want empty", l)
	}
	if after := d.account(t, u.AccountID); after.State != before.State || after.Version != before.Version {
		t.Fatalf("the decision changed the account: %s v%d -> %s v%d", before.State, before.Version, after.State, after.Version)
	}
	trail, err := d.store.ListAudit(t.Context(), u.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	var qual []kyc.AuditRecord
	for _, r := range trail {
		if strings.HasPrefix(r.Action, "qualification_") {
			r.RequestID = ""
			qual = append(qual, r)
		}
	}
	want := []kyc.AuditRecord{
		{AccountID: u.AccountID, At: testNow, Actor: u.ID, ActorRole: kyc.RoleUser, Action: kyc.ActionQualificationSubmit, To: "PENDING"},
		{AccountID: u.AccountID, At: testNow.Add(10 * time.Minute), Actor: rev.ID, ActorRole: kyc.RoleReviewer, Action: kyc.ActionQualificationDecide,
			From: "PENDING", To: "REJECTED", Reason: "the certificate has expired"},
	}
	if len(qual) != len(want) {
		t.Fatalf("qualification trail %+v, want %+v", qual, want)
	}
	for i := range want {
		if !qual[i].At.Equal(want[i].At) {
			t.Fatalf("record %d at %s, want %s", i, qual[i].At, want[i].At)
		}
		qual[i].At = want[i].At
		if qual[i] != want[i] {
			t.Fatalf("record %d = %+v, want %+v", i, qual[i], want[i])
		}
	}

	// Decided: another may be submitted, and approved.
	e = d.submitQual(t, u, filechecktest.PDF(""), http.StatusOK, CodeOK, "")
	next := decodeData[qualificationJSON](t, e.Data)
	if next.ID == sub.ID {
		t.Fatal("the second certificate has the first's id")
	}
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+next.ID+"/approve", rev.Token, nil), http.StatusOK, CodeOK, "")
	if got := d.currentQual(t, u); got.ID != next.ID || got.State != "APPROVED" || got.Reason != "" {
		t.Fatalf("after approval the user reads %+v", got)
	}
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/no-such-certificate/approve", rev.Token, nil), http.StatusNotFound, 1015, "")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/no-such-certificate/reject", rev.Token, map[string]string{"reason": "x"}), http.StatusNotFound, 1015, "")
}

// TestQualificationRefusals: every refused submission answers its documented code naming
// `picture`, leaves no document and no certificate behind, and does not count toward
// the day's limit.
func TestQualificationRefusals(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	other := d.newUser(t, kyc.RoleUser)
	post := func(key any) (int, envelopeJSON) {
		t.Helper()
		w := d.call(t, http.MethodPost, "/v1/user/qualification", u.Token, key)
		return w.Code, envelopeOf(t, w)
	}
	// upload grants a PUT of contentType and length len(body) in slot, and sends body.
	upload := func(token, slot, contentType string, body []byte) string {
		g := d.grant(t, token, slot, contentType, len(body))
		if code := put(t, g, body, nil); code != http.StatusOK {
			t.Fatalf("PUT = %d", code)
		}
		return g.Key
	}
	png := filechecktest.PNG(64, 48)
	cases := []struct {
		name   string
		body   any
		status int
		code   int
		reason string
	}{
		{"no picture", map[string]string{}, 400, 997, ""},
		{"blank picture", map[string]string{"picture": " "}, 400, 997, ""},
		{"not an upload key", map[string]string{"picture": "accounts/x/qualification/y"}, 400, 1006, ""},
		{"unknown upload", map[string]string{"picture": "uploads/" + u.AccountID + "/qualification/nope"}, 400, 1006, ""},
		{"another slot's upload", map[string]string{"picture": upload(u.Token, "portrait", "image/png", png)}, 400, 1006, ""},
		{"another user's upload", map[string]string{"picture": upload(other.Token, "qualification", "image/png", png)}, 403, 1020, ""},
		{"granted but never PUT", map[string]string{"picture": d.grant(t, u.Token, "qualification", "image/png", len(png)).Key}, 400, 1006, ""},
		{"truncated PNG", map[string]string{"picture": upload(u.Token, "qualification", "image/png", png[:len(png)-16])}, 400, 1006, "corrupt"},
		{"PDF with JavaScript", map[string]string{"picture": upload(u.Token, "qualification", "application/pdf",
			filechecktest.PDF("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"))}, 400, 1006, "active_content"},
		{"HTML sent as a PNG", map[string]string{"picture": upload(u.Token, "qualification", "image/png", []byte("<html><script>alert(1)</script></html>"))}, 415, 1024, "bad_format"},
		{"a JPEG sent as a PNG", map[string]string{"picture": upload(u.Token, "qualification", "image/png", filechecktest.JPEG(40, 30))}, 415, 1024, "bad_format"},
		{"48 megapixels", map[string]string{"picture": upload(u.Token, "qualification", "image/jpeg", filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 8000, Height: 6000}))}, 413, 1023, "too_large"},
	}
	for _, c := range cases {
		status, e := post(c.body)
		if status != c.status || e.ErrorCode != c.code {
			t.Errorf("%s: %d / %d %q, want %d / %d", c.name, status, e.ErrorCode, e.Msg, c.status, c.code)
			continue
		}
		var fd fieldData
		if err := json.Unmarshal(e.Data, &fd); err != nil || fd.Field != "picture" || c.reason != "" && fd.Reason != c.reason {
			t.Errorf("%s: data %s, want field picture, reason %q", c.name, e.Data, c.reason)
		}
	}
	if got := d.storedQualObjects(t, u.AccountID); len(got) != 0 {
		t.Fatalf("refused submissions left %v", got)
	}
	if got := d.currentQual(t, u); got.State != "NONE" {
		t.Fatalf("after refusals the user has %+v", got)
	}
	rev := d.newUser(t, kyc.RoleReviewer)
	if l := d.listQuals(t, rev.Token, ""); *l.TotalCount != 0 || len(l.Data) != 0 {
		t.Fatalf("refusals are listed: %+v", l)
	}
	// Refusals are no attempts: the day's five are all still there.
	for i := range kyc.QualificationsPerDay {
		e := d.submitQual(t, u, filechecktest.PNG(30+i, 30), http.StatusOK, CodeOK, "")
		id := decodeData[qualificationJSON](t, e.Data).ID
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+id+"/reject", rev.Token, map[string]string{"reason": "unreadable"}), http.StatusOK, CodeOK, "")
	}
	d.submitQual(t, u, filechecktest.PNG(29, 30), http.StatusTooManyRequests, 1022, "")
	if got := d.storedQualObjects(t, u.AccountID); len(got) != kyc.QualificationsPerDay {
		t.Fatalf("%d pictures stored after %d accepted and one limited submission, want %d", len(got), kyc.QualificationsPerDay, kyc.QualificationsPerDay)
	}
	d.clock.Advance(24 * time.Hour) // the next day's window
	u.Token = d.session(t, u.ID, time.Hour)
	d.submitQual(t, u, filechecktest.PNG(29, 30), http.StatusOK, CodeOK, "")
}

// TestQualificationDecisionRace: reviewers deciding one certificate at once, approving
// and rejecting, make exactly one decision: one 200, every other 409 / 1021, one audit
// record, and the pending count back at zero.
func TestQualificationDecisionRace(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	revs := []docUser{d.newUser(t, kyc.RoleReviewer), d.newUser(t, kyc.RoleReviewer), d.newUser(t, kyc.RoleAdmin)}
	id := decodeData[qualificationJSON](t, d.submitQual(t, u, qualPNG, http.StatusOK, CodeOK, "").Data).ID

	const n = 8
	codes := make([]int, n)
	states := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			verb, body := "approve", any(nil)
			if i%2 == 1 {
				verb, body = "reject", map[string]string{"reason": "not legible"}
			}
			<-start
			w := d.call(t, http.MethodPost, "/v1/cms/qualification/"+id+"/"+verb, revs[i%len(revs)].Token, body)
			codes[i] = w.Code
			if w.Code == http.StatusOK {
				var e struct{ Data qualificationJSON }
				_ = json.Unmarshal(w.Body.Bytes(), &e)
				states[i] = e.Data.State
			}
		}()
	}
	close(start)
	wg.Wait()
	won := ""
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			if won != "" {
				t.Fatalf("two decisions won: %v", codes)
			}
			won = states[i]
		case http.StatusConflict:
		default:
			t.Fatalf("request %d answered %d: %v", i, c, codes)
		}
	}
	if won == "" {
		t.Fatalf("no decision won: %v", codes)
	}
	if got := d.currentQual(t, u); got.State != won {
		t.Fatalf("the user reads %s, the winner wrote %s", got.State, won)
	}
	trail, err := d.store.ListAudit(t.Context(), u.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	decisions := 0
	for _, r := range trail {
		if r.Action == kyc.ActionQualificationDecide {
			decisions++
		}
	}
	if decisions != 1 {
		t.Fatalf("%d decision records, want 1", decisions)
	}
	if l := d.listQuals(t, revs[0].Token, ""); *l.TotalCount != 0 || len(l.Data) != 0 {
		t.Fatalf("after the race the list is %+v, want empty with count 0", l)
	}
}

// TestQualificationConcurrentSubmissions: one account submitting several certificates at
// once stores exactly one; the others are refused and leave nothing.
func TestQualificationConcurrentSubmissions(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	const n = 4
	keys := make([]string, n)
	for i := range keys {
		keys[i] = d.upload(t, u.Token, "qualification", filechecktest.PNG(40+i, 40))
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = d.call(t, http.MethodPost, "/v1/user/qualification", u.Token, map[string]string{"picture": keys[i]}).Code
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Fatalf("codes %v", codes)
		}
	}
	if ok != 1 {
		t.Fatalf("%d submissions stored, want 1: %v", ok, codes)
	}
	if got := d.storedQualObjects(t, u.AccountID); len(got) != 1 {
		t.Fatalf("stored pictures %v, want the one certificate's", got)
	}
	rev := d.newUser(t, kyc.RoleReviewer)
	if l := d.listQuals(t, rev.Token, ""); *l.TotalCount != 1 || len(l.Data) != 1 {
		t.Fatalf("list %+v, want one", l)
	}
}

// TestQualificationListPaging: the list is oldest first across pages, with the count of
// the listing's start on every page; a cursor of another list, or an altered one, is 400
// naming cursor; a bad limit names limit.
func TestQualificationListPaging(t *testing.T) {
	d := newDocFixture(t)
	rev := d.newUser(t, kyc.RoleReviewer)
	var want []string
	for range 3 {
		u := d.newUser(t, kyc.RoleUser)
		want = append(want, decodeData[qualificationJSON](t, d.submitQual(t, u, qualPNG, http.StatusOK, CodeOK, "").Data).ID)
		d.clock.Advance(time.Minute)
	}
	first := d.listQuals(t, rev.Token, "?limit=2")
	if *first.TotalCount != 3 || len(first.Data) != 2 || first.NextCursor == "" {
		t.Fatalf("first page %+v", first)
	}
	second := d.listQuals(t, rev.Token, "?limit=2&cursor="+url.QueryEscape(first.NextCursor))
	if *second.TotalCount != 3 || len(second.Data) != 1 || second.NextCursor != "" {
		t.Fatalf("second page %+v", second)
	}
	got := []string{first.Data[0].ID, first.Data[1].ID, second.Data[0].ID}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v (oldest first)", got, want)
		}
	}
	personal := d.call(t, http.MethodGet, "/v1/cms/account/getUnAuthoredPersonalAccount", rev.Token, nil)
	if personal.Code != http.StatusOK {
		t.Fatalf("personal list %d", personal.Code)
	}
	// An account list's cursor (made by the store, as a page would) is not this list's.
	for _, c := range []string{first.NextCursor + "x", first.NextCursor[:len(first.NextCursor)-2]} {
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/qualification?cursor="+url.QueryEscape(c), rev.Token, nil), http.StatusBadRequest, 1006, "cursor")
	}
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/qualification?limit=0", rev.Token, nil), http.StatusBadRequest, 1006, "limit")
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/qualification?limit=x", rev.Token, nil), http.StatusBadRequest, 1006, "limit")
	if l := d.listQuals(t, rev.Token, "?limit=1000"); len(l.Data) != 3 {
		t.Fatalf("limit above 100 lists %d, want all 3", len(l.Data))
	}
}

// TestQualificationOwnReviewer: a user made reviewer after submitting may not decide
// their own certificate (maker-checker), and another reviewer may.
func TestQualificationOwnReviewer(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	id := decodeData[qualificationJSON](t, d.submitQual(t, u, qualPNG, http.StatusOK, CodeOK, "").Data).ID
	if _, err := operatorUsers(d.svc).SetRole(t.Context(), users.Operator("test"), u.ID, string(kyc.RoleReviewer)); err != nil {
		t.Fatal(err)
	}
	token := d.session(t, u.ID, time.Hour)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+id+"/approve", token, nil), http.StatusForbidden, 1020, "")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+id+"/reject", token, map[string]string{"reason": "mine"}), http.StatusForbidden, 1020, "")
	rev := d.newUser(t, kyc.RoleReviewer)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/cms/qualification/"+id+"/approve", rev.Token, nil), http.StatusOK, CodeOK, "")
}

// TestQualificationListEndedSession: the list knows its caller from the token and proves
// the session live in its audit write: an ended session gets 401 and no record.
func TestQualificationListEndedSession(t *testing.T) {
	d := newDocFixture(t)
	rev := d.newUser(t, kyc.RoleReviewer)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/logout", rev.Token, nil), http.StatusOK, CodeOK, "")
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/qualification", rev.Token, nil), http.StatusUnauthorized, 999, "")
	if reads, err := d.store.ListActorAudit(t.Context(), rev.ID); err != nil || len(reads) != 0 {
		t.Fatalf("reads %+v (%v), want none", reads, err)
	}
}
