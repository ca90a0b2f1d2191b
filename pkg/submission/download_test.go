package submission_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
)

// checked submits u's personal documents and records the worker's verdicts on them
// (slot -> Check), moving the account to PENDING_REVIEW as the worker does.
func (e *env) checked(t *testing.T, u kyc.User, checks map[string]string) kyc.Account {
	t.Helper()
	if err := e.s.SubmitPersonal(t.Context(), u.Principal(), e.personal(t, u)); err != nil {
		t.Fatal(err)
	}
	a := e.account(t, u.AccountID)
	next := a
	next.State = kyc.StatePendingReview
	next.Documents = map[string]kyc.Document{}
	for slot, d := range a.Documents {
		d.Check = checks[slot]
		next.Documents[slot] = d
	}
	out, err := e.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: testNow, Actor: "system", Action: "transition", From: a.State, To: next.State}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// trail is the account's audit records other than transitions: the downloads.
func (e *env) trail(t *testing.T, accountID string) []kyc.AuditRecord {
	t.Helper()
	all, err := e.store.ListAudit(t.Context(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	var out []kyc.AuditRecord
	for _, r := range all {
		if r.Action != "transition" {
			out = append(out, r)
		}
	}
	return out
}

// fetch GETs a presigned URL with a plain HTTP client.
func fetch(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// A document that failed its check is given to a reviewer only on explicit request
// (forensic), and that download is audited as such, before the URL is returned. Its
// owner gets it as any other.
func TestDownloadFailedCheck(t *testing.T) {
	e := newEnv(t)
	owner := e.user(t, kyc.RoleUser)
	reviewer, admin := e.user(t, kyc.RoleReviewer), e.user(t, kyc.RoleAdmin)
	acct := e.checked(t, owner, map[string]string{"frontOfID": "corrupt", "backOfID": "ok"})
	ctx := t.Context()
	as := func(u kyc.User, forensic bool) submission.Viewer {
		return submission.Viewer{UserID: u.ID, Role: u.Role, RequestID: "req-" + u.ID, Forensic: forensic}
	}

	t.Run("refused to reviewers without forensic", func(t *testing.T) {
		for _, u := range []kyc.User{reviewer, admin} {
			before := len(e.trail(t, acct.ID))
			url, err := e.s.DownloadURL(ctx, as(u, false), acct.ID, "frontOfID")
			if !kyc.IsCode(err, kyc.ECONFLICT) || url != "" {
				t.Fatalf("%s: DownloadURL = %q, %v; want ECONFLICT and no URL", u.Role, url, err)
			}
			if msg := kyc.ErrorMessage(err); !strings.Contains(msg, "frontOfID failed its check (corrupt)") || !strings.Contains(msg, "forensic=1") {
				t.Errorf("%s: message %q, want it to name the slot, the check and forensic=1", u.Role, msg)
			}
			if n := len(e.trail(t, acct.ID)); n != before {
				t.Errorf("%s: a refused download added %d audit records", u.Role, n-before)
			}
		}
	})

	t.Run("forensic download is audited", func(t *testing.T) {
		before := len(e.trail(t, acct.ID))
		url, err := e.s.DownloadURL(ctx, as(reviewer, true), acct.ID, "frontOfID")
		if err != nil {
			t.Fatal(err)
		}
		trail := e.trail(t, acct.ID)
		if len(trail) != before+1 {
			t.Fatalf("audit grew by %d records, want 1", len(trail)-before)
		}
		var rec kyc.AuditRecord
		for _, r := range trail {
			if r.Action == submission.ActionForensicDownload {
				rec = r
			}
		}
		want := kyc.AuditRecord{AccountID: acct.ID, At: testNow, Actor: reviewer.ID, ActorRole: kyc.RoleReviewer, Action: "document.forensic_download",
			From: kyc.StatePendingReview, To: kyc.StatePendingReview, Reason: "frontOfID check=corrupt", RequestID: "req-" + reviewer.ID}
		if !rec.At.Equal(want.At) || rec.AccountID != want.AccountID || rec.Actor != want.Actor || rec.ActorRole != want.ActorRole ||
			rec.Action != want.Action || rec.From != want.From || rec.To != want.To || rec.Reason != want.Reason || rec.RequestID != want.RequestID {
			t.Errorf("audit record %+v, want %+v", rec, want)
		}
		resp, body := fetch(t, url)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, frontPNG) {
			t.Fatalf("GET = %d, %d bytes; want the bytes submitted", resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		logs := e.log.String()
		if !strings.Contains(logs, "document.forensic_download") || strings.Contains(logs, goodID) || strings.Contains(logs, owner.Phone) {
			t.Errorf("log %q: want the forensic download, and no ID number or phone", logs)
		}
	})

	t.Run("no URL when the audit cannot be written", func(t *testing.T) {
		d := e.deps
		d.Store = auditFails{e.store}
		url, err := submission.New(d).DownloadURL(ctx, as(reviewer, true), acct.ID, "frontOfID")
		if err == nil || url != "" {
			t.Fatalf("DownloadURL = %q, %v; want an error and no URL", url, err)
		}
	})

	t.Run("a document that passed needs no forensic", func(t *testing.T) {
		for _, forensic := range []bool{false, true} {
			before := len(e.trail(t, acct.ID))
			if _, err := e.s.DownloadURL(ctx, as(reviewer, forensic), acct.ID, "backOfID"); err != nil {
				t.Fatalf("forensic %v: %v", forensic, err)
			}
			trail := e.trail(t, acct.ID)
			if len(trail) != before+1 {
				t.Fatalf("forensic %v: audit grew by %d records, want 1", forensic, len(trail)-before)
			}
			for _, r := range trail {
				if r.Reason == "backOfID" && r.Action != submission.ActionDownload {
					t.Errorf("forensic %v: download of a passing document audited as %q", forensic, r.Action)
				}
			}
		}
	})

	t.Run("the owner gets their own document", func(t *testing.T) {
		before := len(e.trail(t, acct.ID))
		url, err := e.s.DownloadURL(ctx, as(owner, false), acct.ID, "frontOfID")
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := fetch(t, url); resp.StatusCode != http.StatusOK || !bytes.Equal(body, frontPNG) {
			t.Fatalf("GET = %d, %d bytes; want the bytes submitted", resp.StatusCode, len(body))
		}
		if n := len(e.trail(t, acct.ID)); n != before {
			t.Errorf("the owner's download added %d audit records", n-before)
		}
	})

	t.Run("not checked yet", func(t *testing.T) {
		// Neither inspected nor stripped of its photo metadata (GPS): forensic only.
		u := e.user(t, kyc.RoleUser)
		a := e.checked(t, u, nil)
		before := len(e.trail(t, a.ID))
		_, err := e.s.DownloadURL(ctx, as(reviewer, false), a.ID, "frontOfID")
		if !kyc.IsCode(err, kyc.ECONFLICT) || !strings.Contains(kyc.ErrorMessage(err), "not been through the automated checks") {
			t.Fatalf("download of a document not checked yet: %v, want ECONFLICT saying so", err)
		}
		if _, err := e.s.DownloadURL(ctx, as(reviewer, true), a.ID, "frontOfID"); err != nil {
			t.Fatalf("forensic download of a document not checked yet: %v", err)
		}
		trail := e.trail(t, a.ID)
		// Records of one instant (the test clock stands still) list in any order.
		i := slices.IndexFunc(trail, func(r kyc.AuditRecord) bool { return r.Action == submission.ActionForensicDownload })
		if len(trail) != before+1 || i < 0 || trail[i].Reason != "frontOfID check=none" {
			t.Errorf("trail after the forensic download: %+v", trail)
		}
	})
}

// auditFails is a store whose audit writes fail.
type auditFails struct{ submission.Store }

func (auditFails) AppendAudit(context.Context, kyc.AuditRecord) error {
	return errors.New("store down")
}

func TestParseForensic(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want bool
		code string
	}{
		{nil, false, ""},
		{[]string{""}, false, ""},
		{[]string{"0"}, false, ""},
		{[]string{"1"}, true, ""},
		{[]string{"true"}, false, kyc.EINVALID},
		{[]string{"yes"}, false, kyc.EINVALID},
		{[]string{"1", "1"}, false, kyc.EINVALID},
	} {
		got, err := submission.ParseForensic(c.in)
		if got != c.want || kyc.ErrorCode(err) != c.code {
			t.Errorf("ParseForensic(%q) = %v, %v; want %v, %q", c.in, got, err, c.want, c.code)
		}
		var ke *kyc.Error
		if c.code != "" && (!errors.As(err, &ke) || ke.Field != "forensic") {
			t.Errorf("ParseForensic(%q): error %v does not name the field forensic", c.in, err)
		}
	}
}
