package submission_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	pkgcompany "github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// maxServiceCalls is what a route's service may spend: the route's budget of three
// DynamoDB calls less the auth middleware's GetSession.
const maxServiceCalls = 2

// TestOperationCalls counts the DynamoDB calls of each document operation's success,
// through a store whose client records them. A route's request costs one more, the auth
// middleware's GetSession. before is what the operation cost before the combined store
// methods (cmd/bench's count less the session): for SetPortrait, GetUser, GetAccount,
// GetUpload and UpdateUser, and the handler's users.Me after it, which the URL that
// SetPortrait now returns makes unnecessary; for a submission from keys, GetAccount, a
// GetUpload per document and the transition. CreateUpload records its upload with the
// count of the user's grants (the hourly quota) in one transaction, where it had a PutItem.
func TestOperationCalls(t *testing.T) {
	e := newEnv(t)
	calls := &testenv.CallLog{}
	d := e.deps
	d.Store = dynamo.New(testenv.CountingClient(e.client, calls), e.table)
	svc := submission.New(d)
	ctx := t.Context()
	u, c, m := e.user(t, kyc.RoleUser), e.user(t, kyc.RoleUser), e.user(t, kyc.RoleUser)
	reviewer := e.user(t, kyc.RoleReviewer)
	// Made uncounted: the uploads the steps use.
	personal := e.personal(t, u)
	company := submission.CompanyInput{Organization: "测试科技有限公司", RegNo: goodUSCC, Docs: map[string]submission.Source{
		"licence":      {Key: e.upload(t, c, "licence", "image/png", frontPNG)},
		"confirmation": {Key: e.upload(t, c, "confirmation", "image/png", backPNG)},
	}}
	failed := e.checked(t, e.user(t, kyc.RoleUser), map[string]string{"frontOfID": "corrupt", "backOfID": "ok"})
	passed := e.checked(t, e.user(t, kyc.RoleUser), map[string]string{"frontOfID": "ok", "backOfID": "ok"})
	// An APPROVED person with the files of an enterprise change.
	chg := e.user(t, kyc.RoleUser)
	chgAcct := e.account(t, chg.AccountID)
	approved := chgAcct
	approved.State = kyc.StateApproved
	if _, err := e.store.Transition(ctx, kyc.Transition{Account: approved, FromState: chgAcct.State, FromVersion: chgAcct.Version,
		Audit: kyc.AuditRecord{AccountID: chgAcct.ID, At: testNow, Actor: "test", Action: "transition", From: chgAcct.State, To: kyc.StateApproved}}); err != nil {
		t.Fatal(err)
	}
	change := pkgcompany.ChangeInput{CorpName: "测试科技有限公司", VerifiedNumber: goodUSCC, IdentifyType: "1", ChangeType: "1",
		VerifiedFileURL: []string{e.upload(t, chg, "organizationRegImg", "image/png", frontPNG), e.upload(t, chg, "certificateBackImg", "image/png", backPNG)}}
	portraits := []string{e.upload(t, u, "portrait", "image/png", filechecktest.PNG(40, 40)), e.upload(t, u, "portrait", "image/png", filechecktest.PNG(41, 41))}
	steps := []struct {
		op     string
		before int
		do     func() error
		want   []string
	}{
		{"CreateUpload (POST /v1/uploads)", 2, func() error {
			_, err := svc.CreateUpload(ctx, u.Principal(), submission.UploadRequest{Slot: "frontOfID", ContentType: "image/png", ContentLength: "100"})
			return err
		}, []string{"GetItem", "TransactWriteItems"}},
		{"SetPortrait (POST /v1/user/portrait)", 5, func() error {
			_, err := svc.SetPortrait(ctx, u.Principal(), portraits[0])
			return err
		}, []string{"GetItem", "UpdateItem"}},
		{"SetPortrait replacing one", 5, func() error {
			_, err := svc.SetPortrait(ctx, u.Principal(), portraits[1])
			return err
		}, []string{"GetItem", "UpdateItem"}},
		{"SubmitPersonal with keys (uploadPersonalLicence)", 4, func() error {
			return svc.SubmitPersonal(ctx, u.Principal(), personal)
		}, []string{"BatchGetItem", "TransactWriteItems"}},
		{"SubmitCompany with keys (uploadCompanyLicense)", 4, func() error {
			return svc.SubmitCompany(ctx, c.Principal(), company)
		}, []string{"BatchGetItem", "TransactWriteItems"}},
		{"SubmitPersonal multipart", 2, func() error {
			return svc.SubmitPersonal(ctx, m.Principal(), submission.PersonalInput{IDNumber: goodID, Docs: map[string]submission.Source{
				"frontOfID": {Data: frontPNG, Inline: true}, "backOfID": {Data: backPNG, Inline: true}}})
		}, []string{"BatchGetItem", "TransactWriteItems"}},
		{"ChangeToEnterprise (POST /v1/account/enterprise-change)", 2, func() error {
			return svc.ChangeToEnterprise(ctx, chg.Principal(), change)
		}, []string{"BatchGetItem", "TransactWriteItems"}},
		{"Account (GET /v1/account)", 1, func() error {
			_, err := svc.Account(ctx, u.Principal(), users.Status)
			return err
		}, []string{"GetItem"}},
		{"DownloadURL by the owner", 1, func() error {
			_, err := svc.DownloadURL(ctx, submission.Viewer{UserID: u.ID, Role: u.Role}, u.AccountID, "frontOfID")
			return err
		}, []string{"GetItem"}},
		{"DownloadURL by a reviewer (audited)", 2, func() error {
			_, err := svc.DownloadURL(ctx, submission.Viewer{UserID: reviewer.ID, Role: reviewer.Role}, passed.ID, "frontOfID")
			return err
		}, []string{"GetItem", "PutItem"}},
		{"DownloadURL of a failed document, forensic (audited)", 2, func() error {
			_, err := svc.DownloadURL(ctx, submission.Viewer{UserID: reviewer.ID, Role: reviewer.Role, Forensic: true}, failed.ID, "frontOfID")
			return err
		}, []string{"GetItem", "PutItem"}},
		{"ConfirmationURL", 0, func() error {
			_, err := svc.ConfirmationURL(ctx)
			return err
		}, nil},
	}
	calls.Take()
	var table strings.Builder
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.op, err)
		}
		got := calls.Take()
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: calls %v, want %v", st.op, got, st.want)
		}
		if len(got) > maxServiceCalls {
			t.Errorf("%s: %d calls, more than %d (with the session, more than 3 a request)", st.op, len(got), maxServiceCalls)
		}
		if len(got) > st.before {
			t.Errorf("%s: %d calls, more than the %d before", st.op, len(got), st.before)
		}
		table.WriteString("\n  " + st.op + ": " + strconv.Itoa(st.before) + " -> " + strconv.Itoa(len(got)) + " " + strings.Join(got, ", "))
	}
	t.Logf("DynamoDB calls per operation (the request adds the session's GetItem), before -> now:%s", table.String())
}
