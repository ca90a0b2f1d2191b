package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/testenv"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/payout"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/users"
)

// testNow is where the tests' clock stands.
var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// faultStore is a real store whose Ping or GetSession fail on command.
type faultStore struct {
	kyc.Store
	pingErr    error
	sessionErr error
}

func (s faultStore) Ping(ctx context.Context) error {
	if s.pingErr != nil {
		return s.pingErr
	}
	return s.Store.Ping(ctx)
}

func (s faultStore) GetSession(ctx context.Context, hash string, now time.Time) (kyc.Session, error) {
	if s.sessionErr != nil {
		return kyc.Session{}, s.sessionErr
	}
	return s.Store.GetSession(ctx, hash, now)
}

// fixture is an API over the DynamoDB store on a fresh dynoxide table.
type fixture struct {
	api   *API
	svc   *app.Services
	store kyc.Store
	clock *kyc.FixedClock
	log   *testenv.SyncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := testenv.Store(t)
	f := &fixture{store: st, clock: kyc.NewFixedClock(testNow), log: &testenv.SyncBuffer{}}
	f.svc = &app.Services{
		Store:       st,
		Clock:       f.clock,
		IDs:         kyc.RandomIDs{},
		Log:         app.NewLogger(f.log, "debug"),
		Version:     "test-version",
		Backends:    app.Backends{Store: "dynamodb", Documents: "none", Queue: "none"},
		TokenTTL:    time.Hour,
		MaxAttempts: 5,
		Identity:    identity.Sandbox{},
	}
	f.svc.CA = ca.Ready(testCA(t, st))
	f.svc.BankSecret = []byte(app.DevBankVerifySecret)
	f.svc.Payouts = payout.NewSandbox(filepath.Join(t.TempDir(), "outbox", "payouts.jsonl"), f.clock.Now)
	f.svc.Backends.Payout = payout.SandboxName
	f.api = &API{svc: f.svc}
	return f
}

// testCA is the local runner's CA over st: a file key and a file sealer in a fresh folder.
func testCA(t *testing.T, st certs.Store) *ca.Authority {
	t.Helper()
	dir := t.TempDir()
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := certs.NewAuthority(t.Context(), st, signer, box, "realname test CA", testNow)
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// withStore swaps the store the API uses (for fault injection).
func (f *fixture) withStore(s kyc.Store) {
	f.svc.Store = s
}

// user creates a user of role with its account and returns its id.
func (f *fixture) user(t *testing.T, role kyc.Role) string {
	t.Helper()
	id := f.svc.IDs.NewID()
	u := kyc.User{ID: "user-" + id, Phone: "test-phone-" + id, PasswordHash: "test-hash", Role: role, AccountID: "acct-" + id, CreatedAt: testNow, UpdatedAt: testNow}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified, CreatedAt: testNow, UpdatedAt: testNow}
	if _, err := f.store.CreateUser(t.Context(), u, a); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u.ID
}

// session stores a session of userID that expires after ttl and returns its token.
func (f *fixture) session(t *testing.T, userID string, ttl time.Duration) string {
	t.Helper()
	u, err := f.store.GetUser(t.Context(), userID)
	if err != nil {
		t.Fatalf("GetUser %s: %v", userID, err)
	}
	p := u.Principal()
	if p.Role == "" {
		// A user stored without a role (an older version's): the token still opens, and
		// the stored session, which has no role either, decides.
		p.Role = kyc.RoleUser
	}
	token, err := f.store.SealToken(p, f.clock.Now().Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	s := kyc.Session{TokenHash: HashToken(token), UserID: userID, AccountID: u.AccountID, Role: u.Role, CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(ttl)}
	if err := f.store.PutSession(t.Context(), s); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	return token
}

// serve runs one request through h and returns the response.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// envelopeOf decodes a response body as the API envelope, failing on anything else.
type envelopeJSON struct {
	ErrorCode int             `json:"error_code"`
	Msg       string          `json:"msg"`
	Data      json.RawMessage `json:"data"`
}

func envelopeOf(t *testing.T, w *httptest.ResponseRecorder) envelopeJSON {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	var e envelopeJSON
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("body is not an envelope: %q: %v", w.Body.String(), err)
	}
	return e
}

var errBoom = errors.New("boom: dial tcp 10.1.2.3:8000: connection refused (table secret-table)")

// muxOf serves every route over svc, as the runner does.
func muxOf(t *testing.T, svc *app.Services) http.Handler {
	t.Helper()
	h, err := Mux(svc)
	if err != nil {
		t.Fatalf("Mux: %v", err)
	}
	return h
}

// mustRoute is one route's handler as its function builds it, over svc.
func mustRoute(t *testing.T, ctor Constructor, svc *app.Services) http.Handler {
	t.Helper()
	h, err := ctor(app.EnvOf(svc))
	if err != nil {
		t.Fatalf("constructor: %v", err)
	}
	return h
}

// operatorUsers is the users service the invoke-only functions build over svc: how the
// tests make reviewers and admins, as an operator would.
func operatorUsers(svc *app.Services) *users.Service {
	return users.New(users.Deps{Store: svc.Store, Clock: svc.Clock, IDs: svc.IDs, Log: svc.Log, TokenTTL: svc.TokenTTL})
}
