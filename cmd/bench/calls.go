package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
)

// maxCallsPerRoute is the flag line of the calls part.
const maxCallsPerRoute = 3

type callStep struct {
	Step   string         `json:"step"`
	Route  string         `json:"route"`
	Status int            `json:"status"`
	Calls  int            `json:"dynamodb_calls"`
	PerOp  map[string]int `json:"per_operation"`
}

// callsResult is the calls part on every engine; the counts should not depend on it.
type callsResult struct {
	Runs []callsRun `json:"runs"`
}

type callsRun struct {
	Engine string     `json:"engine"`
	Steps  []callStep `json:"steps"`
}

// callCounter puts the current step's meter on every request the API serves.
type callCounter struct {
	mu  sync.Mutex
	cur *meter
}

func (c *callCounter) set(m *meter) { c.mu.Lock(); c.cur = m; c.mu.Unlock() }
func (c *callCounter) get() *meter  { c.mu.Lock(); defer c.mu.Unlock(); return c.cur }

func runCalls(ctx context.Context, e *env, g *engine) (callsRun, error) {
	res := callsRun{Engine: g.Name}
	store, err := g.table(ctx, "bench-calls")
	if err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp("", "realname-bench-calls-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	outboxPath := filepath.Join(dir, "sms.jsonl")
	outbox, err := localsms.New(outboxPath, kyc.SystemClock{})
	if err != nil {
		return res, err
	}
	defer outbox.Close()
	if err := submission.EnsureConfirmationSample(ctx, e.docs); err != nil {
		return res, err
	}
	clock := &shiftClock{}
	q := localqueue.New(localqueue.Options{Visibility: 30 * time.Second, MaxReceives: 5})
	log := slog.New(slog.DiscardHandler)
	svc := &app.Services{Store: store, Docs: e.docs, Queue: q, SMS: outbox, Clock: clock, IDs: kyc.RandomIDs{}, Log: log,
		TokenTTL: 7 * 24 * time.Hour, MaxAttempts: 5, ReconcileAfter: 2 * time.Minute}
	counter := &callCounter{}
	mux, err := httpapi.Mux(svc)
	if err != nil {
		return res, fmt.Errorf("calls: %w", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := counter.get(); m != nil {
			r = r.WithContext(withMeter(r.Context(), m))
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	worker, _ := lambdafn.Lookup(lambdafn.ReviewWorker)
	es := localrun.EventSource{Queue: q, Handler: lambdafn.Handlers(svc)[worker.LogicalID], BatchSize: 10, Wait: time.Second, QueueARN: "arn:aws:sqs:us-east-1:000000000000:review", Log: log}
	u := users.New(users.Deps{Store: store, Clock: clock, IDs: kyc.RandomIDs{}, Log: log, TokenTTL: svc.TokenTTL})

	// step runs f with a fresh meter on the API's requests (and on ctx) and records it.
	step := func(name, route string, f func(ctx context.Context) (int, error)) error {
		m := newMeter()
		counter.set(m)
		status, err := f(withMeter(ctx, m))
		counter.set(nil)
		if err != nil {
			return fmt.Errorf("%s (%s): %w", name, route, err)
		}
		s := m.snapshot()
		n := 0
		for _, v := range s.Calls {
			n += v
		}
		res.Steps = append(res.Steps, callStep{Step: name, Route: idSegment.ReplaceAllString(route, "/{id}$1"), Status: status, Calls: n, PerOp: s.Calls})
		return nil
	}
	jsonStep := func(c *apiClient, name, method, path string, body any, want int) error {
		return step(name, method+" "+path, func(context.Context) (int, error) {
			_, err := c.json(method, path, body, want)
			return want, err
		})
	}
	redirectStep := func(c *apiClient, name, path string) error {
		return step(name, "GET "+path, func(context.Context) (int, error) {
			status, body, _, err := c.do(http.MethodGet, path, "", nil)
			if err == nil && status != http.StatusFound {
				err = fmt.Errorf("status %d %.200s, want 302", status, body)
			}
			return status, err
		})
	}
	workerStep := func(name string) error {
		return step(name, "review worker (SQS event, 1 message)", func(ctx context.Context) (int, error) {
			n, err := es.Poll(ctx)
			if err == nil && n != 1 {
				err = fmt.Errorf("worker handled %d messages, want 1", n)
			}
			return 0, err
		})
	}
	newUser := func(phone string) (*apiClient, error) {
		c := newAPIClient(ctx, srv.URL, outboxPath)
		return c, c.register(phone, "a fine passphrase")
	}
	const pw = "a fine passphrase"
	phoneA, phoneR, phoneC, phoneAdm := "13900000001", "13900000002", "13900000003", "13900000004"
	a := newAPIClient(ctx, srv.URL, outboxPath)
	front, back := filechecktest.JPEG(320, 200), filechecktest.PNG(320, 200)

	run := func() error {
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
		if err := step("login", "POST /v1/user/login", func(context.Context) (int, error) { return 200, a.login(phoneA, pw) }); err != nil {
			return err
		}
		var userAID string
		if err := step("me", "GET /v1/user/me", func(context.Context) (int, error) {
			e, err := a.json("GET", "/v1/user/me", nil, 200)
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
		keys := map[string]string{"ID_number": sampleResidentID()}
		for _, d := range []struct {
			slot, ct string
			data     []byte
		}{{"frontOfID", "image/jpeg", front}, {"backOfID", "image/png", back}, {"portrait", "image/jpeg", front}} {
			if err := step("upload grant "+d.slot, "POST /v1/uploads", func(context.Context) (int, error) {
				k, err := a.upload(d.slot, d.ct, d.data)
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
		acctA, stateA, err := a.accountID()
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
		if _, err := u.SetRoleByPhone(ctx, phoneR, string(kyc.RoleReviewer)); err != nil {
			return err
		}
		if err := r.login(phoneR, pw); err != nil {
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
		lic, err := c.upload("licence", "image/jpeg", front)
		if err != nil {
			return err
		}
		conf, err := c.upload("confirmation", "image/png", back)
		if err != nil {
			return err
		}
		if err := jsonStep(c, "submit company documents", "POST", "/v1/cms/account/uploadCompanyLicense",
			map[string]string{"organization": "Bench Ltd", "licence": lic, "confirmation": conf}, 200); err != nil {
			return err
		}
		if err := workerStep("worker: company submission"); err != nil {
			return err
		}
		acctC, _, err := c.accountID()
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

		// An admin changes a role.
		adm, err := newUser(phoneAdm)
		if err != nil {
			return err
		}
		if _, err := u.SetRoleByPhone(ctx, phoneAdm, string(kyc.RoleAdmin)); err != nil {
			return err
		}
		if err := adm.login(phoneAdm, pw); err != nil {
			return err
		}
		if err := jsonStep(adm, "admin sets a role", "POST", "/v1/admin/users/"+userAID+"/role", map[string]string{"role": string(kyc.RoleUser)}, 200); err != nil {
			return err
		}

		if err := jsonStep(a, "logout", "POST", "/v1/user/logout", nil, 200); err != nil {
			return err
		}
		// One code per phone per minute: the clock moves on instead of the bench waiting.
		clock.shift(2 * time.Minute)
		if err := jsonStep(a, "send reset code", "POST", "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeResetPassword}, 200); err != nil {
			return err
		}
		code, err = localsms.LastCode(outboxPath, phoneA, kyc.PurposeResetPassword)
		if err != nil {
			return err
		}
		return jsonStep(a, "reset password", "POST", "/v1/user/password/reset", map[string]string{"phone": phoneA, "code": code, "new_password": "another fine passphrase"}, 200)
	}
	progress("calls on %s: driving one request per route through httpapi", g.Name)
	if err := run(); err != nil {
		return res, err
	}
	return res, nil
}

func (c *callsResult) markdown(p func(string, ...any)) {
	if len(c.Runs) == 0 {
		return
	}
	first := c.Runs[0]
	p("## DynamoDB calls per request")
	p("")
	p("One realistic flow through `httpapi.Mux(svc)` (every route by its function's constructor) served by httptest on 127.0.0.1, with the store (`pkg/dynamo`) on %s through a client whose Initialize-step middleware counts every call by operation name (`middleware.GetOperationName`); documents on the embedded VersityGW, the in-process queue, the SMS outbox file. "+
		"Each row is one request (or one worker invocation with one SQS message); setup steps that are not rows (registering the reviewer, the company user and the admin, granting their roles) were not counted. Flag: more than %d calls.", first.Engine, maxCallsPerRoute)
	p("")
	p("| Step | Route | Status | DynamoDB calls | Per operation | > %d |", maxCallsPerRoute)
	p("|---|---|---:|---:|---|---|")
	var flagged []string
	seen := map[string]bool{}
	for _, s := range first.Steps {
		flag := ""
		if s.Calls > maxCallsPerRoute {
			flag = "**yes**"
			if !seen[s.Route] {
				seen[s.Route] = true
				flagged = append(flagged, fmt.Sprintf("`%s` (%d)", s.Route, s.Calls))
			}
		}
		status := "-"
		if s.Status != 0 {
			status = fmt.Sprint(s.Status)
		}
		p("| %s | `%s` | %s | %d | %s | %s |", s.Step, s.Route, status, s.Calls, opList(s.PerOp), flag)
	}
	p("")
	if len(flagged) == 0 {
		p("No request made more than %d DynamoDB calls.", maxCallsPerRoute)
	} else {
		p("**Above %d calls: %s.**", maxCallsPerRoute, strings.Join(flagged, "; "))
	}
	for _, r := range c.Runs[1:] {
		var diff []string
		for i, s := range r.Steps {
			if i >= len(first.Steps) || first.Steps[i].Step != s.Step {
				diff = append(diff, fmt.Sprintf("step %d is %q", i, s.Step))
				continue
			}
			if f := first.Steps[i]; opList(f.PerOp) != opList(s.PerOp) || f.Status != s.Status {
				diff = append(diff, fmt.Sprintf("%s: %s (status %d)", s.Step, opList(s.PerOp), s.Status))
			}
		}
		if len(r.Steps) != len(first.Steps) {
			diff = append(diff, fmt.Sprintf("%d steps against %d", len(r.Steps), len(first.Steps)))
		}
		p("")
		if len(diff) == 0 {
			p("The same flow on %s made exactly the same calls, step by step.", r.Engine)
		} else {
			p("The same flow on %s differed: %s.", r.Engine, strings.Join(diff, "; "))
		}
	}
}

func opList(perOp map[string]int) string {
	var ops []string
	for _, k := range slices.Sorted(maps.Keys(perOp)) {
		ops = append(ops, fmt.Sprintf("%s %d", k, perOp[k]))
	}
	return strings.Join(ops, ", ")
}

// idSegment is a path segment holding an id (kyc.RandomIDs makes 26 characters).
var idSegment = regexp.MustCompile(`/[0-9a-z]{26}(/|$)`)

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
