package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/testenv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/password"
	"github.com/realname-kyc/realname/pkg/users"
)

// cheapParams make a password hash in microseconds: the user route tests are about the
// rules, not the cost (TestRegisterStoresOWASPHash and pkg/password are about the cost).
var cheapParams = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, SaltLen: 16, KeyLen: 32}

// The limits, spelled out rather than read from package users, so that a changed
// constant there fails these tests.
const (
	codeEvery      = time.Minute      // one code per phone per minute
	codesPerDay    = 10               // per phone
	codesPerIPHour = 30               // per source IP
	codeTries      = 5                // wrong tries that kill a code
	loginFailLimit = 5                // failed logins from one source lock the phone there
	loginWindow    = 15 * time.Minute // until this fixed window ends
)

const (
	phoneA  = "13800138000"
	phoneB  = "13900139000"
	goodPW  = "a fine passphrase"
	otherPW = "another fine passphrase"
	testIP  = "192.0.2.1"
)

// userFixture is the API with the user service on cheap hashing, over a fresh dynoxide-backed
// store and an SMS outbox file in t.TempDir().
type userFixture struct {
	*fixture
	mux    http.Handler
	outbox string
}

func newUserFixture(t *testing.T) *userFixture {
	t.Helper()
	return newUserFixtureOn(t, nil)
}

// newUserFixtureOn is newUserFixture over store, or the DynamoDB store on a fresh dynoxide table if nil.
func newUserFixtureOn(t *testing.T, store kyc.Store) *userFixture {
	t.Helper()
	dir := t.TempDir()
	if store == nil {
		store = testenv.Store(t)
	}
	clock := kyc.NewFixedClock(testNow)
	outbox := filepath.Join(dir, "outbox", "sms.jsonl")
	sms, err := localsms.New(outbox, clock)
	if err != nil {
		t.Fatalf("localsms.New: %v", err)
	}
	t.Cleanup(func() { _ = sms.Close() })
	f := &fixture{store: store, clock: clock, log: &testenv.SyncBuffer{}}
	f.svc = &app.Services{
		Store: store, SMS: sms, Clock: clock, IDs: kyc.RandomIDs{}, Log: app.NewLogger(f.log, "debug"),
		Version: "test-version", TokenTTL: time.Hour, MaxAttempts: 5, BankSecret: []byte(app.DevBankVerifySecret),
	}
	f.svc.PasswordParams = cheapParams
	return &userFixture{fixture: f, mux: muxOf(t, f.svc), outbox: outbox}
}

// request is one call of the API.
type request struct {
	method, path string
	json         map[string]string // JSON body, if form is nil
	form         url.Values        // form body
	raw          *string           // exact body, sent with ctype
	ctype        string
	token        string
	ip           string
}

func (u *userFixture) do(t *testing.T, rq request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	ctype := rq.ctype
	switch {
	case rq.raw != nil:
		body = strings.NewReader(*rq.raw)
	case rq.form != nil:
		body, ctype = strings.NewReader(rq.form.Encode()), "application/x-www-form-urlencoded"
	case rq.json != nil:
		b, err := json.Marshal(rq.json)
		if err != nil {
			t.Fatal(err)
		}
		body, ctype = strings.NewReader(string(b)), "application/json"
	}
	method := rq.method
	if method == "" {
		method = http.MethodPost
	}
	r := httptest.NewRequest(method, rq.path, body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if rq.token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.ip != "" {
		r.RemoteAddr = rq.ip + ":40000"
	}
	return serve(u.mux, r)
}

// post sends a JSON body.
func (u *userFixture) post(t *testing.T, path string, body map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	return u.do(t, request{path: path, json: body})
}

func (u *userFixture) me(t *testing.T, token string) *httptest.ResponseRecorder {
	t.Helper()
	return u.do(t, request{method: http.MethodGet, path: "/v1/user/me", token: token})
}

// want checks the status and error_code of a response and returns its envelope.
func want(t *testing.T, w *httptest.ResponseRecorder, status, code int) envelopeJSON {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d: %s", w.Code, status, w.Body)
	}
	e := envelopeOf(t, w)
	if e.ErrorCode != code || e.Msg == "" {
		t.Fatalf("envelope = %s, want error_code %d and a message", w.Body, code)
	}
	return e
}

// wantField is want for an error that must name field.
func wantField(t *testing.T, w *httptest.ResponseRecorder, status, code int, field string) {
	t.Helper()
	e := want(t, w, status, code)
	var d fieldData
	if err := json.Unmarshal(e.Data, &d); err != nil || d.Field != field {
		t.Fatalf("data = %s, want field %q", e.Data, field)
	}
}

// dataOf decodes an envelope's data into v, failing on unknown fields.
func dataOf(t *testing.T, e envelopeJSON, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(e.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("data %s: %v", e.Data, err)
	}
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// sendCode asks for a code and returns it from the outbox.
func (u *userFixture) sendCode(t *testing.T, phone, purpose string) string {
	t.Helper()
	want(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": phone, "purpose": purpose}), 200, 1000)
	code, err := localsms.LastCode(u.outbox, phone, purpose)
	if err != nil {
		t.Fatalf("LastCode: %v", err)
	}
	if !sixDigits.MatchString(code) {
		t.Fatalf("code %q is not 6 digits", code)
	}
	return code
}

// outboxLines is how many codes were sent.
func (u *userFixture) outboxLines(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(u.outbox)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// register registers phone with pw and returns the token.
func (u *userFixture) register(t *testing.T, phone, pw string) string {
	t.Helper()
	code := u.sendCode(t, phone, kyc.PurposeRegister)
	e := want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phone, "code": code, "password": pw}), 201, 1000)
	var d tokenData
	dataOf(t, e, &d)
	return d.Token
}

func (u *userFixture) login(t *testing.T, phone, pw string) string {
	t.Helper()
	e := want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phone, "password": pw}), 200, 1000)
	var d loginData
	dataOf(t, e, &d)
	return d.Token
}

// wantNoUser checks that nothing was stored for phone.
func (u *userFixture) wantNoUser(t *testing.T, phone string) {
	t.Helper()
	if got, err := u.store.GetUserByPhone(t.Context(), phone); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Fatalf("GetUserByPhone(%s) = %+v, %v; want ENOTFOUND", phone, got, err)
	}
}

func (u *userFixture) storedUser(t *testing.T, phone string) kyc.User {
	t.Helper()
	got, err := u.store.GetUserByPhone(t.Context(), phone)
	if err != nil {
		t.Fatalf("GetUserByPhone(%s): %v", phone, err)
	}
	return got
}

// wrongCode is a 6-digit code other than code.
func wrongCode(code string) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

// ---- sms-code ----

func TestSendCode(t *testing.T) {
	t.Run("register code goes to the outbox", func(t *testing.T) {
		u := newUserFixture(t)
		u.sendCode(t, phoneA, kyc.PurposeRegister)
		if n := u.outboxLines(t); n != 1 {
			t.Errorf("outbox has %d lines, want 1", n)
		}
	})
	t.Run("reset_password code for a known phone", func(t *testing.T) {
		u := newUserFixture(t)
		u.register(t, phoneA, goodPW)
		u.clock.Advance(codeEvery)
		u.sendCode(t, phoneA, kyc.PurposeResetPassword)
	})
	t.Run("unknown purpose", func(t *testing.T) {
		u := newUserFixture(t)
		wantField(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": "login"}), 400, 1006, "purpose")
		if n := u.outboxLines(t); n != 0 {
			t.Errorf("outbox has %d lines, want 0", n)
		}
	})
	t.Run("reset_password for an unknown phone answers 200 and sends nothing", func(t *testing.T) {
		u := newUserFixture(t)
		want(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeResetPassword}), 200, 1000)
		if n := u.outboxLines(t); n != 0 {
			t.Errorf("outbox has %d lines, want 0", n)
		}
	})
	t.Run("register for a taken phone", func(t *testing.T) {
		u := newUserFixture(t)
		u.register(t, phoneA, goodPW)
		u.clock.Advance(codeEvery)
		// Answered as for a free phone (no enumeration); the owner gets a notice, no code.
		want(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeRegister}), 200, 1000)
		if n := u.outboxLines(t); n != 2 {
			t.Errorf("outbox has %d lines, want the first code and the notice", n)
		}
		if _, err := localsms.LastCode(u.outbox, phoneA, kyc.PurposeRegisteredNotice); err != nil {
			t.Errorf("no notice: %v", err)
		}
	})
}

func TestSendCodeRateLimits(t *testing.T) {
	send := func(u *userFixture, t *testing.T, phone, ip string) *httptest.ResponseRecorder {
		t.Helper()
		return u.do(t, request{path: "/v1/user/sms-code", json: map[string]string{"phone": phone, "purpose": kyc.PurposeRegister}, ip: ip})
	}
	t.Run("second code within 60 s", func(t *testing.T) {
		u := newUserFixture(t)
		want(t, send(u, t, phoneA, testIP), 200, 1000)
		u.clock.Advance(59 * time.Second)
		want(t, send(u, t, phoneA, testIP), 429, 1022)
		want(t, send(u, t, phoneA, "198.51.100.7"), 429, 1022) // per phone, whatever the IP
		want(t, send(u, t, phoneB, testIP), 200, 1000)         // other phones are not held up
		if n := u.outboxLines(t); n != 2 {
			t.Errorf("outbox has %d lines, want 2", n)
		}
		u.clock.Advance(time.Second)
		want(t, send(u, t, phoneA, testIP), 200, 1000)
	})
	t.Run("11th code per phone per day", func(t *testing.T) {
		u := newUserFixture(t)
		for i := range codesPerDay {
			if i > 0 {
				u.clock.Advance(codeEvery + time.Second)
			}
			want(t, send(u, t, phoneA, testIP), 200, 1000)
		}
		u.clock.Advance(codeEvery + time.Second)
		want(t, send(u, t, phoneA, testIP), 429, 1022)
		if n := u.outboxLines(t); n != codesPerDay {
			t.Errorf("outbox has %d lines, want %d", n, codesPerDay)
		}
		// The day counts from the first code. (A refused request counts against the
		// minute too, so the next try is more than a minute later.)
		u.clock.Advance(23*time.Hour - u.clock.Now().Sub(testNow))
		want(t, send(u, t, phoneA, testIP), 429, 1022)
		u.clock.Advance(time.Hour)
		want(t, send(u, t, phoneA, testIP), 200, 1000)
	})
	t.Run("31st code per source IP per hour", func(t *testing.T) {
		u := newUserFixture(t)
		for i := range codesPerIPHour {
			want(t, send(u, t, fmt.Sprintf("1370000%04d", i), testIP), 200, 1000)
		}
		want(t, send(u, t, "13711110000", testIP), 429, 1022)
		if n := u.outboxLines(t); n != codesPerIPHour {
			t.Errorf("outbox has %d lines, want %d", n, codesPerIPHour)
		}
		want(t, send(u, t, "13711110000", "198.51.100.7"), 200, 1000) // another IP may
		u.clock.Advance(time.Hour)
		want(t, send(u, t, "13711110001", testIP), 200, 1000)
	})
}

// ---- codes: lifetime, single use, wrong tries ----

func TestRegisterCodeLifetime(t *testing.T) {
	tests := []struct {
		name       string
		after      time.Duration
		wantStatus int
		wantCode   int
	}{
		{"just before 5 minutes", 5*time.Minute - time.Second, 201, 1000},
		{"at 5 minutes", 5 * time.Minute, 400, 1008},
		{"after a day", 24 * time.Hour, 400, 1008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUserFixture(t)
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			u.clock.Advance(tt.after)
			want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW}), tt.wantStatus, tt.wantCode)
			if tt.wantStatus != 201 {
				u.wantNoUser(t, phoneA)
			}
		})
	}
}

// A code dies after 5 wrong tries: the right code still works after 4, not after 5.
func TestRegisterCodeWrongTries(t *testing.T) {
	for _, wrong := range []int{codeTries - 1, codeTries} {
		t.Run(fmt.Sprintf("%d wrong", wrong), func(t *testing.T) {
			u := newUserFixture(t)
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			for range wrong {
				want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": wrongCode(code), "password": goodPW}), 400, 1008)
			}
			u.wantNoUser(t, phoneA)
			w := u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW})
			if wrong < codeTries {
				want(t, w, 201, 1000)
				return
			}
			want(t, w, 400, 1008)
			u.wantNoUser(t, phoneA)
		})
	}
}

// A newer code replaces the older one.
func TestRegisterOlderCodeIsDead(t *testing.T) {
	u := newUserFixture(t)
	first := u.sendCode(t, phoneA, kyc.PurposeRegister)
	u.clock.Advance(codeEvery)
	second := u.sendCode(t, phoneA, kyc.PurposeRegister)
	if first == second {
		t.Skip("the two random codes are equal (one in a million)")
	}
	want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": first, "password": goodPW}), 400, 1008)
	u.wantNoUser(t, phoneA)
	want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": second, "password": goodPW}), 201, 1000)
}

// A code is for one phone and one purpose.
func TestCodeIsBoundToPhoneAndPurpose(t *testing.T) {
	u := newUserFixture(t)
	u.register(t, phoneA, goodPW)
	code := u.sendCode(t, phoneB, kyc.PurposeRegister)
	// phoneB's register code neither registers phoneC nor resets phoneA's password.
	want(t, u.post(t, "/v1/user/register", map[string]string{"phone": "13700137000", "code": code, "password": goodPW}), 400, 1008)
	u.wantNoUser(t, "13700137000")
	want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": otherPW}), 400, 1008)
	u.login(t, phoneA, goodPW)
}

// ---- register ----

func TestRegister(t *testing.T) {
	tests := []struct {
		name   string
		form   bool
		regKey string
	}{
		{"JSON", false, "RegistrationID"},
		{"JSON, registration_id", false, "registration_id"},
		{"form", true, "RegistrationID"},
		{"form, registration_id", true, "registration_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUserFixture(t)
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			fields := map[string]string{"phone": phoneA, "code": code, "password": goodPW, tt.regKey: "push-reg-1"}
			rq := request{path: "/v1/user/register", json: fields}
			if tt.form {
				rq = request{path: "/v1/user/register", form: url.Values{}}
				for k, v := range fields {
					rq.form.Set(k, v)
				}
			}
			e := want(t, u.do(t, rq), 201, 1000)
			var d tokenData
			dataOf(t, e, &d)
			if !strings.HasPrefix(d.Token, "rn_") {
				t.Errorf("token %q", d.Token)
			}
			got := u.storedUser(t, phoneA)
			if got.Role != kyc.RoleUser || got.RegistrationID != "push-reg-1" || got.Phone != phoneA {
				t.Errorf("stored user %+v, want role user, phone %s, registration id push-reg-1", got, phoneA)
			}
			if ok, err := password.Verify(goodPW, got.PasswordHash); !ok || err != nil {
				t.Errorf("stored hash does not verify the password: %v, %v", ok, err)
			}
			acct, err := u.store.GetAccount(t.Context(), got.AccountID)
			if err != nil || acct.OwnerID != got.ID || acct.State != kyc.StateUnverified || acct.Type != kyc.PersonalAccount {
				t.Errorf("account %+v, %v; want an unverified personal account of the user", acct, err)
			}
			want(t, u.me(t, d.Token), 200, 1000)
		})
	}
}

func TestRegisterRegistrationIDLength(t *testing.T) {
	for _, n := range []int{128, 129} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			u := newUserFixture(t)
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			w := u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW, "RegistrationID": strings.Repeat("r", n)})
			if n <= 128 {
				want(t, w, 201, 1000)
				return
			}
			wantField(t, w, 400, 1006, "RegistrationID")
			u.wantNoUser(t, phoneA)
		})
	}
}

// A phone registered between the code and the registration (another request won) is 409.
func TestRegisterExistingPhone(t *testing.T) {
	u := newUserFixture(t)
	code := u.sendCode(t, phoneA, kyc.PurposeRegister)
	// Another user takes phoneA.
	taken := kyc.User{ID: "user-taken", Phone: phoneA, PasswordHash: "test-hash", Role: kyc.RoleUser, AccountID: "acct-taken", CreatedAt: testNow, UpdatedAt: testNow}
	if _, err := u.store.CreateUser(t.Context(), taken, kyc.Account{ID: "acct-taken", OwnerID: "user-taken", Type: kyc.PersonalAccount, State: kyc.StateUnverified}); err != nil {
		t.Fatal(err)
	}
	want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW}), 409, 1007)
	if got := u.storedUser(t, phoneA); got.ID != "user-taken" || got.PasswordHash != "test-hash" {
		t.Errorf("the existing user changed: %+v", got)
	}
}

// After a registration its code is spent: a second registration with it does not
// create anything (the phone is taken: 409).
func TestRegisterReusedCode(t *testing.T) {
	u := newUserFixture(t)
	code := u.sendCode(t, phoneA, kyc.PurposeRegister)
	want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW}), 201, 1000)
	before := u.storedUser(t, phoneA)
	w := u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": otherPW})
	want(t, w, 409, 1007)
	if after := u.storedUser(t, phoneA); after.ID != before.ID || after.PasswordHash != before.PasswordHash {
		t.Errorf("the reused code changed the user")
	}
	// The spent code cannot be used for anything else either.
	if _, err := u.store.TryCode(t.Context(), phoneA, kyc.PurposeRegister, users.CodeHash(phoneA, kyc.PurposeRegister, code), u.clock.Now()); !kyc.IsCode(err, kyc.EBADCODE) {
		t.Errorf("TryCode(spent code) = %v, want EBADCODE", err)
	}
}

func TestRegisterBadCode(t *testing.T) {
	tests := []struct{ name, code string }{
		{"wrong", ""}, // filled in with a wrong code
		{"5 digits", "12345"},
		{"letters", "abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUserFixture(t)
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			bad := tt.code
			if bad == "" {
				bad = wrongCode(code)
			}
			want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": bad, "password": goodPW}), 400, 1008)
			u.wantNoUser(t, phoneA)
		})
	}
	t.Run("no code was sent", func(t *testing.T) {
		u := newUserFixture(t)
		want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": "123456", "password": goodPW}), 400, 1008)
		u.wantNoUser(t, phoneA)
	})
	t.Run("a reset_password code", func(t *testing.T) {
		u := newUserFixture(t)
		u.register(t, phoneB, goodPW)
		u.clock.Advance(codeEvery)
		code := u.sendCode(t, phoneB, kyc.PurposeResetPassword)
		want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW}), 400, 1008)
		u.wantNoUser(t, phoneA)
	})
}

// ---- passwords ----

func TestRegisterPasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"7 characters", "Xk9#mQ2", false},
		{"8 characters", "Xk9#mQ2v", true},
		{"64 characters", strings.Repeat("Xk9#mQ2v", 8), true},
		{"65 characters", strings.Repeat("Xk9#mQ2v", 8) + "z", false},
		{"common", "password123", false},
		{"common, upper case", "PASSWORD123", false},
		{"contains the phone", "my" + phoneA + "pw", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUserFixture(t)
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			w := u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": tt.pw})
			if tt.ok {
				want(t, w, 201, 1000)
				u.login(t, phoneA, tt.pw)
				return
			}
			wantField(t, w, 400, 1006, "password")
			u.wantNoUser(t, phoneA)
			// The refusal cost nothing: the code still registers with a good password.
			want(t, u.post(t, "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": goodPW}), 201, 1000)
		})
	}
}

func TestResetPasswordPolicy(t *testing.T) {
	tests := []struct{ name, pw string }{
		{"7 characters", "Xk9#mQ2"},
		{"65 characters", strings.Repeat("Xk9#mQ2v", 8) + "z"},
		{"common", "password123"},
		{"contains the phone", "+86" + phoneA + "!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUserFixture(t)
			u.register(t, phoneA, goodPW)
			u.clock.Advance(codeEvery)
			code := u.sendCode(t, phoneA, kyc.PurposeResetPassword)
			wantField(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": tt.pw}), 400, 1006, "new_password")
			u.login(t, phoneA, goodPW)
			want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": otherPW}), 200, 1000)
		})
	}
}

// ---- login ----

func TestLogin(t *testing.T) {
	u := newUserFixture(t)
	u.register(t, phoneA, goodPW)
	e := want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phoneA, "password": goodPW}), 200, 1000)
	var d map[string]any
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 || d["authenticationState"] != float64(0) {
		t.Errorf("data = %s, want exactly token and authenticationState 0", e.Data)
	}
	token, _ := d["token"].(string)
	want(t, u.me(t, token), 200, 1000)

	// The form encoding of the seed's apps works too.
	form := url.Values{"phone": {phoneA}, "password": {goodPW}}
	want(t, u.do(t, request{path: "/v1/user/login", form: form}), 200, 1000)
}

// An unknown phone and a wrong password get the same answer, byte for byte.
func TestLoginFailuresLookAlike(t *testing.T) {
	u := newUserFixture(t)
	u.register(t, phoneA, goodPW)
	wrongPW := u.post(t, "/v1/user/login", map[string]string{"phone": phoneA, "password": otherPW})
	unknown := u.post(t, "/v1/user/login", map[string]string{"phone": phoneB, "password": goodPW})
	want(t, wrongPW, 401, 1010)
	want(t, unknown, 401, 1010)
	if wrongPW.Body.String() != unknown.Body.String() {
		t.Errorf("wrong password: %s\nunknown phone:  %s\nwant identical bodies", wrongPW.Body, unknown.Body)
	}
}

func TestLoginLockout(t *testing.T) {
	login := func(u *userFixture, t *testing.T, pw string) *httptest.ResponseRecorder {
		t.Helper()
		return u.post(t, "/v1/user/login", map[string]string{"phone": phoneA, "password": pw})
	}
	t.Run("5 failures in a 15-minute window lock until it ends", func(t *testing.T) {
		u := newUserFixture(t)
		u.register(t, phoneA, goodPW)
		now := u.clock.Now()
		u.clock.Advance(now.Truncate(loginWindow).Add(loginWindow).Sub(now)) // a window's start
		for i := range loginFailLimit {
			if i > 0 {
				u.clock.Advance(3 * time.Minute) // the 5th failure is at 12 minutes
			}
			want(t, login(u, t, otherPW), 401, 1010)
		}
		want(t, login(u, t, goodPW), 429, 1022)
		u.clock.Advance(3*time.Minute - time.Second)
		want(t, login(u, t, goodPW), 429, 1022)
		want(t, login(u, t, otherPW), 429, 1022)
		u.clock.Advance(time.Second)
		u.login(t, phoneA, goodPW)
		// Another phone was never locked.
		want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phoneB, "password": goodPW}), 401, 1010)
	})
	t.Run("4 failures do not lock", func(t *testing.T) {
		u := newUserFixture(t)
		u.register(t, phoneA, goodPW)
		for range loginFailLimit - 1 {
			want(t, login(u, t, otherPW), 401, 1010)
		}
		u.login(t, phoneA, goodPW)
	})
	t.Run("failures spread over more than 15 minutes do not lock", func(t *testing.T) {
		u := newUserFixture(t)
		u.register(t, phoneA, goodPW)
		for range loginFailLimit - 1 {
			want(t, login(u, t, otherPW), 401, 1010)
		}
		u.clock.Advance(loginWindow)
		want(t, login(u, t, otherPW), 401, 1010)
		u.login(t, phoneA, goodPW)
	})
	t.Run("unknown phone locks too", func(t *testing.T) {
		u := newUserFixture(t)
		for range loginFailLimit {
			want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phoneB, "password": goodPW}), 401, 1010)
		}
		want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phoneB, "password": goodPW}), 429, 1022)
	})
}

// ---- logout, me, tokens ----

func TestLogout(t *testing.T) {
	u := newUserFixture(t)
	t1 := u.register(t, phoneA, goodPW)
	t2 := u.login(t, phoneA, goodPW)
	want(t, u.do(t, request{path: "/v1/user/logout", token: t1}), 200, 1000)
	want(t, u.me(t, t1), 401, 999)
	want(t, u.do(t, request{path: "/v1/user/logout", token: t1}), 401, 999)
	if _, err := u.store.GetSession(t.Context(), users.HashToken(t1), u.clock.Now()); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("the session is still stored: %v", err)
	}
	// Only that session ended.
	want(t, u.me(t, t2), 200, 1000)
	want(t, u.do(t, request{path: "/v1/user/logout"}), 401, 999)
}

func TestMe(t *testing.T) {
	u := newUserFixture(t)
	token := u.register(t, phoneA, goodPW)
	e := want(t, u.me(t, token), 200, 1000)
	stored := u.storedUser(t, phoneA)
	var d map[string]any
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatal(err)
	}
	wantData := map[string]any{
		"id": stored.ID, "account": phoneA, "status": float64(2), "authenticationState": float64(0),
		"portrait": "", "role": "user", "created_at": testNow.Format(time.RFC3339),
	}
	keys := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if !slices.Equal(keys(d), keys(wantData)) {
		t.Fatalf("data keys %v, want %v", keys(d), keys(wantData))
	}
	for k, v := range wantData {
		if d[k] != v {
			t.Errorf("%s = %#v, want %#v", k, d[k], v)
		}
	}
	if strings.Contains(string(e.Data), "argon2") {
		t.Errorf("me leaks the password hash: %s", e.Data)
	}
}

func TestTokens(t *testing.T) {
	t.Run("format and storage", func(t *testing.T) {
		u := newUserFixture(t)
		token := u.register(t, phoneA, goodPW)
		if !regexp.MustCompile(`^rn_[A-Za-z0-9_-]{43,}$`).MatchString(token) {
			t.Errorf("token %q is not rn_ + >= 32 bytes of base64url", token)
		}
		s, err := u.store.GetSession(t.Context(), HashToken(token), u.clock.Now())
		if err != nil || s.TokenHash != HashToken(token) || s.UserID != u.storedUser(t, phoneA).ID {
			t.Errorf("GetSession(HashToken(token)) = %+v, %v", s, err)
		}
		if _, err := u.store.GetSession(t.Context(), token, u.clock.Now()); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("the raw token is a session key: %v", err)
		}
	})
	t.Run("expires after TOKEN_TTL", func(t *testing.T) {
		u := newUserFixture(t)
		token := u.register(t, phoneA, goodPW)
		u.clock.Advance(u.svc.TokenTTL - time.Second)
		want(t, u.me(t, token), 200, 1000)
		u.clock.Advance(time.Second)
		want(t, u.me(t, token), 401, 999)
	})
	t.Run("auth_token query on GET /v1/user/me is not read", func(t *testing.T) {
		// Only the download routes take the token from the query (API.md): a token in a
		// URL leaks into histories and logs.
		u := newUserFixture(t)
		token := u.register(t, phoneA, goodPW)
		want(t, u.do(t, request{method: http.MethodGet, path: "/v1/user/me?auth_token=" + url.QueryEscape(token)}), 401, 999)
	})
	t.Run("unknown tokens", func(t *testing.T) {
		u := newUserFixture(t)
		token := u.register(t, phoneA, goodPW)
		for _, bad := range []string{"rn_" + strings.Repeat("A", 43), token + "x", strings.TrimPrefix(token, "rn_"), HashToken(token)} {
			want(t, u.me(t, bad), 401, 999)
		}
	})
}

// ---- password reset ----

func TestPasswordReset(t *testing.T) {
	u := newUserFixture(t)
	t1 := u.register(t, phoneA, goodPW)
	t2 := u.login(t, phoneA, goodPW)
	u.clock.Advance(codeEvery)
	code := u.sendCode(t, phoneA, kyc.PurposeResetPassword)

	// A wrong code changes nothing.
	want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": wrongCode(code), "new_password": otherPW}), 400, 1008)
	want(t, u.me(t, t1), 200, 1000)

	want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": otherPW}), 200, 1000)
	// Every session ended.
	want(t, u.me(t, t1), 401, 999)
	want(t, u.me(t, t2), 401, 999)
	// Old password fails, new works.
	want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phoneA, "password": goodPW}), 401, 1010)
	t3 := u.login(t, phoneA, otherPW)
	// The code is spent.
	want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": "yet another passphrase"}), 400, 1008)
	want(t, u.post(t, "/v1/user/login", map[string]string{"phone": phoneA, "password": "yet another passphrase"}), 401, 1010)
	want(t, u.me(t, t3), 200, 1000)
}

// The code of a reset_password request for an unknown phone does not exist: no reset.
func TestPasswordResetUnknownPhone(t *testing.T) {
	u := newUserFixture(t)
	want(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeResetPassword}), 200, 1000)
	want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": "123456", "new_password": otherPW}), 400, 1008)
	u.wantNoUser(t, phoneA)
}

// ---- roles ----

func TestSetRoleRoute(t *testing.T) {
	u := newUserFixture(t)
	userToken := u.register(t, phoneA, goodPW)
	oldToken := u.register(t, phoneB, goodPW)
	if _, err := operatorUsers(u.svc).SetRoleByPhone(t.Context(), users.Operator("test"), phoneB, "admin"); err != nil {
		t.Fatal(err)
	}
	// The grant ended the sessions opened as a user; the admin logs in again.
	want(t, u.me(t, oldToken), 401, 999)
	adminToken := u.login(t, phoneB, goodPW)
	target := u.storedUser(t, phoneA).ID
	path := "/v1/admin/users/" + target + "/role"
	setRole := func(t *testing.T, token, path string, body map[string]string) *httptest.ResponseRecorder {
		t.Helper()
		return u.do(t, request{path: path, json: body, token: token})
	}

	t.Run("not your own role, not the last admin", func(t *testing.T) {
		self := "/v1/admin/users/" + u.storedUser(t, phoneB).ID + "/role"
		want(t, setRole(t, adminToken, self, map[string]string{"role": "user"}), 409, 1021)
		if r := u.storedUser(t, phoneB).Role; r != kyc.RoleAdmin {
			t.Errorf("the admin's role = %q after demoting themselves, want admin", r)
		}
		// Only the operator could try to demote the only admin: refused too.
		if _, err := operatorUsers(u.svc).SetRoleByPhone(t.Context(), users.Operator("test"), phoneB, "user"); kyc.ErrorCode(err) != kyc.ECONFLICT {
			t.Errorf("demoting the last admin: %v, want conflict", err)
		}
		want(t, u.me(t, adminToken), 200, 1000) // the refusals ended no session
	})
	t.Run("a user may not", func(t *testing.T) {
		want(t, setRole(t, userToken, path, map[string]string{"role": "admin"}), 403, 1020)
		if r := u.storedUser(t, phoneA).Role; r != kyc.RoleUser {
			t.Errorf("role = %q, want user", r)
		}
	})
	t.Run("no token", func(t *testing.T) {
		want(t, setRole(t, "", path, map[string]string{"role": "admin"}), 401, 999)
	})
	t.Run("invalid role", func(t *testing.T) {
		wantField(t, setRole(t, adminToken, path, map[string]string{"role": "root"}), 400, 1006, "role")
	})
	t.Run("missing role", func(t *testing.T) {
		wantField(t, setRole(t, adminToken, path, map[string]string{}), 400, 997, "role")
	})
	t.Run("unknown user", func(t *testing.T) {
		want(t, setRole(t, adminToken, "/v1/admin/users/no-such-user/role", map[string]string{"role": "reviewer"}), 404, 1015)
	})
	t.Run("admin sets reviewer", func(t *testing.T) {
		e := want(t, setRole(t, adminToken, path, map[string]string{"role": "reviewer"}), 200, 1000)
		var d roleData
		dataOf(t, e, &d)
		if d != (roleData{ID: target, Role: "reviewer"}) {
			t.Errorf("data = %+v", d)
		}
		if r := u.storedUser(t, phoneA).Role; r != kyc.RoleReviewer {
			t.Errorf("stored role = %q, want reviewer", r)
		}
		// The role change ended the sessions opened as a user, so no stale role survives;
		// the new login is a reviewer's, and a reviewer is not an admin.
		want(t, u.me(t, userToken), 401, 999)
		reviewerToken := u.login(t, phoneA, goodPW)
		var p users.Profile
		dataOf(t, want(t, u.me(t, reviewerToken), 200, 1000), &p)
		if p.Role != kyc.RoleReviewer {
			t.Errorf("me role = %q, want reviewer", p.Role)
		}
		want(t, setRole(t, reviewerToken, path, map[string]string{"role": "admin"}), 403, 1020)
		// Setting the role it already has changes nothing and ends no session.
		want(t, setRole(t, adminToken, path, map[string]string{"role": "reviewer"}), 200, 1000)
		want(t, u.me(t, reviewerToken), 200, 1000)
	})
}

// On Lambda no ServeMux routes the request: the route's handler must still see {id}.
func TestSetRoleThroughAPIGatewayEvent(t *testing.T) {
	u := newUserFixture(t)
	u.register(t, phoneA, goodPW)
	oldToken := u.register(t, phoneB, goodPW)
	if _, err := operatorUsers(u.svc).SetRoleByPhone(t.Context(), users.Operator("test"), phoneB, "admin"); err != nil {
		t.Fatal(err)
	}
	// The grant ended the sessions opened as a user; the admin logs in again.
	want(t, u.me(t, oldToken), 401, 999)
	adminToken := u.login(t, phoneB, goodPW)
	target := u.storedUser(t, phoneA).ID
	rt, ok := Lookup("admin-set-role")
	if !ok {
		t.Fatal("no admin-set-role route")
	}
	ev := events.APIGatewayProxyRequest{
		Resource: rt.Path, Path: "/v1/admin/users/" + target + "/role", HTTPMethod: http.MethodPost,
		Headers:        map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"},
		PathParameters: map[string]string{"id": target},
		Body:           `{"role":"reviewer"}`,
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "dev", ResourcePath: rt.Path, HTTPMethod: http.MethodPost,
			Path: "/dev/v1/admin/users/" + target + "/role", Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.10"}},
	}
	resp, err := httpadapter.New(mustRoute(t, SetUserRole, u.svc)).ProxyWithContext(t.Context(), ev)
	if err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
	if r := u.storedUser(t, phoneA).Role; r != kyc.RoleReviewer {
		t.Errorf("stored role = %q, want reviewer", r)
	}
}
