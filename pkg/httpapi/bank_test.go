package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/bankcheck"
	"github.com/realname-kyc/realname/pkg/bankverify"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/payout"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Placeholders, not a real company or bank account.
const (
	bankCompany  = "示例科技（北京）有限公司"
	bankAccount  = "6222020200112233445"
	bankClosedNo = "6222020200112230000" // the sandbox refuses it: account_closed
)

// bankFixture is the API with the sandbox payout writing to a file of the test's, or
// another payout provider.
type bankFixture struct {
	*docFixture
	payouts string // the sandbox's file
	app     string // an integrator app's key
	token   string // its bearer token
	created integrator.Created
}

// refreshToken is a new token of the app (after the clock moved past the first's life).
func (b *bankFixture) refreshToken(t *testing.T) string {
	t.Helper()
	b.token = b.appToken(t, b.created)
	return b.token
}

func newBankFixture(t *testing.T, pay payout.Provider) *bankFixture {
	t.Helper()
	d := newDocFixture(t)
	path := filepath.Join(t.TempDir(), "outbox", "payouts.jsonl")
	d.svc.Payouts = payout.NewSandbox(path, d.clock.Now)
	if pay != nil {
		d.svc.Payouts = pay
	}
	d.mux = muxOf(t, d.svc)
	b := &bankFixture{docFixture: d, payouts: path}
	c := d.newApp(t)
	b.app, b.token, b.created = c.AppKey, d.appToken(t, c), c
	return b
}

// company stores a company account of the app (OwnerKind integrator) as the
// organization route will create it, UNVERIFIED.
func (b *bankFixture) company(t *testing.T, app string) string {
	t.Helper()
	id := "acct-" + b.svc.IDs.NewID()
	now := b.clock.Now()
	a := kyc.Account{ID: id, OwnerKind: kyc.OwnerIntegrator, OwnerID: app, Type: kyc.CompanyAccount, Organization: bankCompany,
		IDNumber: "test-uscc-" + id, State: kyc.StateUnverified, CreatedAt: now, UpdatedAt: now}
	if err := b.store.(*dynamo.Store).CreatePerson(t.Context(), a, kyc.Limit{Key: "test#" + id, Max: 1, Window: time.Hour}, now); err != nil {
		t.Fatalf("create company: %v", err)
	}
	return id
}

// pendingBank moves a stored company to PENDING_REVIEW needing a bank verification, as
// an integrator's company application will (the automated checks passed).
func (b *bankFixture) pendingBank(t *testing.T, id string) {
	t.Helper()
	a := b.account(t, id)
	next := a
	next.State, next.BankRequired, next.SubmittedAt = kyc.StatePendingReview, true, b.clock.Now()
	if _, err := b.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: id, At: b.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: next.State}}); err != nil {
		t.Fatalf("to PENDING_REVIEW: %v", err)
	}
}

func bankPath(id string) string { return "/v1/accounts/" + id + "/bank-verification" }

func bankBody(name, no string) map[string]string {
	return map[string]string{"bank_account_name": name, "bank_account_no": no, "bank_name": "示例银行", "branch": "示例支行"}
}

func (b *bankFixture) start(t *testing.T, token, id string) *httptest.ResponseRecorder {
	t.Helper()
	return b.call(t, http.MethodPost, bankPath(id), token, bankBody("示例科技(北京)有限公司", bankAccount))
}

func (b *bankFixture) confirm(t *testing.T, token, id, amount string) *httptest.ResponseRecorder {
	t.Helper()
	return b.call(t, http.MethodPost, bankPath(id)+"/confirm", token, map[string]string{"amount": amount})
}

// amount is the amount the sandbox paid last to the account.
func (b *bankFixture) amount(t *testing.T, id string) string {
	t.Helper()
	lines, err := payout.ReadSandbox(b.payouts)
	if err != nil {
		t.Fatal(err)
	}
	amount := ""
	for _, l := range lines {
		if l.AccountID == id && l.Status == payout.Accepted {
			amount = l.Amount
		}
	}
	if amount == "" {
		t.Fatalf("the sandbox paid nothing to %s", id)
	}
	return amount
}

// wrongAmount is an amount other than right.
func wrongAmount(right string) string {
	if right == "0.01" {
		return "0.02"
	}
	return "0.01"
}

func (b *bankFixture) current(t *testing.T, id string) (bankcheck.Record, bool) {
	t.Helper()
	_, r, found, err := b.store.(*dynamo.Store).GetAccountAndBankCheck(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r, found
}

type bankData struct {
	Status    string `json:"status"`
	ExpiresAt string `json:"expires_at"`
	Reason    string `json:"reason"`
	Remaining *int   `json:"remaining"`
	Field     string `json:"field"`
}

func bankDataOf(t *testing.T, e envelopeJSON) bankData {
	t.Helper()
	var d bankData
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatalf("data %s: %v", e.Data, err)
	}
	return d
}

// wantWrong checks a wrong amount's answer: 422 / 1012 with the tries left as a number.
func wantWrong(t *testing.T, w *httptest.ResponseRecorder, remaining int) {
	t.Helper()
	e := wantEnvelope(t, w, http.StatusUnprocessableEntity, 1012, "")
	if !strings.Contains(string(e.Data), `"remaining":`) || strings.Contains(string(e.Data), `"remaining":"`) {
		t.Fatalf("data %s: remaining must be a number", e.Data)
	}
	if d := bankDataOf(t, e); d.Reason != bankverify.ReasonAmountMismatch || d.Remaining == nil || *d.Remaining != remaining {
		t.Fatalf("data %s, want amount_mismatch and %d remaining", e.Data, remaining)
	}
}

// events are the outbox events of account id of type typ, with their data and app.
func (b *bankFixture) events(t *testing.T, id, typ string) []map[string]any {
	t.Helper()
	evs, err := b.store.(*dynamo.Store).ListOutboxBefore(t.Context(), b.clock.Now().Add(30*24*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range evs {
		if ev.AccountID != id || ev.Type != typ {
			continue
		}
		var body struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(ev.Body, &body); err != nil {
			t.Fatal(err)
		}
		body.Data["app"] = ev.App
		out = append(out, body.Data)
	}
	return out
}

func (b *bankFixture) bankFactors(t *testing.T, id string) []kyc.Factor {
	t.Helper()
	_, factors, err := b.store.(*dynamo.Store).GetAccountAndFactors(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []kyc.Factor
	for _, f := range factors {
		if f.Kind == bankcheck.FactorKind {
			out = append(out, f)
		}
	}
	return out
}

// The whole flow through HTTP for an integrator's company: start (PAID, the amount in the
// sandbox file), a wrong amount (422, 2 left), the right one (VERIFIED; again: still 200),
// no second verification once VERIFIED; the event for the app, the factor, the account's
// verdict; nothing personal in the store's item, the event or the logs.
func TestBankVerificationFlow(t *testing.T) {
	b := newBankFixture(t, nil)
	id := b.company(t, b.app)

	e := wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	started := bankDataOf(t, e)
	if want := b.clock.Now().Add(bankverify.Lifetime).Format(time.RFC3339); started.Status != "PAID" || started.ExpiresAt != want {
		t.Fatalf("started %s, want PAID expiring at %s", e.Data, want)
	}
	amount := b.amount(t, id)
	if r, found := b.current(t, id); !found || r.Status != bankverify.StatusPaid || r.AccountNoMasked != "****3445" ||
		r.AccountName != bankCompany || r.Provider != payout.SandboxName || len(r.AmountHash) != 64 || strings.Contains(r.AmountHash, amount) {
		t.Fatalf("stored %+v, %v", r, found)
	}

	wantWrong(t, b.confirm(t, b.token, id, wrongAmount(amount)), 2)
	e = wantEnvelope(t, b.confirm(t, b.token, id, amount), http.StatusOK, CodeOK, "")
	if d := bankDataOf(t, e); d.Status != "VERIFIED" {
		t.Fatalf("confirmed %s, want VERIFIED", e.Data)
	}
	// A client retrying a lost answer: the same answer again.
	wantEnvelope(t, b.confirm(t, b.token, id, amount), http.StatusOK, CodeOK, "")
	// Verified: no new verification, and a wrong amount spends nothing.
	wantEnvelope(t, b.start(t, b.token, id), http.StatusConflict, 1021, "")
	wantEnvelope(t, b.confirm(t, b.token, id, wrongAmount(amount)), http.StatusConflict, 1021, "")

	if a := b.account(t, id); !a.BankVerified || a.State != kyc.StateUnverified {
		t.Errorf("account %s BankVerified %v, want the verdict recorded and the state unchanged", a.State, a.BankVerified)
	}
	evs := b.events(t, id, webhook.BankVerificationCompleted)
	r, _ := b.current(t, id)
	if len(evs) != 1 || evs[0]["status"] != "VERIFIED" || evs[0]["verification_id"] != r.ID || evs[0]["account_id"] != id || evs[0]["app"] != b.app {
		t.Fatalf("bank_verification.completed events %v, want one VERIFIED for the app", evs)
	}
	if len(b.events(t, id, webhook.AccountApproved)) != 0 {
		t.Error("an account that was not reviewed was announced approved")
	}
	if fs := b.bankFactors(t, id); len(fs) != 1 || fs[0].Result != kyc.FactorMatch || fs[0].Provider != payout.SandboxName || fs[0].At.IsZero() {
		t.Errorf("bank factors %+v, want one match by the sandbox", fs)
	}
	for _, pii := range []string{bankAccount, "示例科技", "示例银行"} {
		if strings.Contains(b.log.String(), pii) {
			t.Errorf("the logs hold %q", pii)
		}
	}
}

// An app user acts for their own company account as an app does; a personal account has
// no bank verification (409 saying why); another user's or another app's account is 404.
func TestBankVerificationWho(t *testing.T) {
	b := newBankFixture(t, nil)
	owner := b.rvUser(t, kyc.RoleUser, func(a *kyc.Account) { a.Type, a.Organization = kyc.CompanyAccount, bankCompany })
	other := b.newUser(t, kyc.RoleUser)

	wantEnvelope(t, b.start(t, other.Token, owner.AccountID), http.StatusNotFound, 1015, "")
	e := wantEnvelope(t, b.start(t, other.Token, other.AccountID), http.StatusConflict, 1021, "")
	if !strings.Contains(e.Msg, "personal account") {
		t.Errorf("msg %q does not say why", e.Msg)
	}
	wantEnvelope(t, b.start(t, b.token, owner.AccountID), http.StatusNotFound, 1015, "")

	wantEnvelope(t, b.start(t, owner.Token, owner.AccountID), http.StatusOK, CodeOK, "")
	amount := b.amount(t, owner.AccountID)
	wantEnvelope(t, b.confirm(t, other.Token, owner.AccountID, amount), http.StatusNotFound, 1015, "")
	wantEnvelope(t, b.confirm(t, owner.Token, owner.AccountID, amount), http.StatusOK, CodeOK, "")
	if evs := b.events(t, owner.AccountID, webhook.BankVerificationCompleted); len(evs) != 1 || evs[0]["app"] != "" {
		t.Errorf("events %v, want one for no app", evs)
	}

	// Another app's company.
	c := b.newApp(t)
	theirs := b.company(t, c.AppKey)
	wantEnvelope(t, b.start(t, b.token, theirs), http.StatusNotFound, 1015, "")
	wantEnvelope(t, b.confirm(t, b.token, theirs, "0.37"), http.StatusNotFound, 1015, "")
	wantEnvelope(t, b.start(t, b.token, "no-such-account"), http.StatusNotFound, 1015, "")
	if _, found := b.current(t, theirs); found {
		t.Error("another app started a verification of this app's company")
	}
}

// Bad input is 400 naming the field, before anything is paid; a name that is not the
// company's is 422 (a well-made form naming someone else); a malformed amount costs no
// try.
func TestBankVerificationInput(t *testing.T) {
	b := newBankFixture(t, nil)
	id := b.company(t, b.app)
	for _, tt := range []struct {
		name   string
		body   map[string]string
		status int
		code   int
		field  string
	}{
		{"no name", map[string]string{"bank_account_no": bankAccount, "bank_name": "示例银行"}, 400, 997, bankverify.FieldAccountName},
		{"no number", map[string]string{"bank_account_name": bankCompany, "bank_name": "示例银行"}, 400, 997, bankverify.FieldAccountNo},
		{"letters in the number", bankBody(bankCompany, "6222abc0200112233"), 400, 1006, bankverify.FieldAccountNo},
		{"short number", bankBody(bankCompany, "1234"), 400, 1006, bankverify.FieldAccountNo},
		{"no bank", map[string]string{"bank_account_name": bankCompany, "bank_account_no": bankAccount}, 400, 997, bankverify.FieldBankName},
		{"control character in the branch", map[string]string{"bank_account_name": bankCompany, "bank_account_no": bankAccount, "bank_name": "示例银行", "branch": "a\u200bb"}, 400, 1006, bankverify.FieldBranch},
		{"someone else's name", bankBody("另一家科技有限公司", bankAccount), 422, 1012, bankverify.FieldAccountName},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantEnvelope(t, b.call(t, http.MethodPost, bankPath(id), b.token, tt.body), tt.status, tt.code, tt.field)
		})
	}
	if _, err := payout.ReadSandbox(b.payouts); err == nil {
		t.Error("a refused form was paid")
	}
	// Nothing started: confirming finds nothing.
	wantEnvelope(t, b.confirm(t, b.token, id, "0.37"), http.StatusNotFound, 1015, "")

	wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	for _, bad := range []string{"", "abc", "1.50", "0.001", "0"} {
		code := 1006
		if bad == "" {
			code = 997
		}
		wantEnvelope(t, b.confirm(t, b.token, id, bad), http.StatusBadRequest, code, "amount")
	}
	wantWrong(t, b.confirm(t, b.token, id, wrongAmount(b.amount(t, id))), 2)
}

// Three wrong amounts fail the verification (remaining 2, 1, 0); then even the right one
// is refused, and a new verification with a new amount is needed.
func TestBankVerificationFails(t *testing.T) {
	b := newBankFixture(t, nil)
	id := b.company(t, b.app)
	wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	amount := b.amount(t, id)
	for _, left := range []int{2, 1, 0} {
		wantWrong(t, b.confirm(t, b.token, id, wrongAmount(amount)), left)
	}
	wantEnvelope(t, b.confirm(t, b.token, id, amount), http.StatusConflict, 1021, "")
	if r, _ := b.current(t, id); r.Status != bankverify.StatusFailed || r.Wrong != 3 {
		t.Fatalf("stored %s with %d wrong, want FAILED with 3", r.Status, r.Wrong)
	}
	if evs := b.events(t, id, webhook.BankVerificationCompleted); len(evs) != 1 || evs[0]["status"] != "FAILED" {
		t.Fatalf("events %v, want one FAILED", evs)
	}
	if fs := b.bankFactors(t, id); len(fs) != 1 || fs[0].Result != kyc.FactorMismatch {
		t.Errorf("factors %+v, want one mismatch", fs)
	}
	wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	wantEnvelope(t, b.confirm(t, b.token, id, b.amount(t, id)), http.StatusOK, CodeOK, "")
}

// 7 days after the payout an answer is 410 / 1026, right or wrong, and the verification
// is recorded EXPIRED (with its event).
func TestBankVerificationExpires(t *testing.T) {
	b := newBankFixture(t, nil)
	id := b.company(t, b.app)
	wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	amount := b.amount(t, id)
	b.clock.Advance(bankverify.Lifetime)
	token := b.refreshToken(t) // the first token has expired too
	wantEnvelope(t, b.confirm(t, token, id, amount), http.StatusGone, 1026, "")
	wantEnvelope(t, b.confirm(t, token, id, wrongAmount(amount)), http.StatusGone, 1026, "")
	if r, _ := b.current(t, id); r.Status != bankverify.StatusExpired {
		t.Fatalf("stored %s, want EXPIRED", r.Status)
	}
	if evs := b.events(t, id, webhook.BankVerificationCompleted); len(evs) != 1 || evs[0]["status"] != "EXPIRED" {
		t.Fatalf("events %v, want one EXPIRED", evs)
	}
	if b.account(t, id).BankVerified {
		t.Error("an expired verification verified the account")
	}
}

// At most 3 new verifications an account a day, refused payouts included; the next day
// (Beijing) another.
func TestBankVerificationDailyLimit(t *testing.T) {
	b := newBankFixture(t, nil)
	id := b.company(t, b.app)
	e := wantEnvelope(t, b.call(t, http.MethodPost, bankPath(id), b.token, bankBody(bankCompany, bankClosedNo)), http.StatusUnprocessableEntity, 1012, "")
	if d := bankDataOf(t, e); d.Reason != payout.ReasonAccountClosed {
		t.Fatalf("refusal %s, want account_closed", e.Data)
	}
	wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	wantEnvelope(t, b.start(t, b.token, id), http.StatusTooManyRequests, 1022, "")
	// The second start replaced the first: only the latest amount confirms.
	wantEnvelope(t, b.confirm(t, b.token, id, b.amount(t, id)), http.StatusOK, CodeOK, "")

	other := b.company(t, b.app)
	for range bankverify.NewPerDay {
		wantEnvelope(t, b.start(t, b.token, other), http.StatusOK, CodeOK, "")
	}
	wantEnvelope(t, b.start(t, b.token, other), http.StatusTooManyRequests, 1022, "")
	b.clock.Advance(24 * time.Hour)
	wantEnvelope(t, b.start(t, b.refreshToken(t), other), http.StatusOK, CodeOK, "")
}

// faultPayouts refuses every payout, or cannot be reached.
type faultPayouts struct {
	unavailable bool
	mu          sync.Mutex
	paid        []payout.Payout
}

func (f *faultPayouts) Pay(_ context.Context, p payout.Payout) (payout.Receipt, error) {
	f.mu.Lock()
	f.paid = append(f.paid, p)
	f.mu.Unlock()
	if f.unavailable {
		return payout.Receipt{}, payout.ErrUnavailable
	}
	return payout.Receipt{Status: payout.Refused, Reason: payout.ReasonAccountFrozen, Provider: "fault"}, nil
}

// A refused payout leaves no verification behind (422 with the bank's reason), though it
// counts against the limit; an unreachable provider leaves the verification PAID (503):
// the money may have moved.
func TestBankVerificationPayoutFails(t *testing.T) {
	refusing := &faultPayouts{}
	b := newBankFixture(t, refusing)
	id := b.company(t, b.app)
	e := wantEnvelope(t, b.start(t, b.token, id), http.StatusUnprocessableEntity, 1012, "")
	if d := bankDataOf(t, e); d.Reason != payout.ReasonAccountFrozen {
		t.Fatalf("refusal %s, want account_frozen", e.Data)
	}
	if _, found := b.current(t, id); found {
		t.Fatal("a refused payout left its verification")
	}
	if len(refusing.paid) != 1 || refusing.paid[0].AccountNo != bankAccount || refusing.paid[0].AmountFen < 1 || refusing.paid[0].AmountFen > 99 {
		t.Fatalf("payouts %+v", refusing.paid)
	}
	wantEnvelope(t, b.confirm(t, b.token, id, "0.37"), http.StatusNotFound, 1015, "")
	wantEnvelope(t, b.start(t, b.token, id), http.StatusUnprocessableEntity, 1012, "")
	wantEnvelope(t, b.start(t, b.token, id), http.StatusUnprocessableEntity, 1012, "")
	wantEnvelope(t, b.start(t, b.token, id), http.StatusTooManyRequests, 1022, "")
	if len(refusing.paid) != 3 {
		t.Errorf("%d payouts, want 3 (the fourth refused before paying)", len(refusing.paid))
	}

	down := &faultPayouts{unavailable: true}
	b2 := newBankFixture(t, down)
	id2 := b2.company(t, b2.app)
	wantEnvelope(t, b2.start(t, b2.token, id2), http.StatusServiceUnavailable, 1050, "")
	if r, found := b2.current(t, id2); !found || r.Status != bankverify.StatusPaid {
		t.Fatalf("after an outage the verification is %+v, %v; want PAID", r, found)
	}
}

// Answers at once, right and wrong: never more than 3 tries spent, every 422 one of
// them, and the verification ends VERIFIED or FAILED consistently with the answers.
func TestBankVerificationConcurrentConfirms(t *testing.T) {
	b := newBankFixture(t, nil)
	for round := range 3 {
		id := b.company(t, b.app)
		wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
		amount := b.amount(t, id)
		var wg sync.WaitGroup
		codes := make(chan int, 12)
		for i := range 12 {
			answer := wrongAmount(amount)
			if i%4 == round { // 3 right answers among 9 wrong ones
				answer = amount
			}
			wg.Go(func() {
				r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, bankPath(id)+"/confirm", strings.NewReader(`{"amount":"`+answer+`"}`))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+b.token)
				codes <- serve(b.mux, r).Code
			})
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		r, _ := b.current(t, id)
		if r.Wrong > bankverify.MaxWrongAnswers || count[422] != r.Wrong {
			t.Fatalf("round %d: answers %v, stored %s with %d wrong: every 422 must be one spent try, at most 3", round, count, r.Status, r.Wrong)
		}
		if (r.Status == bankverify.StatusVerified) != (count[200] > 0) || r.Status == bankverify.StatusPaid && r.Wrong == bankverify.MaxWrongAnswers {
			t.Fatalf("round %d: answers %v, stored %s", round, count, r.Status)
		}
		if n := len(b.events(t, id, webhook.BankVerificationCompleted)); r.Status.Terminal() && n != 1 {
			t.Fatalf("round %d: %d completed events", round, n)
		}
	}
}

// approveByReviewer is the reviewer's approval through its route, retried once after a
// lost race as a reviewer reloading the page would.
func (b *bankFixture) approveByReviewer(t *testing.T, token, id string) int {
	t.Helper()
	w := b.call(t, http.MethodPost, authorizePath(id), token, nil)
	if w.Code == http.StatusConflict {
		w = b.call(t, http.MethodPost, authorizePath(id), token, nil)
	}
	return w.Code
}

// A company needing both verdicts is APPROVED by the second, in either order, and exactly
// once when they come at the same time: one account.approved event.
func TestBankVerificationAndReviewer(t *testing.T) {
	b := newBankFixture(t, nil)
	reviewer := b.newUser(t, kyc.RoleReviewer)
	approvedOnce := func(t *testing.T, id, kind string) {
		t.Helper()
		a := b.account(t, id)
		evs := b.events(t, id, webhook.AccountApproved)
		if a.State != kyc.StateApproved || !a.BankVerified || len(evs) != 1 || kind != "" && evs[0]["kind"] != kind || evs[0]["app"] != b.app {
			t.Fatalf("account %s (bank %v, review %v), account.approved events %v; want APPROVED once (kind %q)", a.State, a.BankVerified, a.ReviewApproved, evs, kind)
		}
	}

	t.Run("bank first", func(t *testing.T) {
		id := b.company(t, b.app)
		b.pendingBank(t, id)
		wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
		wantEnvelope(t, b.confirm(t, b.token, id, b.amount(t, id)), http.StatusOK, CodeOK, "")
		if a := b.account(t, id); a.State != kyc.StatePendingReview || !a.BankVerified {
			t.Fatalf("after the bank: %s, bank %v; want PENDING_REVIEW with the verdict", a.State, a.BankVerified)
		}
		if code := b.approveByReviewer(t, reviewer.Token, id); code != http.StatusOK {
			t.Fatalf("approve: %d", code)
		}
		approvedOnce(t, id, webhook.KindApplication)
	})
	t.Run("reviewer first", func(t *testing.T) {
		id := b.company(t, b.app)
		b.pendingBank(t, id)
		if code := b.approveByReviewer(t, reviewer.Token, id); code != http.StatusOK {
			t.Fatalf("approve: %d", code)
		}
		if a := b.account(t, id); a.State != kyc.StatePendingReview || !a.ReviewApproved {
			t.Fatalf("after the reviewer: %s, review %v; want PENDING_REVIEW awaiting the bank", a.State, a.ReviewApproved)
		}
		wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
		wantEnvelope(t, b.confirm(t, b.token, id, b.amount(t, id)), http.StatusOK, CodeOK, "")
		approvedOnce(t, id, webhook.KindBankVerification)
	})
	t.Run("at once", func(t *testing.T) {
		for range 4 {
			id := b.company(t, b.app)
			b.pendingBank(t, id)
			wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
			amount := b.amount(t, id)
			var wg sync.WaitGroup
			var reviewCode, bankCode int
			wg.Go(func() { reviewCode = b.approveByReviewer(t, reviewer.Token, id) })
			wg.Go(func() { bankCode = b.confirm(t, b.token, id, amount).Code })
			wg.Wait()
			if reviewCode != http.StatusOK || bankCode != http.StatusOK {
				t.Fatalf("reviewer %d, bank %d; want both recorded", reviewCode, bankCode)
			}
			approvedOnce(t, id, "")
		}
	})
}

// resubmit re-applies the stored company id under org, as a re-application after a
// rejection does (kyc.Submit), so its name changes.
func (b *bankFixture) resubmit(t *testing.T, id, org string) {
	t.Helper()
	a := b.account(t, id)
	docs := map[string]kyc.Document{}
	for _, s := range kyc.RequiredSlots(kyc.CompanyAccount) {
		docs[s] = kyc.Document{Slot: s, Key: "accounts/" + id + "/" + s + "/x", ContentType: "image/png", Size: 1}
	}
	tr, err := kyc.Submit(a, kyc.Submission{Type: kyc.CompanyAccount, Organization: org, IDNumber: a.IDNumber, Documents: docs},
		kyc.Actor{ID: a.OwnerID}, b.clock.Now(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Transition(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
}

// A bank verification proves the bank account under the name it was paid to: a company
// renamed by a re-application proves its account anew (a new verification may start), and
// an amount paid under the old name, told after the rename, does not verify the new one.
func TestBankVerificationFollowsTheName(t *testing.T) {
	const renamed = "示例新科技（北京）有限公司"
	t.Run("verified, then renamed", func(t *testing.T) {
		b := newBankFixture(t, nil)
		id := b.company(t, b.app)
		wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
		wantEnvelope(t, b.confirm(t, b.token, id, b.amount(t, id)), http.StatusOK, CodeOK, "")
		// Under the same name a new verification is refused: the account is proven.
		wantEnvelope(t, b.start(t, b.token, id), http.StatusConflict, 1021, "")
		b.resubmit(t, id, renamed)
		b.pendingBank(t, id)
		if a := b.account(t, id); a.BankVerified {
			t.Fatal("the renamed company kept the old name's bank verdict")
		}
		wantEnvelope(t, b.call(t, http.MethodPost, bankPath(id), b.token, bankBody(renamed, bankAccount)), http.StatusOK, CodeOK, "")
		wantEnvelope(t, b.confirm(t, b.token, id, b.amount(t, id)), http.StatusOK, CodeOK, "")
		if a := b.account(t, id); !a.BankVerified {
			t.Error("the verification under the new name did not count")
		}
	})
	t.Run("paid under the old name, told after the rename", func(t *testing.T) {
		b := newBankFixture(t, nil)
		id := b.company(t, b.app)
		wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
		amount := b.amount(t, id)
		b.resubmit(t, id, renamed)
		wantEnvelope(t, b.confirm(t, b.token, id, amount), http.StatusOK, CodeOK, "")
		if a := b.account(t, id); a.BankVerified {
			t.Errorf("account %q is bank verified by a payout to the old name", a.Organization)
		}
	})
}

// A company whose identity is approved on another account is not a lost race: its bank
// confirmation answers 409 at once, writes nothing, and a reviewer decides the account.
func TestBankVerificationIdentityTaken(t *testing.T) {
	b := newBankFixture(t, nil)
	reviewer := b.newUser(t, kyc.RoleReviewer)
	first, second := b.company(t, b.app), b.company(t, b.app)
	// The second company names the first's registration number.
	a := b.account(t, second)
	next := a
	next.IDNumber = b.account(t, first).IDNumber
	if _, err := b.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: second, At: b.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: a.State}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{first, second} {
		b.pendingBank(t, id)
		if code := b.approveByReviewer(t, reviewer.Token, id); code != http.StatusOK {
			t.Fatalf("reviewer's approval of %s: %d", id, code)
		}
		wantEnvelope(t, b.start(t, b.token, id), http.StatusOK, CodeOK, "")
	}
	wantEnvelope(t, b.confirm(t, b.token, first, b.amount(t, first)), http.StatusOK, CodeOK, "")
	if got := b.account(t, first).State; got != kyc.StateApproved {
		t.Fatalf("first company %s, want APPROVED", got)
	}
	if e := wantEnvelope(t, b.confirm(t, b.token, second, b.amount(t, second)), http.StatusConflict, 1021, ""); !strings.Contains(e.Msg, "verified on another account") {
		t.Errorf("answered %q, want the identity named as the cause (not a retried race)", e.Msg)
	}
	if r, _ := b.current(t, second); r.Status != bankverify.StatusPaid || r.Wrong != 0 {
		t.Errorf("the refused confirmation wrote %+v", r.Verification)
	}
	if got := b.account(t, second); got.State != kyc.StatePendingReview || got.BankVerified {
		t.Errorf("second company %s (bank %v), want PENDING_REVIEW without the verdict", got.State, got.BankVerified)
	}
}
