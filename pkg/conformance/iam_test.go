package conformance

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/routeflow"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// TestGrantsCoverDynamoDBCalls: every DynamoDB call each function makes is granted by its
// wantGrants entry, which TestTemplatePolicies proves equal to its policy in
// template.yaml. The emulators do not check IAM, so a call the policy lacks would
// otherwise fail only on AWS, with AccessDenied.
//
// The calls are those of pkg/routeflow's flow (the bench's calls part): every route, the
// review worker, GrantRole, FreezeUser and the reconciler, including the less common
// paths (failed and locked logins, role changes, freezes and resets that end sessions, a
// list's second page), over pkg/dynamo on dynoxide through a client whose middleware
// records the IAM action and resource each call needs (routeflow.Actions: a
// transaction's items each need their own). Grants no step used are logged, not failed:
// they may serve paths the flow does not reach (retries, fallbacks, errors).
func TestGrantsCoverDynamoDBCalls(t *testing.T) {
	docs := sharedEmbedded(t).Docs
	client, table := testenv.Table(t, testenv.Dynoxide)
	store := dynamo.New(dynamodb.New(client.Options(), routeflow.MeterOption), table)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	steps, err := routeflow.Run(ctx, routeflow.Config{Store: store, Docs: docs})
	if err != nil {
		t.Fatalf("the flow failed after %d steps: %v", len(steps), err)
	}
	t.Logf("routeflow: %d steps in %s", len(steps), time.Since(start).Round(time.Millisecond))

	// function -> "action resource" -> the steps that needed it
	used := map[string]map[string][]string{}
	stepped := map[string]bool{}
	for _, s := range steps {
		stepped[s.Function] = true
		if used[s.Function] == nil {
			used[s.Function] = map[string][]string{}
		}
		for a := range s.Actions {
			used[s.Function][a] = append(used[s.Function][a], s.Name)
		}
	}
	known := map[string]bool{}
	for _, f := range lambdafn.Functions() {
		known[f.LogicalID] = true
	}
	for id := range stepped {
		if !known[id] {
			t.Errorf("a step is attributed to %q, which is no function of lambdafn.Functions()", id)
		}
	}

	for _, f := range lambdafn.Functions() {
		id := f.LogicalID
		if !stepped[id] {
			t.Errorf("%s: no step of pkg/routeflow's flow drives it; add one, or its calls are never checked", id)
			continue
		}
		if len(used[id]) == 0 {
			// Every function uses the store: no call at all means the meter saw nothing.
			t.Errorf("%s: its steps made no DynamoDB call the meter saw", id)
			continue
		}
		grants, ok := wantGrants[id]
		if !ok {
			t.Errorf("%s: wantGrants has no entry", id)
			continue
		}
		granted := map[string]bool{}
		for _, g := range grants {
			if strings.HasPrefix(g, "dynamodb:") {
				granted[g] = true
			}
		}
		var missing []string
		for _, a := range slices.Sorted(maps.Keys(used[id])) {
			if !granted[a] {
				missing = append(missing, "\n\t"+a+" (steps: "+strings.Join(slices.Compact(used[id][a]), "; ")+")")
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s makes DynamoDB calls its policy does not grant (AccessDenied on AWS); wantGrants and template.yaml lack:%s", id, strings.Join(missing, ""))
		}
		var unused []string
		for _, g := range slices.Sorted(maps.Keys(granted)) {
			if _, ok := used[id][g]; !ok {
				unused = append(unused, g)
			}
		}
		if len(unused) > 0 {
			t.Logf("%s: granted, never called in the flow: %s", id, strings.Join(unused, ", "))
		}
	}
}
