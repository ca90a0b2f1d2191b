package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Placeholders, not real people: the sandbox matches a well-formed name unless it ends in
// identity.SandboxMismatchSuffix.
var (
	vName     = "测试人"
	vFakeName = vName + identity.SandboxMismatchSuffix
	vID       = idchecktest.ResidentID("11010519491231002")
)

// outageProvider is the sandbox, or an outage while down is set: a fault injected at the
// port, as a vendor that cannot answer would be.
type outageProvider struct {
	mu   sync.Mutex
	down bool
	n    int // checks asked
}

func (p *outageProvider) Check(ctx context.Context, f kyc.IdentityFactors) (kyc.IdentityAnswer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.down {
		return kyc.IdentityAnswer{}, fmt.Errorf("vendor timed out: %w", identity.ErrUnavailable)
	}
	return identity.Sandbox{}.Check(ctx, f)
}

func (p *outageProvider) setDown(d bool) { p.mu.Lock(); p.down = d; p.mu.Unlock() }
func (p *outageProvider) asked() int     { p.mu.Lock(); defer p.mu.Unlock(); return p.n }

// verificationFixture is the API with the identity provider p under policy.
func verificationFixture(t *testing.T, policy string) (*fixture, *outageProvider, http.Handler) {
	t.Helper()
	f := newFixture(t)
	p := &outageProvider{}
	f.svc.Identity, f.svc.VerifyPolicy = p, policy
	return f, p, muxOf(t, f.svc)
}

type verificationView struct {
	State   kyc.State `json:"state"`
	Factors []struct {
		Kind     string    `json:"kind"`
		Result   string    `json:"result"`
		Provider string    `json:"provider"`
		Reason   string    `json:"reason"`
		At       time.Time `json:"at"`
	} `json:"factors"`
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
}

func getView(t *testing.T, h http.Handler, token string) verificationView {
	t.Helper()
	w, e := call(t, h, token, http.MethodGet, "/v1/user/verification", nil)
	if w.Code != 200 || e.ErrorCode != 1000 {
		t.Fatalf("GET verification: %d %s", w.Code, w.Body)
	}
	var v verificationView
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func check(t *testing.T, h http.Handler, token, name, cardno string) (int, envelopeJSON) {
	t.Helper()
	w, e := call(t, h, token, http.MethodPost, "/v1/user/verification", map[string]string{"name": name, "cardno": cardno})
	return w.Code, e
}

// A match is 200 / 1000 and a mismatch 422 / 1012 with the provider's reason; both are
// recorded as factors that GET shows, with the latest check's name and ID number masked;
// under VERIFY_POLICY=documents nothing else changes; no value reaches the log.
func TestVerificationMatchAndMismatch(t *testing.T) {
	f, _, h := verificationFixture(t, app.PolicyDocuments)
	uid := f.user(t, kyc.RoleUser)
	token := f.session(t, uid, time.Hour)

	if v := getView(t, h, token); v.State != kyc.StateUnverified || len(v.Factors) != 0 || v.Name != "" || v.IDNumber != "" {
		t.Fatalf("before any check: %+v", v)
	}
	if code, e := check(t, h, token, vName, vID); code != 200 || e.ErrorCode != 1000 || !strings.Contains(string(e.Data), `"result":"match"`) || strings.Contains(string(e.Data), "state") {
		t.Fatalf("match: %d %+v", code, e)
	}
	f.clock.Advance(time.Minute)
	code, e := check(t, h, token, vFakeName, vID)
	if code != http.StatusUnprocessableEntity || e.ErrorCode != 1012 || string(e.Data) != `{"reason":"name_id_mismatch"}` {
		t.Fatalf("mismatch: %d %+v %s", code, e, e.Data)
	}
	v := getView(t, h, token)
	if v.State != kyc.StateUnverified || len(v.Factors) != 2 {
		t.Fatalf("view: %+v", v)
	}
	first, second := v.Factors[0], v.Factors[1]
	if first.Kind != kyc.FactorTwo || first.Result != "match" || first.Provider != identity.SandboxName || !first.At.Equal(testNow) {
		t.Errorf("first factor: %+v", first)
	}
	if second.Result != "mismatch" || second.Reason != identity.ReasonNameID || !second.At.Equal(testNow.Add(time.Minute)) {
		t.Errorf("second factor: %+v", second)
	}
	if want := kyc.MaskName(vFakeName); v.Name != want || v.Name == vFakeName {
		t.Errorf("name = %q, want the latest check's masked: %q", v.Name, want)
	}
	if v.IDNumber != vID[:4]+"**********"+vID[14:] {
		t.Errorf("id_number = %q, want the first 4 and last 4 of the ID number", v.IDNumber)
	}
	a, err := f.store.GetAccount(t.Context(), "acct-"+strings.TrimPrefix(uid, "user-"))
	if err != nil || a.State != kyc.StateUnverified || a.Name != "" || a.IDNumber != "" {
		t.Errorf("account after a match under VERIFY_POLICY=documents: %+v %v (want it untouched)", a, err)
	}
	for _, secret := range []string{vName, vID} {
		if strings.Contains(f.log.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	if !strings.Contains(f.log.String(), `"result":"mismatch"`) {
		t.Errorf("the check's result is not logged:\n%s", f.log)
	}
}

// Formats are checked before anything is counted or asked: 997 for a missing field, 1006
// naming a malformed one.
func TestVerificationFormats(t *testing.T) {
	f, p, h := verificationFixture(t, app.PolicyDocuments)
	token := f.session(t, f.user(t, kyc.RoleUser), time.Hour)
	cases := []struct {
		name, cardno string
		status, code int
		field        string
	}{
		{"", vID, 400, 997, "name"},
		{vName, "", 400, 997, "cardno"},
		{"X", vID, 400, 1006, "name"},
		{"测试1", vID, 400, 1006, "name"},
		{vName, vID[:17] + "0", 400, 1006, "cardno"}, // wrong check digit (vID's is not 0)
		{vName, "110105194912310", 400, 1006, "cardno"},
		{vName, "１１０１０５１９４９１２３１００２X", 400, 1006, "cardno"},
	}
	if strings.HasSuffix(vID, "0") {
		t.Fatal("the sample ID ends in 0: pick another for the wrong check digit")
	}
	for _, c := range cases {
		for range 2 { // twice: none may count
			code, e := check(t, h, token, c.name, c.cardno)
			var fd fieldData
			_ = json.Unmarshal(e.Data, &fd)
			if code != c.status || e.ErrorCode != c.code || fd.Field != c.field {
				t.Errorf("name %q cardno %q: %d %d %+v, want %d %d naming %s", c.name, c.cardno, code, e.ErrorCode, fd, c.status, c.code, c.field)
			}
		}
	}
	if p.asked() != 0 {
		t.Errorf("the provider was asked %d times about malformed input", p.asked())
	}
	for i := range kyc.MaxFailedChecksPerDay {
		if code, _ := check(t, h, token, vFakeName, vID); code != http.StatusUnprocessableEntity {
			t.Fatalf("mismatch %d after %d refused formats: %d (malformed input was counted)", i+1, 2*len(cases), code)
		}
	}
}

// More than 5 failed checks a Beijing day: the sixth check is 429 / 1022 whatever its
// answer would be, and asks nobody; matches neither count nor reset; the next Beijing
// day (16:00 UTC) starts afresh, while the UTC day has not changed yet.
func TestVerificationDailyLimit(t *testing.T) {
	f, p, h := verificationFixture(t, app.PolicyDocuments)
	token := f.session(t, f.user(t, kyc.RoleUser), 48*time.Hour)
	other := f.session(t, f.user(t, kyc.RoleUser), 48*time.Hour)
	for i := range kyc.MaxFailedChecksPerDay {
		if code, _ := check(t, h, token, vName, vID); code != 200 {
			t.Fatalf("match after %d mismatches: %d", i, code)
		}
		if code, _ := check(t, h, token, vFakeName, vID); code != http.StatusUnprocessableEntity {
			t.Fatalf("mismatch %d: %d", i+1, code)
		}
	}
	asked := p.asked()
	for _, name := range []string{vFakeName, vName} {
		code, e := check(t, h, token, name, vID)
		if code != http.StatusTooManyRequests || e.ErrorCode != 1022 {
			t.Fatalf("check after 5 failures (%s): %d %+v", name, code, e)
		}
	}
	if p.asked() != asked {
		t.Error("a check over the limit was sent to the provider")
	}
	if code, _ := check(t, h, other, vName, vID); code != 200 {
		t.Errorf("another account is limited too: %d", code)
	}
	if got := len(getView(t, h, token).Factors); got != 2*kyc.MaxFailedChecksPerDay {
		t.Errorf("%d factors recorded, want %d (refused checks record nothing)", got, 2*kyc.MaxFailedChecksPerDay)
	}
	// testNow is 09:00 UTC, 17:00 in Beijing: the Beijing day ends at 16:00 UTC.
	f.clock.Advance(6*time.Hour + 59*time.Minute)
	if code, _ := check(t, h, token, vName, vID); code != http.StatusTooManyRequests {
		t.Fatalf("at 23:59 Beijing time: %d, want still 429", code)
	}
	f.clock.Advance(2 * time.Minute)
	if code, _ := check(t, h, token, vName, vID); code != 200 {
		t.Fatalf("at 00:01 Beijing time (same UTC day): %d, want a new day's checks", code)
	}
}

// Concurrent failing checks never get past the limit: the reservation comes first.
func TestVerificationConcurrentLimit(t *testing.T) {
	f, _, h := verificationFixture(t, app.PolicyDocuments)
	token := f.session(t, f.user(t, kyc.RoleUser), time.Hour)
	const n = 16
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = check(t, h, token, vFakeName, vID)
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusUnprocessableEntity] != kyc.MaxFailedChecksPerDay || count[http.StatusTooManyRequests] != n-kyc.MaxFailedChecksPerDay {
		t.Fatalf("statuses %v, want %d mismatches and the rest 429", count, kyc.MaxFailedChecksPerDay)
	}
	if got := len(getView(t, h, token).Factors); got != kyc.MaxFailedChecksPerDay {
		t.Errorf("%d factors, want %d", got, kyc.MaxFailedChecksPerDay)
	}
}

// A provider outage is 503 / 1050, records nothing and counts nothing.
func TestVerificationOutage(t *testing.T) {
	f, p, h := verificationFixture(t, app.PolicyFactors)
	uid := f.user(t, kyc.RoleUser)
	token := f.session(t, uid, time.Hour)
	p.setDown(true)
	for range kyc.MaxFailedChecksPerDay + 2 {
		code, e := check(t, h, token, vFakeName, vID)
		if code != http.StatusServiceUnavailable || e.ErrorCode != 1050 || strings.Contains(e.Msg, "timed out") {
			t.Fatalf("outage: %d %+v", code, e)
		}
	}
	if v := getView(t, h, token); len(v.Factors) != 0 || v.State != kyc.StateUnverified {
		t.Fatalf("after outages: %+v", v)
	}
	p.setDown(false)
	for i := range kyc.MaxFailedChecksPerDay {
		if code, _ := check(t, h, token, vFakeName, vID); code != http.StatusUnprocessableEntity {
			t.Fatalf("mismatch %d after the outage: %d (an outage was counted)", i+1, code)
		}
	}
	if code, _ := check(t, h, token, vFakeName, vID); code != http.StatusTooManyRequests {
		t.Fatalf("sixth failure: %d", code)
	}
}

// An ended session gets 401 before anything is counted or asked, although the route
// reads no session (it writes its reservation on the session's condition).
func TestVerificationEndedSession(t *testing.T) {
	f, p, h := verificationFixture(t, app.PolicyDocuments)
	token := f.session(t, f.user(t, kyc.RoleUser), time.Hour)
	if err := f.store.DeleteSession(t.Context(), HashToken(token)); err != nil {
		t.Fatal(err)
	}
	if code, e := check(t, h, token, vName, vID); code != 401 || e.ErrorCode != 999 {
		t.Fatalf("ended session: %d %+v", code, e)
	}
	if p.asked() != 0 {
		t.Error("the provider was asked for an ended session")
	}
}

// VERIFY_POLICY=factors: a match approves an unverified personal account at once, in one
// conditional write with its audit record (actor system), the identity claim and the
// account.approved event; the same identity on a second account is 409 / 1021 with the
// match recorded; an approved account is not approved again; a mismatch approves nothing.
func TestVerificationFactorsPolicyApproves(t *testing.T) {
	f, _, h := verificationFixture(t, app.PolicyFactors)
	uid := f.user(t, kyc.RoleUser)
	acct := "acct-" + strings.TrimPrefix(uid, "user-")
	token := f.session(t, uid, time.Hour)

	if code, _ := check(t, h, token, vFakeName, vID); code != http.StatusUnprocessableEntity {
		t.Fatalf("mismatch: %d", code)
	}
	if v := getView(t, h, token); v.State != kyc.StateUnverified {
		t.Fatalf("a mismatch moved the account: %s", v.State)
	}
	code, e := check(t, h, token, vName, vID)
	if code != 200 || !strings.Contains(string(e.Data), `"state":"APPROVED"`) {
		t.Fatalf("match: %d %s", code, e.Data)
	}
	a, audit, err := f.store.GetAccountAndAudit(t.Context(), acct)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != kyc.StateApproved || a.Name != vName || a.IDNumber != vID || a.Type != kyc.PersonalAccount || a.Version != 2 {
		t.Errorf("account: %+v", a)
	}
	last := audit[len(audit)-1]
	if last.Action != kyc.ActionApproveFactors || last.Actor != kyc.ActorSystem || last.From != kyc.StateUnverified || last.To != kyc.StateApproved {
		t.Errorf("audit record: %+v", last)
	}
	if owner, err := f.store.IdentityOwner(t.Context(), kyc.PersonalAccount, vID); err != nil || owner != acct {
		t.Errorf("identity claim: %q %v", owner, err)
	}
	if v := getView(t, h, token); v.State != kyc.StateApproved || len(v.Factors) != 2 {
		t.Errorf("view: %+v", v)
	}
	// The account.approved event is in the outbox, written by the same transaction, with
	// no personal data in it.
	events, err := f.store.(outbox.SweeperStore).ListOutboxBefore(t.Context(), testNow.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ev := range events {
		if ev.AccountID == acct && ev.Type == webhook.AccountApproved {
			found = true
			body := string(ev.Body)
			if !strings.Contains(body, `"kind":"two_factor"`) || !strings.Contains(body, `"by":"system"`) || strings.Contains(body, vID) || strings.Contains(body, vName) {
				t.Errorf("event body: %s", body)
			}
		}
	}
	if !found {
		t.Errorf("no account.approved event in the outbox: %+v", events)
	}
	// Checked again: recorded, the account left as it is.
	if code, e := check(t, h, token, vName, vID); code != 200 || strings.Contains(string(e.Data), "state") {
		t.Errorf("a second match on an approved account: %d %s", code, e.Data)
	}
	if a2, _ := f.store.GetAccount(t.Context(), acct); a2.Version != a.Version {
		t.Errorf("a second match wrote the account again: version %d -> %d", a.Version, a2.Version)
	}

	// Another account with the same identity.
	uid2 := f.user(t, kyc.RoleUser)
	token2 := f.session(t, uid2, time.Hour)
	code, e = check(t, h, token2, vName, vID)
	if code != http.StatusConflict || e.ErrorCode != 1021 {
		t.Fatalf("the same identity on a second account: %d %+v", code, e)
	}
	if v := getView(t, h, token2); v.State != kyc.StateUnverified || len(v.Factors) != 1 || v.Factors[0].Result != "match" {
		t.Errorf("second account: %+v", v)
	}
}

// A RETRY rejection may be approved by a match; a FINAL one, or an account under review,
// is not.
func TestVerificationFactorsPolicyStates(t *testing.T) {
	f, _, h := verificationFixture(t, app.PolicyFactors)
	for i, c := range []struct {
		state    kyc.State
		reject   kyc.RejectType
		approves bool
	}{
		{kyc.StateRejected, kyc.RejectRetry, true},
		{kyc.StateRejected, kyc.RejectFinal, false},
		{kyc.StatePendingReview, "", false},
		{kyc.StateSubmitted, "", false},
	} {
		uid := f.user(t, kyc.RoleUser)
		acct := "acct-" + strings.TrimPrefix(uid, "user-")
		a, err := f.store.GetAccount(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		next := a
		next.State, next.RejectType, next.Attempts = c.state, c.reject, 1
		tr := kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
			Audit: kyc.AuditRecord{AccountID: acct, At: testNow, Actor: kyc.ActorSystem, Action: "test_setup", From: a.State, To: c.state}}
		if _, err := f.store.Transition(t.Context(), tr); err != nil {
			t.Fatal(err)
		}
		token := f.session(t, uid, time.Hour)
		id := idchecktest.ResidentID(fmt.Sprintf("110105194912310%02d", 10+i))
		code, e := check(t, h, token, vName, id)
		got, _ := f.store.GetAccount(t.Context(), acct)
		if code != 200 || (got.State == kyc.StateApproved) != c.approves || strings.Contains(string(e.Data), "APPROVED") != c.approves {
			t.Errorf("%s %s: %d %s, account %s; approves %v", c.state, c.reject, code, e.Data, got.State, c.approves)
		}
	}
}
