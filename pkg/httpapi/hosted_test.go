package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/hosted"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Placeholders, not real people.
const (
	hvMobile         = "13800138000"
	hvMismatchMobile = "13800130000" // the sandbox: a mobile ending in 0000 is not the person's
	hvReturn         = "https://app.example/done?session=abc"
)

// hostedFixture is the API over dynoxide with the sandbox behind a switchable outage and
// the SMS outbox in a temporary file.
type hostedFixture struct {
	*docFixture
	provider *outageProvider
	sms      string
}

func newHostedFixture(t *testing.T) *hostedFixture {
	t.Helper()
	f := newFixture(t)
	p := &outageProvider{}
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	out, err := localsms.New(path, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	f.svc.Identity, f.svc.SMS = p, out
	return &hostedFixture{docFixture: &docFixture{fixture: f, mux: muxOf(t, f.svc)}, provider: p, sms: path}
}

// integrator is an app with a token.
func (h *hostedFixture) integrator(t *testing.T) (integrator.Created, string) {
	t.Helper()
	c := h.newApp(t)
	return c, h.appToken(t, c)
}

func hvPerson(id, mobile string) map[string]string {
	return map[string]string{"name": "张三", "idNum": id, "mobile": mobile}
}

type started struct {
	VerificationID string `json:"verificationId"`
	URL            string `json:"url"`
}

// start starts a verification of account for body's person and returns it and its ticket.
func (h *hostedFixture) start(t *testing.T, tok, account string, person map[string]string) (started, string) {
	t.Helper()
	body := map[string]string{"accountId": account, "returnUrl": hvReturn}
	for k, v := range person {
		body[k] = v
	}
	e := wantEnvelope(t, h.call(t, http.MethodPost, "/v1/identify/person/3/async", tok, body), http.StatusCreated, CodeOK, "")
	var s started
	if err := json.Unmarshal(e.Data, &s); err != nil {
		t.Fatal(err)
	}
	const prefix = "http://example.com/v1/verify/"
	if !strings.HasPrefix(s.URL, prefix) || !strings.HasPrefix(s.VerificationID, hosted.IDPrefix) {
		t.Fatalf("started %+v, want a url under %s", s, prefix)
	}
	ticket := strings.TrimPrefix(s.URL, prefix)
	if len(ticket) < 43 {
		t.Fatalf("ticket of %d characters, want 256 bits", len(ticket))
	}
	return s, ticket
}

func (h *hostedFixture) status(t *testing.T, tok, id string) hosted.StatusView {
	t.Helper()
	e := wantEnvelope(t, h.call(t, http.MethodGet, "/v1/identify/"+id, tok, nil), http.StatusOK, CodeOK, "")
	var v hosted.StatusView
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (h *hostedFixture) page(t *testing.T, ticket string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v1/verify/"+ticket, nil)
	return serve(h.mux, r)
}

// sendCode asks for a code and returns it from the SMS outbox.
func (h *hostedFixture) sendCode(t *testing.T, ticket, mobile string) string {
	t.Helper()
	wantEnvelope(t, h.call(t, http.MethodPost, "/v1/verify/"+ticket+"/code", "", nil), http.StatusOK, CodeOK, "")
	code, err := localsms.LastCode(h.sms, mobile, kyc.PurposeVerify)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (h *hostedFixture) confirm(t *testing.T, ticket, code string) *httptest.ResponseRecorder {
	t.Helper()
	return h.call(t, http.MethodPost, "/v1/verify/"+ticket+"/confirm", "", map[string]string{"code": code})
}

func resultOf(t *testing.T, w *httptest.ResponseRecorder) hosted.Result {
	t.Helper()
	e := wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	var r hosted.Result
	if err := json.Unmarshal(e.Data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (h *hostedFixture) account(t *testing.T, tok, id string) integrator.AccountView {
	t.Helper()
	e := wantEnvelope(t, h.call(t, http.MethodGet, "/v1/accounts/"+id, tok, nil), http.StatusOK, CodeOK, "")
	var v integrator.AccountView
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// completed returns the verification.completed events in the outbox for id.
func (h *hostedFixture) outboxEvents(t *testing.T) []webhook.OutboxEvent {
	t.Helper()
	evs, err := h.store.(*dynamo.Store).ListOutboxBefore(t.Context(), h.clock.Now().Add(48*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (h *hostedFixture) completedEvent(t *testing.T, id string) map[string]any {
	t.Helper()
	for _, ev := range h.outboxEvents(t) {
		if ev.ID == "evt_"+id {
			var body struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(ev.Body, &body); err != nil {
				t.Fatal(err)
			}
			if ev.Type != webhook.VerificationCompleted || body.Type != webhook.VerificationCompleted {
				t.Fatalf("event %s is a %s", ev.ID, ev.Type)
			}
			body.Data["app"] = ev.App
			return body.Data
		}
	}
	t.Fatalf("no verification.completed event for %s in the outbox", id)
	return nil
}

// The whole flow through HTTP: start, status, page, code, a wrong code, the right one;
// the account is approved, the factor recorded, the event in the outbox for the app; the
// link is then used up everywhere.
func TestHostedVerificationFlow(t *testing.T) {
	h := newHostedFixture(t)
	app, tok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231002")
	acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
	s, ticket := h.start(t, tok, acct, hvPerson(id, hvMobile))

	if v := h.status(t, tok, s.VerificationID); v.Status != kyc.HostedPending || v.AccountID != acct {
		t.Fatalf("status %+v, want PENDING of %s", v, acct)
	}
	w := h.page(t, ticket)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	body := w.Body.String()
	nonce := strings.TrimSuffix(strings.SplitN(strings.SplitN(csp, "'nonce-", 2)[1], "'", 2)[0], "'")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(body, `<script nonce="`+nonce+`">`) {
		t.Errorf("CSP %q does not admit exactly the page's nonce", csp)
	}
	if !strings.Contains(body, idcheck.MaskID(id)) || strings.Contains(body, id) || strings.Contains(body, "张三") || strings.Contains(body, hvMobile) {
		t.Errorf("the page must show the masked values only")
	}
	if !strings.Contains(body, "发送验证码") || !strings.Contains(body, "Send code") {
		t.Errorf("the page has no bilingual send button")
	}

	// Before any code, a confirmation is refused without counting.
	wantEnvelope(t, h.confirm(t, ticket, "123456"), http.StatusBadRequest, 1008, "")
	code := h.sendCode(t, ticket, hvMobile)
	// One a minute.
	wantEnvelope(t, h.call(t, http.MethodPost, "/v1/verify/"+ticket+"/code", "", nil), http.StatusTooManyRequests, 1022, "")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	e := wantEnvelope(t, h.confirm(t, ticket, wrong), http.StatusBadRequest, 1008, "")
	if !strings.Contains(string(e.Data), `"remaining":4`) {
		t.Errorf("wrong code data %s, want 4 remaining", e.Data)
	}
	wantEnvelope(t, h.confirm(t, ticket, "12ab"), http.StatusBadRequest, 1006, "code")

	r := resultOf(t, h.confirm(t, ticket, code))
	wantRedirect := hvReturn + "&verificationId=" + s.VerificationID + "&status=VERIFIED"
	if r.Status != kyc.HostedVerified || r.Redirect != wantRedirect {
		t.Fatalf("confirm %+v, want VERIFIED and %s", r, wantRedirect)
	}
	if a := h.account(t, tok, acct); a.State != string(kyc.StateApproved) {
		t.Errorf("account %s, want APPROVED", a.State)
	}
	if v := h.status(t, tok, s.VerificationID); v.Status != kyc.HostedVerified {
		t.Errorf("status %+v, want VERIFIED", v)
	}
	_, factors, err := h.store.(*dynamo.Store).GetAccountAndFactors(t.Context(), acct)
	if err != nil || len(factors) != 1 || factors[0].Kind != kyc.FactorThree || factors[0].Result != kyc.FactorMatch {
		t.Fatalf("factors %+v %v, want one three_factor match", factors, err)
	}
	ev := h.completedEvent(t, s.VerificationID)
	if ev["status"] != "VERIFIED" || ev["account_id"] != acct || ev["verification_id"] != s.VerificationID || ev["app"] != app.AppKey {
		t.Errorf("event %v", ev)
	}
	approved := false
	for _, o := range h.outboxEvents(t) {
		approved = approved || o.Type == webhook.AccountApproved && o.AccountID == acct && o.App == app.AppKey
	}
	if !approved {
		t.Error("no account.approved event for the app in the outbox")
	}

	// Used up: the page, the code and the confirmation answer 410 / 1026.
	if w := h.page(t, ticket); w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Link no longer valid") {
		t.Errorf("used page: %d", w.Code)
	}
	wantEnvelope(t, h.call(t, http.MethodPost, "/v1/verify/"+ticket+"/code", "", nil), http.StatusGone, 1026, "")
	wantEnvelope(t, h.confirm(t, ticket, code), http.StatusGone, 1026, "")
	// Approved: no second verification.
	body2 := map[string]string{"accountId": acct, "returnUrl": hvReturn}
	for k, v := range hvPerson(id, hvMobile) {
		body2[k] = v
	}
	wantEnvelope(t, h.call(t, http.MethodPost, "/v1/identify/person/3/async", tok, body2), http.StatusConflict, 1021, "")
	if strings.Contains(h.log.String(), ticket) || strings.Contains(h.log.String(), id) || strings.Contains(h.log.String(), code) {
		t.Error("the log holds the ticket, the ID number or the code")
	}
}

// A mobile that is not the person's: FAILED with the provider's reason, the factor
// recorded, the account unchanged, the event emitted.
func TestHostedVerificationMismatch(t *testing.T) {
	h := newHostedFixture(t)
	_, tok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231003")
	acct := h.createPerson(t, tok, hvPerson(id, hvMismatchMobile))
	s, ticket := h.start(t, tok, acct, hvPerson(id, hvMismatchMobile))
	r := resultOf(t, h.confirm(t, ticket, h.sendCode(t, ticket, hvMismatchMobile)))
	if r.Status != kyc.HostedFailed || !strings.HasSuffix(r.Redirect, "&status=FAILED") {
		t.Fatalf("confirm %+v, want FAILED", r)
	}
	if v := h.status(t, tok, s.VerificationID); v.Status != kyc.HostedFailed || v.Reason != "mobile_not_owner" {
		t.Errorf("status %+v, want FAILED mobile_not_owner", v)
	}
	if a := h.account(t, tok, acct); a.State != string(kyc.StateUnverified) {
		t.Errorf("account %s, want UNVERIFIED", a.State)
	}
	if ev := h.completedEvent(t, s.VerificationID); ev["status"] != "FAILED" {
		t.Errorf("event %v", ev)
	}
	if w := h.page(t, ticket); w.Code != http.StatusGone {
		t.Errorf("page after FAILED: %d, want 410", w.Code)
	}
}

// Five wrong codes fail the verification; the right code is then refused.
func TestHostedVerificationWrongCodes(t *testing.T) {
	h := newHostedFixture(t)
	_, tok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231004")
	acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
	s, ticket := h.start(t, tok, acct, hvPerson(id, hvMobile))
	code := h.sendCode(t, ticket, hvMobile)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := 1; i < kyc.HostedMaxWrongCodes; i++ {
		wantEnvelope(t, h.confirm(t, ticket, wrong), http.StatusBadRequest, 1008, "")
	}
	if r := resultOf(t, h.confirm(t, ticket, wrong)); r.Status != kyc.HostedFailed {
		t.Fatalf("fifth wrong code: %+v, want FAILED", r)
	}
	if v := h.status(t, tok, s.VerificationID); v.Status != kyc.HostedFailed || v.Reason != kyc.HostedReasonTooManyCodes {
		t.Errorf("status %+v", v)
	}
	wantEnvelope(t, h.confirm(t, ticket, code), http.StatusGone, 1026, "")
	if h.provider.asked() != 0 {
		t.Errorf("the provider was asked %d times, want none", h.provider.asked())
	}
	if ev := h.completedEvent(t, s.VerificationID); ev["status"] != "FAILED" {
		t.Errorf("event %v", ev)
	}
}

// 24 hours later the verification is EXPIRED and its link 410; the code expires after 5
// minutes; at most 5 codes are sent.
func TestHostedVerificationExpiry(t *testing.T) {
	h := newHostedFixture(t)
	app, tok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231005")
	acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
	s, ticket := h.start(t, tok, acct, hvPerson(id, hvMobile))
	code := h.sendCode(t, ticket, hvMobile)
	h.clock.Advance(kyc.HostedCodeTTL)
	wantEnvelope(t, h.confirm(t, ticket, code), http.StatusBadRequest, 1008, "")
	for i := 2; i <= kyc.HostedMaxCodes; i++ {
		h.clock.Advance(time.Minute)
		h.sendCode(t, ticket, hvMobile)
	}
	h.clock.Advance(time.Minute)
	wantEnvelope(t, h.call(t, http.MethodPost, "/v1/verify/"+ticket+"/code", "", nil), http.StatusTooManyRequests, 1022, "")

	h.clock.Advance(kyc.HostedTTL)
	tok = h.appToken(t, app) // the app's token lives 2 hours
	if v := h.status(t, tok, s.VerificationID); v.Status != kyc.HostedExpired {
		t.Errorf("status %+v, want EXPIRED", v)
	}
	if w := h.page(t, ticket); w.Code != http.StatusGone {
		t.Errorf("expired page: %d, want 410", w.Code)
	}
	wantEnvelope(t, h.confirm(t, ticket, code), http.StatusGone, 1026, "")
	// An unknown ticket and a malformed one: 404 pages.
	other := strings.Repeat("A", 43)
	for _, tk := range []string{other, "short"} {
		if w := h.page(t, tk); w.Code != http.StatusNotFound || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("page of %q: %d", tk, w.Code)
		}
	}
}

// An outage answers 503 and consumes nothing: the same code works once the provider is
// back.
func TestHostedVerificationOutage(t *testing.T) {
	h := newHostedFixture(t)
	_, tok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231006")
	acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
	s, ticket := h.start(t, tok, acct, hvPerson(id, hvMobile))
	code := h.sendCode(t, ticket, hvMobile)
	h.provider.setDown(true)
	wantEnvelope(t, h.confirm(t, ticket, code), http.StatusServiceUnavailable, 1050, "")
	if v := h.status(t, tok, s.VerificationID); v.Status != kyc.HostedPending {
		t.Fatalf("after the outage: %+v, want PENDING", v)
	}
	h.provider.setDown(false)
	if r := resultOf(t, h.confirm(t, ticket, code)); r.Status != kyc.HostedVerified {
		t.Fatalf("after the outage: %+v", r)
	}
}

// Two confirmations at once: exactly one runs the check.
func TestHostedVerificationConcurrentConfirm(t *testing.T) {
	h := newHostedFixture(t)
	_, tok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231007")
	acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
	_, ticket := h.start(t, tok, acct, hvPerson(id, hvMobile))
	code := h.sendCode(t, ticket, hvMobile)
	const n = 6
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest(http.MethodPost, "/v1/verify/"+ticket+"/confirm", strings.NewReader(`{"code":"`+code+`"}`))
			r.Header.Set("Content-Type", "application/json")
			codes[i] = serve(h.mux, r).Code
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict, http.StatusGone:
		default:
			t.Errorf("status %d", c)
		}
	}
	if ok != 1 || h.provider.asked() != 1 {
		t.Fatalf("statuses %v, provider asked %d times: want exactly one check", codes, h.provider.asked())
	}
}

// Starting: ownership, state, formats, the account's own values, the returnUrl.
func TestHostedVerificationStartInput(t *testing.T) {
	h := newHostedFixture(t)
	_, tok := h.integrator(t)
	_, otherTok := h.integrator(t)
	id := idchecktest.ResidentID("11010519491231008")
	acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
	good := map[string]string{"accountId": acct, "name": "张三", "idNum": id, "mobile": hvMobile, "returnUrl": hvReturn}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	const path = "/v1/identify/person/3/async"
	cases := []struct {
		name, token string
		body        map[string]string
		status      int
		code        int
		field       string
	}{
		{"another app's account", otherTok, good, 404, 1015, ""},
		{"no account", tok, with("accountId", "01JQ8ZK3W6X2V9C4T7B5N0M1PA"), 404, 1015, ""},
		{"no returnUrl", tok, with("returnUrl", ""), 400, 997, "returnUrl"},
		{"relative returnUrl", tok, with("returnUrl", "/done"), 400, 1006, "returnUrl"},
		{"javascript returnUrl", tok, with("returnUrl", "javascript:alert(1)"), 400, 1006, "returnUrl"},
		{"credentials in returnUrl", tok, with("returnUrl", "https://u:p@app.example/"), 400, 1006, "returnUrl"},
		{"bad ID", tok, with("idNum", idchecktest.WrongCheck(id, "0123456789X")), 400, 1006, "idNum"},
		{"other name", tok, with("name", "李四"), 400, 1006, "name"},
		{"other mobile", tok, with("mobile", "13900139000"), 400, 1006, "mobile"},
		{"no mobile", tok, with("mobile", ""), 400, 997, "mobile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantEnvelope(t, h.call(t, http.MethodPost, path, c.token, c.body), c.status, c.code, c.field)
		})
	}
	// A user token never reaches the route; another app never reads the verification.
	user := h.newUser(t, kyc.RoleUser)
	wantEnvelope(t, h.call(t, http.MethodPost, path, user.Token, good), http.StatusUnauthorized, 999, "")
	s, _ := h.start(t, tok, acct, hvPerson(id, hvMobile))
	wantEnvelope(t, h.call(t, http.MethodGet, "/v1/identify/"+s.VerificationID, otherTok, nil), http.StatusNotFound, 1015, "")
	wantEnvelope(t, h.call(t, http.MethodGet, "/v1/identify/nonsense", tok, nil), http.StatusNotFound, 1015, "")
}

// Two apps verify the same person: each app's account is approved (identity claims are
// per app for integrator accounts), and an app user's approval is not blocked by them.
func TestHostedVerificationSamePersonTwoApps(t *testing.T) {
	h := newHostedFixture(t)
	id := idchecktest.ResidentID("11010519491231009")
	for i := range 2 {
		_, tok := h.integrator(t)
		acct := h.createPerson(t, tok, hvPerson(id, hvMobile))
		_, ticket := h.start(t, tok, acct, hvPerson(id, hvMobile))
		h.clock.Advance(time.Second) // the SMS outbox's last code is the later one
		if r := resultOf(t, h.confirm(t, ticket, h.sendCode(t, ticket, hvMobile))); r.Status != kyc.HostedVerified {
			t.Fatalf("app %d: %+v", i, r)
		}
		if a := h.account(t, tok, acct); a.State != string(kyc.StateApproved) {
			t.Fatalf("app %d: account %s", i, a.State)
		}
	}
	if owner, err := h.store.(*dynamo.Store).IdentityOwner(t.Context(), kyc.PersonalAccount, id); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("the platform-wide claim is held by %q (%v): integrator accounts must not hold it", owner, err)
	}
}

// The redirect keeps the returnUrl's query and fragment and adds only the two values.
func TestHostedRedirect(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example/done":            "https://a.example/done?verificationId=hv1&status=VERIFIED",
		"https://a.example/done?x=1&y=%20":  "https://a.example/done?x=1&y=%20&verificationId=hv1&status=VERIFIED",
		"https://a.example/done?":           "https://a.example/done?verificationId=hv1&status=VERIFIED",
		"http://127.0.0.1:8080/r?x=1#frag":  "http://127.0.0.1:8080/r?x=1&verificationId=hv1&status=VERIFIED#frag",
		"https://a.example/p#f?notaquery=1": "https://a.example/p?verificationId=hv1&status=VERIFIED#f?notaquery=1",
	} {
		if got := hosted.Redirect(in, "hv1", kyc.HostedVerified); got != want {
			t.Errorf("Redirect(%q) = %q, want %q", in, got, want)
		}
		if _, err := url.Parse(want); err != nil {
			t.Error(err)
		}
	}
}

// The verification url's base is the request's own: on API Gateway's execute-api host it
// includes the stage (the function's path does not), on a custom domain it does not.
func TestHostedPublicBase(t *testing.T) {
	var ra core.RequestAccessor
	for host, want := range map[string]string{
		"abc123.execute-api.us-east-1.amazonaws.com": "https://abc123.execute-api.us-east-1.amazonaws.com/Prod",
		"api.example.com": "https://api.example.com",
	} {
		ev := events.APIGatewayProxyRequest{HTTPMethod: http.MethodPost, Path: "/v1/identify/person/3/async",
			Headers:        map[string]string{"Host": host, "X-Forwarded-Proto": "https"},
			RequestContext: events.APIGatewayProxyRequestContext{Stage: "Prod", DomainName: host}}
		r, err := ra.EventToRequestWithContext(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := publicBase(r); got != want {
			t.Errorf("%s: base %q, want %q", host, got, want)
		}
	}
	if got := publicBase(httptest.NewRequest(http.MethodPost, "http://127.0.0.1:3000/v1/identify/person/3/async", nil)); got != "http://127.0.0.1:3000" {
		t.Errorf("local base %q", got)
	}
}
