package kyc_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// The transitions are pure: these tests need no store, queue or clock. Each allowed case
// compares the whole Transition (new account, FromState, FromVersion and audit record)
// with one written out by hand, and checks the input account was left as it was.

var (
	created = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now     = created.Add(26 * time.Hour)
)

const maxAttempts = 5

var (
	owner    = kyc.Actor{ID: "user-1", Role: kyc.RoleUser}
	reviewer = kyc.Actor{ID: "reviewer-1", Role: kyc.RoleReviewer, RequestID: "req-1"}
)

// account is a personal account in state with one earlier submission, at version 7.
func account(state kyc.State, edits ...func(*kyc.Account)) kyc.Account {
	a := kyc.Account{
		ID: "acct-1", OwnerID: "user-1", Type: kyc.PersonalAccount, Name: "张三", Tel: "13800138000",
		IDNumber: "11010519491231002X", State: state, Attempts: 1,
		Documents:   personalDocs("old"),
		SubmittedAt: created.Add(time.Hour), CreatedAt: created, UpdatedAt: created.Add(time.Hour), Version: 7,
	}
	if state == kyc.StateRejected {
		a.RejectType, a.Reasons, a.ReuploadSlots = kyc.RejectRetry, []string{"corrupt:frontOfID"}, []string{"frontOfID"}
	}
	for _, edit := range edits {
		edit(&a)
	}
	return a
}

// fresh is an account that has never submitted.
func fresh(a *kyc.Account) {
	a.State, a.Attempts, a.IDNumber, a.Documents, a.SubmittedAt = kyc.StateUnverified, 0, "", nil, time.Time{}
}

func attempts(n int) func(*kyc.Account) { return func(a *kyc.Account) { a.Attempts = n } }

func final(a *kyc.Account) { a.RejectType = kyc.RejectFinal }

func company(a *kyc.Account) {
	a.Type, a.Organization, a.IDNumber, a.Documents = kyc.CompanyAccount, "北京示例科技有限公司", "91110108MA01234567", companyDocs("old")
}

func personalDocs(tag string) map[string]kyc.Document {
	return map[string]kyc.Document{
		"frontOfID": {Slot: "frontOfID", Key: "accounts/acct-1/frontOfID/" + tag, ContentType: "image/png", Size: 100, UploadedAt: created},
		"backOfID":  {Slot: "backOfID", Key: "accounts/acct-1/backOfID/" + tag, ContentType: "image/png", Size: 101, UploadedAt: created},
	}
}

func companyDocs(tag string) map[string]kyc.Document {
	return map[string]kyc.Document{
		"licence":      {Slot: "licence", Key: "accounts/acct-1/licence/" + tag, ContentType: "application/pdf", Size: 2000, UploadedAt: created},
		"confirmation": {Slot: "confirmation", Key: "accounts/acct-1/confirmation/" + tag, ContentType: "image/jpeg", Size: 3000, UploadedAt: created},
	}
}

// checked is docs with every document's verdict set to check.
func checked(docs map[string]kyc.Document, check string) map[string]kyc.Document {
	out := map[string]kyc.Document{}
	for slot, d := range docs {
		d.Check = check
		out[slot] = d
	}
	return out
}

// refusal is an expected error: its code and the message the API shows.
type refusal struct{ code, message string }

func conflict(message string) *refusal { return &refusal{kyc.ECONFLICT, message} }

// check compares a transition's outcome with the expected one: either the refusal, or
// the transition; and that the input account is unchanged either way.
func check(t *testing.T, in, inBefore kyc.Account, got kyc.Transition, err error, want kyc.Transition, wantErr *refusal) {
	t.Helper()
	if diff := cmp.Diff(inBefore, in); diff != "" {
		t.Errorf("the input account changed (-before +after):\n%s", diff)
	}
	if wantErr != nil {
		var e *kyc.Error
		if !errors.As(err, &e) || e.Code != wantErr.code || e.Message != wantErr.message {
			t.Fatalf("err = %v, want %s: %s", err, wantErr.code, wantErr.message)
		}
		if diff := cmp.Diff(kyc.Transition{}, got); diff != "" {
			t.Errorf("a refusal returned a transition:\n%s", diff)
		}
		return
	}
	if err != nil {
		t.Fatalf("err = %v, want a transition", err)
	}
	if got.FromState != in.State || got.FromVersion != in.Version {
		t.Errorf("from (%s, %d), want the input's (%s, %d)", got.FromState, got.FromVersion, in.State, in.Version)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transition (-want +got):\n%s", diff)
	}
}

// clone is a deep copy of a, to tell whether a transition changed its input.
func clone(a kyc.Account) kyc.Account {
	a.Documents, a.Reasons, a.ReuploadSlots = maps.Clone(a.Documents), slices.Clone(a.Reasons), slices.Clone(a.ReuploadSlots)
	return a
}

func TestTypeFixed(t *testing.T) {
	tests := []struct {
		name string
		a    kyc.Account
		want bool
	}{
		{"never submitted", account(kyc.StateUnverified, fresh), false},
		{"undone first submission", account(kyc.StateUnverified, fresh, attempts(1)), true},
		{"submitted", account(kyc.StateSubmitted), true},
		{"rejected", account(kyc.StateRejected), true},
		{"approved", account(kyc.StateApproved), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.TypeFixed(); got != tt.want {
				t.Errorf("TypeFixed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMaySubmit(t *testing.T) {
	tests := []struct {
		name string
		a    kyc.Account
		typ  kyc.AccountType
		want *refusal
	}{
		{"first personal", account(kyc.StateUnverified, fresh), kyc.PersonalAccount, nil},
		{"first company on a new account", account(kyc.StateUnverified, fresh), kyc.CompanyAccount, nil},
		{"again after a RETRY rejection", account(kyc.StateRejected), kyc.PersonalAccount, nil},
		{"last attempt left", account(kyc.StateRejected, attempts(maxAttempts-1)), kyc.PersonalAccount, nil},
		{"submitted", account(kyc.StateSubmitted), kyc.PersonalAccount, conflict("already under review")},
		{"pending review", account(kyc.StatePendingReview), kyc.PersonalAccount, conflict("already under review")},
		{"approved", account(kyc.StateApproved), kyc.PersonalAccount, conflict("already approved")},
		{"FINAL rejection", account(kyc.StateRejected, final), kyc.PersonalAccount, conflict("rejected for good: no more submissions")},
		{"FINAL rejection outranks the attempts", account(kyc.StateRejected, final, attempts(maxAttempts)), kyc.PersonalAccount,
			conflict("rejected for good: no more submissions")},
		{"under review outranks the attempts", account(kyc.StatePendingReview, attempts(maxAttempts)), kyc.PersonalAccount,
			conflict("already under review")},
		{"attempts used up", account(kyc.StateRejected, attempts(maxAttempts)), kyc.PersonalAccount, &refusal{kyc.ETOOMANY, "too many attempts"}},
		{"attempts beyond the limit", account(kyc.StateRejected, attempts(maxAttempts+3)), kyc.PersonalAccount, &refusal{kyc.ETOOMANY, "too many attempts"}},
		{"attempts used up, undone to UNVERIFIED", account(kyc.StateUnverified, fresh, attempts(maxAttempts)), kyc.PersonalAccount,
			&refusal{kyc.ETOOMANY, "too many attempts"}},
		{"personal after a personal submission", account(kyc.StateRejected), kyc.CompanyAccount, conflict("this is a personal_account")},
		{"personal after an undone company submission", account(kyc.StateUnverified, fresh, company, attempts(1)), kyc.PersonalAccount,
			conflict("this is a company_account")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kyc.MaySubmit(tt.a, tt.typ, maxAttempts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("MaySubmit = %v, want nil", err)
				}
				return
			}
			if code, msg := kyc.ErrorCode(err), kyc.ErrorMessage(err); code != tt.want.code || msg != tt.want.message {
				t.Errorf("MaySubmit = %v, want %s: %s", err, tt.want.code, tt.want.message)
			}
		})
	}
}

func TestMaySubmitHonoursTheConfiguredLimit(t *testing.T) {
	a := account(kyc.StateRejected, attempts(2))
	if err := kyc.MaySubmit(a, kyc.PersonalAccount, 3); err != nil {
		t.Errorf("2 of 3 attempts: %v", err)
	}
	if err := kyc.MaySubmit(a, kyc.PersonalAccount, 2); !kyc.IsCode(err, kyc.ETOOMANY) {
		t.Errorf("2 of 2 attempts: %v, want ETOOMANY", err)
	}
}

func TestSubmit(t *testing.T) {
	newPersonal := personalDocs("new")
	newCompany := companyDocs("new")
	tests := []struct {
		name    string
		a       kyc.Account
		sub     kyc.Submission
		want    func(a kyc.Account) kyc.Account // the new account, from the input
		wantErr *refusal
	}{
		{
			name: "first personal submission",
			a:    account(kyc.StateUnverified, fresh),
			sub:  kyc.Submission{Type: kyc.PersonalAccount, Name: "李四", IDNumber: "11010519491231002X", Documents: newPersonal},
			want: func(a kyc.Account) kyc.Account {
				a.Type, a.Name, a.Organization, a.IDNumber = kyc.PersonalAccount, "李四", "", "11010519491231002X"
				a.State, a.Documents, a.Attempts, a.SubmittedAt, a.UpdatedAt = kyc.StateSubmitted, newPersonal, 1, now, now
				return a
			},
		},
		{
			name: "a personal submission without a name clears the name and any organization",
			a:    account(kyc.StateUnverified, fresh, func(a *kyc.Account) { a.Organization = "left over" }),
			sub:  kyc.Submission{Type: kyc.PersonalAccount, Organization: "ignored", IDNumber: "11010519491231002X", Documents: newPersonal},
			want: func(a kyc.Account) kyc.Account {
				a.Name, a.Organization, a.IDNumber = "", "", "11010519491231002X"
				a.State, a.Documents, a.Attempts, a.SubmittedAt, a.UpdatedAt = kyc.StateSubmitted, newPersonal, 1, now, now
				return a
			},
		},
		{
			name: "first company submission fixes the type and keeps the contact name",
			a:    account(kyc.StateUnverified, fresh),
			sub: kyc.Submission{Type: kyc.CompanyAccount, Name: "ignored", Organization: "北京示例科技有限公司", IDNumber: "91110108MA01234567",
				Documents: newCompany},
			want: func(a kyc.Account) kyc.Account {
				a.Type, a.Organization, a.IDNumber = kyc.CompanyAccount, "北京示例科技有限公司", "91110108MA01234567"
				a.State, a.Documents, a.Attempts, a.SubmittedAt, a.UpdatedAt = kyc.StateSubmitted, newCompany, 1, now, now
				return a
			},
		},
		{
			name: "a company without a registration number",
			a:    account(kyc.StateRejected, company),
			sub:  kyc.Submission{Type: kyc.CompanyAccount, Organization: "北京示例科技有限公司", Documents: newCompany},
			want: func(a kyc.Account) kyc.Account {
				a.IDNumber, a.RejectType, a.Reasons, a.ReuploadSlots = "", "", nil, nil
				a.State, a.Documents, a.Attempts, a.SubmittedAt, a.UpdatedAt = kyc.StateSubmitted, newCompany, 2, now, now
				return a
			},
		},
		{
			name: "resubmission after RETRY clears the rejection and replaces the documents",
			a:    account(kyc.StateRejected, attempts(maxAttempts-1)),
			sub:  kyc.Submission{Type: kyc.PersonalAccount, Name: "张三", IDNumber: "11010519491231002X", Documents: newPersonal},
			want: func(a kyc.Account) kyc.Account {
				a.RejectType, a.Reasons, a.ReuploadSlots = "", nil, nil
				a.State, a.Documents, a.Attempts, a.SubmittedAt, a.UpdatedAt = kyc.StateSubmitted, newPersonal, maxAttempts, now, now
				return a
			},
		},
		{
			name:    "under review",
			a:       account(kyc.StatePendingReview),
			sub:     kyc.Submission{Type: kyc.PersonalAccount, IDNumber: "11010519491231002X", Documents: newPersonal},
			wantErr: conflict("already under review"),
		},
		{
			name:    "approved",
			a:       account(kyc.StateApproved),
			sub:     kyc.Submission{Type: kyc.PersonalAccount, IDNumber: "11010519491231002X", Documents: newPersonal},
			wantErr: conflict("already approved"),
		},
		{
			name:    "FINAL rejection",
			a:       account(kyc.StateRejected, final),
			sub:     kyc.Submission{Type: kyc.PersonalAccount, IDNumber: "11010519491231002X", Documents: newPersonal},
			wantErr: conflict("rejected for good: no more submissions"),
		},
		{
			name:    "too many attempts",
			a:       account(kyc.StateRejected, attempts(maxAttempts)),
			sub:     kyc.Submission{Type: kyc.PersonalAccount, IDNumber: "11010519491231002X", Documents: newPersonal},
			wantErr: &refusal{kyc.ETOOMANY, "too many attempts"},
		},
		{
			name:    "the other type",
			a:       account(kyc.StateRejected),
			sub:     kyc.Submission{Type: kyc.CompanyAccount, Organization: "北京示例科技有限公司", Documents: newCompany},
			wantErr: conflict("this is a personal_account"),
		},
		{
			name:    "a required document missing",
			a:       account(kyc.StateUnverified, fresh),
			sub:     kyc.Submission{Type: kyc.PersonalAccount, IDNumber: "11010519491231002X", Documents: map[string]kyc.Document{"frontOfID": newPersonal["frontOfID"]}},
			wantErr: &refusal{kyc.EMISSING, "backOfID: required"},
		},
		{
			name:    "the first missing document is named",
			a:       account(kyc.StateUnverified, fresh),
			sub:     kyc.Submission{Type: kyc.CompanyAccount, Organization: "北京示例科技有限公司", Documents: newPersonal},
			wantErr: &refusal{kyc.EMISSING, "licence: required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.a)
			got, err := kyc.Submit(tt.a, tt.sub, owner, now, maxAttempts)
			var want kyc.Transition
			if tt.want != nil {
				want = kyc.Transition{Account: tt.want(clone(tt.a)), FromState: tt.a.State, FromVersion: tt.a.Version,
					Audit: kyc.AuditRecord{AccountID: "acct-1", At: now, Actor: "user-1", ActorRole: kyc.RoleUser, Action: "submit",
						From: tt.a.State, To: kyc.StateSubmitted}}
			}
			check(t, tt.a, before, got, err, want, tt.wantErr)
		})
	}
}

// The transition holds its own copy of the documents: a caller that reuses its map does
// not change what is written.
func TestSubmitCopiesTheDocuments(t *testing.T) {
	docs := personalDocs("new")
	got, err := kyc.Submit(account(kyc.StateUnverified, fresh), kyc.Submission{Type: kyc.PersonalAccount, Documents: docs}, owner, now, maxAttempts)
	if err != nil {
		t.Fatal(err)
	}
	delete(docs, "frontOfID")
	if _, ok := got.Account.Documents["frontOfID"]; !ok {
		t.Error("deleting from the caller's map removed the document from the transition")
	}
}

func TestSubmitRecordsTheRequest(t *testing.T) {
	by := kyc.Actor{ID: "user-1", Role: kyc.RoleUser, RequestID: "req-9"}
	got, err := kyc.Submit(account(kyc.StateUnverified, fresh), kyc.Submission{Type: kyc.PersonalAccount, Documents: personalDocs("new")}, by, now, maxAttempts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Audit.RequestID != "req-9" {
		t.Errorf("audit request id %q, want req-9", got.Audit.RequestID)
	}
}

func TestUndoSubmit(t *testing.T) {
	tests := []struct {
		name      string
		before    kyc.Account
		submitted func(before kyc.Account) kyc.Account
		wantErr   *refusal
	}{
		{
			name:   "first submission back to UNVERIFIED",
			before: account(kyc.StateUnverified, fresh),
		},
		{
			name:   "resubmission back to the RETRY rejection",
			before: account(kyc.StateRejected, attempts(3)),
		},
		{
			name:   "the account moved on",
			before: account(kyc.StateUnverified, fresh),
			submitted: func(before kyc.Account) kyc.Account {
				a := submitted(before)
				a.State = kyc.StatePendingReview
				return a
			},
			wantErr: conflict("the account is PENDING_REVIEW, not SUBMITTED"),
		},
		{
			name:   "another account",
			before: account(kyc.StateUnverified, fresh),
			submitted: func(before kyc.Account) kyc.Account {
				a := submitted(before)
				a.ID = "acct-2"
				return a
			},
			wantErr: &refusal{kyc.EINVALID, "cannot undo a submission of account acct-2 with account acct-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := submitted(tt.before)
			if tt.submitted != nil {
				in = tt.submitted(tt.before)
			}
			before, inBefore := clone(tt.before), clone(in)
			got, err := kyc.UndoSubmit(in, tt.before, now)
			if diff := cmp.Diff(before, tt.before); diff != "" {
				t.Errorf("the earlier account changed:\n%s", diff)
			}
			var want kyc.Transition
			if tt.wantErr == nil {
				back := clone(tt.before)
				back.UpdatedAt = now
				want = kyc.Transition{Account: back, FromState: kyc.StateSubmitted, FromVersion: in.Version,
					Audit: kyc.AuditRecord{AccountID: "acct-1", At: now, Actor: "system", Action: "submit_undone",
						From: kyc.StateSubmitted, To: tt.before.State, Reason: "review queue unavailable"}}
			}
			check(t, in, inBefore, got, err, want, tt.wantErr)
		})
	}
}

// submitted is before after a submission the store wrote: SUBMITTED, one more attempt,
// the next version.
func submitted(before kyc.Account) kyc.Account {
	tr, err := kyc.Submit(before, kyc.Submission{Type: before.Type, IDNumber: before.IDNumber, Documents: personalDocs("new")}, owner, now.Add(-time.Second), maxAttempts)
	if err != nil {
		panic(err)
	}
	a := tr.Account
	a.Version = before.Version + 1
	return a
}

func TestChecksPassed(t *testing.T) {
	verdicts := checked(personalDocs("old"), "ok")
	tests := []struct {
		name    string
		a       kyc.Account
		wantErr *refusal
	}{
		{name: "submitted", a: account(kyc.StateSubmitted)},
		{name: "unverified", a: account(kyc.StateUnverified, fresh), wantErr: conflict("the account is UNVERIFIED, not SUBMITTED")},
		{name: "pending review", a: account(kyc.StatePendingReview), wantErr: conflict("the account is PENDING_REVIEW, not SUBMITTED")},
		{name: "approved", a: account(kyc.StateApproved), wantErr: conflict("the account is APPROVED, not SUBMITTED")},
		{name: "rejected", a: account(kyc.StateRejected), wantErr: conflict("the account is REJECTED, not SUBMITTED")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.a)
			got, err := kyc.ChecksPassed(tt.a, verdicts, now)
			var want kyc.Transition
			if tt.wantErr == nil {
				next := clone(tt.a)
				next.State, next.Documents, next.UpdatedAt = kyc.StatePendingReview, verdicts, now
				want = kyc.Transition{Account: next, FromState: kyc.StateSubmitted, FromVersion: 7,
					Audit: kyc.AuditRecord{AccountID: "acct-1", At: now, Actor: "system", Action: "automated_checks",
						From: kyc.StateSubmitted, To: kyc.StatePendingReview}}
			}
			check(t, tt.a, before, got, err, want, tt.wantErr)
		})
	}
}

func TestChecksFailed(t *testing.T) {
	verdicts := checked(personalDocs("old"), "ok")
	corrupt := checked(personalDocs("old"), "ok")
	d := corrupt["frontOfID"]
	d.Check = "corrupt"
	corrupt["frontOfID"] = d
	tests := []struct {
		name     string
		a        kyc.Account
		docs     map[string]kyc.Document
		reasons  []string
		reupload []string
		wantErr  *refusal
	}{
		{name: "a bad document", a: account(kyc.StateSubmitted), docs: corrupt,
			reasons: []string{"corrupt:frontOfID"}, reupload: []string{"frontOfID"}},
		{name: "several reasons", a: account(kyc.StateSubmitted), docs: corrupt,
			reasons:  []string{"corrupt:frontOfID", "bad_checksum:ID_number", "duplicate_identity"},
			reupload: []string{"frontOfID"}},
		{name: "nothing to upload anew", a: account(kyc.StateSubmitted), docs: verdicts,
			reasons: []string{"duplicate_identity"}},
		{name: "no reason", a: account(kyc.StateSubmitted), docs: verdicts,
			wantErr: &refusal{kyc.EMISSING, "reasons: required"}},
		{name: "pending review", a: account(kyc.StatePendingReview), docs: corrupt, reasons: []string{"corrupt:frontOfID"},
			wantErr: conflict("the account is PENDING_REVIEW, not SUBMITTED")},
		{name: "rejected", a: account(kyc.StateRejected), docs: corrupt, reasons: []string{"corrupt:frontOfID"},
			wantErr: conflict("the account is REJECTED, not SUBMITTED")},
		{name: "approved", a: account(kyc.StateApproved), docs: corrupt, reasons: []string{"corrupt:frontOfID"},
			wantErr: conflict("the account is APPROVED, not SUBMITTED")},
		{name: "unverified", a: account(kyc.StateUnverified, fresh), docs: corrupt, reasons: []string{"corrupt:frontOfID"},
			wantErr: conflict("the account is UNVERIFIED, not SUBMITTED")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.a)
			got, err := kyc.ChecksFailed(tt.a, tt.docs, tt.reasons, tt.reupload, now)
			var want kyc.Transition
			if tt.wantErr == nil {
				next := clone(tt.a)
				next.State, next.RejectType, next.Reasons, next.ReuploadSlots = kyc.StateRejected, kyc.RejectRetry, tt.reasons, tt.reupload
				next.Documents, next.UpdatedAt = tt.docs, now
				want = kyc.Transition{Account: next, FromState: kyc.StateSubmitted, FromVersion: 7,
					Audit: kyc.AuditRecord{AccountID: "acct-1", At: now, Actor: "system", Action: "automated_checks",
						From: kyc.StateSubmitted, To: kyc.StateRejected, Reason: strings.Join(tt.reasons, ",")}}
			}
			check(t, tt.a, before, got, err, want, tt.wantErr)
		})
	}
}

func TestParseRejection(t *testing.T) {
	tests := []struct {
		name, reason, rejectType string
		reupload                 []string
		want                     kyc.Rejection
		wantErr                  *refusal
		wantField                string
	}{
		{name: "defaults to RETRY", reason: "blurred photo", want: kyc.Rejection{Reason: "blurred photo", Type: kyc.RejectRetry}},
		{name: "trimmed, any case", reason: "  blurred photo\n", rejectType: " final ", reupload: []string{"frontOfID"},
			want: kyc.Rejection{Reason: "blurred photo", Type: kyc.RejectFinal, Reupload: []string{"frontOfID"}}},
		{name: "retry spelled out", reason: "x", rejectType: "RETRY", want: kyc.Rejection{Reason: "x", Type: kyc.RejectRetry}},
		{name: "500 characters", reason: strings.Repeat("模", 500), want: kyc.Rejection{Reason: strings.Repeat("模", 500), Type: kyc.RejectRetry}},
		{name: "no reason", reason: "", wantErr: &refusal{kyc.EMISSING, "reason: required"}, wantField: "reason"},
		{name: "only spaces", reason: " \t\n", rejectType: "FINAL", wantErr: &refusal{kyc.EMISSING, "reason: required"}, wantField: "reason"},
		{name: "501 characters", reason: strings.Repeat("模", 501),
			wantErr: &refusal{kyc.EINVALID, "reason: must be at most 500 characters"}, wantField: "reason"},
		{name: "unknown reject type", reason: "x", rejectType: "MAYBE",
			wantErr: &refusal{kyc.EINVALID, "reject_type: must be RETRY or FINAL"}, wantField: "reject_type"},
		{name: "reason checked first", reason: "", rejectType: "MAYBE", wantErr: &refusal{kyc.EMISSING, "reason: required"}, wantField: "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kyc.ParseRejection(tt.reason, tt.rejectType, tt.reupload)
			if tt.wantErr != nil {
				var e *kyc.Error
				if !errors.As(err, &e) || e.Code != tt.wantErr.code || e.Message != tt.wantErr.message || e.Field != tt.wantField {
					t.Fatalf("err = %#v, want %s: %s on field %s", err, tt.wantErr.code, tt.wantErr.message, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rejection (-want +got):\n%s", diff)
			}
		})
	}
}

// decisionRefusals are accounts a reviewer may not decide, with the conflict each gets.
func decisionRefusals() []struct {
	name string
	a    kyc.Account
	want *refusal
} {
	return []struct {
		name string
		a    kyc.Account
		want *refusal
	}{
		{"unverified", account(kyc.StateUnverified, fresh), conflict("the account is UNVERIFIED, not PENDING_REVIEW")},
		{"submitted", account(kyc.StateSubmitted), conflict("the account is SUBMITTED, not PENDING_REVIEW")},
		{"approved already", account(kyc.StateApproved), conflict("the account is APPROVED, not PENDING_REVIEW")},
		{"rejected already", account(kyc.StateRejected), conflict("the account is REJECTED, not PENDING_REVIEW")},
	}
}

func TestApprove(t *testing.T) {
	t.Run("pending review", func(t *testing.T) {
		a := account(kyc.StatePendingReview, func(a *kyc.Account) {
			a.Documents = checked(a.Documents, "ok")
		})
		before := clone(a)
		got, err := kyc.Approve(a, reviewer, now)
		next := clone(a)
		next.State, next.UpdatedAt = kyc.StateApproved, now
		want := kyc.Transition{Account: next, FromState: kyc.StatePendingReview, FromVersion: 7,
			Audit: kyc.AuditRecord{AccountID: "acct-1", At: now, Actor: "reviewer-1", ActorRole: kyc.RoleReviewer, Action: "approve",
				From: kyc.StatePendingReview, To: kyc.StateApproved, RequestID: "req-1"}}
		check(t, a, before, got, err, want, nil)
		if got.Account.NotAuthorized() {
			t.Error("an approved account is still not authorized")
		}
	})
	t.Run("clears what an earlier rejection left", func(t *testing.T) {
		// A pending account normally has nothing left (Submit clears it); whatever it has
		// must not show on an approved account.
		a := account(kyc.StatePendingReview, func(a *kyc.Account) {
			a.RejectType, a.Reasons, a.ReuploadSlots = kyc.RejectRetry, []string{"old"}, []string{"frontOfID"}
		})
		got, err := kyc.Approve(a, reviewer, now)
		if err != nil {
			t.Fatal(err)
		}
		if n := got.Account; n.RejectType != "" || n.Reasons != nil || n.ReuploadSlots != nil {
			t.Errorf("approved account keeps %q %q %q", n.RejectType, n.Reasons, n.ReuploadSlots)
		}
	})
	for _, tt := range decisionRefusals() {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.a)
			got, err := kyc.Approve(tt.a, reviewer, now)
			check(t, tt.a, before, got, err, kyc.Transition{}, tt.want)
		})
	}
}

func TestReject(t *testing.T) {
	tests := []struct {
		name string
		r    kyc.Rejection
	}{
		{"retry with documents", kyc.Rejection{Reason: "blurred photo", Type: kyc.RejectRetry, Reupload: []string{"frontOfID", "backOfID"}}},
		{"retry without documents", kyc.Rejection{Reason: "name does not match", Type: kyc.RejectRetry}},
		{"final", kyc.Rejection{Reason: "forged document", Type: kyc.RejectFinal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := account(kyc.StatePendingReview)
			before := clone(a)
			got, err := kyc.Reject(a, reviewer, now, tt.r)
			next := clone(a)
			next.State, next.RejectType, next.Reasons, next.ReuploadSlots = kyc.StateRejected, tt.r.Type, []string{tt.r.Reason}, tt.r.Reupload
			next.UpdatedAt = now
			want := kyc.Transition{Account: next, FromState: kyc.StatePendingReview, FromVersion: 7,
				Audit: kyc.AuditRecord{AccountID: "acct-1", At: now, Actor: "reviewer-1", ActorRole: kyc.RoleReviewer, Action: "reject",
					From: kyc.StatePendingReview, To: kyc.StateRejected, Reason: tt.r.Reason, RequestID: "req-1"}}
			check(t, a, before, got, err, want, nil)
		})
	}
	retry := kyc.Rejection{Reason: "blurred photo", Type: kyc.RejectRetry}
	for _, tt := range decisionRefusals() {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.a)
			got, err := kyc.Reject(tt.a, reviewer, now, retry)
			check(t, tt.a, before, got, err, kyc.Transition{}, tt.want)
		})
	}
	// A rejection built by hand gets ParseRejection's refusals.
	bad := []struct {
		name string
		r    kyc.Rejection
		want *refusal
	}{
		{"no reason", kyc.Rejection{Type: kyc.RejectRetry}, &refusal{kyc.EMISSING, "reason: required"}},
		{"no type", kyc.Rejection{Reason: "x"}, &refusal{kyc.EINVALID, "reject_type: must be RETRY or FINAL"}},
		{"long reason", kyc.Rejection{Reason: strings.Repeat("x", 501), Type: kyc.RejectFinal},
			&refusal{kyc.EINVALID, "reason: must be at most 500 characters"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			a := account(kyc.StatePendingReview)
			before := clone(a)
			got, err := kyc.Reject(a, reviewer, now, tt.r)
			check(t, a, before, got, err, kyc.Transition{}, tt.want)
		})
	}
}

// TestLifecycle walks one account through DOMAIN.md's state diagram, writing each
// transition as a store would (the new account at FromVersion+1), and checks that every
// step starts from where the previous one ended.
func TestLifecycle(t *testing.T) {
	a := account(kyc.StateUnverified, fresh)
	write := func(tr kyc.Transition, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("from %s: %v", a.State, err)
		}
		if tr.FromState != a.State || tr.FromVersion != a.Version || tr.Audit.From != a.State || tr.Audit.To != tr.Account.State {
			t.Fatalf("transition from (%s, %d) audited %s -> %s, account at (%s, %d)",
				tr.FromState, tr.FromVersion, tr.Audit.From, tr.Audit.To, a.State, a.Version)
		}
		a = tr.Account
		a.Version = tr.FromVersion + 1
	}
	const limit = 3
	sub := kyc.Submission{Type: kyc.PersonalAccount, IDNumber: "11010519491231002X", Documents: personalDocs("new")}

	write(kyc.Submit(a, sub, owner, now, limit)) // attempt 1
	if _, err := kyc.Submit(a, sub, owner, now, limit); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Fatalf("a submission while SUBMITTED: %v, want ECONFLICT", err)
	}
	write(kyc.ChecksFailed(a, a.Documents, []string{"corrupt:frontOfID"}, []string{"frontOfID"}, now))

	before := a
	write(kyc.Submit(a, sub, owner, now, limit)) // attempt 2, not queued
	write(kyc.UndoSubmit(a, before, now))
	if a.State != kyc.StateRejected || a.Attempts != 1 {
		t.Fatalf("undone to %s with %d attempts, want REJECTED with 1", a.State, a.Attempts)
	}

	write(kyc.Submit(a, sub, owner, now, limit)) // attempt 2
	write(kyc.ChecksPassed(a, a.Documents, now))
	if _, err := kyc.Submit(a, sub, owner, now, limit); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Fatalf("a submission while PENDING_REVIEW: %v, want ECONFLICT", err)
	}
	write(kyc.Reject(a, reviewer, now, kyc.Rejection{Reason: "blurred", Type: kyc.RejectRetry}))

	write(kyc.Submit(a, sub, owner, now, limit)) // attempt 3
	write(kyc.ChecksPassed(a, a.Documents, now))
	if _, err := kyc.Approve(a, reviewer, now); err != nil {
		t.Fatalf("approve: %v", err)
	}
	write(kyc.Reject(a, reviewer, now, kyc.Rejection{Reason: "still blurred", Type: kyc.RejectRetry}))
	if _, err := kyc.Submit(a, sub, owner, now, limit); !kyc.IsCode(err, kyc.ETOOMANY) {
		t.Fatalf("a fourth submission with a limit of %d: %v, want ETOOMANY", limit, err)
	}
	if a.Attempts != limit || a.Version != 7+10 {
		t.Errorf("%d attempts at version %d, want %d at %d", a.Attempts, a.Version, limit, 7+10)
	}
}

// Maker-checker: a reviewer never decides their own account, whichever way it is theirs,
// and the refusal comes before the state check, so it tells the owner nothing.
func TestDecisionsOfOwnAccount(t *testing.T) {
	own := &refusal{kyc.EFORBIDDEN, "nobody decides their own account"}
	promotedOwner := kyc.Actor{ID: "user-1", Role: kyc.RoleReviewer, AccountID: "acct-1", RequestID: "req-1"}
	sameAccount := kyc.Actor{ID: "reviewer-9", Role: kyc.RoleAdmin, AccountID: "acct-1"}
	rej := kyc.Rejection{Reason: "blurred", Type: kyc.RejectRetry}
	for _, tc := range []struct {
		name string
		by   kyc.Actor
		a    kyc.Account
	}{
		{"owner made reviewer", promotedOwner, account(kyc.StatePendingReview)},
		{"reviewer whose session names the account", sameAccount, account(kyc.StatePendingReview)},
		{"owner, account not pending", promotedOwner, account(kyc.StateApproved)},
	} {
		t.Run(tc.name+"/approve", func(t *testing.T) {
			before := clone(tc.a)
			got, err := kyc.Approve(tc.a, tc.by, now)
			check(t, tc.a, before, got, err, kyc.Transition{}, own)
		})
		t.Run(tc.name+"/reject", func(t *testing.T) {
			before := clone(tc.a)
			got, err := kyc.Reject(tc.a, tc.by, now, rej)
			check(t, tc.a, before, got, err, kyc.Transition{}, own)
		})
	}
	// Another reviewer still may.
	if _, err := kyc.Approve(account(kyc.StatePendingReview), kyc.Actor{ID: "reviewer-2", Role: kyc.RoleReviewer, AccountID: "acct-2"}, now); err != nil {
		t.Errorf("another reviewer's approval: %v", err)
	}
}
