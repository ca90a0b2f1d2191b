package users_test

import (
	"encoding/base64"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/password"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// Any kyc.Store is a users.Store.
var _ users.Store = kyc.Store(nil)

// cheap argon2id parameters: tests that are not about the cost hash in microseconds.
var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, SaltLen: 16, KeyLen: 32}

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// env is the user service over the DynamoDB store on a fresh dynoxide table and an SMS
// outbox in t.TempDir().
type env struct {
	deps    users.Deps
	store   *dynamo.Store
	client  *dynamodb.Client
	table   string
	clock   *kyc.FixedClock
	outbox  string
	service *users.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, testenv.Dynoxide)
}

// newEnvOn is newEnv on the given engine.
func newEnvOn(t *testing.T, engine testenv.Engine) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{outbox: filepath.Join(dir, "outbox", "sms.jsonl"), clock: kyc.NewFixedClock(testNow)}
	e.client, e.table = testenv.Table(t, engine)
	e.store = dynamo.New(e.client, e.table)
	sms, err := localsms.New(e.outbox, e.clock)
	if err != nil {
		t.Fatalf("localsms.New: %v", err)
	}
	t.Cleanup(func() { _ = sms.Close() })
	e.deps = users.Deps{Store: e.store, SMS: sms, Clock: e.clock, IDs: kyc.RandomIDs{}, Log: slog.New(slog.DiscardHandler),
		TokenTTL: 24 * time.Hour, Password: cheap}
	e.service = users.New(e.deps)
	return e
}

// register registers phone with pw through the service (code from the outbox) and
// returns the token.
func (e *env) register(t *testing.T, phone, pw string) string {
	t.Helper()
	if err := e.service.SendCode(t.Context(), phone, kyc.PurposeRegister, "192.0.2.1"); err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	code, err := localsms.LastCode(e.outbox, phone, kyc.PurposeRegister)
	if err != nil {
		t.Fatalf("LastCode: %v", err)
	}
	token, err := e.service.Register(t.Context(), users.RegisterInput{Phone: phone, Code: code, Password: pw})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return token
}

// lastCode is the last code texted to phone for purpose.
func (e *env) lastCode(t *testing.T, phone, purpose string) string {
	t.Helper()
	code, err := localsms.LastCode(e.outbox, phone, purpose)
	if err != nil {
		t.Fatalf("LastCode: %v", err)
	}
	return code
}

func (e *env) user(t *testing.T, phone string) kyc.User {
	t.Helper()
	u, err := e.store.GetUserByPhone(t.Context(), phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	return u
}

// A token is "rn_" and at least 32 random bytes in unpadded base64url; the store keys the
// session by the token's SHA-256 and never sees the token itself.
func TestSessionToken(t *testing.T) {
	e := newEnv(t)
	const phone, pw = "13800138000", "a fine passphrase"
	tokens := []string{e.register(t, phone, pw)}
	for range 2 {
		res, err := e.service.Login(t.Context(), phone, pw)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		tokens = append(tokens, res.Token)
	}
	u := e.user(t, phone)
	seen := map[string]bool{}
	for _, tok := range tokens {
		rest, ok := strings.CutPrefix(tok, users.TokenPrefix)
		if !ok || users.TokenPrefix != "rn_" {
			t.Fatalf("token %q does not start with rn_", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(rest)
		if err != nil || len(raw) < 32 {
			t.Errorf("token body %q: %d bytes, %v; want >= 32 bytes of unpadded base64url", rest, len(raw), err)
		}
		if seen[tok] {
			t.Errorf("token %q issued twice", tok)
		}
		seen[tok] = true

		s, err := e.store.GetSession(t.Context(), users.HashToken(tok), e.clock.Now())
		if err != nil {
			t.Fatalf("GetSession(HashToken(token)): %v", err)
		}
		if s.TokenHash != users.HashToken(tok) || s.UserID != u.ID || !s.ExpiresAt.Equal(testNow.Add(e.deps.TokenTTL)) {
			t.Errorf("session = %+v, want hash %s, user %s, expiry %v", s, users.HashToken(tok), u.ID, testNow.Add(e.deps.TokenTTL))
		}
		if _, err := e.store.GetSession(t.Context(), tok, e.clock.Now()); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("GetSession(raw token) = %v, want ENOTFOUND", err)
		}
	}
	// Nothing of a token is in any item of the table: neither the token nor its random part.
	db := testenv.Dump(t, e.client, e.table)
	for _, tok := range tokens {
		if strings.Contains(db, strings.TrimPrefix(tok, users.TokenPrefix)) {
			t.Errorf("the table contains token %q", tok)
		}
		if !strings.Contains(db, users.HashToken(tok)) {
			t.Errorf("the table does not contain the token's hash: the check above proves nothing")
		}
	}
}

// Registration with the default service stores a PHC argon2id hash with OWASP's
// parameters (m=19456 KiB, t=2, p=1).
func TestRegisterHashesWithOWASPParams(t *testing.T) {
	e := newEnv(t)
	d := e.deps
	d.Password = password.Params{} // the default
	e.service = users.New(d)
	e.register(t, "13800138000", "a fine passphrase")
	h := e.user(t, "13800138000").PasswordHash
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("stored hash %q, want $argon2id$v=19$m=19456,t=2,p=1$...", h)
	}
	if ok, err := password.Verify("a fine passphrase", h); !ok || err != nil {
		t.Errorf("Verify(stored hash) = %v, %v", ok, err)
	}
	if password.NeedsRehash(h, password.OWASP()) {
		t.Errorf("NeedsRehash(stored hash, OWASP) = true")
	}
}

// A successful login with a service whose parameters differ from the stored hash's
// rewrites the hash with the service's parameters; a failed login does not, and a login
// whose parameters match leaves the hash alone.
func TestLoginRehashesWhenParamsDiffer(t *testing.T) {
	e := newEnv(t)
	const phone, pw = "13800138000", "a fine passphrase"
	e.register(t, phone, pw) // cheap parameters
	before := e.user(t, phone)
	if !strings.HasPrefix(before.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("registered hash %q was not made with the cheap parameters", before.PasswordHash)
	}

	d := e.deps
	d.Password = password.OWASP()
	owasp := users.New(d)
	if _, err := owasp.Login(t.Context(), phone, "a wrong passphrase"); !kyc.IsCode(err, kyc.ELOGIN) {
		t.Fatalf("Login(wrong password) = %v, want ELOGIN", err)
	}
	if got := e.user(t, phone); got.PasswordHash != before.PasswordHash {
		t.Fatalf("a failed login changed the hash")
	}

	if _, err := owasp.Login(t.Context(), phone, pw); err != nil {
		t.Fatalf("Login: %v", err)
	}
	after := e.user(t, phone)
	if after.PasswordHash == before.PasswordHash {
		t.Fatalf("the hash did not change on login with other parameters")
	}
	if !strings.HasPrefix(after.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("rehashed to %q, want the OWASP parameters", after.PasswordHash)
	}
	if ok, err := password.Verify(pw, after.PasswordHash); !ok || err != nil {
		t.Errorf("Verify(rehashed) = %v, %v", ok, err)
	}
	if after.Version <= before.Version {
		t.Errorf("version %d -> %d, want it to grow", before.Version, after.Version)
	}

	if _, err := owasp.Login(t.Context(), phone, pw); err != nil {
		t.Fatalf("second Login: %v", err)
	}
	if again := e.user(t, phone); again.PasswordHash != after.PasswordHash {
		t.Errorf("a login with matching parameters rewrote the hash")
	}
}

// SetRoleByPhone (what the GrantRole function calls to make the first reviewer or admin)
// sets the role of the user with that phone; bad input is refused and changes nothing.
func TestSetRoleByPhone(t *testing.T) {
	e := newEnv(t)
	e.register(t, "13800138000", "a fine passphrase")
	got, err := e.service.SetRoleByPhone(t.Context(), users.Operator("test"), "+8613800138000", "reviewer")
	if err != nil {
		t.Fatalf("SetRoleByPhone: %v", err)
	}
	u := e.user(t, "13800138000")
	if u.Role != kyc.RoleReviewer || got.ID != u.ID || got.Role != kyc.RoleReviewer || got.Version != u.Version {
		t.Errorf("returned %+v, stored %+v; want both reviewer at the same version", got, u)
	}

	tests := []struct {
		name, phone, role, wantCode string
	}{
		{"unknown phone", "13900139000", "admin", kyc.ENOTFOUND},
		{"bad phone", "1390013900", "admin", kyc.EINVALID},
		{"missing phone", "", "admin", kyc.EINVALID},
		{"missing role", "13800138000", "", kyc.EMISSING},
		{"invalid role", "13800138000", "root", kyc.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.service.SetRoleByPhone(t.Context(), users.Operator("test"), tt.phone, tt.role)
			if !kyc.IsCode(err, tt.wantCode) {
				t.Fatalf("SetRoleByPhone = %v, want %s", err, tt.wantCode)
			}
			if u := e.user(t, "13800138000"); u.Role != kyc.RoleReviewer {
				t.Errorf("role changed to %q", u.Role)
			}
		})
	}
}

func TestStatusAndAuthenticationState(t *testing.T) {
	tests := []struct {
		state      kyc.State
		frozen     bool
		wantStatus int
		wantAuth   int
	}{
		{kyc.StateUnverified, false, 2, 0},
		{kyc.StateSubmitted, false, 4, 0},
		{kyc.StatePendingReview, false, 4, 0},
		{kyc.StateApproved, false, 0, 1},
		{kyc.StateRejected, false, 3, 0},
		{kyc.StateApproved, true, 1, 1},
		{kyc.StateUnverified, true, 1, 0},
	}
	for _, tt := range tests {
		a := kyc.Account{State: tt.state}
		if got := users.Status(kyc.User{Frozen: tt.frozen}, a); got != tt.wantStatus {
			t.Errorf("Status(%s, frozen %v) = %d, want %d", tt.state, tt.frozen, got, tt.wantStatus)
		}
		if got := users.AuthenticationState(a); got != tt.wantAuth {
			t.Errorf("AuthenticationState(%s) = %d, want %d", tt.state, got, tt.wantAuth)
		}
	}
}

func TestCodeHash(t *testing.T) {
	base := users.CodeHash("13800138000", kyc.PurposeRegister, "123456")
	if len(base) != 64 {
		t.Errorf("CodeHash = %q, want 64 hex digits", base)
	}
	if again := users.CodeHash("13800138000", kyc.PurposeRegister, "123456"); again != base {
		t.Errorf("CodeHash is not deterministic")
	}
	for _, other := range []string{
		users.CodeHash("13900139000", kyc.PurposeRegister, "123456"),
		users.CodeHash("13800138000", kyc.PurposeResetPassword, "123456"),
		users.CodeHash("13800138000", kyc.PurposeRegister, "123457"),
		users.CodeHash("1380013800", kyc.PurposeRegister, "0123456"),
	} {
		if other == base {
			t.Errorf("CodeHash does not bind phone, purpose and code")
		}
	}
}

func TestSetFrozenByPhone(t *testing.T) {
	e := newEnv(t)
	e.register(t, "13800138000", "a fine passphrase")
	got, err := e.service.SetFrozenByPhone(t.Context(), users.Operator("test"), "+8613800138000", true)
	if err != nil {
		t.Fatalf("SetFrozenByPhone: %v", err)
	}
	if u := e.user(t, "13800138000"); !u.Frozen || !got.Frozen || got.ID != u.ID {
		t.Errorf("returned %+v, stored %+v; want both frozen", got, u)
	}
	if _, err := e.service.SetFrozenByPhone(t.Context(), users.Operator("test"), "13900139000", false); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("SetFrozenByPhone of an unknown phone = %v, want ENOTFOUND", err)
	}
	if _, err := e.service.SetFrozenByPhone(t.Context(), users.Operator("test"), "1390013900", false); !kyc.IsCode(err, kyc.EINVALID) {
		t.Errorf("SetFrozenByPhone of a malformed phone = %v, want EINVALID", err)
	}
	if u := e.user(t, "13800138000"); !u.Frozen {
		t.Error("a refused call unfroze the user")
	}
}
