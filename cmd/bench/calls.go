package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/realname-kyc/realname/pkg/routeflow"
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

// runCalls runs pkg/routeflow's flow on a fresh table of g, whose client meters each
// step's calls, and the shared documents.
func runCalls(ctx context.Context, e *env, g *engine) (callsRun, error) {
	res := callsRun{Engine: g.Name}
	store, err := g.table(ctx, "bench-calls")
	if err != nil {
		return res, err
	}
	progress("calls on %s: driving one request per route through httpapi", g.Name)
	steps, err := routeflow.Run(ctx, routeflow.Config{Store: store, Docs: e.docs})
	if err != nil {
		return res, err
	}
	for _, s := range steps {
		n := 0
		for _, v := range s.Calls {
			n += v
		}
		res.Steps = append(res.Steps, callStep{Step: s.Name, Route: s.Route, Status: s.Status, Calls: n, PerOp: s.Calls})
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
	p("")
	p("The rows after the password reset reach the paths the first flow does not (`pkg/routeflow`): the reconciler finding two stranded submissions, a list's second page, a failed, a locking and a locked login, " +
		"a role change, a freeze and a password reset that end sessions; GrantRole, FreezeUser and the reconciler are their `lambdafn` handlers invoked with their event. " +
		"Their setup was not counted either: two more users and their submissions, the worker's run on them, the list's first page, the wrong logins between the first and the fifth, the reset code. " +
		"Flags among them are not on a route's success path: the wrong login that locks updates two counters, and GrantRole and FreezeUser find the user by phone before they change it.")
}

func opList(perOp map[string]int) string {
	var ops []string
	for _, k := range slices.Sorted(maps.Keys(perOp)) {
		ops = append(ops, fmt.Sprintf("%s %d", k, perOp[k]))
	}
	return strings.Join(ops, ", ")
}
