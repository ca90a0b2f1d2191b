package httpapi

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/integrator"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// azCaller is a column of the authorization matrix: who sends the request.
type azCaller int

const (
	azAnonymous azCaller = iota // no Authorization header
	azMalformed                 // "Bearer <garbage>": a token that was never issued
	azExpired                   // an admin's session, past its ExpiresAt
	azLoggedOut                 // an admin's session, after POST /v1/user/logout
	azOwner                     // the owner of the account (or user) in {id}
	azOther                     // another plain user, owner of nothing the row touches
	azReviewer                  // a reviewer
	azAdmin                     // an admin
	// azOwnReviewer is a reviewer who owns the account in {id} (a user made reviewer after
	// submitting): they may read their own account like any owner, and see it in the
	// reviewer routes, but never decide it (maker-checker: 403 / 1020). Rows act on
	// accounts of their own (see azFixture.id).
	azOwnReviewer
	// azIntegrator is an integrator app's live token (POST /v1/oauth/token): it reaches
	// the integrator routes only, and every other route that needs a token answers it
	// 401 as if it were none (API.md); so do the integrator routes to every user token.
	azIntegrator
	azCallers // the number of columns
)

var azCallerNames = [azCallers]string{"anonymous", "malformed", "expired", "logged-out", "owner", "other-user", "reviewer", "admin",
	"own-reviewer", "integrator"}

func (c azCaller) String() string { return azCallerNames[c] }

// azStatuses is a row's expected HTTP status per caller, in the column order above. A
// column left out of a row's literal is 0, which TestAuthzMatrixCoversRoutes refuses: a
// new column needs every route's answer written down, as a new route needs a row.
type azStatuses [azCallers]int

// azDecisions are the routes that decide an account: its owner may not, whatever role
// they hold (maker-checker).
var azDecisions = map[string]bool{"authorize-account": true, "reject-account": true}

// azTarget is what a row puts in the route's {id} and, with it, who "owner" is.
type azTarget int

const (
	// azPersonal: the account of a personal applicant in PENDING_REVIEW with frontOfID
	// and backOfID. Its owner is also the owner column of the routes without {id}.
	azPersonal azTarget = iota
	// azCompany: the account of a company applicant in PENDING_REVIEW with licence and
	// confirmation (a personal account has no such documents to download).
	azCompany
	// azOwnerUser: the personal applicant's user id (admin-set-role's {id} is a user).
	azOwnerUser
)

// azRow is a route's line of the matrix.
type azRow struct {
	want azStatuses
	// on is whose id goes in {id}; routes without {id} act on the caller's own account.
	on azTarget
	// body is sent as JSON when not nil. Each is chosen so that every caller the route
	// lets through gets the same, stable answer, whatever the cells before did.
	body any
	// restore: an allowed call moves the target out of PENDING_REVIEW (the handler really
	// decides); the test puts it back after each cell so the next caller meets the same
	// state. Any other row that changes a target account fails the test.
	restore bool
}

// authzMatrix is the authorization contract of every route of Routes(), keyed by route
// Name. The four dead callers (no, garbage, expired and logged-out tokens) are refused
// with 401 on every route that is not anyone's, whoever the token belonged to: the dead
// tokens are an admin's, whose live token passes every check. 403 is a role too low, or
// (downloads) a plain user who does not own the account. The statuses of the callers a
// route lets through are those the handler gives for the row's body: a success where the
// call is harmless or undone, else a 400 for a missing field, reached only after the role
// check.
var authzMatrix = map[string]azRow{
	// columns:                                          anon malf exp  out  ownr othr rev  adm  orev intg
	"health":                          {want: azStatuses{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},                                // anyone: the token is not even read
	"sms-code":                        {want: azStatuses{400, 400, 400, 400, 400, 400, 400, 400, 400, 400}, body: azEmpty},                 // anyone; no phone: 997 (real codes would hit the per-phone limit)
	"register":                        {want: azStatuses{400, 400, 400, 400, 400, 400, 400, 400, 400, 400}, body: azEmpty},                 // anyone; no phone, code, password: 997
	"login":                           {want: azStatuses{400, 400, 400, 400, 400, 400, 400, 400, 400, 400}, body: azEmpty},                 // anyone; no phone, password: 997 (a wrong password's 401 would blur the columns)
	"password-reset":                  {want: azStatuses{400, 400, 400, 400, 400, 400, 400, 400, 400, 400}, body: azEmpty},                 // anyone; no phone, code, new_password: 997
	"logout":                          {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}},                                // user; ends the cell's own fresh session
	"me":                              {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}},                                // user
	"account":                         {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}},                                // user; the caller's own account
	"uploads":                         {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 200}, body: azAvatarGrant},           // user; a presigned PUT, nothing stored until used; an app without accountId: an upload for a company it is about to create
	"portrait":                        {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 401}, body: azEmpty},                 // user; no key: 997
	"download-confirmation-file":      {want: azStatuses{401, 401, 401, 401, 302, 302, 302, 302, 302, 401}},                                // user; the platform's sample
	"upload-company-license":          {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 401}, body: azEmpty},                 // user; no organization: 997
	"upload-personal-licence":         {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 401}, body: azEmpty},                 // user; no ID_number: 997
	"download-auth-front-of-id":       {want: azStatuses{401, 401, 401, 401, 302, 403, 302, 302, 302, 401}},                                // owner or reviewer
	"download-auth-back-of-id":        {want: azStatuses{401, 401, 401, 401, 302, 403, 302, 302, 302, 401}},                                // owner or reviewer
	"down-auth-licence":               {want: azStatuses{401, 401, 401, 401, 302, 403, 302, 302, 302, 401}, on: azCompany},                 // owner or reviewer
	"down-auth-confirmation":          {want: azStatuses{401, 401, 401, 401, 302, 403, 302, 302, 302, 401}, on: azCompany},                 // owner or reviewer
	"get-unauthored-personal-account": {want: azStatuses{401, 401, 401, 401, 403, 403, 200, 200, 200, 401}},                                // reviewer
	"get-unauthored-company-account":  {want: azStatuses{401, 401, 401, 401, 403, 403, 200, 200, 200, 401}},                                // reviewer
	"account-detail":                  {want: azStatuses{401, 401, 401, 401, 403, 403, 200, 200, 200, 401}},                                // reviewer; an audited read
	"authorize-account":               {want: azStatuses{401, 401, 401, 401, 403, 403, 200, 200, 403, 401}, restore: true},                 // reviewer; approves, put back after
	"reject-account":                  {want: azStatuses{401, 401, 401, 401, 403, 403, 200, 200, 403, 401}, body: azReject, restore: true}, // reviewer; rejects, put back after
	"admin-set-role":                  {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 200, 403, 401}, on: azOwnerUser, body: azRole}, // admin; gives the owner the role it has
	"enterprise-change":               {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 400}, body: azEmpty},                 // user; no identify_type: 997; an app without customer_id: 997
	"organization-apply":              {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 401}, body: azEmpty},                 // user; no emailOrMobile: 997
	"organization":                    {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}},                                // user; the caller's own profile (none yet: version 0)
	"organization-seal":               {want: azStatuses{401, 401, 401, 401, 404, 404, 404, 404, 404, 401}},                                // user; the caller's own seal: none yet
	"organization-reapply":            {want: azStatuses{401, 401, 401, 401, 409, 409, 409, 409, 409, 401}, body: azEmpty},                 // user; the caller's own account has no company profile: 409
	// Webhooks: admins and integrator apps, each with its own endpoints. {id} is an
	// account id, which is no endpoint: 404, so no row changes anything; creation
	// without a url is 997.
	"webhooks-create":     {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 400, 403, 400}, body: azEmpty},
	"webhooks-list":       {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 200, 403, 200}},
	"webhooks-delete":     {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 404, 403, 404}},
	"webhooks-rotate":     {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 404, 403, 404}},
	"webhooks-deliveries": {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 404, 403, 404}},
	"webhooks-replay":     {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 404, 403, 404}},
	// Integrators: apps are the admin's ({app_key} stays literal: no such app, 404); the
	// token route is anyone's (no grant_type: 400); the integrator routes are the app's
	// alone ({accountId} stays literal: no such account, 404).
	"admin-apps-create":     {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 400, 403, 401}, body: azEmpty},
	"admin-apps-revoke":     {want: azStatuses{401, 401, 401, 401, 403, 403, 403, 404, 403, 401}},
	"oauth-token":           {want: azStatuses{400, 400, 400, 400, 400, 400, 400, 400, 400, 400}, body: azEmpty},
	"accounts-person":       {want: azStatuses{401, 401, 401, 401, 401, 401, 401, 401, 401, 400}, body: azEmpty},
	"accounts-get":          {want: azStatuses{401, 401, 401, 401, 401, 401, 401, 401, 401, 404}},
	"accounts-organization": {want: azStatuses{401, 401, 401, 401, 401, 401, 401, 401, 401, 400}, body: azEmpty},
	// Identity factors: the caller's own account. A match (the sandbox's) is recorded
	// beside the account and changes no account under VERIFY_POLICY=documents; the
	// logged-out token is refused by the reservation's session condition.
	"verification":     {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}, body: azVerify},
	"verification-get": {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}},
	// Qualification certificates: the user's own (no picture: 997; none submitted: 200
	// with state NONE); the reviewers' list; a decision of {id}, an account id, which is
	// no certificate: 404 for whoever may decide, so no row changes anything (the
	// maker-checker refusal of one's own certificate is TestQualificationOwnReviewer's).
	"qualification-submit":   {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 401}, body: azEmpty},
	"qualification":          {want: azStatuses{401, 401, 401, 401, 200, 200, 200, 200, 200, 401}},
	"qualifications-pending": {want: azStatuses{401, 401, 401, 401, 403, 403, 200, 200, 200, 401}},
	"qualification-approve":  {want: azStatuses{401, 401, 401, 401, 403, 403, 404, 404, 404, 401}},
	"qualification-reject":   {want: azStatuses{401, 401, 401, 401, 403, 403, 404, 404, 404, 401}, body: azReject},
	// Hosted verification: starting and reading are the app's alone (no body: 997;
	// {verificationId} stays literal: 404); the page and its POSTs are anyone's, the
	// ticket in the path being the credential ({ticket} stays literal: no such link, 404).
	"identify-start": {want: azStatuses{401, 401, 401, 401, 401, 401, 401, 401, 401, 400}, body: azEmpty},
	"identify-get":   {want: azStatuses{401, 401, 401, 401, 401, 401, 401, 401, 401, 404}},
	"verify-page":    {want: azStatuses{404, 404, 404, 404, 404, 404, 404, 404, 404, 404}},
	"verify-code":    {want: azStatuses{404, 404, 404, 404, 404, 404, 404, 404, 404, 404}},
	"verify-confirm": {want: azStatuses{404, 404, 404, 404, 404, 404, 404, 404, 404, 404}, body: azEmpty},
	// Certificates: an app or a user for its own account (no accountId: 997); {certId}
	// stays literal: no such certificate, 404 for every caller, admins too, so no row
	// revokes anything. The CA certificate and the CRL are anyone's.
	"certs-apply":  {want: azStatuses{401, 401, 401, 401, 400, 400, 400, 400, 400, 400}, body: azEmpty},
	"certs-get":    {want: azStatuses{401, 401, 401, 401, 404, 404, 404, 404, 404, 404}},
	"certs-revoke": {want: azStatuses{401, 401, 401, 401, 404, 404, 404, 404, 404, 404}, body: azRevoke},
	"ca-cert":      {want: azStatuses{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
	"ca-crl":       {want: azStatuses{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
	// Bank verification: an app or a user for its own company account; {accountId} stays
	// literal: no such account, 404 for every caller before anything is paid or judged.
	"bank-verification-start":   {want: azStatuses{401, 401, 401, 401, 404, 404, 404, 404, 404, 404}, body: azEmpty},
	"bank-verification-confirm": {want: azStatuses{401, 401, 401, 401, 404, 404, 404, 404, 404, 404}, body: azAmount},
}

// The rows' bodies.
var (
	azEmpty       = map[string]string{}
	azAvatarGrant = map[string]any{"slot": "portrait", "content_type": "image/png", "content_length": 1000}
	azReject      = map[string]string{"reason": "the photo is blurred", "reject_type": "RETRY"}
	azRole        = map[string]string{"role": "user"}
	azVerify      = map[string]string{"name": vName, "cardno": vID}
	azRevoke      = map[string]string{"reason": "superseded"}
	azAmount      = map[string]string{"amount": "0.37"}
)

// TestAuthzMatrixCoversRoutes: every route has a row and every row a route, so a new
// route cannot ship without its authorization written down. The rows themselves obey the
// role table: anyone routes answer every caller alike; other routes refuse the dead
// tokens with 401 and callers below the route's role with 403 (an integrator's role is
// below every route's today), and let the rest through, except that the owner of an
// account never decides it. Every row has a status for every column.
func TestAuthzMatrixCoversRoutes(t *testing.T) {
	routes := map[string]Route{}
	for _, rt := range Routes() {
		routes[rt.Name] = rt
		if _, ok := authzMatrix[rt.Name]; !ok {
			t.Errorf("route %s (%s, role %s) has no row in authzMatrix: add one", rt.Name, rt.Pattern(), rt.Role)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(authzMatrix)) {
		rt, ok := routes[name]
		if !ok {
			t.Errorf("authzMatrix has a row for %q, which is not a route of Routes()", name)
			continue
		}
		row := authzMatrix[name]
		if row.on != azPersonal && !strings.Contains(rt.Path, "{id}") {
			t.Errorf("%s: the row targets an {id} but %s has none", name, rt.Path)
		}
		rank := map[kyc.Role]int{kyc.RoleUser: 1, kyc.RoleReviewer: 2, kyc.RoleAdmin: 3}
		callerRank := [azCallers]int{azOwner: 1, azOther: 1, azReviewer: 2, azAdmin: 3, azOwnReviewer: 2, azIntegrator: 0}
		for c := range azCallers {
			got := row.want[c]
			switch {
			case got == 0:
				t.Errorf("%s has no status for the %s column: write down what it answers", name, c)
			case rt.Role == kyc.RoleAnyone:
				if got != row.want[0] || got == 401 || got == 403 {
					t.Errorf("%s is anyone's: %s gets %d, want the same non-auth status as every caller", name, c, got)
				}
			case c <= azLoggedOut:
				if got != 401 {
					t.Errorf("%s needs %s: %s gets %d, want 401", name, rt.Role, c, got)
				}
			case c == azIntegrator && rt.Integrators:
				if got == 401 || got == 403 {
					t.Errorf("%s admits integrators: %s gets %d", name, c, got)
				}
			case (c == azIntegrator) != (rt.Role == kyc.RoleIntegrator):
				if got != 401 {
					t.Errorf("%s needs %s: %s's token is not one for it, gets %d, want 401", name, rt.Role, c, got)
				}
			case callerRank[c] < rank[rt.Role]:
				if got != 403 {
					t.Errorf("%s needs %s: %s gets %d, want 403", name, rt.Role, c, got)
				}
			case c == azOwnReviewer && azDecisions[name]:
				if got != 403 {
					t.Errorf("%s decides an account: its owner, a %s, gets %d, want 403 (maker-checker)", name, rt.Role, got)
				}
			case got == 401 || got == 403 && !(c == azOther && strings.Contains(rt.Path, "{id}")):
				t.Errorf("%s needs %s: %s gets %d, but that caller's role is enough (only a stranger to {id} may get 403)", name, rt.Role, c, got)
			}
		}
	}
}

// azFixture is the world the matrix runs in.
type azFixture struct {
	*docFixture
	personal, company      applicant
	other, reviewer, admin docUser
	// ownPersonal and ownCompany are applicants like personal and company, made reviewers
	// once their accounts were pending: the own-reviewer column acts on these.
	ownPersonal, ownCompany applicant
	// app is the integrator column's app: its key and secret.
	app integrator.Created
	// dead is another admin, whose only sessions are the two dead tokens: no session is
	// made for it later, since making one tidies the user's expired sessions away and the
	// expired column would then test a deleted session instead.
	dead                         docUser
	expiredToken, loggedOutToken string
}

func newAzFixture(t *testing.T) *azFixture {
	t.Helper()
	d := newDocFixture(t)
	f := &azFixture{docFixture: d}
	f.personal = d.newApplicant(t, kyc.PersonalAccount, 0)
	d.pending(t, f.personal)
	f.company = d.newApplicant(t, kyc.CompanyAccount, 1)
	d.pending(t, f.company)
	f.other = d.newUser(t, kyc.RoleUser)
	f.reviewer = d.newUser(t, kyc.RoleReviewer)
	f.admin = d.newUser(t, kyc.RoleAdmin)
	f.app = d.newApp(t)
	f.ownPersonal = d.newApplicant(t, kyc.PersonalAccount, 2)
	d.pending(t, f.ownPersonal)
	f.ownCompany = d.newApplicant(t, kyc.CompanyAccount, 3)
	d.pending(t, f.ownCompany)
	for _, a := range []applicant{f.ownPersonal, f.ownCompany} {
		if _, err := operatorUsers(d.svc).SetRole(t.Context(), users.Operator("test"), a.ID, string(kyc.RoleReviewer)); err != nil {
			t.Fatalf("SetRole reviewer: %v", err)
		}
	}

	// The dead admin logs out of its first session, then holds one that expired a second
	// ago (in that order: a new session drops the user's expired ones).
	f.dead = docUser{ID: d.user(t, kyc.RoleAdmin)}
	f.loggedOutToken = d.session(t, f.dead.ID, time.Hour)
	wantEnvelope(t, d.call(t, http.MethodPost, "/v1/user/logout", f.loggedOutToken, nil), http.StatusOK, CodeOK, "")
	f.expiredToken = d.session(t, f.dead.ID, -time.Second)
	f.wantExpiredStored(t)
	return f
}

// wantExpiredStored checks that the expired session is still in the store (it was valid
// a minute ago), so that it is refused for its expiry and not because it is gone.
func (f *azFixture) wantExpiredStored(t *testing.T) {
	t.Helper()
	if _, err := f.store.GetSession(t.Context(), HashToken(f.expiredToken), f.clock.Now().Add(-time.Minute)); err != nil {
		t.Fatalf("the expired session is no longer stored: %v", err)
	}
}

// owner is the user the owner column (or, for own, the own-reviewer column) stands for
// in a row targeting on.
func (f *azFixture) owner(on azTarget, own bool) docUser {
	switch {
	case on == azCompany && own:
		return f.ownCompany.docUser
	case on == azCompany:
		return f.company.docUser
	case own:
		return f.ownPersonal.docUser
	}
	return f.personal.docUser
}

// id is what goes in {id} of a row targeting on for caller c: the own-reviewer column
// acts on its own accounts, every other column on personal's and company's.
func (f *azFixture) id(on azTarget, c azCaller) string {
	u := f.owner(on, c == azOwnReviewer)
	if on == azOwnerUser {
		return u.ID
	}
	return u.AccountID
}

// token is what caller c sends; live callers get a fresh session each time.
func (f *azFixture) token(t *testing.T, c azCaller, on azTarget) string {
	t.Helper()
	var u docUser
	switch c {
	case azAnonymous:
		return ""
	case azMalformed:
		return "!!not-a-token; " + strings.Repeat("A", 40)
	case azExpired:
		return f.expiredToken
	case azLoggedOut:
		return f.loggedOutToken
	case azOwner:
		u = f.owner(on, false)
	case azOwnReviewer:
		u = f.owner(on, true)
	case azIntegrator:
		return f.appToken(t, f.app)
	case azOther:
		u = f.other
	case azReviewer:
		u = f.reviewer
	case azAdmin:
		u = f.admin
	}
	return f.session(t, u.ID, time.Hour)
}

// TestAuthzMatrix sends every route every caller and checks the status of authzMatrix,
// the envelope of a refusal (401 / 999, 403 / 1020), the presigned Location of a 302,
// and that a refused request changed neither target account.
func TestAuthzMatrix(t *testing.T) {
	f := newAzFixture(t)
	accounts := []string{f.personal.AccountID, f.company.AccountID, f.ownPersonal.AccountID, f.ownCompany.AccountID}
	snapshot := func() map[string]kyc.Account {
		m := map[string]kyc.Account{}
		for _, id := range accounts {
			m[id] = f.account(t, id)
		}
		return m
	}
	for _, rt := range Routes() {
		row, ok := authzMatrix[rt.Name]
		if !ok {
			continue // TestAuthzMatrixCoversRoutes fails for it
		}
		t.Run(rt.Name, func(t *testing.T) {
			for c := range azCallers {
				path := strings.ReplaceAll(rt.Path, "{id}", f.id(row.on, c))
				before := snapshot()
				w := f.call(t, rt.Method, path, f.token(t, c, row.on), row.body)
				cell := fmt.Sprintf("%s %s as %s", rt.Method, rt.Path, c)
				if w.Code != row.want[c] {
					t.Errorf("%s = %d, want %d: %s", cell, w.Code, row.want[c], w.Body)
				}
				switch w.Code {
				case http.StatusUnauthorized, http.StatusForbidden:
					code := map[int]int{401: 999, 403: 1020}[w.Code]
					if e := envelopeOf(t, w); e.ErrorCode != code {
						t.Errorf("%s: error_code = %d, want %d", cell, e.ErrorCode, code)
					}
					if after := snapshot(); !reflect.DeepEqual(after, before) {
						t.Errorf("%s was refused but changed an account:\n got %+v\nwant %+v", cell, after, before)
					}
				case http.StatusFound:
					if loc := w.Header().Get("Location"); !strings.Contains(loc, "X-Amz-Signature=") {
						t.Errorf("%s: Location %q is not a presigned URL", cell, loc)
					}
				}
				for _, id := range accounts {
					a := f.account(t, id)
					if a.State == kyc.StatePendingReview {
						continue
					}
					if !row.restore {
						t.Fatalf("%s moved account %s to %s: the row's body is not harmless", cell, id, a.State)
					}
					next := a
					next.State, next.RejectType, next.Reasons, next.ReuploadSlots = kyc.StatePendingReview, "", nil, nil
					if _, err := f.store.Transition(t.Context(), kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
						Audit: kyc.AuditRecord{AccountID: id, At: f.clock.Now(), Actor: "test", Action: "restore", From: a.State, To: kyc.StatePendingReview}}); err != nil {
						t.Fatalf("put %s back to PENDING_REVIEW: %v", id, err)
					}
				}
			}
		})
	}
	f.wantExpiredStored(t)
}
