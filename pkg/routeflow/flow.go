// Package routeflow is one realistic flow through every Lambda function of the product,
// with the DynamoDB calls of each step metered: the API routes served by httpapi.Mux
// (each by its function's constructor, with its function's adapters) on httptest, the
// review worker fed by the in-process queue, and the GrantRole, FreezeUser and reconciler
// handlers invoked as Lambda would. It holds the flow (Run), the API client it drives the
// routes with (Client) and the meter (Meter, MeterOption): a DynamoDB client middleware
// that counts each call made with a metered context by operation and records the IAM
// actions the call needs (Actions).
//
// cmd/bench prints the flow's calls per step; pkg/conformance checks that each function's
// IAM policy grants every action its steps needed. It is local-only code (it starts an
// httptest server and uses the in-process queue and SMS outbox): no function may import
// it, which pkg/conformance checks.
package routeflow

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/payout"
	"github.com/realname-kyc/realname/pkg/seal"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
)

// Config is what the flow runs on.
type Config struct {
	// Store is the store every function shares: pkg/dynamo over an empty table, through a
	// client with MeterOption, or no step's calls are counted.
	Store kyc.Store
	// Docs are the documents, on S3 or a stand-in; the flow writes the sample
	// confirmation file to them.
	Docs kyc.Documents
}

// Step is one row of the flow: one request to one function (or one invocation of a
// function without an HTTP event) and the DynamoDB calls it made.
type Step struct {
	Name string
	// Route is the request's method and path with ids as {id}, or what invoked a function
	// without a route.
	Route string
	// Function is the logical id (lambdafn.Functions) of the function that served the step.
	Function string
	// Status is the HTTP status, 0 for a function without a route.
	Status int
	// Calls counts the DynamoDB calls by operation; a failed call counts as "<Op> (error)".
	Calls map[string]int
	// Actions counts the IAM "action resource" pairs the calls needed (Actions).
	Actions map[string]int
}

// sampleName is a placeholder person's name for the identity checks (the sandbox
// provider matches it with any well-formed ID number).
const sampleName = "测试"

// SampleResidentID is a synthetic resident ID number for the flows driven through the API.
func SampleResidentID() string { return idchecktest.ResidentID("11010519491231002") }

// idSegment is a path segment holding an id (kyc.RandomIDs makes 26 characters).
var idSegment = regexp.MustCompile(`/[0-9a-z]{26}(/|$)`)

// stepState is what the API's requests of the current step are metered and checked with.
type stepState struct {
	meter    *Meter
	function string
	mu       sync.Mutex
	strays   []string // requests served by another function than the step's
}

// current holds the running step's state for the API server.
type current struct {
	mu  sync.Mutex
	cur *stepState
}

func (c *current) set(s *stepState) { c.mu.Lock(); c.cur = s; c.mu.Unlock() }
func (c *current) get() *stepState  { c.mu.Lock(); defer c.mu.Unlock(); return c.cur }

// routeFunctions finds the function that serves a request by the route table's patterns.
type routeFunctions struct {
	mux *http.ServeMux
	ids map[string]string // pattern -> logical id
}

func newRouteFunctions() *routeFunctions {
	rf := &routeFunctions{mux: http.NewServeMux(), ids: map[string]string{}}
	for _, rt := range httpapi.Routes() {
		rf.mux.Handle(rt.Pattern(), http.NotFoundHandler())
		rf.ids[rt.Pattern()] = rt.LogicalID
	}
	return rf
}

// of returns the logical id of the function serving r ("" for none).
func (rf *routeFunctions) of(r *http.Request) string {
	_, pattern := rf.mux.Handler(r)
	return rf.ids[pattern]
}

// ofRoute returns the function serving "METHOD /path".
func (rf *routeFunctions) ofRoute(route string) string {
	method, path, _ := strings.Cut(route, " ")
	r, err := http.NewRequest(method, "http://flow"+path, nil)
	if err != nil {
		return ""
	}
	return rf.of(r)
}

// Run drives the flow on cfg and returns its steps, in order (the steps made so far with
// an error). The first rows are the bench's original flow; the rows after the password
// reset reach the paths a first submission does not: a failed and a locked login, the
// second page of a list, a role change, a freeze and a password reset that end
// sessions, GrantRole, FreezeUser and the reconciler. Setup that is not a row (users
// other than the first, role grants, further uploads and submissions) is not metered.
func Run(ctx context.Context, cfg Config) ([]Step, error) {
	var steps []Step
	dir, err := os.MkdirTemp("", "realname-routeflow-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	outboxPath := filepath.Join(dir, "sms.jsonl")
	outbox, err := localsms.New(outboxPath, kyc.SystemClock{})
	if err != nil {
		return nil, err
	}
	defer outbox.Close()
	if err := submission.EnsureConfirmationSample(ctx, cfg.Docs); err != nil {
		return nil, err
	}
	clock := &shiftClock{}
	q := localqueue.New(localqueue.Options{Visibility: 30 * time.Second, MaxReceives: 5})
	log := slog.New(slog.DiscardHandler)
	svc := &app.Services{Store: cfg.Store, Docs: cfg.Docs, Queue: q, SMS: outbox, DrawSeal: seal.Draw, Identity: identity.Sandbox{}, Clock: clock, IDs: kyc.RandomIDs{}, Log: log,
		TokenTTL: 7 * 24 * time.Hour, MaxAttempts: 5, ReconcileAfter: 2 * time.Minute,
		BankSecret: []byte(app.DevBankVerifySecret), Payouts: payout.NewSandbox(bankPayouts(dir), clock.Now)}
	svc.Backends.Payout = payout.SandboxName
	if err := addCA(ctx, svc, dir); err != nil {
		return nil, fmt.Errorf("routeflow: CA: %w", err)
	}
	wh, err := newWebhooks(ctx, svc, dir)
	if err != nil {
		return nil, err
	}
	defer wh.close()
	mux, err := httpapi.Mux(svc)
	if err != nil {
		return nil, fmt.Errorf("routeflow: %w", err)
	}
	rf := newRouteFunctions()
	cur := &current{}
	metered := func(mux http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s := cur.get(); s != nil {
				if fn := rf.of(r); fn != s.function {
					s.mu.Lock()
					s.strays = append(s.strays, fmt.Sprintf("%s %s served by %q", r.Method, r.URL.Path, fn))
					s.mu.Unlock()
				}
				r = r.WithContext(WithMeter(r.Context(), s.meter))
			}
			mux.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(metered(mux))
	defer srv.Close()
	// The same functions configured with VERIFY_POLICY=factors, where a two-factor match
	// approves the account (the policy is read when a function starts).
	factorsSvc := *svc
	factorsSvc.VerifyPolicy = app.PolicyFactors
	factorsMux, err := httpapi.Mux(&factorsSvc)
	if err != nil {
		return nil, fmt.Errorf("routeflow: %w", err)
	}
	srvFactors := httptest.NewServer(metered(factorsMux))
	defer srvFactors.Close()

	fn := func(name string) lambdafn.Function {
		f, ok := lambdafn.Lookup(name)
		if !ok {
			panic("routeflow: no function " + name)
		}
		return f
	}
	env := func(f lambdafn.Function) *app.Env { return app.EnvOf(svc).Only(f.Adapters...) }
	workerFn, grantFn, freezeFn, reconcilerFn := fn(lambdafn.ReviewWorker), fn(lambdafn.GrantRole), fn(lambdafn.FreezeUser), fn(lambdafn.Reconciler)
	es := localrun.EventSource{Queue: q, Handler: lambdafn.Handlers(svc)[workerFn.LogicalID], BatchSize: 10, Wait: time.Second, QueueARN: "arn:aws:sqs:us-east-1:000000000000:review", Log: log}
	grantRole := lambdafn.GrantRoleHandler(env(grantFn))
	freezeUser := lambdafn.FreezeUserHandler(env(freezeFn))
	reconcile := lambdafn.ReconcilerHandler(env(reconcilerFn))
	sealFn := fn(lambdafn.Seal)
	drawSeals := lambdafn.SealHandler(env(sealFn))
	u := users.New(users.Deps{Store: cfg.Store, Clock: clock, IDs: kyc.RandomIDs{}, Log: log, TokenTTL: svc.TokenTTL})

	// step runs f with a fresh meter on the API's requests (and on ctx) and records it as
	// a step of function.
	step := func(name, route, function string, f func(ctx context.Context) (int, error)) error {
		s := &stepState{meter: NewMeter(), function: function}
		cur.set(s)
		status, err := f(WithMeter(ctx, s.meter))
		cur.set(nil)
		if err != nil {
			return fmt.Errorf("%s (%s): %w", name, route, err)
		}
		s.mu.Lock()
		strays := s.strays
		s.mu.Unlock()
		if len(strays) > 0 {
			return fmt.Errorf("%s (%s): a step of %s made requests to other functions: %s", name, route, function, strings.Join(strays, "; "))
		}
		snap := s.meter.Snapshot()
		steps = append(steps, Step{Name: name, Route: idSegment.ReplaceAllString(route, "/{id}$1"), Function: function, Status: status,
			Calls: snap.Calls, Actions: snap.Actions})
		return nil
	}
	// routeStep is one request to route ("METHOD /path") by f.
	routeStep := func(name, route string, f func(ctx context.Context) (int, error)) error {
		function := rf.ofRoute(route)
		if function == "" {
			return fmt.Errorf("%s: no function serves %s", name, route)
		}
		return step(name, route, function, f)
	}
	// queryStep is one JSON request whose path has a query that the route leaves out.
	queryStep := func(c *Client, name, method, path, query string, body any, want int) error {
		return routeStep(name, method+" "+path, func(context.Context) (int, error) {
			_, err := c.JSON(method, path+query, body, want)
			return want, err
		})
	}
	jsonStep := func(c *Client, name, method, path string, body any, want int) error {
		return queryStep(c, name, method, path, "", body, want)
	}
	redirectStep := func(c *Client, name, path string) error {
		return routeStep(name, "GET "+path, func(context.Context) (int, error) {
			status, body, _, err := c.Do(http.MethodGet, path, "", nil)
			if err == nil && status != http.StatusFound {
				err = fmt.Errorf("status %d %.200s, want 302", status, body)
			}
			return status, err
		})
	}
	workerStep := func(name string) error {
		return step(name, "review worker (SQS event, 1 message)", workerFn.LogicalID, func(ctx context.Context) (int, error) {
			n, err := es.Poll(ctx)
			if err == nil && n != 1 {
				err = fmt.Errorf("worker handled %d messages, want 1", n)
			}
			return 0, err
		})
	}
	newUser := func(phone string) (*Client, error) {
		c := NewClient(ctx, srv.URL, outboxPath)
		return c, c.Register(phone, "a fine passphrase")
	}
	const pw = "a fine passphrase"
	phoneA, phoneR, phoneC, phoneAdm := "13900000001", "13900000002", "13900000003", "13900000004"
	a := NewClient(ctx, srv.URL, outboxPath)
	front, back := filechecktest.JPEG(320, 200), filechecktest.PNG(320, 200)

	// The rows after the original flow: the paths a first submission does not reach. r,
	// c and adm are the reviewer, the company user and the admin of the original flow,
	// each with a live session.
	lessCommon := func(r, c, adm *Client) error {
		const phoneL, phoneP = "13900000005", "13900000006"
		anon := NewClient(ctx, srv.URL, outboxPath)
		wrongLogin := func(c *Client, phone string) (int, error) {
			_, err := c.JSON(http.MethodPost, "/v1/user/login", map[string]string{"phone": phone, "password": "not the passphrase"}, http.StatusUnauthorized)
			return http.StatusUnauthorized, err
		}
		// sessionEnded checks that c's token no longer works.
		sessionEnded := func(c *Client, who string) error {
			if _, err := c.JSON(http.MethodGet, "/v1/user/me", nil, http.StatusUnauthorized); err != nil {
				return fmt.Errorf("%s's session should have ended: %w", who, err)
			}
			return nil
		}

		// Two more personal submissions (not counted), stranded: the worker does not run
		// before the reconciler finds them.
		l, err := newUser(phoneL)
		if err != nil {
			return err
		}
		p, err := newUser(phoneP)
		if err != nil {
			return err
		}
		for i, s := range []*Client{l, p} {
			fk, err := s.Upload("frontOfID", "image/jpeg", front)
			if err != nil {
				return err
			}
			bk, err := s.Upload("backOfID", "image/png", back)
			if err != nil {
				return err
			}
			id := idchecktest.ResidentID(fmt.Sprintf("1101051949123101%d", i)) // another person's than the approved account's
			if _, err := s.JSON(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", map[string]string{"ID_number": id, "frontOfID": fk, "backOfID": bk}, 200); err != nil {
				return err
			}
		}
		clock.shift(svc.ReconcileAfter + time.Minute)
		if err := step("reconciler: two stranded submissions", "reconciler (schedule event)", reconcilerFn.LogicalID, func(ctx context.Context) (int, error) {
			res, err := reconcile(ctx, json.RawMessage(`{}`))
			// The two accounts, and the webhook sweep's events: the submissions' events
			// (their routes do not dispatch; the sweep is what queues them).
			if err == nil && res.Requeued < 2 {
				err = fmt.Errorf("reconciler requeued %d accounts and events, want at least the 2 accounts", res.Requeued)
			}
			return 0, err
		}); err != nil {
			return err
		}
		// The worker (not counted) takes the two submissions and their requeued copies.
		for handled, polls := 0, 0; handled < 4; polls++ {
			if polls == 10 {
				return fmt.Errorf("the worker handled %d of 4 messages in %d polls", handled, polls)
			}
			n, err := es.Poll(ctx)
			if err != nil {
				return err
			}
			handled += n
		}
		for _, s := range []*Client{l, p} {
			if _, state, err := s.AccountID(); err != nil || state != string(kyc.StatePendingReview) {
				return fmt.Errorf("a requeued submission is %s (%v), want PENDING_REVIEW", state, err)
			}
		}

		// The second page of the reviewer's list: two accounts pending, one a page.
		const list = "/v1/cms/account/getUnAuthoredPersonalAccount"
		first, err := r.JSON(http.MethodGet, list+"?limit=1", nil, 200)
		if err != nil {
			return err
		}
		if first.NextCursor == "" {
			return fmt.Errorf("the first page of one of two pending accounts has no next_cursor")
		}
		if err := queryStep(r, "reviewer lists personal, second page", http.MethodGet, list, "?limit=1&cursor="+url.QueryEscape(first.NextCursor), nil, 200); err != nil {
			return err
		}

		// Failed logins: the first is counted, the fifth locks the phone's logins.
		if err := routeStep("login with a wrong password", "POST /v1/user/login", func(context.Context) (int, error) { return wrongLogin(anon, phoneL) }); err != nil {
			return err
		}
		for range users.LoginFailLimit - 2 {
			if _, err := wrongLogin(anon, phoneL); err != nil {
				return err
			}
		}
		if err := routeStep(fmt.Sprintf("wrong login %d (locks the phone)", users.LoginFailLimit), "POST /v1/user/login", func(context.Context) (int, error) { return wrongLogin(anon, phoneL) }); err != nil {
			return err
		}
		if err := routeStep("login while locked", "POST /v1/user/login", func(context.Context) (int, error) {
			_, err := anon.JSON(http.MethodPost, "/v1/user/login", map[string]string{"phone": phoneL, "password": pw}, http.StatusTooManyRequests)
			return http.StatusTooManyRequests, err
		}); err != nil {
			return err
		}

		// An admin changes a user's role: the user's session ends.
		e, err := p.JSON(http.MethodGet, "/v1/user/me", nil, 200)
		if err != nil {
			return err
		}
		var me struct{ ID string }
		if err := json.Unmarshal(e.Data, &me); err != nil || me.ID == "" {
			return fmt.Errorf("no user id in %s", e.Data)
		}
		if err := jsonStep(adm, "admin changes a role (ends sessions)", "POST", "/v1/admin/users/"+me.ID+"/role", map[string]string{"role": string(kyc.RoleReviewer)}, 200); err != nil {
			return err
		}
		if err := sessionEnded(p, "the user whose role changed"); err != nil {
			return err
		}

		// FreezeUser on a user with a session, then back.
		freeze := func(name string, frozen bool) error {
			return step(name, "FreezeUser function (invoke event)", freezeFn.LogicalID, func(ctx context.Context) (int, error) {
				out, err := freezeUser(ctx, lambdafn.FreezeUserInput{Phone: phoneL, Frozen: &frozen})
				if err == nil && out.Frozen != frozen {
					err = fmt.Errorf("FreezeUser answered frozen %v, want %v", out.Frozen, frozen)
				}
				return 0, err
			})
		}
		if err := freeze("FreezeUser: freeze a user with a session", true); err != nil {
			return err
		}
		if err := sessionEnded(l, "the frozen user"); err != nil {
			return err
		}
		if err := freeze("FreezeUser: unfreeze", false); err != nil {
			return err
		}

		// GrantRole on a user with a session.
		if err := step("GrantRole: a role for a user with a session", "GrantRole function (invoke event)", grantFn.LogicalID, func(ctx context.Context) (int, error) {
			out, err := grantRole(ctx, lambdafn.GrantRoleInput{Phone: phoneC, Role: string(kyc.RoleReviewer)})
			if err == nil && out.Role != string(kyc.RoleReviewer) {
				err = fmt.Errorf("GrantRole answered role %q, want reviewer", out.Role)
			}
			return 0, err
		}); err != nil {
			return err
		}
		if err := sessionEnded(c, "the user granted a role"); err != nil {
			return err
		}

		// A company applies with seed 001's full form, then reads its profile.
		const phoneO = "13900000007"
		o, err := newUser(phoneO)
		if err != nil {
			return err
		}
		orgLic, err := o.Upload("organizationRegImg", "image/jpeg", front)
		if err != nil {
			return err
		}
		form := map[string]string{"emailOrMobile": "admin@example.com", "name": "Bench Organization Ltd", "organizationType": "0",
			"identificationType": "1", "organizationRegNo": "91350100M000100Y43", "organizationRegImg": orgLic, "legalName": "张三"}
		if err := jsonStep(o, "company applies with the full form", "POST", "/v1/organization", form, 200); err != nil {
			return err
		}
		if err := workerStep("worker: company profile submission"); err != nil {
			return err
		}
		if err := jsonStep(o, "company reads its profile", "GET", "/v1/organization", nil, 200); err != nil {
			return err
		}

		// Its registration number is the enterprise change's, approved above: the checks
		// reject it as a duplicate (RETRY), and it re-applies with another number (seed
		// 001's authStatus=0); once approved it modifies its name at once (authStatus=1).
		acctO, stateO, err := o.AccountID()
		if err != nil {
			return err
		}
		if stateO != string(kyc.StateRejected) {
			return fmt.Errorf("the company with a claimed number is %s, want REJECTED by the checks", stateO)
		}
		if err := jsonStep(o, "company re-applies after a rejection", "POST", "/v1/organization/reapply",
			map[string]string{"authStatus": "0", "organizationRegNo": "91320100MA1000002L"}, 200); err != nil {
			return err
		}
		if err := workerStep("worker: company re-application"); err != nil {
			return err
		}
		if _, err := r.JSON(http.MethodPost, "/v1/cms/account/"+acctO+"/authorizeAccount", nil, 200); err != nil {
			return err
		}
		if err := jsonStep(o, "approved company modifies its profile", "POST", "/v1/organization/reapply",
			map[string]string{"authStatus": "1", "name": "Bench Organization Holdings Ltd", "address": "1 Bench Road"}, 200); err != nil {
			return err
		}
		// It uploaded no seal: the approval asked for one, which the seal function draws, with
		// the one of the company the enterprise change made.
		if err := jsonStep(o, "company without a seal yet", "GET", "/v1/organization/seal", nil, 404); err != nil {
			return err
		}
		if err := step("seal function: two approved companies", "seal (schedule event)", sealFn.LogicalID, func(ctx context.Context) (int, error) {
			res, err := drawSeals(ctx, json.RawMessage(`{}`))
			if err == nil && res.Sealed != 2 {
				err = fmt.Errorf("the seal function drew %d seals, want 2", res.Sealed)
			}
			return 0, err
		}); err != nil {
			return err
		}
		if err := redirectStep(o, "company downloads its generated seal", "/v1/organization/seal"); err != nil {
			return err
		}
		// Bank verification (issue 15) of the approved company's bank account.
		if err := bankSteps(o, acctO, "Bench Organization Holdings Ltd", dir, jsonStep); err != nil {
			return err
		}

		// Identity factors (issue 14): a match and a mismatch recorded, the view, then
		// under VERIFY_POLICY=factors a match that approves the account at once.
		const phoneV, phoneF = "13900000008", "13900000009"
		v, err := newUser(phoneV)
		if err != nil {
			return err
		}
		check := map[string]string{"name": sampleName, "cardno": SampleResidentID()}
		if err := jsonStep(v, "two-factor check: match", "POST", "/v1/user/verification", check, 200); err != nil {
			return err
		}
		if err := jsonStep(v, "two-factor check: mismatch", "POST", "/v1/user/verification",
			map[string]string{"name": sampleName + identity.SandboxMismatchSuffix, "cardno": SampleResidentID()}, http.StatusUnprocessableEntity); err != nil {
			return err
		}
		if err := jsonStep(v, "verification view", "GET", "/v1/user/verification", nil, 200); err != nil {
			return err
		}
		f, err := newUser(phoneF)
		if err != nil {
			return err
		}
		fc := NewClient(ctx, srvFactors.URL, outboxPath)
		fc.Token = f.Token
		if err := jsonStep(fc, "two-factor check approves (VERIFY_POLICY=factors)", "POST", "/v1/user/verification",
			map[string]string{"name": sampleName, "cardno": idchecktest.ResidentID("11010519491231003")}, 200); err != nil {
			return err
		}
		if _, state, err := f.AccountID(); err != nil || state != string(kyc.StateApproved) {
			return fmt.Errorf("the account a two-factor match approved is %s (%v), want APPROVED", state, err)
		}

		// A password reset of a user with live sessions (the reviewer's registration and
		// login): the reset ends them.
		clock.shift(2 * time.Minute)
		if _, err := anon.JSON(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": phoneR, "purpose": kyc.PurposeResetPassword}, 200); err != nil {
			return err
		}
		code, err := localsms.LastCode(outboxPath, phoneR, kyc.PurposeResetPassword)
		if err != nil {
			return err
		}
		if err := jsonStep(anon, "reset password (ends sessions)", "POST", "/v1/user/password/reset", map[string]string{"phone": phoneR, "code": code, "new_password": "another fine passphrase"}, 200); err != nil {
			return err
		}
		return sessionEnded(r, "the reviewer who reset the password")
	}

	run := func() error {
		// The platform's webhook endpoint (setup): every decision below is delivered to it.
		if err := wh.register(ctx); err != nil {
			return err
		}
		if err := jsonStep(a, "health", "GET", "/v1/health", nil, 200); err != nil {
			return err
		}
		if err := jsonStep(a, "send register code", "POST", "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeRegister}, 200); err != nil {
			return err
		}
		code, err := localsms.LastCode(outboxPath, phoneA, kyc.PurposeRegister)
		if err != nil {
			return err
		}
		if err := jsonStep(a, "register", "POST", "/v1/user/register", map[string]string{"phone": phoneA, "code": code, "password": pw}, 201); err != nil {
			return err
		}
		if err := routeStep("login", "POST /v1/user/login", func(context.Context) (int, error) { return 200, a.Login(phoneA, pw) }); err != nil {
			return err
		}
		var userAID string
		if err := routeStep("me", "GET /v1/user/me", func(context.Context) (int, error) {
			e, err := a.JSON("GET", "/v1/user/me", nil, 200)
			var me struct{ ID string }
			_ = json.Unmarshal(e.Data, &me)
			userAID = me.ID
			return 200, err
		}); err != nil {
			return err
		}
		if err := jsonStep(a, "account (unverified)", "GET", "/v1/account", nil, 200); err != nil {
			return err
		}
		keys := map[string]string{"ID_number": SampleResidentID()}
		for _, d := range []struct {
			slot, ct string
			data     []byte
		}{{"frontOfID", "image/jpeg", front}, {"backOfID", "image/png", back}, {"portrait", "image/jpeg", front}} {
			if err := routeStep("upload grant "+d.slot, "POST /v1/uploads", func(context.Context) (int, error) {
				k, err := a.Upload(d.slot, d.ct, d.data)
				keys[d.slot] = k
				return 200, err
			}); err != nil {
				return err
			}
		}
		portrait := keys["portrait"]
		delete(keys, "portrait")
		if err := jsonStep(a, "set portrait", "POST", "/v1/user/portrait", map[string]string{"key": portrait}, 200); err != nil {
			return err
		}
		if err := jsonStep(a, "submit personal documents", "POST", "/v1/cms/account/uploadPersonalLicence", keys, 200); err != nil {
			return err
		}
		if err := workerStep("worker: personal submission"); err != nil {
			return err
		}
		acctA, stateA, err := a.AccountID()
		if err != nil {
			return err
		}
		if stateA != string(kyc.StatePendingReview) {
			return fmt.Errorf("personal account %s after the worker, want PENDING_REVIEW", stateA)
		}
		if err := jsonStep(a, "account (pending)", "GET", "/v1/account", nil, 200); err != nil {
			return err
		}
		if err := redirectStep(a, "download confirmation sample", "/v1/cms/account/downloadConfirmationFile"); err != nil {
			return err
		}
		if err := redirectStep(a, "owner downloads front of ID", "/v1/cms/account/"+acctA+"/downloadAuthFrontOfID"); err != nil {
			return err
		}

		// A reviewer, made with the GrantRole function's service call (not counted).
		r, err := newUser(phoneR)
		if err != nil {
			return err
		}
		if _, err := u.SetRoleByPhone(ctx, users.Operator(""), phoneR, string(kyc.RoleReviewer)); err != nil {
			return err
		}
		if err := r.Login(phoneR, pw); err != nil {
			return err
		}
		if err := jsonStep(r, "reviewer lists personal", "GET", "/v1/cms/account/getUnAuthoredPersonalAccount", nil, 200); err != nil {
			return err
		}
		if err := jsonStep(r, "reviewer opens detail", "GET", "/v1/cms/account/"+acctA, nil, 200); err != nil {
			return err
		}
		if err := redirectStep(r, "reviewer downloads front of ID", "/v1/cms/account/"+acctA+"/downloadAuthFrontOfID"); err != nil {
			return err
		}
		if err := redirectStep(r, "reviewer downloads back of ID", "/v1/cms/account/"+acctA+"/downloadAuthBackOfID"); err != nil {
			return err
		}
		if err := jsonStep(r, "reviewer approves", "POST", "/v1/cms/account/"+acctA+"/authorizeAccount", nil, 200); err != nil {
			return err
		}

		// A company account, rejected.
		c, err := newUser(phoneC)
		if err != nil {
			return err
		}
		lic, err := c.Upload("licence", "image/jpeg", front)
		if err != nil {
			return err
		}
		conf, err := c.Upload("confirmation", "image/png", back)
		if err != nil {
			return err
		}
		if err := jsonStep(c, "submit company documents", "POST", "/v1/cms/account/uploadCompanyLicense",
			map[string]string{"organization": "Bench Ltd", "organizationRegNo": "91350100M000100Y43", "licence": lic, "confirmation": conf}, 200); err != nil {
			return err
		}
		if err := workerStep("worker: company submission"); err != nil {
			return err
		}
		acctC, _, err := c.AccountID()
		if err != nil {
			return err
		}
		if err := jsonStep(r, "reviewer lists company", "GET", "/v1/cms/account/getUnAuthoredCompanyAccount", nil, 200); err != nil {
			return err
		}
		if err := redirectStep(r, "reviewer downloads licence", "/v1/cms/account/"+acctC+"/downAuthLicence"); err != nil {
			return err
		}
		if err := redirectStep(r, "reviewer downloads confirmation", "/v1/cms/account/"+acctC+"/downAuthConfirmation"); err != nil {
			return err
		}
		if err := jsonStep(r, "reviewer rejects", "POST", "/v1/cms/account/"+acctC+"/rejectAccount", map[string]string{"reason": "licence unreadable"}, 200); err != nil {
			return err
		}
		// Qualification certificates (issue 14): the rejected company's user submits them.
		if err := qualificationSteps(c, r, step, jsonStep); err != nil {
			return err
		}

		// The approved person asks to become a company (seed 002), with the
		// number the rejected company gave; a reviewer approves it.
		certFront, err := a.Upload("organizationRegImg", "image/jpeg", front)
		if err != nil {
			return err
		}
		certBack, err := a.Upload("certificateBackImg", "image/png", back)
		if err != nil {
			return err
		}
		if err := jsonStep(a, "enterprise change", "POST", "/v1/account/enterprise-change", map[string]any{
			"corp_name": "Bench Change Ltd", "verified_number": "91350100M000100Y43", "identify_type": 1, "change_type": 1,
			"verified_file_url": []string{certFront, certBack}}, 200); err != nil {
			return err
		}
		if err := jsonStep(r, "reviewer approves enterprise change", "POST", "/v1/cms/account/"+acctA+"/authorizeAccount", nil, 200); err != nil {
			return err
		}

		// An admin sets a role.
		adm, err := newUser(phoneAdm)
		if err != nil {
			return err
		}
		if _, err := u.SetRoleByPhone(ctx, users.Operator(""), phoneAdm, string(kyc.RoleAdmin)); err != nil {
			return err
		}
		if err := adm.Login(phoneAdm, pw); err != nil {
			return err
		}
		if err := jsonStep(adm, "admin sets a role", "POST", "/v1/admin/users/"+userAID+"/role", map[string]string{"role": string(kyc.RoleUser)}, 200); err != nil {
			return err
		}
		if err := wh.steps(adm, step, jsonStep, queryStep); err != nil {
			return err
		}
		if err := integratorSteps(adm, jsonStep, func(name, route string, f func() (int, error)) error {
			return routeStep(name, route, func(context.Context) (int, error) { return f() })
		}); err != nil {
			return err
		}

		if err := jsonStep(a, "logout", "POST", "/v1/user/logout", nil, 200); err != nil {
			return err
		}
		// One code per phone per minute: the clock moves on instead of the flow waiting.
		clock.shift(2 * time.Minute)
		if err := jsonStep(a, "send reset code", "POST", "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeResetPassword}, 200); err != nil {
			return err
		}
		code, err = localsms.LastCode(outboxPath, phoneA, kyc.PurposeResetPassword)
		if err != nil {
			return err
		}
		if err := jsonStep(a, "reset password", "POST", "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": "another fine passphrase"}, 200); err != nil {
			return err
		}
		return lessCommon(r, c, adm)
	}
	if err := run(); err != nil {
		return steps, err
	}
	return steps, nil
}

// shiftClock is the system clock moved forward by shift.
type shiftClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftClock) shift(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }
