package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// newApp creates an integrator app as an admin does, through the route.
func (d *docFixture) newApp(t *testing.T) integrator.Created {
	t.Helper()
	admin := d.newUser(t, kyc.RoleAdmin)
	w := d.call(t, http.MethodPost, "/v1/admin/apps", admin.Token, map[string]string{"name": "Example platform"})
	e := wantEnvelope(t, w, http.StatusCreated, CodeOK, "")
	var c integrator.Created
	if err := json.Unmarshal(e.Data, &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.AppKey, integrator.KeyPrefix) || !strings.HasPrefix(c.AppSecret, integrator.SecretPrefix) || len(c.AppSecret) < 40 {
		t.Fatalf("created %+v, want a rnk_ key and a rns_ secret of 32 random bytes", c)
	}
	return c
}

// tokenRequest posts to the token route: by HTTP Basic when basic, else in the form.
func (d *docFixture) tokenRequest(t *testing.T, key, secret string, basic bool, form url.Values) *http.Response {
	t.Helper()
	if form == nil {
		form = url.Values{"grant_type": {"client_credentials"}}
	}
	if !basic && key != "" {
		form.Set("client_id", key)
		form.Set("client_secret", secret)
	}
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		r.SetBasicAuth(url.QueryEscape(key), url.QueryEscape(secret))
	}
	return serve(d.mux, r).Result()
}

// appToken is a fresh bearer token of the app.
func (d *docFixture) appToken(t *testing.T, c integrator.Created) string {
	t.Helper()
	res := d.tokenRequest(t, c.AppKey, c.AppSecret, true, nil)
	var tok integrator.Token
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("token: status %d, %+v, %v", res.StatusCode, tok, err)
	}
	return tok.AccessToken
}

func oauthErrorOf(t *testing.T, res *http.Response) string {
	t.Helper()
	var e oauthError
	if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
		t.Fatalf("not an OAuth error: %v", err)
	}
	return e.Error
}

func TestIntegratorTokens(t *testing.T) {
	d := newDocFixture(t)
	app := d.newApp(t)

	for _, basic := range []bool{true, false} {
		res := d.tokenRequest(t, app.AppKey, app.AppSecret, basic, nil)
		var tok integrator.Token
		if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("basic=%v: status %d %v", basic, res.StatusCode, err)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresIn != 7200 || tok.AccessToken == "" {
			t.Errorf("basic=%v: token %+v, want a Bearer token of 7200 s", basic, tok)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store (RFC 6749 5.1)", cc)
		}
	}

	cases := []struct {
		name        string
		key, secret string
		basic       bool
		form        url.Values
		status      int
		err         string
	}{
		{"wrong secret", app.AppKey, app.AppSecret + "x", true, nil, 401, "invalid_client"},
		{"unknown key", integrator.KeyPrefix + "AAAAAAAAAAAAAAAA", app.AppSecret, false, nil, 401, "invalid_client"},
		{"no credentials", "", "", false, nil, 401, "invalid_client"},
		{"no grant_type", app.AppKey, app.AppSecret, true, url.Values{}, 400, "invalid_request"},
		{"password grant", app.AppKey, app.AppSecret, true, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := d.tokenRequest(t, c.key, c.secret, c.basic, c.form)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
			if got := oauthErrorOf(t, res); got != c.err {
				t.Errorf("error %q, want %q", got, c.err)
			}
		})
	}
}

func TestIntegratorTokenLimit(t *testing.T) {
	d := newDocFixture(t)
	app := d.newApp(t)
	for i := range integrator.TokensPerHour {
		if res := d.tokenRequest(t, app.AppKey, app.AppSecret, true, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("token %d: status %d", i+1, res.StatusCode)
		}
	}
	res := d.tokenRequest(t, app.AppKey, app.AppSecret, true, nil)
	if res.StatusCode != http.StatusTooManyRequests || oauthErrorOf(t, res) != "slow_down" {
		t.Fatalf("token %d: status %d, want 429 slow_down", integrator.TokensPerHour+1, res.StatusCode)
	}
	// The next hour's window admits again.
	d.clock.Advance(time.Hour)
	if res := d.tokenRequest(t, app.AppKey, app.AppSecret, true, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("next hour: status %d", res.StatusCode)
	}
}

func TestIntegratorTokensAndUserTokensNeverCross(t *testing.T) {
	d := newDocFixture(t)
	app := d.newApp(t)
	tok := d.appToken(t, app)
	user := d.newUser(t, kyc.RoleAdmin)
	for _, path := range []string{"/v1/user/me", "/v1/account", "/v1/cms/account/getUnAuthoredPersonalAccount", "/v1/cms/account/" + user.AccountID} {
		wantEnvelope(t, d.call(t, http.MethodGet, path, tok, nil), http.StatusUnauthorized, 999, "")
	}
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/accounts/person", user.Token, personBody(goodID)), http.StatusUnauthorized, 999, "")
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/accounts/"+user.AccountID, user.Token, nil), http.StatusUnauthorized, 999, "")
}

func personBody(id string) map[string]string {
	return map[string]string{"name": "张三", "idNum": id, "mobile": "13800138000"}
}

func (d *docFixture) createPerson(t *testing.T, tok string, body map[string]string) string {
	t.Helper()
	e := wantEnvelope(t, d.call(t, http.MethodPost, "/v1/accounts/person", tok, body), http.StatusCreated, CodeOK, "")
	var data struct {
		AccountID string `json:"accountId"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil || data.AccountID == "" {
		t.Fatalf("data %s: %v", e.Data, err)
	}
	return data.AccountID
}

func TestIntegratorPersons(t *testing.T) {
	d := newDocFixture(t)
	app, other := d.newApp(t), d.newApp(t)
	tok, otherTok := d.appToken(t, app), d.appToken(t, other)

	id := d.createPerson(t, tok, personBody(goodID))
	a := d.account(t, id)
	if a.OwnerKind != kyc.OwnerIntegrator || a.OwnerID != app.AppKey || a.State != kyc.StateUnverified || a.Type != kyc.PersonalAccount || a.IDNumber != goodID {
		t.Fatalf("stored %+v, want an UNVERIFIED personal account of the app", a)
	}

	// The same ID number again: 409 / 1007 with the existing id, nothing new.
	e := wantEnvelope(t, d.call(t, http.MethodPost, "/v1/accounts/person", tok, personBody(goodID)), http.StatusConflict, 1007, "")
	if !strings.Contains(string(e.Data), `"accountId":"`+id+`"`) {
		t.Errorf("409 data %s, want the existing accountId %s", e.Data, id)
	}
	// Another app may have its own account of the same person.
	otherID := d.createPerson(t, otherTok, personBody(goodID))
	if otherID == id {
		t.Fatal("two apps share an account")
	}

	// Reads: the owner sees its account, masked; another app gets 404, like a missing one.
	w := d.call(t, http.MethodGet, "/v1/accounts/"+id, tok, nil)
	e = wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	var v integrator.AccountView
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(e.Data), `"factors":[]`) {
		t.Errorf("data %s, want an empty factors list", e.Data)
	}
	if v.AccountID != id || v.State != string(kyc.StateUnverified) || v.IDNum == goodID || !strings.HasPrefix(v.IDNum, goodID[:4]) || strings.Contains(w.Body.String(), "13800138000") {
		t.Errorf("view %+v: want the account with its ID number and mobile masked", v)
	}
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/accounts/"+id, otherTok, nil), http.StatusNotFound, 1015, "")
	wantEnvelope(t, d.call(t, http.MethodGet, "/v1/accounts/no-such-account", tok, nil), http.StatusNotFound, 1015, "")
}

func TestIntegratorPersonBadInput(t *testing.T) {
	d := newDocFixture(t)
	tok := d.appToken(t, d.newApp(t))
	cases := []struct {
		name   string
		body   map[string]string
		status int
		code   int
		field  string
	}{
		{"no name", map[string]string{"idNum": goodID, "mobile": "13800138000"}, 400, 997, "name"},
		{"no idNum", map[string]string{"name": "张三", "mobile": "13800138000"}, 400, 997, "idNum"},
		{"no mobile", map[string]string{"name": "张三", "idNum": goodID}, 400, 997, "mobile"},
		{"bad check digit", personBody(goodID[:17] + "0"), 400, 1006, "idNum"},
		{"15 digits", personBody("110105491231002"), 400, 1006, "idNum"},
		{"digit name", map[string]string{"name": "12345", "idNum": goodID, "mobile": "13800138000"}, 400, 1006, "name"},
		{"bad mobile", map[string]string{"name": "张三", "idNum": goodID, "mobile": "12800138000"}, 400, 1006, "mobile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantEnvelope(t, d.call(t, http.MethodPost, "/v1/accounts/person", tok, c.body), c.status, c.code, c.field)
		})
	}
	// Nothing was created: the valid person is still new.
	d.createPerson(t, tok, personBody(goodID))
}

// TestIntegratorPersonRace: of concurrent creations of one person by one app exactly one
// creates it, and every other answer names that account.
func TestIntegratorPersonRace(t *testing.T) {
	d := newDocFixture(t)
	tok := d.appToken(t, d.newApp(t))
	id := idchecktest.ResidentID("11010519800101001")
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := d.call(t, http.MethodPost, "/v1/accounts/person", tok, personBody(id))
			codes[i], bodies[i] = w.Code, w.Body.String()
		}()
	}
	wg.Wait()
	created := ""
	for i, c := range codes {
		if c == http.StatusCreated {
			if created != "" {
				t.Fatal("two creations of one person succeeded")
			}
			var e envelopeJSON
			_ = json.Unmarshal([]byte(bodies[i]), &e)
			var data map[string]string
			_ = json.Unmarshal(e.Data, &data)
			created = data["accountId"]
		} else if c != http.StatusConflict {
			t.Fatalf("status %d: %s", c, bodies[i])
		}
	}
	if created == "" {
		t.Fatal("no creation succeeded")
	}
	for i, c := range codes {
		if c == http.StatusConflict && !strings.Contains(bodies[i], created) {
			t.Errorf("409 %s does not name the created account %s", bodies[i], created)
		}
	}
}

func TestIntegratorRevoke(t *testing.T) {
	d := newDocFixture(t)
	app := d.newApp(t)
	tok1, tok2 := d.appToken(t, app), d.appToken(t, app)
	id := d.createPerson(t, tok1, personBody(goodID))
	admin := d.newUser(t, kyc.RoleAdmin)

	wantEnvelope(t, d.call(t, http.MethodDelete, "/v1/admin/apps/"+app.AppKey, admin.Token, nil), http.StatusOK, CodeOK, "")
	for _, tok := range []string{tok1, tok2} {
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/accounts/"+id, tok, nil), http.StatusUnauthorized, 999, "")
	}
	if res := d.tokenRequest(t, app.AppKey, app.AppSecret, true, nil); res.StatusCode != http.StatusUnauthorized || oauthErrorOf(t, res) != "invalid_client" {
		t.Fatalf("token of a revoked app: status %d, want 401 invalid_client", res.StatusCode)
	}
	// Again: idempotent; an unknown app: 404.
	wantEnvelope(t, d.call(t, http.MethodDelete, "/v1/admin/apps/"+app.AppKey, admin.Token, nil), http.StatusOK, CodeOK, "")
	wantEnvelope(t, d.call(t, http.MethodDelete, "/v1/admin/apps/"+integrator.KeyPrefix+"nope", admin.Token, nil), http.StatusNotFound, 1015, "")
}

func TestCreateAppBadInput(t *testing.T) {
	d := newDocFixture(t)
	admin := d.newUser(t, kyc.RoleAdmin)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/admin/apps", admin.Token, map[string]string{}), http.StatusBadRequest, 997, "name")
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/admin/apps", admin.Token, map[string]string{"name": strings.Repeat("名", 101)}), http.StatusBadRequest, 1006, "name")
}

// TestIntegratorRevokeRace: tokens issued while the app is being revoked either fail or
// stop working with the revocation; none outlives it.
func TestIntegratorRevokeRace(t *testing.T) {
	d := newDocFixture(t)
	app := d.newApp(t)
	id := d.createPerson(t, d.appToken(t, app), personBody(goodID))
	admin := d.newUser(t, kyc.RoleAdmin)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var tokens []string
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := d.tokenRequest(t, app.AppKey, app.AppSecret, true, nil)
			var tok integrator.Token
			if res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&tok) == nil {
				mu.Lock()
				tokens = append(tokens, tok.AccessToken)
				mu.Unlock()
			}
		}()
	}
	wantEnvelope(t, d.call(t, http.MethodDelete, "/v1/admin/apps/"+app.AppKey, admin.Token, nil), http.StatusOK, CodeOK, "")
	wg.Wait()
	for _, tok := range tokens {
		wantEnvelope(t, d.call(t, http.MethodGet, "/v1/accounts/"+id, tok, nil), http.StatusUnauthorized, 999, "")
	}
}

// appUpload is upload for an app acting for its account accountID.
func (d *docFixture) appUpload(t *testing.T, tok, accountID, slot string, data []byte) string {
	t.Helper()
	w := d.call(t, http.MethodPost, "/v1/uploads", tok, map[string]any{"slot": slot, "content_type": sniffType(t, data),
		"content_length": len(data), "accountId": accountID})
	e := wantEnvelope(t, w, http.StatusOK, CodeOK, "")
	var g grantJSON
	if err := json.Unmarshal(e.Data, &g); err != nil {
		t.Fatal(err)
	}
	if code := put(t, g, data, nil); code != http.StatusOK {
		t.Fatalf("PUT of %s = %d, want 200", slot, code)
	}
	return g.Key
}

// An app uploads for, and asks the enterprise change (seed 002) of, an APPROVED person
// account of its own, naming it; never another app's or a user's account.
func TestIntegratorUploadsAndEnterpriseChange(t *testing.T) {
	d := newDocFixture(t)
	app, other := d.newApp(t), d.newApp(t)
	tok, otherTok := d.appToken(t, app), d.appToken(t, other)
	id := d.createPerson(t, tok, personBody(goodID))
	user := d.newUser(t, kyc.RoleUser)

	grant := func(tok, accountID string) *httptest.ResponseRecorder {
		body := map[string]any{"slot": "frontOfID", "content_type": "image/png", "content_length": 1000}
		if accountID != "" {
			body["accountId"] = accountID
		}
		return d.call(t, http.MethodPost, "/v1/uploads", tok, body)
	}
	// Without an account the upload is for a company the app is about to create (POST
	// /v1/accounts/organization), whose legal person's ID card it may be.
	wantEnvelope(t, grant(tok, ""), http.StatusOK, CodeOK, "")
	wantEnvelope(t, grant(otherTok, id), http.StatusNotFound, 1015, "")
	wantEnvelope(t, grant(tok, user.AccountID), http.StatusNotFound, 1015, "")
	wantEnvelope(t, grant(tok, id), http.StatusOK, CodeOK, "")

	// The change needs an APPROVED person (the three-factor verification's work).
	a := d.account(t, id)
	next := a
	next.State = kyc.StateApproved
	if _, err := d.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
		Audit: kyc.AuditRecord{AccountID: a.ID, At: d.clock.Now(), Actor: "test", Action: "transition", From: a.State, To: kyc.StateApproved}}); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{
		"corp_name": "示例科技有限公司", "verified_number": goodUSCC, "identify_type": 1, "change_type": "1",
		"reg_country": "CN", "enterprise_person": map[string]string{"legel_name": "张三", "legel_id_number": goodID, "certifier_role": "legalPerson"},
		"verified_file_url": []string{
			d.appUpload(t, tok, id, "organizationRegImg", licPNG), d.appUpload(t, tok, id, "certificateBackImg", certBackPNG),
			d.appUpload(t, tok, id, "legalIdentityFrontImg", frontPNG), d.appUpload(t, tok, id, "legalIdentityBackImg", backPNG),
		},
	}
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, tok, body), http.StatusBadRequest, 997, "customer_id")
	body["customer_id"] = id
	wantEnvelope(t, d.call(t, http.MethodPost, changePath, otherTok, body), http.StatusNotFound, 1015, "")
	if e := wantEnvelope(t, d.call(t, http.MethodPost, changePath, tok, body), http.StatusOK, CodeOK, ""); string(e.Data) != `{"is_review":1}` {
		t.Errorf("data = %s, want {\"is_review\":1}", e.Data)
	}
	if c := d.change(t, id); !c.Pending || c.SubmittedBy != app.AppKey || c.VerifiedNumber != goodUSCC {
		t.Errorf("stored change %+v, want pending, submitted by the app", c)
	}
}
