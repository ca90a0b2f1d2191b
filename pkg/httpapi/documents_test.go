package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// POST /v1/uploads hands out a presigned PUT under uploads/<account>/<slot>/, pinned to
// the type and length asked for, valid for about ten minutes, and records it.
func TestCreateUpload(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	before := time.Now()
	g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))

	prefix := "uploads/" + u.AccountID + "/frontOfID/"
	if !strings.HasPrefix(g.Key, prefix) || len(g.Key) == len(prefix) || strings.Contains(g.Key[len(prefix):], "/") {
		t.Errorf("key = %q, want %s<id>", g.Key, prefix)
	}
	if g.Method != http.MethodPut {
		t.Errorf("method = %q, want PUT", g.Method)
	}
	pu, err := url.Parse(g.URL)
	if err != nil || !strings.HasPrefix(g.URL, testenv.Gateway(t).Endpoint+"/") || !strings.HasSuffix(pu.Path, "/"+g.Key) {
		t.Errorf("url = %q, want the gateway's URL of the key", g.URL)
	}
	if q := pu.Query(); q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Expires") != "600" {
		t.Errorf("url query = %v, want a SigV4 signature valid 600 s", q)
	}
	if !strings.Contains(pu.Query().Get("X-Amz-SignedHeaders"), "content-length") || !strings.Contains(pu.Query().Get("X-Amz-SignedHeaders"), "content-type") {
		t.Errorf("signed headers %q, want content-length and content-type", pu.Query().Get("X-Amz-SignedHeaders"))
	}
	// Cache-Control is signed too, so the uploader cannot store another with the file.
	wantHeaders := map[string]string{"Content-Type": "image/png", "Content-Length": strconv.Itoa(len(frontPNG)), "Cache-Control": "no-store"}
	for k, v := range wantHeaders {
		if g.Headers[k] != v {
			t.Errorf("headers[%s] = %q, want %q (all: %v)", k, g.Headers[k], v, g.Headers)
		}
	}
	// SigV4 dates have second precision.
	lo, hi := before.Add(10*time.Minute-2*time.Second), time.Now().Add(10*time.Minute+time.Second)
	if g.ExpiresAt.Before(lo) || g.ExpiresAt.After(hi) {
		t.Errorf("expires_at = %v, want about 10 minutes from %v", g.ExpiresAt, before)
	}

	rec, err := d.store.GetUpload(t.Context(), g.Key, d.clock.Now())
	if err != nil {
		t.Fatalf("GetUpload: %v", err)
	}
	want := kyc.Upload{Key: g.Key, AccountID: u.AccountID, UserID: u.ID, Slot: "frontOfID", ContentType: "image/png", Length: int64(len(frontPNG)),
		CreatedAt: d.clock.Now(), ExpiresAt: d.clock.Now().Add(submission.UploadRecordTTL)}
	if !rec.CreatedAt.Equal(want.CreatedAt) || !rec.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("record times %v..%v, want %v..%v", rec.CreatedAt, rec.ExpiresAt, want.CreatedAt, want.ExpiresAt)
	}
	rec.CreatedAt, rec.ExpiresAt, want.CreatedAt, want.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if rec != want {
		t.Errorf("record = %+v, want %+v", rec, want)
	}

	// Every slot of the table can be asked for by an account that has not submitted yet,
	// up to its exact limit.
	for _, s := range filecheck.Slots() {
		g := d.grant(t, u.Token, s.Name, filecheck.ContentType(s.Formats[0]), int(s.MaxBytes))
		if g.Headers["Content-Length"] != strconv.FormatInt(s.MaxBytes, 10) {
			t.Errorf("%s: Content-Length %q, want %d", s.Name, g.Headers["Content-Length"], s.MaxBytes)
		}
	}
}

func TestCreateUploadRefused(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	const maxFront = 2 << 20
	tests := []struct {
		name          string
		body          map[string]any
		status, code  int
		field         string
		msgContaining string
	}{
		{"unknown slot", map[string]any{"slot": "passport", "content_type": "image/png", "content_length": 100}, 400, 1006, "slot", ""},
		{"slot in the wrong case", map[string]any{"slot": "FrontOfID", "content_type": "image/png", "content_length": 100}, 400, 1006, "slot", ""},
		{"svg", map[string]any{"slot": "frontOfID", "content_type": "image/svg+xml", "content_length": 100}, 415, 1024, "content_type", "image/png"},
		{"html", map[string]any{"slot": "frontOfID", "content_type": "text/html", "content_length": 100}, 415, 1024, "content_type", ""},
		{"pdf for frontOfID", map[string]any{"slot": "frontOfID", "content_type": "application/pdf", "content_length": 100}, 415, 1024, "content_type", ""},
		{"gif for the portrait", map[string]any{"slot": "portrait", "content_type": "image/gif", "content_length": 100}, 415, 1024, "content_type", ""},
		{"2 MiB + 1", map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": maxFront + 1}, 413, 1023, "content_length", strconv.Itoa(maxFront)},
		{"10 MiB + 1 licence", map[string]any{"slot": "licence", "content_type": "application/pdf", "content_length": 10<<20 + 1}, 413, 1023, "content_length", ""},
		{"length 0", map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": 0}, 400, 1006, "content_length", ""},
		{"length -1", map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": -1}, 400, 1006, "content_length", ""},
		{"length abc", map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": "abc"}, 400, 1006, "content_length", ""},
		{"length 1.5", map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": 1.5}, 400, 1006, "content_length", ""},
		{"no slot", map[string]any{"content_type": "image/png", "content_length": 100}, 400, 997, "slot", ""},
		{"no length", map[string]any{"slot": "frontOfID", "content_type": "image/png"}, 400, 997, "content_length", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := wantEnvelope(t, d.call(t, http.MethodPost, "/v1/uploads", u.Token, tt.body), tt.status, tt.code, tt.field)
			if !strings.Contains(e.Msg, tt.msgContaining) {
				t.Errorf("msg %q does not contain %q", e.Msg, tt.msgContaining)
			}
		})
	}

	t.Run("not logged in", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/uploads", "", map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": 100}), 401, 999, "")
	})

	// Once a personal account has submitted its type is fixed: company slots are refused.
	t.Run("confirmation for a personal account that has submitted", func(t *testing.T) {
		d.submitPersonal(t, u)
		w := d.call(t, http.MethodPost, "/v1/uploads", u.Token, map[string]any{"slot": "confirmation", "content_type": "image/png", "content_length": 100})
		e := wantEnvelope(t, w, 400, 1006, "slot")
		if !strings.Contains(e.Msg, "personal_account") && !strings.Contains(string(e.Data), "personal_account") {
			t.Errorf("refusal %s does not say why", w.Body)
		}
		// The ID card slots are still fine.
		d.grant(t, u.Token, "frontOfID", "image/png", 100)
	})
}

// The presigned PUT is enforced by the store itself (the embedded VersityGW here): the
// right file goes in; another length, another type or an expired URL is refused with 403
// and stores nothing.
func TestPresignedPut(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)

	t.Run("the announced file", func(t *testing.T) {
		g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
		if code := put(t, g, frontPNG, nil); code != http.StatusOK {
			t.Fatalf("PUT = %d, want 200", code)
		}
		info, err := d.svc.Docs.Head(t.Context(), g.Key)
		if err != nil || info.Size != int64(len(frontPNG)) || info.ContentType != "image/png" {
			t.Fatalf("stored %+v, %v", info, err)
		}
	})

	t.Run("one byte more", func(t *testing.T) {
		g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
		d.refusedPut(t, g, append(bytes.Clone(frontPNG), 0), nil)
	})
	t.Run("one byte less", func(t *testing.T) {
		g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
		d.refusedPut(t, g, frontPNG[:len(frontPNG)-1], nil)
	})
	t.Run("a much larger file", func(t *testing.T) {
		g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
		d.refusedPut(t, g, make([]byte, 3<<20), nil)
	})
	t.Run("another type", func(t *testing.T) {
		g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
		d.refusedPut(t, g, frontPNG, map[string]string{"Content-Type": "text/html"})
	})
	t.Run("another key", func(t *testing.T) {
		g := d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
		other := g
		other.URL = strings.Replace(g.URL, "/frontOfID/", "/backOfID/", 1)
		other.Key = strings.Replace(g.Key, "/frontOfID/", "/backOfID/", 1)
		d.refusedPut(t, other, frontPNG, nil)
	})
}

// An expired presigned PUT is refused by the store. It waits two seconds, so it runs in
// parallel with the rest of the package.
func TestPresignedPutExpired(t *testing.T) {
	t.Parallel()
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	// The fixture's FixedClock cannot expire an S3 signature (the SDK signs with the real
	// time), so sign with the shortest TTL and wait it out. A URL signed at the same moment
	// for a minute is the control: only the TTL differs.
	{
		presign := func(ttl time.Duration) grantJSON {
			key := "uploads/" + u.AccountID + "/frontOfID/" + d.svc.IDs.NewID()
			pre, err := d.svc.Docs.PresignPut(t.Context(), key, "image/png", int64(len(frontPNG)), ttl)
			if err != nil {
				t.Fatal(err)
			}
			return grantJSON{Key: key, URL: pre.URL, Method: pre.Method, Headers: pre.Headers}
		}
		short, long := presign(time.Second), presign(time.Minute)
		time.Sleep(2 * time.Second)
		answer := d.refusedPut(t, short, frontPNG, nil)
		if !strings.Contains(strings.ToLower(answer), "expired") {
			t.Errorf("store's answer %q does not say expired", answer)
		}
		if code, answer := putBody(t, long, frontPNG, nil); code != http.StatusOK {
			t.Errorf("control PUT = %d, want 200: %s", code, answer)
		}
	}
}

// refusedPut sends a PUT the store must refuse with 403 (or by cutting the connection, for
// a large body), checks that nothing was stored, and returns the store's answer.
func (d *docFixture) refusedPut(t *testing.T, g grantJSON, body []byte, override map[string]string) string {
	t.Helper()
	code, answer := putBody(t, g, body, override)
	// A store may refuse a large body before reading it, and close the connection.
	if code != http.StatusForbidden && (code != -1 || len(body) < 1<<20) {
		t.Errorf("PUT = %d, want 403: %s", code, answer)
	}
	if _, err := d.svc.Docs.Head(t.Context(), g.Key); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("after a refused PUT: Head = %v, want not found", err)
	}
	return answer
}

// Downloads are 302s to a short-lived presigned GET of the very bytes submitted, for the
// owner (header or ?auth_token=) and for reviewers (audited), and for nobody else.
func TestDownloads(t *testing.T) {
	d := newDocFixture(t)
	owner := d.newUser(t, kyc.RoleUser)
	other := d.newUser(t, kyc.RoleUser)
	reviewer := d.newUser(t, kyc.RoleReviewer)
	d.submitPersonal(t, owner)
	d.rvWork(t) // reviewers download checked (and metadata-stripped) documents only
	base := "/v1/cms/account/" + owner.AccountID

	noRedirect := func(t *testing.T, w interface{ Result() *http.Response }) string {
		t.Helper()
		resp := w.Result()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status = %d, want 302", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		return resp.Header.Get("Location")
	}
	wantFile := func(t *testing.T, loc string, want []byte, filename string) {
		t.Helper()
		resp, body := fetch(t, loc)
		if resp.StatusCode != 200 || !bytes.Equal(body, want) {
			t.Fatalf("presigned GET = %d, %d bytes; want 200 and the %d bytes submitted", resp.StatusCode, len(body), len(want))
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+filename+`"` {
			t.Errorf("Content-Disposition = %q, want attachment %s", cd, filename)
		}
		if q, _ := url.Parse(loc); q.Query().Get("X-Amz-Expires") != strconv.Itoa(int(submission.DownloadTTL.Seconds())) {
			t.Errorf("presigned GET valid %s s, want %v", q.Query().Get("X-Amz-Expires"), submission.DownloadTTL)
		}
	}

	t.Run("owner", func(t *testing.T) {
		wantFile(t, noRedirect(t, d.call(t, http.MethodGet, base+"/downloadAuthFrontOfID", owner.Token, nil)), frontPNG, "frontOfID.png")
		wantFile(t, noRedirect(t, d.call(t, http.MethodGet, base+"/downloadAuthBackOfID", owner.Token, nil)), backPNG, "backOfID.png")
	})
	t.Run("auth_token query", func(t *testing.T) {
		w := d.call(t, http.MethodGet, base+"/downloadAuthFrontOfID?auth_token="+url.QueryEscape(owner.Token), "", nil)
		wantFile(t, noRedirect(t, w), frontPNG, "frontOfID.png")
	})
	t.Run("the URL as JSON, for an app that keeps its token out of URLs", func(t *testing.T) {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, base+"/downloadAuthFrontOfID", nil)
		r.Header.Set("Authorization", "Bearer "+owner.Token)
		r.Header.Set("Accept", "text/html;q=0.5, application/json")
		w := serve(d.mux, r)
		e := wantEnvelope(t, w, 200, 1000, "")
		var data struct {
			URL       string `json:"url"`
			ExpiresIn int    `json:"expires_in"`
		}
		if err := json.Unmarshal(e.Data, &data); err != nil || data.ExpiresIn != int(submission.DownloadTTL.Seconds()) {
			t.Fatalf("data %s: %v", e.Data, err)
		}
		if strings.Contains(data.URL, owner.Token) || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("URL holds the token, or the answer may be cached")
		}
		wantFile(t, data.URL, frontPNG, "frontOfID.png")
	})
	t.Run("another user", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodGet, base+"/downloadAuthFrontOfID", other.Token, nil), 403, 1020, "")
		wantEnvelope(t, d.call(t, http.MethodGet, base+"/downloadAuthFrontOfID?auth_token="+url.QueryEscape(other.Token), "", nil), 403, 1020, "")
	})
	t.Run("not logged in", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodGet, base+"/downloadAuthFrontOfID", "", nil), 401, 999, "")
	})
	t.Run("reviewer, audited", func(t *testing.T) {
		before, err := d.store.ListAudit(t.Context(), owner.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		wantFile(t, noRedirect(t, d.call(t, http.MethodGet, base+"/downloadAuthBackOfID", reviewer.Token, nil)), backPNG, "backOfID.png")
		after, err := d.store.ListAudit(t.Context(), owner.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before)+1 {
			t.Fatalf("audit grew from %d to %d records, want one more", len(before), len(after))
		}
		// The test clock stands still, so records of one instant may list in any order:
		// take the download wherever it is.
		i := slices.IndexFunc(after, func(r kyc.AuditRecord) bool { return r.Action == "download" })
		if i < 0 {
			t.Fatalf("no download in the audit trail %+v", after)
		}
		r := after[i]
		if r.Action != "download" || r.Actor != reviewer.ID || r.ActorRole != kyc.RoleReviewer || r.Reason != "backOfID" || r.From != kyc.StatePendingReview || r.To != kyc.StatePendingReview {
			t.Errorf("audit record %+v, want the reviewer's download of backOfID", r)
		}
		// The owner's own downloads are not audited.
		noRedirect(t, d.call(t, http.MethodGet, base+"/downloadAuthFrontOfID", owner.Token, nil))
		if again, _ := d.store.ListAudit(t.Context(), owner.AccountID); len(again) != len(after) {
			t.Errorf("owner download added an audit record")
		}
	})
	t.Run("slot never uploaded", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodGet, base+"/downAuthLicence", owner.Token, nil), 404, 1015, "")
		wantEnvelope(t, d.call(t, http.MethodGet, base+"/downAuthConfirmation", reviewer.Token, nil), 404, 1015, "")
		// An account that never submitted has no documents at all.
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/account/"+other.AccountID+"/downloadAuthFrontOfID", other.Token, nil), 404, 1015, "")
	})
	t.Run("unknown account", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/account/acct-none/downloadAuthFrontOfID", reviewer.Token, nil), 404, 1015, "")
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/account/acct-none/downloadAuthFrontOfID", owner.Token, nil), 404, 1015, "")
	})
	t.Run("confirmation sample", func(t *testing.T) {
		loc := noRedirect(t, d.call(t, http.MethodGet, "/v1/cms/account/downloadConfirmationFile", other.Token, nil))
		resp, body := fetch(t, loc)
		if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF-")) || !bytes.Equal(body, submission.ConfirmationSample()) {
			t.Fatalf("sample = %d, %d bytes starting %q; want 200 and the shipped PDF", resp.StatusCode, len(body), body[:min(len(body), 8)])
		}
		if res := filecheck.CheckBytes(body, mustSlot(t, "confirmation")); !res.OK() || res.Format != filecheck.FormatPDF {
			t.Errorf("the sample is not an acceptable PDF: %+v", res)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("Content-Disposition = %q, want an attachment", cd)
		}
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/cms/account/downloadConfirmationFile", "", nil), 401, 999, "")
	})
}

func mustSlot(t *testing.T, name string) filecheck.Slot {
	t.Helper()
	s, ok := filecheck.LookupSlot(name)
	if !ok {
		t.Fatalf("no slot %s", name)
	}
	return s
}

// accountJSON is GET /v1/account's data; unknown fields fail the decode.
type accountJSON struct {
	ID            string   `json:"id"`
	Type          string   `json:"type"`
	State         string   `json:"state"`
	Status        int      `json:"status"`
	Name          string   `json:"name"`
	Organization  string   `json:"organization"`
	IDNumber      string   `json:"id_number"`
	Documents     []string `json:"documents"`
	Reasons       []string `json:"reasons"`
	RejectType    string   `json:"reject_type"`
	ReuploadSlots []string `json:"reupload_slots"`
	Attempts      int      `json:"attempts"`
	MaxAttempts   int      `json:"max_attempts"`
	NotAuthorized bool     `json:"not_authorized"`
}

func (d *docFixture) accountView(t *testing.T, token string) (accountJSON, string) {
	t.Helper()
	w := d.call(t, http.MethodGet, "/v1/account", token, nil)
	e := wantEnvelope(t, w, 200, CodeOK, "")
	var a accountJSON
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("account %s: %v", e.Data, err)
	}
	return a, w.Body.String()
}

func TestAccountView(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)

	a, _ := d.accountView(t, u.Token)
	want := accountJSON{ID: u.AccountID, Type: "personal_account", State: "UNVERIFIED", Status: 2, Documents: []string{}, Reasons: []string{}, ReuploadSlots: []string{}, MaxAttempts: 5, NotAuthorized: true}
	if !equalJSON(a, want) {
		t.Errorf("before submitting: %+v, want %+v", a, want)
	}

	d.submitPersonal(t, u)
	a, raw := d.accountView(t, u.Token)
	want = accountJSON{ID: u.AccountID, Type: "personal_account", State: "SUBMITTED", Status: 4, Name: "张三", IDNumber: goodID,
		Documents: []string{"backOfID", "frontOfID"}, Reasons: []string{}, ReuploadSlots: []string{}, Attempts: 1, MaxAttempts: 5, NotAuthorized: true}
	if !equalJSON(a, want) {
		t.Errorf("after submitting: %+v, want %+v", a, want)
	}
	// Slots only: no keys, no URLs.
	for _, leak := range []string{"accounts/", "uploads/", "http", "X-Amz", docsBucket} {
		if strings.Contains(raw, leak) {
			t.Errorf("GET /v1/account shows %q: %s", leak, raw)
		}
	}

	d.move(t, u.AccountID, kyc.StatePendingReview, "")
	d.move(t, u.AccountID, kyc.StateRejected, kyc.RejectRetry)
	a, _ = d.accountView(t, u.Token)
	if a.State != "REJECTED" || a.Status != 3 || a.RejectType != "RETRY" || !slices.Equal(a.Reasons, []string{"test"}) || a.Attempts != 1 {
		t.Errorf("after a rejection: %+v", a)
	}
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/account", "", nil), 401, 999, "")
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// POST /v1/user/portrait takes an uploaded portrait; /v1/user/me then shows a presigned
// URL that serves it. A key of another slot is refused.
func TestPortrait(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	img := filechecktest.JPEG(48, 48)

	t.Run("set", func(t *testing.T) {
		key := d.upload(t, u.Token, "portrait", img)
		e := wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/portrait", u.Token, map[string]string{"key": key}), 200, CodeOK, "")
		var set struct {
			Portrait string `json:"portrait"`
		}
		if err := json.Unmarshal(e.Data, &set); err != nil || set.Portrait == "" {
			t.Fatalf("data %s: %v", e.Data, err)
		}
		if resp, body := fetch(t, set.Portrait); resp.StatusCode != 200 || !bytes.Equal(body, img) {
			t.Errorf("portrait URL of the response = %d, %d bytes", resp.StatusCode, len(body))
		}

		me := wantEnvelope(t, d.call(t, http.MethodGet, "/v1/user/me", u.Token, nil), 200, CodeOK, "")
		var prof struct {
			Portrait string `json:"portrait"`
		}
		if err := json.Unmarshal(me.Data, &prof); err != nil || !strings.HasPrefix(prof.Portrait, testenv.Gateway(t).Endpoint+"/") {
			t.Fatalf("me = %s, want a presigned portrait URL", me.Data)
		}
		resp, body := fetch(t, prof.Portrait)
		if resp.StatusCode != 200 || !bytes.Equal(body, img) {
			t.Errorf("me.portrait = %d, %d bytes; want the %d bytes uploaded", resp.StatusCode, len(body), len(img))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("portrait Content-Type = %q", ct)
		}
		stored, err := d.store.GetUser(t.Context(), u.ID)
		if err != nil || !strings.HasPrefix(stored.Portrait, accountPrefix(u.AccountID)+"portrait/") {
			t.Errorf("stored portrait key %q, want it under %sportrait/", stored.Portrait, accountPrefix(u.AccountID))
		}
	})

	t.Run("a new one replaces the old", func(t *testing.T) {
		old, _ := d.store.GetUser(t.Context(), u.ID)
		png := filechecktest.PNG(48, 48)
		key := d.upload(t, u.Token, "portrait", png)
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/portrait", u.Token, map[string]string{"key": key}), 200, CodeOK, "")
		if _, err := d.svc.Docs.Head(t.Context(), old.Portrait); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("old portrait still stored: %v", err)
		}
	})

	refused := func(t *testing.T, key string, status, code int) {
		t.Helper()
		before, _ := d.store.GetUser(t.Context(), u.ID)
		objs := objects(t, accountPrefix(u.AccountID))
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/portrait", u.Token, map[string]string{"key": key}), status, code, "key")
		if after, _ := d.store.GetUser(t.Context(), u.ID); after != before {
			t.Errorf("user changed: %+v -> %+v", before, after)
		}
		if got := objects(t, accountPrefix(u.AccountID)); !slices.Equal(got, objs) {
			t.Errorf("objects %q -> %q", objs, got)
		}
	}
	t.Run("a frontOfID key", func(t *testing.T) {
		refused(t, d.upload(t, u.Token, "frontOfID", frontPNG), 400, 1006)
	})
	t.Run("never uploaded", func(t *testing.T) {
		refused(t, d.grant(t, u.Token, "portrait", "image/png", 100).Key, 400, 1006)
	})
	t.Run("another user's", func(t *testing.T) {
		v := d.newUser(t, kyc.RoleUser)
		refused(t, d.upload(t, v.Token, "portrait", img), 403, 1020)
	})
	t.Run("missing", func(t *testing.T) {
		wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/portrait", u.Token, map[string]string{}), 400, 997, "key")
	})
}

// A reviewer's download of a document that failed its check is 409 / 1021 unless asked
// for with ?forensic=1, which is then audited as a forensic download; a forensic value
// that is neither 1 nor 0 is 400 naming the field. The owner downloads it as any other.
func TestForensicDownload(t *testing.T) {
	d := newDocFixture(t)
	owner := d.newUser(t, kyc.RoleUser)
	reviewer := d.newUser(t, kyc.RoleReviewer)
	d.submitPersonal(t, owner)
	a := d.account(t, owner.AccountID)
	next := a
	next.State = kyc.StatePendingReview
	next.Documents = maps.Clone(a.Documents)
	front := next.Documents["frontOfID"]
	front.Check = "active_content"
	next.Documents["frontOfID"] = front
	if _, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: d.clock.Now(), Actor: "system", Action: "transition", From: a.State, To: next.State}}); err != nil {
		t.Fatal(err)
	}
	path := "/v1/cms/account/" + owner.AccountID + "/downloadAuthFrontOfID"
	forensicDownloads := func() int {
		recs, err := d.store.ListAudit(t.Context(), owner.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			if r.Action == submission.ActionForensicDownload && r.Actor == reviewer.ID && r.Reason == "frontOfID check=active_content" {
				n++
			}
		}
		return n
	}

	e := wantEnvelope(t, d.call(t, http.MethodGet, path, reviewer.Token, nil), http.StatusConflict, 1021, "")
	if !strings.Contains(e.Msg, "failed its check") || !strings.Contains(e.Msg, "forensic=1") {
		t.Errorf("message %q, want it to say the document failed its check and how to ask for it", e.Msg)
	}
	wantEnvelope(t, d.call(t, http.MethodGet, path+"?forensic=0", reviewer.Token, nil), http.StatusConflict, 1021, "")
	for _, bad := range []string{"true", "yes", "1&forensic=1"} {
		wantEnvelope(t, d.call(t, http.MethodGet, path+"?forensic="+bad, reviewer.Token, nil), http.StatusBadRequest, 1006, "forensic")
	}
	if n := forensicDownloads(); n != 0 {
		t.Fatalf("%d forensic downloads audited before any was given", n)
	}

	w := d.call(t, http.MethodGet, path+"?forensic=1", reviewer.Token, nil)
	if w.Code != http.StatusFound || w.Header().Get("Location") == "" {
		t.Fatalf("forensic download = %d, want 302 with a Location: %s", w.Code, w.Body)
	}
	if n := forensicDownloads(); n != 1 {
		t.Fatalf("%d forensic downloads audited, want 1", n)
	}
	resp, body := fetch(t, w.Header().Get("Location"))
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, frontPNG) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("presigned GET = %d, %d bytes, Cache-Control %q; want the bytes submitted, no-store", resp.StatusCode, len(body), resp.Header.Get("Cache-Control"))
	}

	// With the token in the query, as a browser link sends it.
	w = d.call(t, http.MethodGet, path+"?forensic=1&auth_token="+url.QueryEscape(reviewer.Token), "", nil)
	if w.Code != http.StatusFound {
		t.Fatalf("forensic download with auth_token = %d: %s", w.Code, w.Body)
	}

	if w := d.call(t, http.MethodGet, path, owner.Token, nil); w.Code != http.StatusFound {
		t.Fatalf("owner's download of their failed document = %d: %s", w.Code, w.Body)
	}
}

// POST /v1/uploads gives a user submission.UploadGrantsPerHour grants an hour; the next
// is 429 / 1022 naming the limit.
func TestUploadQuota(t *testing.T) {
	d := newDocFixture(t)
	u := d.newUser(t, kyc.RoleUser)
	for range submission.UploadGrantsPerHour {
		d.grant(t, u.Token, "frontOfID", "image/png", len(frontPNG))
	}
	w := d.call(t, http.MethodPost, "/v1/uploads", u.Token, map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": len(frontPNG)})
	e := wantEnvelope(t, w, http.StatusTooManyRequests, 1022, "")
	if !strings.Contains(e.Msg, strconv.Itoa(submission.UploadGrantsPerHour)+" upload URLs per hour") {
		t.Errorf("message %q does not name the limit", e.Msg)
	}
}
