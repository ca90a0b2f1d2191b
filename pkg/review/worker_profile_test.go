package review_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// profiled is a company account SUBMITTED with seed 001's form: the account names its
// profile version, written with the submission, whose fields are given; docsIn are stored
// as submitted does.
func (f *fixture) profiled(t *testing.T, fields map[string]string, docsIn ...doc) kyc.Account {
	t.Helper()
	ctx := t.Context()
	u, a := f.unverified(t, kyc.CompanyAccount)
	now := f.clock.Now()
	next := a
	next.Organization, next.IDNumber = fields["name"], fields["organizationRegNo"]
	next.State, next.Attempts, next.SubmittedAt, next.UpdatedAt, next.ProfileVersion = kyc.StateSubmitted, 1, now, now, 1
	next.Documents = map[string]kyc.Document{}
	for _, d := range docsIn {
		key := "accounts/" + a.ID + "/" + d.slot + "/" + kyc.RandomIDs{}.NewID()
		ct := contentTypeOf(d.content)
		if err := docsOf(t).Put(ctx, key, ct, bytes.NewReader(d.content)); err != nil {
			t.Fatalf("Put %s: %v", key, err)
		}
		next.Documents[d.slot] = kyc.Document{Slot: d.slot, Key: key, ContentType: ct, Size: int64(len(d.content)), UploadedAt: now}
	}
	stored, err := f.store.Transition(ctx, kyc.Transition{
		Account: next, FromState: kyc.StateUnverified, FromVersion: a.Version,
		Audit:   kyc.AuditRecord{AccountID: a.ID, At: now, Actor: u.ID, ActorRole: kyc.RoleUser, Action: "submit", From: kyc.StateUnverified, To: kyc.StateSubmitted},
		Profile: &kyc.ProfileVersion{AccountID: a.ID, Version: 1, Fields: fields, At: now, Actor: u.ID},
	})
	if err != nil {
		t.Fatalf("Transition to SUBMITTED: %v", err)
	}
	return stored
}

// A seed-001 company is checked by its profile: the documents its types require (no
// confirmation file) and its identifiers.
func TestHandleCompanyProfile(t *testing.T) {
	unified := func() map[string]string {
		return map[string]string{"emailOrMobile": "t4x0@ebaoquan.org", "name": "镇江图书馆", "organizationType": "0", "identificationType": "1",
			"organizationRegNo": nextUSCC(), "organizationRegImg": "accounts/x/licence/1", "legalName": "杨明"}
	}
	multi := func() map[string]string {
		m := unified()
		m["identificationType"], m["organizationRegNo"], m["organizationCode"] = "0", "110108000000016", "D2143569X"
		m["organizationCodeImg"], m["taxCertificateImg"] = "accounts/x/organizationCodeImg/1", "accounts/x/taxCertificateImg/1"
		return m
	}
	licence := doc{slot: "licence", content: licencePDF}
	tests := []struct {
		name        string
		fields      map[string]string
		docs        []doc
		wantState   kyc.State
		wantReasons []string
	}{
		{"unified: the licence alone", unified(), []doc{licence}, kyc.StatePendingReview, nil},
		{"multi-certificate: every certificate", multi(), []doc{licence, {slot: "organizationCodeImg", content: frontPNG}, {slot: "taxCertificateImg", content: backPNG}},
			kyc.StatePendingReview, nil},
		{"multi-certificate: the licence alone", multi(), []doc{licence}, kyc.StateRejected,
			[]string{"document_missing:organizationCodeImg", "document_missing:taxCertificateImg"}},
		{"bad organization code", func() map[string]string { m := multi(); m["organizationCode"] = "D2143569Y"; return m }(),
			[]doc{licence, {slot: "organizationCodeImg", content: frontPNG}, {slot: "taxCertificateImg", content: backPNG}},
			kyc.StateRejected, []string{"bad_format:organizationCode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.profiled(t, tt.fields, tt.docs...)
			if failed := handle(t, f.worker(), messageFor(t, "m1", a)); len(failed) != 0 {
				t.Fatalf("failed messages %v", failed)
			}
			got := f.account(t, a.ID)
			reasons := slices.Clone(got.Reasons)
			slices.Sort(reasons)
			if got.State != tt.wantState || !slices.Equal(reasons, tt.wantReasons) {
				t.Errorf("state %s reasons %q, want %s %q", got.State, got.Reasons, tt.wantState, tt.wantReasons)
			}
		})
	}
}
