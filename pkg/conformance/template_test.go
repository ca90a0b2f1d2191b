package conformance

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/ca/kmsseal"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kmsbox"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/s3presign"
	"github.com/realname-kyc/realname/pkg/submission"
)

// tmpl is template.yaml, parsed once per test.
type tmpl struct {
	t   *testing.T
	doc map[string]any
}

func loadTemplate(t *testing.T) tmpl {
	t.Helper()
	doc := loadCFN(t, filepath.Join(root(t), "template.yaml"))
	if got := str(doc["Transform"]); got != "AWS::Serverless-2016-10-31" {
		t.Fatalf("template.yaml: Transform is %q, want AWS::Serverless-2016-10-31", got)
	}
	return tmpl{t: t, doc: doc}
}

// resources returns the logical ids of the resources of a type, sorted.
func (tp tmpl) resources(typ string) []string {
	var ids []string
	for id, r := range at(tp.doc, "Resources").(map[string]any) {
		if str(at(r, "Type")) == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// only returns the one resource of a type, failing if there is not exactly one.
func (tp tmpl) only(typ string) (string, map[string]any) {
	tp.t.Helper()
	ids := tp.resources(typ)
	if len(ids) != 1 {
		tp.t.Fatalf("template.yaml: want exactly one %s, have %v", typ, ids)
	}
	return ids[0], tp.resource(ids[0])
}

func (tp tmpl) resource(id string) map[string]any {
	r, _ := at(tp.doc, "Resources", id).(map[string]any)
	return r
}

// fnProp is a function property with SAM's Globals.Function applied.
func (tp tmpl) fnProp(id, name string) any {
	if v := at(tp.doc, "Resources", id, "Properties", name); v != nil {
		return v
	}
	return at(tp.doc, "Globals", "Function", name)
}

// fnEnv is a function's environment: Globals.Function's variables overlaid with its own.
func (tp tmpl) fnEnv(id string) map[string]any {
	env := map[string]any{}
	for _, src := range []any{at(tp.doc, "Globals", "Function", "Environment", "Variables"), at(tp.doc, "Resources", id, "Properties", "Environment", "Variables")} {
		m, _ := src.(map[string]any)
		for k, v := range m {
			env[k] = v
		}
	}
	return env
}

// workerQueue returns the logical id of the queue the SQS function reads, from its event.
func (tp tmpl) workerQueue(workerID string) string {
	tp.t.Helper()
	for _, ev := range at(tp.doc, "Resources", workerID, "Properties", "Events").(map[string]any) {
		if str(at(ev, "Type")) == "SQS" {
			q := at(ev, "Properties", "Queue")
			if id := str(at(q, "Fn::GetAtt", 0)); id != "" && str(at(q, "Fn::GetAtt", 1)) == "Arn" {
				return id
			}
			tp.t.Fatalf("%s: SQS event Queue is %v, want !GetAtt <queue>.Arn", workerID, q)
		}
	}
	tp.t.Fatalf("%s has no SQS event", workerID)
	return ""
}

func worker(t *testing.T) lambdafn.Function {
	t.Helper()
	f, ok := lambdafn.Lookup(lambdafn.ReviewWorker)
	if !ok || f.Kind != lambdafn.KindSQS {
		t.Fatalf("lambdafn has no SQS function %q", lambdafn.ReviewWorker)
	}
	return f
}

// makefileFunctions parses the Makefile's FUNCTIONS list (LogicalId:folder entries,
// backslash-continued) into logical id -> folder.
func makefileFunctions(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		fns     = map[string]string{}
		inList  bool
		found   bool
		defLine = regexp.MustCompile(`^FUNCTIONS\s*:?=\s*(.*)$`)
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !inList {
			m := defLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if found {
				t.Fatal("Makefile: FUNCTIONS is defined more than once")
			}
			found, inList, line = true, true, m[1]
		}
		cont := strings.HasSuffix(strings.TrimSpace(line), `\`)
		for _, tok := range strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), `\`)) {
			id, folder, ok := strings.Cut(tok, ":")
			if !ok || id == "" || folder == "" {
				t.Fatalf("Makefile: FUNCTIONS entry %q is not LogicalId:folder", tok)
			}
			if _, dup := fns[id]; dup {
				t.Fatalf("Makefile: FUNCTIONS lists %s twice", id)
			}
			fns[id] = folder
		}
		inList = cont
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatal("Makefile: no FUNCTIONS list")
	}
	return fns
}

// TestFunctionSetsAgree: template.yaml's functions, lambdafn.Functions(), the Makefile's
// FUNCTIONS and the functions/ folders are the same set, with the same id <-> folder
// pairing (SAM runs build-<LogicalId>, which builds ./functions/<folder>).
func TestFunctionSetsAgree(t *testing.T) {
	tp := loadTemplate(t)
	var goIDs, goNames []string
	goFolder := map[string]string{}
	for _, f := range lambdafn.Functions() {
		goIDs = append(goIDs, f.LogicalID)
		goNames = append(goNames, f.Name)
		goFolder[f.LogicalID] = f.Name
	}
	if len(goIDs) == 0 {
		t.Fatal("lambdafn.Functions() is empty")
	}
	if d := setDiff("template.yaml", tp.resources("AWS::Serverless::Function"), "lambdafn.Functions()", goIDs); d != "" {
		t.Errorf("function logical ids differ: %s", d)
	}

	mk := makefileFunctions(t)
	var mkIDs []string
	for id, folder := range mk {
		mkIDs = append(mkIDs, id)
		if want, ok := goFolder[id]; ok && folder != want {
			t.Errorf("Makefile builds %s from functions/%s, lambdafn says functions/%s", id, folder, want)
		}
	}
	if d := setDiff("Makefile FUNCTIONS", mkIDs, "lambdafn.Functions()", goIDs); d != "" {
		t.Errorf("function logical ids differ: %s", d)
	}

	entries, err := os.ReadDir(filepath.Join(root(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dirs = append(dirs, e.Name())
		if _, err := os.Stat(filepath.Join(root(t), "functions", e.Name(), "main.go")); err != nil {
			t.Errorf("functions/%s has no main.go", e.Name())
		}
	}
	if d := setDiff("functions/", dirs, "lambdafn.Functions() names", goNames); d != "" {
		t.Errorf("function folders differ: %s", d)
	}
}

// TestTemplateFunctions: every function builds with the Makefile, API functions have
// exactly their route's Api event on the one REST API, the worker has its SQS event with
// partial batch failures, a scheduled function exactly one enabled Schedule event whose
// interval is longer than its timeout (runs never overlap), and every function has
// scoped policies.
func TestTemplateFunctions(t *testing.T) {
	tp := loadTemplate(t)
	apiID, _ := tp.only("AWS::Serverless::Api")
	for name := range smsSenders {
		if _, ok := lambdafn.Lookup(name); !ok {
			t.Errorf("smsSenders names %q, which is no function folder", name)
		}
	}
	for _, f := range lambdafn.Functions() {
		t.Run(f.LogicalID, func(t *testing.T) {
			r := tp.resource(f.LogicalID)
			if r == nil {
				t.Fatalf("template.yaml has no %s", f.LogicalID)
			}
			if got := str(at(r, "Metadata", "BuildMethod")); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile (go1.x cannot pass -tags lambda.norpc or CGO_ENABLED=0)", got)
			}
			if got := str(tp.fnProp(f.LogicalID, "CodeUri")); got != "." {
				t.Errorf("CodeUri = %q, want . (the Makefile at the module root builds it)", got)
			}
			evs, _ := at(r, "Properties", "Events").(map[string]any)
			switch f.Kind {
			case lambdafn.KindAPI:
				if len(evs) != 1 {
					t.Fatalf("want exactly one event (Api), have %d", len(evs))
				}
				for name, ev := range evs {
					if typ := str(at(ev, "Type")); typ != "Api" {
						t.Fatalf("event %s is %s, want Api", name, typ)
					}
					p := at(ev, "Properties")
					if got := str(at(p, "Method")); !strings.EqualFold(got, f.Route.Method) {
						t.Errorf("event Method = %q, route table says %s", got, f.Route.Method)
					}
					if got := str(at(p, "Path")); got != f.Route.Path {
						t.Errorf("event Path = %q, route table says %s", got, f.Route.Path)
					}
					if got := at(p, "RestApiId"); !reflect.DeepEqual(got, ref(apiID)) {
						t.Errorf("event RestApiId = %v, want !Ref %s (else SAM creates an implicit API)", got, apiID)
					}
				}
				// API Gateway's integration timeout is 29 s; a longer function timeout
				// only hides a 504.
				if n, ok := num(tp.fnProp(f.LogicalID, "Timeout")); !ok || n > 29 {
					t.Errorf("Timeout = %v, want a number <= 29", tp.fnProp(f.LogicalID, "Timeout"))
				}
			case lambdafn.KindSQS:
				if len(evs) != 1 {
					t.Fatalf("want exactly one event (SQS), have %d", len(evs))
				}
				for name, ev := range evs {
					if typ := str(at(ev, "Type")); typ != "SQS" {
						t.Fatalf("event %s is %s, want SQS", name, typ)
					}
					p := at(ev, "Properties")
					if n, ok := num(at(p, "BatchSize")); !ok || n != 10 {
						t.Errorf("BatchSize = %v, want 10 (the local event source uses 10 too)", at(p, "BatchSize"))
					}
					if !slices.ContainsFunc(list(at(p, "FunctionResponseTypes")), func(v any) bool { return str(v) == "ReportBatchItemFailures" }) {
						t.Errorf("FunctionResponseTypes = %v, want ReportBatchItemFailures (the worker returns per-message failures)", at(p, "FunctionResponseTypes"))
					}
					if _, ok := num(at(p, "MaximumBatchingWindowInSeconds")); !ok {
						t.Error("MaximumBatchingWindowInSeconds is not set")
					}
				}
			case lambdafn.KindSchedule:
				if len(evs) != 1 {
					t.Fatalf("want exactly one event (Schedule), have %d", len(evs))
				}
				for name, ev := range evs {
					if typ := str(at(ev, "Type")); typ != "Schedule" {
						t.Fatalf("event %s is %s, want Schedule (an EventBridge rule)", name, typ)
					}
					p := at(ev, "Properties")
					if v := at(p, "Enabled"); v != nil && !truthy(v) {
						t.Errorf("event %s: Enabled = %v: the schedule would never run", name, v)
					}
					if at(p, "State") != nil && str(at(p, "State")) != "ENABLED" {
						t.Errorf("event %s: State = %v, want ENABLED", name, at(p, "State"))
					}
					expr := str(at(p, "Schedule"))
					every, ok := scheduleRate(expr)
					if !ok {
						t.Fatalf("event %s: Schedule = %q, want rate(<n> minute[s]|hour[s]|day[s])", name, expr)
					}
					if n, ok := num(tp.fnProp(f.LogicalID, "Timeout")); !ok || time.Duration(n)*time.Second >= every {
						t.Errorf("Timeout = %v, want a number of seconds below the schedule's %s, so that runs do not overlap", tp.fnProp(f.LogicalID, "Timeout"), every)
					}
				}
			case lambdafn.KindInvoke:
				// Invoked directly (aws lambda invoke); an event would expose it to
				// callers IAM did not pick.
				if props, _ := at(r, "Properties").(map[string]any); props != nil && props["Events"] != nil {
					t.Errorf("an invoke-only function must have no Events, has %v", props["Events"])
				}
			default:
				t.Fatalf("unknown function kind %q", f.Kind)
			}
			checkPolicies(t, tp.fnProp(f.LogicalID, "Policies"), smsSenders[f.Name])
		})
	}
}

// rateExpr is an EventBridge rate expression: rate(1 minute), rate(5 minutes), ...
var rateExpr = regexp.MustCompile(`^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$`)

// scheduleRate is the interval of a rate expression; false for anything else (cron
// expressions included: the checks above want a fixed interval).
func scheduleRate(expr string) (time.Duration, bool) {
	m := rateExpr.FindStringSubmatch(expr)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	if (n == 1) != !strings.HasSuffix(m[2], "s") {
		return 0, false // EventBridge wants "1 minute" but "5 minutes"
	}
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	return time.Duration(n) * unit, true
}

// smsSenders are the folders of the functions that text SMS codes (users.Service.SendCode
// and hosted.Service.SendCode are the callers of kyc.SMSSender.Send): only they may hold sns:Publish.
var smsSenders = map[string]bool{"sms-code": true, "verify-code": true}

// checkPolicies: a function has policies, and no inline statement allows every action or
// every resource (least privilege; SAM policy templates are scoped by their parameters).
//
// The one exception is SMS: an SNS Publish straight to a phone number has no topic or
// endpoint ARN, so IAM only grants it on Resource "*". A function that sends SMS
// (sendsSMS) must have sns:Publish, alone in a statement of its own when that statement's
// resource is "*"; no other function may have sns:Publish at all.
func checkPolicies(t *testing.T, policies any, sendsSMS bool) {
	t.Helper()
	ps := list(policies)
	if len(ps) == 0 {
		t.Error("no Policies: the function would run with SAM's default role only, or someone will add AdministratorAccess")
		return
	}
	var publishes bool
	for _, p := range ps {
		if s, ok := p.(string); ok {
			t.Errorf("managed policy %q: use a scoped policy template or statement instead", s)
			continue
		}
		for _, st := range list(at(p, "Statement")) {
			if str(at(st, "Effect")) != "Allow" {
				continue
			}
			actions := list(at(st, "Action"))
			for _, a := range actions {
				s := str(a)
				if s == "*" || strings.HasSuffix(s, ":*") {
					t.Errorf("statement allows action %q", s)
				}
				if strings.EqualFold(s, "sns:Publish") {
					publishes = true
					if !sendsSMS {
						t.Errorf("statement allows sns:Publish, but this function sends no SMS")
					}
				}
			}
			smsOnly := sendsSMS && len(actions) == 1 && strings.EqualFold(str(actions[0]), "sns:Publish")
			for _, r := range list(at(st, "Resource")) {
				if str(r) == "*" && !smsOnly {
					t.Errorf("statement allows resource * (actions %v); only a statement of sns:Publish alone, in a function that sends SMS, may", at(st, "Action"))
				}
			}
			if at(st, "NotResource") != nil || at(st, "NotAction") != nil {
				t.Errorf("statement uses NotResource or NotAction (actions %v): an Allow with them grants nearly everything", at(st, "Action"))
			}
		}
	}
	if sendsSMS && !publishes {
		t.Error("the function sends SMS codes but no statement allows sns:Publish: every send would be AccessDenied")
	}
}

// TestTemplateGlobals: the runtime settings the Makefile's build assumes.
func TestTemplateGlobals(t *testing.T) {
	tp := loadTemplate(t)
	for _, f := range lambdafn.Functions() {
		id := f.LogicalID
		if got := str(tp.fnProp(id, "Runtime")); got != "provided.al2023" {
			t.Errorf("%s: Runtime = %q, want provided.al2023", id, got)
		}
		if got := list(tp.fnProp(id, "Architectures")); len(got) != 1 || str(got[0]) != "arm64" {
			t.Errorf("%s: Architectures = %v, want [arm64] (make build-* cross-compiles for arm64)", id, got)
		}
		if got := str(tp.fnProp(id, "Handler")); got != "bootstrap" {
			t.Errorf("%s: Handler = %q, want bootstrap (the name make build-* writes)", id, got)
		}
		if got := str(tp.fnProp(id, "Tracing")); got != "Active" {
			t.Errorf("%s: Tracing = %q, want Active", id, got)
		}
		for _, p := range []string{"Timeout", "MemorySize"} {
			if _, ok := num(tp.fnProp(id, p)); !ok {
				t.Errorf("%s: %s = %v, want a number", id, p, tp.fnProp(id, p))
			}
		}
	}
	if got := str(at(tp.doc, "Globals", "Function", "Runtime")); got != "provided.al2023" {
		t.Errorf("Globals.Function.Runtime = %q, want provided.al2023", got)
	}
}

// TestTemplateAPI: one REST API with a stage, tracing, and the binary media types the
// local runner emulates (API Gateway wants / written as ~1).
func TestTemplateAPI(t *testing.T) {
	tp := loadTemplate(t)
	id, api := tp.only("AWS::Serverless::Api")
	p := at(api, "Properties")
	if at(p, "StageName") == nil {
		t.Errorf("%s: no StageName", id)
	}
	if !truthy(at(p, "TracingEnabled")) {
		t.Errorf("%s: TracingEnabled is not true", id)
	}
	var types []string
	for _, v := range list(at(p, "BinaryMediaTypes")) {
		types = append(types, strings.ReplaceAll(str(v), "~1", "/"))
	}
	if d := setDiff("template.yaml BinaryMediaTypes", types, "localrun.BinaryMediaTypes()", localrun.BinaryMediaTypes()); d != "" {
		t.Errorf("binary media types differ: %s", d)
	}
	if tp.resources("AWS::Serverless::HttpApi") != nil {
		t.Error("template.yaml has an HttpApi: the functions speak the REST (v1) proxy event")
	}
}

// localOnly reports variables that only make sense off AWS (emulator endpoints) or that
// Lambda itself sets and reserves (AWS_REGION).
func localOnly(name string) bool {
	return strings.HasSuffix(name, "_ENDPOINT") || strings.HasPrefix(name, "AWS_")
}

// TestTemplateEnvironment: every function gets every variable of app.Vars() that applies
// on AWS, nothing app does not read, no emulator endpoint, and the three resource
// variables point at this template's table, bucket and the queue the worker reads.
func TestTemplateEnvironment(t *testing.T) {
	tp := loadTemplate(t)
	known := map[string]app.Var{}
	for _, v := range app.Vars() {
		known[v.Name] = v
	}
	tableID, _ := tp.only("AWS::DynamoDB::Table")
	bucketID, _ := tp.only("AWS::S3::Bucket")
	queueID := tp.workerQueue(worker(t).LogicalID)
	wantRefs := map[string]any{
		"TABLE_NAME":       ref(tableID),
		"DOCS_BUCKET":      ref(bucketID),
		"REVIEW_QUEUE_URL": ref(queueID), // Ref of an SQS queue is its URL
	}
	for _, f := range lambdafn.Functions() {
		env := tp.fnEnv(f.LogicalID)
		for name, val := range env {
			v, ok := known[name]
			switch {
			case !ok:
				t.Errorf("%s sets %s, which app.Vars() does not list (nothing reads it)", f.LogicalID, name)
			case localOnly(v.Name):
				t.Errorf("%s sets %s, which is local-only or reserved by Lambda", f.LogicalID, name)
			case val == nil || val == "":
				t.Errorf("%s sets %s to nothing", f.LogicalID, name)
			}
		}
		for _, v := range app.Vars() {
			if localOnly(v.Name) {
				continue
			}
			if _, ok := env[v.Name]; !ok {
				what := "optional"
				if v.Required {
					what = "required"
				}
				t.Errorf("%s does not set %s (%s: %s)", f.LogicalID, v.Name, what, v.Meaning)
			}
		}
		for name, want := range wantRefs {
			if got := env[name]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %v, want %v", f.LogicalID, name, got, want)
			}
		}
	}
}

// TestTemplateTable: the table is exactly dynamo.TableDefinition (keys, attributes,
// indexes, billing) plus TTL on dynamo.TTLAttribute, PITR, deletion protection and SSE.
func TestTemplateTable(t *testing.T) {
	tp := loadTemplate(t)
	id, table := tp.only("AWS::DynamoDB::Table")
	p := at(table, "Properties")
	def := dynamo.TableDefinition("x")

	if got := str(at(p, "BillingMode")); got != string(def.BillingMode) {
		t.Errorf("%s: BillingMode = %q, want %q", id, got, def.BillingMode)
	}
	var gotAttrs, wantAttrs []string
	for _, a := range list(at(p, "AttributeDefinitions")) {
		gotAttrs = append(gotAttrs, str(at(a, "AttributeName"))+":"+str(at(a, "AttributeType")))
	}
	for _, a := range def.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	if d := setDiff("template.yaml", gotAttrs, "dynamo.TableDefinition", wantAttrs); d != "" {
		t.Errorf("%s: AttributeDefinitions differ: %s", id, d)
	}
	keySchema := func(v any) []string {
		var ks []string
		for _, k := range list(v) {
			ks = append(ks, str(at(k, "AttributeName"))+":"+str(at(k, "KeyType")))
		}
		return ks
	}
	var wantKeys []string
	for _, k := range def.KeySchema {
		wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	if got := keySchema(at(p, "KeySchema")); !slices.Equal(got, wantKeys) {
		t.Errorf("%s: KeySchema = %v, want %v", id, got, wantKeys)
	}
	gotGSI := map[string]string{}
	for _, g := range list(at(p, "GlobalSecondaryIndexes")) {
		gotGSI[str(at(g, "IndexName"))] = fmt.Sprint(keySchema(at(g, "KeySchema")), " ", str(at(g, "Projection", "ProjectionType")), " ", list(at(g, "Projection", "NonKeyAttributes")))
	}
	wantGSI := map[string]string{}
	for _, g := range def.GlobalSecondaryIndexes {
		var ks []string
		for _, k := range g.KeySchema {
			ks = append(ks, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		var nonKey []any
		for _, a := range g.Projection.NonKeyAttributes {
			nonKey = append(nonKey, a)
		}
		wantGSI[aws.ToString(g.IndexName)] = fmt.Sprint(ks, " ", string(g.Projection.ProjectionType), " ", nonKey)
	}
	if !reflect.DeepEqual(gotGSI, wantGSI) {
		t.Errorf("%s: GlobalSecondaryIndexes = %v, want %v", id, gotGSI, wantGSI)
	}
	if len(def.LocalSecondaryIndexes) != len(list(at(p, "LocalSecondaryIndexes"))) {
		t.Errorf("%s: LocalSecondaryIndexes differ from dynamo.TableDefinition", id)
	}
	if got := str(at(p, "TimeToLiveSpecification", "AttributeName")); got != dynamo.TTLAttribute || !truthy(at(p, "TimeToLiveSpecification", "Enabled")) {
		t.Errorf("%s: TTL on %q (enabled %v), want enabled on %q", id, got, at(p, "TimeToLiveSpecification", "Enabled"), dynamo.TTLAttribute)
	}
	if !truthy(at(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")) {
		t.Errorf("%s: point-in-time recovery is not enabled", id)
	}
	if !truthy(at(p, "DeletionProtectionEnabled")) {
		t.Errorf("%s: DeletionProtectionEnabled is not true", id)
	}
	if !truthy(at(p, "SSESpecification", "SSEEnabled")) {
		t.Errorf("%s: SSESpecification.SSEEnabled is not true", id)
	}
	if got := str(at(table, "DeletionPolicy")); got != "Retain" {
		t.Errorf("%s: DeletionPolicy = %q, want Retain (deleting the stack must not delete KYC records)", id, got)
	}
}

// TestTemplateBucket: the documents bucket is private, KMS-encrypted with a rotating key,
// TLS-only, CORS-limited, and drops abandoned uploads.
func TestTemplateBucket(t *testing.T) {
	tp := loadTemplate(t)
	id, bucket := tp.only("AWS::S3::Bucket")
	p := at(bucket, "Properties")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if !truthy(at(p, "PublicAccessBlockConfiguration", k)) {
			t.Errorf("%s: PublicAccessBlockConfiguration.%s is not true", id, k)
		}
	}
	if got := str(at(p, "OwnershipControls", "Rules", 0, "ObjectOwnership")); got != "BucketOwnerEnforced" || len(list(at(p, "OwnershipControls", "Rules"))) != 1 {
		t.Errorf("%s: ObjectOwnership = %q, want the one rule BucketOwnerEnforced (no ACLs)", id, got)
	}
	enc := list(at(p, "BucketEncryption", "ServerSideEncryptionConfiguration"))
	if len(enc) != 1 {
		t.Fatalf("%s: want one ServerSideEncryptionConfiguration rule, have %d", id, len(enc))
	}
	if got := str(at(enc[0], "ServerSideEncryptionByDefault", "SSEAlgorithm")); got != "aws:kms" {
		t.Errorf("%s: SSEAlgorithm = %q, want aws:kms", id, got)
	}
	if !truthy(at(enc[0], "BucketKeyEnabled")) {
		t.Errorf("%s: BucketKeyEnabled is not true", id)
	}
	keyRef := at(enc[0], "ServerSideEncryptionByDefault", "KMSMasterKeyID")
	keyID := str(at(keyRef, "Fn::GetAtt", 0))
	if keyID == "" {
		keyID = str(at(keyRef, "Ref"))
	}
	if str(at(tp.resource(keyID), "Type")) != "AWS::KMS::Key" {
		t.Errorf("%s: KMSMasterKeyID = %v, want a reference to this template's AWS::KMS::Key", id, keyRef)
	} else if !truthy(at(tp.resource(keyID), "Properties", "EnableKeyRotation")) {
		t.Errorf("%s: EnableKeyRotation is not true", keyID)
	}

	rules := list(at(p, "CorsConfiguration", "CorsRules"))
	if len(rules) == 0 {
		t.Errorf("%s: no CORS rule: browsers could not use the presigned URLs", id)
	}
	for _, r := range rules {
		for _, m := range list(at(r, "AllowedMethods")) {
			if s := str(m); s != "PUT" && s != "GET" {
				t.Errorf("%s: CORS allows %s; only PUT and GET are used", id, s)
			}
		}
		for _, o := range list(at(r, "AllowedOrigins")) {
			param := str(at(o, "Ref"))
			if at(tp.doc, "Parameters", param) == nil {
				t.Errorf("%s: CORS origin %v is not a template parameter (want !Ref AllowedOrigin)", id, o)
				continue
			}
			checkOriginParam(t, tp, param)
		}
		for _, h := range list(at(r, "AllowedHeaders")) {
			if str(h) == "*" {
				t.Errorf("%s: CORS allows every request header; name the ones presigned requests send", id)
			}
		}
		checkCORSHeaders(t, id, r)
	}

	var expiresUploads, abortsMultipart bool
	for _, r := range list(at(p, "LifecycleConfiguration", "Rules")) {
		if str(at(r, "Status")) != "Enabled" {
			continue
		}
		prefix := str(at(r, "Prefix"))
		if prefix == "" {
			prefix = str(at(r, "Filter", "Prefix"))
		}
		if n, ok := num(at(r, "ExpirationInDays")); ok && n == 1 && prefix == "uploads/" {
			expiresUploads = true
		}
		if at(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation") != nil {
			abortsMultipart = true
		}
	}
	if !expiresUploads {
		t.Errorf("%s: no enabled lifecycle rule expires uploads/ after 1 day", id)
	}
	if !abortsMultipart {
		t.Errorf("%s: no enabled lifecycle rule aborts incomplete multipart uploads", id)
	}
	if got := str(at(bucket, "DeletionPolicy")); got != "Retain" {
		t.Errorf("%s: DeletionPolicy = %q, want Retain", id, got)
	}

	// TLS only: a bucket policy of this bucket denies every request without TLS.
	var tlsOnly bool
	for _, pid := range tp.resources("AWS::S3::BucketPolicy") {
		bp := at(tp.resource(pid), "Properties")
		if !reflect.DeepEqual(at(bp, "Bucket"), ref(id)) {
			continue
		}
		for _, st := range list(at(bp, "PolicyDocument", "Statement")) {
			cond := at(st, "Condition", "Bool", "aws:SecureTransport")
			if str(at(st, "Effect")) == "Deny" && str(at(st, "Principal")) == "*" &&
				slices.ContainsFunc(list(at(st, "Action")), func(a any) bool { return str(a) == "s3:*" }) &&
				strings.EqualFold(str(cond), "false") &&
				slices.ContainsFunc(list(at(st, "Resource")), func(r any) bool { return reflect.DeepEqual(r, getAtt(id, "Arn")) }) &&
				len(list(at(st, "Resource"))) == 2 {
				tlsOnly = true
			}
		}
	}
	if !tlsOnly {
		t.Errorf("%s: no bucket policy denies s3:* on the bucket and its objects when aws:SecureTransport is false", id)
	}
}

// checkOriginParam: the parameter that holds the bucket's CORS origin admits one origin
// and no wildcard, by an AllowedPattern CloudFormation enforces, and its default and the
// value each samconfig.toml environment deploys with pass that pattern (CORS limited:
// a "*" would let any web page read the documents with a leaked presigned URL).
func checkOriginParam(t *testing.T, tp tmpl, param string) {
	t.Helper()
	pattern := str(at(tp.doc, "Parameters", param, "AllowedPattern"))
	if pattern == "" {
		t.Errorf("parameter %s (a CORS origin) has no AllowedPattern: any value, \"*\" included, would deploy", param)
		return
	}
	// CloudFormation matches the whole value against the pattern.
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		t.Errorf("parameter %s: AllowedPattern %q: %v", param, pattern, err)
		return
	}
	for _, bad := range []string{"*", "https://*", "https://*.example.com", "http://localhost:5173 https://kyc.example.com", "https://kyc.example.com,https://evil.example", "null", ""} {
		if re.MatchString(bad) {
			t.Errorf("parameter %s: AllowedPattern %q admits %q, which is not one origin", param, pattern, bad)
		}
	}
	values := map[string]string{"Default": str(at(tp.doc, "Parameters", param, "Default"))}
	cfg := parseSamconfig(t, filepath.Join(root(t), "samconfig.toml"))
	for _, env := range []string{"default", "prod"} {
		for _, section := range []string{env + ".global.parameters", env + ".deploy.parameters"} {
			for _, kv := range strings.Fields(cfg[section]["parameter_overrides"]) {
				if k, v, _ := strings.Cut(kv, "="); k == param {
					values["samconfig.toml ["+section+"]"] = strings.Trim(v, `"'`)
				}
			}
		}
	}
	for where, v := range values {
		if !re.MatchString(v) {
			t.Errorf("parameter %s: %s %q does not match its AllowedPattern %q", param, where, v, pattern)
		}
	}
}

// TestTemplateQueues: the worker's queue hides a message long enough for a whole batch
// to finish (>= 6x the worker timeout plus the batching window, AWS's advice), and sends
// it to a 14-day dead-letter queue after 5 receives.
func TestTemplateQueues(t *testing.T) {
	tp := loadTemplate(t)
	w := worker(t)
	qid := tp.workerQueue(w.LogicalID)
	q := at(tp.resource(qid), "Properties")
	if str(at(tp.resource(qid), "Type")) != "AWS::SQS::Queue" {
		t.Fatalf("%s is not an AWS::SQS::Queue", qid)
	}
	timeout, ok := num(tp.fnProp(w.LogicalID, "Timeout"))
	if !ok {
		t.Fatalf("%s has no Timeout", w.LogicalID)
	}
	var window int
	for _, ev := range at(tp.resource(w.LogicalID), "Properties", "Events").(map[string]any) {
		window, _ = num(at(ev, "Properties", "MaximumBatchingWindowInSeconds"))
	}
	vis, ok := num(at(q, "VisibilityTimeout"))
	if !ok || vis < 6*timeout+window {
		t.Errorf("%s: VisibilityTimeout = %v, want >= 6 x %d (worker Timeout) + %d (batching window) = %d", qid, at(q, "VisibilityTimeout"), timeout, window, 6*timeout+window)
	}
	if n, ok := num(at(q, "RedrivePolicy", "maxReceiveCount")); !ok || n != 5 {
		t.Errorf("%s: RedrivePolicy.maxReceiveCount = %v, want 5", qid, at(q, "RedrivePolicy", "maxReceiveCount"))
	}
	dlqID := str(at(q, "RedrivePolicy", "deadLetterTargetArn", "Fn::GetAtt", 0))
	if dlqID == "" || dlqID == qid || str(at(tp.resource(dlqID), "Type")) != "AWS::SQS::Queue" || str(at(q, "RedrivePolicy", "deadLetterTargetArn", "Fn::GetAtt", 1)) != "Arn" {
		t.Fatalf("%s: deadLetterTargetArn = %v, want !GetAtt <another queue>.Arn", qid, at(q, "RedrivePolicy", "deadLetterTargetArn"))
	}
	dlq := at(tp.resource(dlqID), "Properties")
	if n, ok := num(at(dlq, "MessageRetentionPeriod")); !ok || n != 14*24*3600 {
		t.Errorf("%s: MessageRetentionPeriod = %v, want %d (14 days)", dlqID, at(dlq, "MessageRetentionPeriod"), 14*24*3600)
	}
	for id, props := range map[string]any{qid: q, dlqID: dlq} {
		if !truthy(at(props, "SqsManagedSseEnabled")) && at(props, "KmsMasterKeyId") == nil {
			t.Errorf("%s: not encrypted at rest (SqsManagedSseEnabled or KmsMasterKeyId)", id)
		}
	}
}

// TestTemplateOutputs: what operators and smoke tests read from the stack.
func TestTemplateOutputs(t *testing.T) {
	tp := loadTemplate(t)
	for _, name := range []string{"ApiUrl", "TableName", "BucketName", "QueueUrl", "DeadLetterQueueUrl"} {
		if at(tp.doc, "Outputs", name, "Value") == nil {
			t.Errorf("template.yaml has no output %s", name)
		}
	}
}

// TestSamconfig: both environments deploy with IAM capability, and every parameter they
// override exists in template.yaml with an allowed value (sam deploy would fail at the
// CloudFormation step otherwise, long after the build).
func TestSamconfig(t *testing.T) {
	tp := loadTemplate(t)
	cfg := parseSamconfig(t, filepath.Join(root(t), "samconfig.toml"))
	for _, env := range []string{"default", "prod"} {
		glob := cfg[env+".global.parameters"]
		dep := cfg[env+".deploy.parameters"]
		get := func(k string) string {
			if v, ok := dep[k]; ok {
				return v
			}
			return glob[k]
		}
		if get("stack_name") == "" || get("region") == "" {
			t.Errorf("samconfig.toml [%s]: stack_name and region must be set", env)
		}
		if !strings.Contains(get("capabilities"), "CAPABILITY_IAM") {
			t.Errorf("samconfig.toml [%s]: capabilities = %q, want CAPABILITY_IAM", env, get("capabilities"))
		}
		if get("resolve_s3") != "true" {
			t.Errorf("samconfig.toml [%s]: resolve_s3 is not true", env)
		}
		if get("confirm_changeset") == "" {
			t.Errorf("samconfig.toml [%s]: confirm_changeset is not set", env)
		}
		overrides := get("parameter_overrides")
		if overrides == "" {
			t.Errorf("samconfig.toml [%s]: no parameter_overrides", env)
		}
		for _, kv := range strings.Fields(overrides) {
			k, v, _ := strings.Cut(kv, "=")
			param := at(tp.doc, "Parameters", k)
			if param == nil {
				t.Errorf("samconfig.toml [%s]: parameter %s is not in template.yaml", env, k)
				continue
			}
			if allowed := list(at(param, "AllowedValues")); allowed != nil && !slices.ContainsFunc(allowed, func(a any) bool { return str(a) == strings.Trim(v, `"'`) }) {
				t.Errorf("samconfig.toml [%s]: %s=%s is not one of %v", env, k, v, allowed)
			}
		}
	}
	if got := cfg["prod.deploy.parameters"]["parameter_overrides"]; !strings.Contains(got, "Stage=prod") {
		t.Errorf("samconfig.toml [prod]: parameter_overrides %q does not set Stage=prod", got)
	}
}

// parseSamconfig reads the flat subset of TOML samconfig.toml uses: [dotted.tables] and
// key = "string" | true | false | number lines. Anything else fails the test, so the
// parser cannot silently skip a setting.
func parseSamconfig(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	section := ""
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("samconfig.toml:%d: cannot parse %q", i+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if strings.HasPrefix(v, `"`) {
			if len(v) < 2 || !strings.HasSuffix(v, `"`) {
				t.Fatalf("samconfig.toml:%d: unterminated string", i+1)
			}
			v = v[1 : len(v)-1]
		}
		if section == "" {
			if k != "version" {
				t.Fatalf("samconfig.toml:%d: %s outside a table", i+1, k)
			}
			continue
		}
		out[section][k] = v
	}
	return out
}

// wantGrants is every function's IAM policy as "action resource" pairs, a resource
// written as the logical id of this template's resource plus any ARN suffix
// ("DocsBucket/uploads/*" is !Sub "${DocsBucket.Arn}/uploads/*"). It is the reviewed list
// of the AWS calls each handler makes (template.yaml's comments say which call needs
// what): a function that starts calling something new fails here until this list and
// the template change together, and so does a grant nobody needs.
var wantGrants = map[string][]string{
	"HealthFunction":        {"dynamodb:GetItem Table"},
	"SendSMSCodeFunction":   {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "sns:Publish *"},
	"RegisterFunction":      {"dynamodb:PutItem Table", "dynamodb:UpdateItem Table"},
	"LoginFunction":         {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table"},
	"LogoutFunction":        {"dynamodb:GetItem Table", "dynamodb:DeleteItem Table"},
	"ResetPasswordFunction": {"dynamodb:GetItem Table", "dynamodb:UpdateItem Table", "dynamodb:Query Table", "dynamodb:DeleteItem Table", "dynamodb:BatchWriteItem Table"},
	// The profile presigns a GET of the avatar.
	"MeFunction":          {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "s3:GetObject DocsBucket/accounts/*/portrait/*", "kms:Decrypt DocsKey"},
	"SetUserRoleFunction": userChangeGrants,
	"GrantRoleFunction":   operatorGrants,
	"FreezeUserFunction":  operatorGrants,
	// BeginCheck (an Update of the account that reads it); CheckInputs (a BatchGetItem of
	// the identity claim and the profile); Transition out of SUBMITTED (Puts, and an
	// Update of the pending counter); HEAD and GET of the submitted documents, which
	// decrypts them, and the PUT (encrypted) of a document written back without its metadata.
	"ReviewWorkerFunction": {"dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table",
		"s3:GetObject DocsBucket/accounts/*", "s3:PutObject DocsBucket/accounts/*", "s3:ListBucket DocsBucket",
		"kms:GenerateDataKey DocsKey", "kms:Decrypt DocsKey"},
	// ListSubmittedBefore (a Query of its index) and one SendMessage per stranded account.
	// With the webhook sweep: the outbox and overdue deliveries (same index), one
	// SendMessage each to the webhook queue.
	"ReconcilerFunction": {"dynamodb:Query Table/index/" + dynamo.GSISubmitted, "sqs:SendMessage ReviewQueue", "sqs:SendMessage WebhookQueue"},
	// ListEndpoints (the pending index), FanOut (a transaction of a Delete and Puts),
	// GetDeliveryAndEndpoint (TransactGetItems), RecordAttempt (Puts); secrets opened
	// with the webhook key; deliveries and retries queued.
	"WebhookWorkerFunction": {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:DeleteItem Table",
		"dynamodb:Query Table/index/" + dynamo.GSIPending, "kms:Decrypt WebhookKey", "sqs:SendMessage WebhookQueue"},
	// ListSealsWanted (Query), GetAccount (GetItem), the transaction adding the seal
	// (Puts, the request's Delete), DropSealWanted (DeleteItem); the seal's PUT (and its
	// DELETE if not added), encrypted.
	"SealFunction": {"dynamodb:Query Table", "dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:DeleteItem Table",
		"s3:PutObject DocsBucket/accounts/*/signImg/*", "s3:DeleteObject DocsBucket/accounts/*/signImg/*", "kms:GenerateDataKey DocsKey"},

	// The reviewer routes: a page of the pending index and the counter (GetItem), and the
	// page's audit record under the reviewer (PutItem); the detail (GetItems, the audited read's PutItem, the trail's Query of the table); the
	// decisions (GetItems, then a Transition from PENDING_REVIEW: Puts of the account,
	// its audit record and, on approval, the identity claim, and an Update of the
	// counter; never a Delete, which only a Transition out of APPROVED makes).
	// The reviewer's reads know their caller from the token and check the session in the
	// audit record's write (ConditionCheckItem), reading no session (GetItem).
	"GetUnAuthoredCompanyAccountFunction":  {"dynamodb:ConditionCheckItem Table", "dynamodb:PutItem Table", "dynamodb:Query Table/index/" + dynamo.GSIPending},
	"GetUnAuthoredPersonalAccountFunction": {"dynamodb:ConditionCheckItem Table", "dynamodb:PutItem Table", "dynamodb:Query Table/index/" + dynamo.GSIPending},
	"GetAccountDetailFunction":             {"dynamodb:ConditionCheckItem Table", "dynamodb:PutItem Table", "dynamodb:Query Table"},
	// The decisions read the account with its enterprise change (BatchGetItem); approving
	// a change releases the personal identity's claim (DeleteItem).
	"AuthorizeAccountFunction": {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "dynamodb:DeleteItem Table", "s3:ListBucket DocsBucket",
		"s3:DeleteObject DocsBucket/accounts/*/frontOfID/*", "s3:DeleteObject DocsBucket/accounts/*/backOfID/*",
		"s3:DeleteObject DocsBucket/accounts/*/licence/*", "s3:DeleteObject DocsBucket/accounts/*/confirmation/*", "sqs:SendMessage WebhookQueue"},
	"RejectAccountFunction": {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "sqs:SendMessage WebhookQueue"},
	// Webhooks (issue 13). The decisions above queue their event (sqs:SendMessage). The
	// endpoints are listed on the pending index's WEBHOOKS partition; secrets are sealed
	// with the webhook key (kms:Encrypt, its purpose in the encryption context).
	"CreateWebhookFunction":         {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:Query Table/index/" + dynamo.GSIPending, "kms:Encrypt WebhookKey"},
	"ListWebhooksFunction":          {"dynamodb:GetItem Table", "dynamodb:Query Table/index/" + dynamo.GSIPending},
	"DeleteWebhookFunction":         {"dynamodb:GetItem Table", "dynamodb:DeleteItem Table"},
	"CreateAppFunction":             {"dynamodb:GetItem Table", "dynamodb:PutItem Table"},
	"RevokeAppFunction":             {"dynamodb:GetItem Table", "dynamodb:UpdateItem Table", "dynamodb:DeleteItem Table", "dynamodb:Query Table", "dynamodb:BatchWriteItem Table"},
	"IssueTokenFunction":            {"dynamodb:GetItem Table", "dynamodb:UpdateItem Table", "dynamodb:PutItem Table"},
	"CreatePersonFunction":          {"dynamodb:GetItem Table", "dynamodb:UpdateItem Table", "dynamodb:PutItem Table"},
	"GetIntegratorAccountFunction":  {"dynamodb:GetItem Table", "dynamodb:Query Table"},
	"RotateWebhookFunction":         {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "kms:Encrypt WebhookKey"},
	"ListWebhookDeliveriesFunction": {"dynamodb:GetItem Table", "dynamodb:Query Table"},
	"ReplayWebhookDeliveryFunction": {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "sqs:SendMessage WebhookQueue"},

	// Presigns a PUT (authorized, when used, as this role's PutObject and the KMS call
	// that encrypts it) and records the upload with the count of the user's grants (a
	// transaction of the counter's Update and the record's Put).
	"CreateUploadFunction": {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "s3:PutObject DocsBucket/uploads/*", "kms:GenerateDataKey DocsKey"},
	// HEAD + copy of the upload, delete of the old avatar, presigned GET of the new one.
	"SetPortraitFunction": {"dynamodb:GetItem Table", "dynamodb:UpdateItem Table",
		"s3:GetObject DocsBucket/uploads/*/portrait/*", "s3:GetObject DocsBucket/accounts/*/portrait/*",
		"s3:PutObject DocsBucket/accounts/*/portrait/*", "s3:DeleteObject DocsBucket/accounts/*/portrait/*",
		"s3:ListBucket DocsBucket", "kms:GenerateDataKey DocsKey", "kms:Decrypt DocsKey"},
	"GetAccountFunction":               {"dynamodb:GetItem Table"},
	"DownloadConfirmationFileFunction": {"dynamodb:GetItem Table", "s3:GetObject DocsBucket/" + submission.ConfirmationKey, "kms:Decrypt DocsKey"},
	// Transition is a transaction of Puts; HEAD + copy of uploads or Put of the files,
	// Delete on failure; the review queue.
	"UploadCompanyLicenseFunction":  submissionGrants("licence", "confirmation"),
	"UploadPersonalLicenceFunction": submissionGrants("frontOfID", "backOfID"),
	// Presigned GETs; a reviewer's download is audited (PutItem).
	"DownAuthLicenceFunction":       downloadGrants("licence"),
	"DownAuthConfirmationFunction":  downloadGrants("confirmation"),
	"DownloadAuthFrontOfIDFunction": downloadGrants("frontOfID"),
	"DownloadAuthBackOfIDFunction":  downloadGrants("backOfID"),
	// The account, its change and the uploads (BatchGetItem); the change's transaction (a
	// ConditionCheck of the account, the change's Put); HEAD + copy of the uploads,
	// Delete of the copies of a refused change. No queue: the change waits for a reviewer.
	"EnterpriseChangeFunction": changeGrants("licence", "certificateBackImg", "legalIdentityFrontImg", "legalIdentityBackImg"),
	// The company form: a submission of every document slot it has; the read of the
	// account with its profile versions is one Query.
	"ApplyOrganizationFunction":         submissionGrants("licence", "organizationCodeImg", "taxCertificateImg", "signApplication", "signImg", "legalIdentityFrontImg", "legalIdentityBackImg"),
	"CreateOrganizationAccountFunction": submissionGrants("licence", "organizationCodeImg", "taxCertificateImg", "signApplication", "signImg", "legalIdentityFrontImg", "legalIdentityBackImg"),
	// GetAccount, and the presigned GET of the seal.
	"GetOrganizationSealFunction": {"dynamodb:GetItem Table", "s3:GetObject DocsBucket/accounts/*/signImg/*", "kms:Decrypt DocsKey"},
	// As the application, and the modification reads each adopted copy in full to check it;
	// a legal change revokes the live certificate in its transaction (Update, Delete or
	// ConditionCheck), without a CA key.
	"ReapplyOrganizationFunction": append(submissionGrants("licence", "organizationCodeImg", "taxCertificateImg", "signApplication", "signImg", "legalIdentityFrontImg", "legalIdentityBackImg"),
		"s3:GetObject DocsBucket/accounts/*/licence/*", "s3:GetObject DocsBucket/accounts/*/organizationCodeImg/*", "s3:GetObject DocsBucket/accounts/*/taxCertificateImg/*",
		"s3:GetObject DocsBucket/accounts/*/signApplication/*", "s3:GetObject DocsBucket/accounts/*/signImg/*",
		"s3:GetObject DocsBucket/accounts/*/legalIdentityFrontImg/*", "s3:GetObject DocsBucket/accounts/*/legalIdentityBackImg/*",
		"dynamodb:UpdateItem Table", "dynamodb:DeleteItem Table", "dynamodb:ConditionCheckItem Table"),
	"GetOrganizationFunction": {"dynamodb:GetItem Table", "dynamodb:Query Table"},
	// Identity factors (issue 14): the check reserves against the daily limit on the
	// session's condition, records the factor (and, with VERIFY_POLICY=factors, the
	// approval after a GetItem of the account) and gives reservations back; the view is
	// the session and one Query of the account's partition.
	"VerifyIdentityFunction":  {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "dynamodb:ConditionCheckItem Table"},
	"GetVerificationFunction": {"dynamodb:GetItem Table", "dynamodb:Query Table"},
	// Qualification certificates (issue 14). The submission reads the account, the upload
	// record and the current certificate (BatchGetItem) and writes the certificate, its
	// copy, the audit record (Puts), the day's counter and the queue's count (Updates) in
	// one transaction; HEAD + copy of the upload, a GET of the copy to check it in full,
	// its DELETE when refused.
	"SubmitQualificationFunction": {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table",
		"s3:GetObject DocsBucket/uploads/*/qualification/*", "s3:GetObject DocsBucket/accounts/*/qualification/*",
		"s3:PutObject DocsBucket/accounts/*/qualification/*", "s3:DeleteObject DocsBucket/accounts/*/qualification/*",
		"s3:ListBucket DocsBucket", "kms:GenerateDataKey DocsKey", "kms:Decrypt DocsKey"},
	"GetQualificationFunction": {"dynamodb:GetItem Table"},
	// As the account lists: the page of the pending index, the audited read's
	// ConditionCheck and Put; presigned GETs of the pictures.
	"ListPendingQualificationsFunction": {"dynamodb:ConditionCheckItem Table", "dynamodb:PutItem Table", "dynamodb:Query Table/index/" + dynamo.GSIPending,
		"s3:GetObject DocsBucket/accounts/*/qualification/*", "kms:Decrypt DocsKey"},
	// The certificate (GetItem), then the decision's transaction: Puts of the certificate,
	// its copy and the audit record, an Update of the queue's count.
	"ApproveQualificationFunction": {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table"},
	"RejectQualificationFunction":  {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table"},
	// Hosted three-factor verification (issue 14).
	"StartHostedVerificationFunction":   {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "dynamodb:ConditionCheckItem Table"},
	"GetHostedVerificationFunction":     {"dynamodb:GetItem Table"},
	"HostedVerificationPageFunction":    {"dynamodb:GetItem Table"},
	"HostedVerificationCodeFunction":    {"dynamodb:UpdateItem Table", "sns:Publish *"},
	"HostedVerificationConfirmFunction": {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "sqs:SendMessage WebhookQueue"},
	// Certificates (issue 15): the functions with the CA load (and the first time create)
	// the CA certificate at start-up and sign with the CA key; only the apply seals keys.
	"ApplyCertificateFunction": {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:ConditionCheckItem Table",
		"kms:GetPublicKey CAKey", "kms:Sign CAKey", "kms:GenerateDataKey CertKeysKey"},
	"GetCertificateFunction": {"dynamodb:GetItem Table"},
	"RevokeCertificateFunction": {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table",
		"dynamodb:UpdateItem Table", "dynamodb:DeleteItem Table", "kms:GetPublicKey CAKey", "kms:Sign CAKey"},
	"GetCACertificateFunction": {"dynamodb:GetItem Table"},
	"GetCRLFunction":           {"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "kms:GetPublicKey CAKey", "kms:Sign CAKey"},
	// Bank verification: the start's refused payout deletes the verification it wrote.
	"StartBankVerificationFunction": {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table",
		"dynamodb:UpdateItem Table", "dynamodb:DeleteItem Table"},
	"ConfirmBankVerificationFunction": {"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table",
		"dynamodb:UpdateItem Table", "sqs:SendMessage WebhookQueue"},
}

// userChangeGrants are what ChangeUser needs (a role change, a freeze): the user and its
// sessions by a Query of its partition, then one transaction that updates the user and
// deletes the sessions, with BatchWriteItem for sessions beyond one transaction.
var userChangeGrants = []string{"dynamodb:GetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "dynamodb:Query Table",
	"dynamodb:DeleteItem Table", "dynamodb:BatchWriteItem Table"}

// operatorGrants are the invoke-only functions': the user's id from the phone item (a
// BatchGetItem of one key), then ChangeUser.
var operatorGrants = []string{"dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:UpdateItem Table", "dynamodb:Query Table",
	"dynamodb:DeleteItem Table", "dynamodb:BatchWriteItem Table"}

func submissionGrants(slots ...string) []string {
	g := []string{"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "s3:ListBucket DocsBucket",
		"kms:GenerateDataKey DocsKey", "kms:Decrypt DocsKey", "sqs:SendMessage ReviewQueue", "sqs:SendMessage WebhookQueue"}
	for _, s := range slots {
		g = append(g, "s3:GetObject DocsBucket/uploads/*/"+s+"/*", "s3:PutObject DocsBucket/accounts/*/"+s+"/*", "s3:DeleteObject DocsBucket/accounts/*/"+s+"/*")
	}
	return g
}

func changeGrants(slots ...string) []string {
	g := []string{"dynamodb:GetItem Table", "dynamodb:BatchGetItem Table", "dynamodb:PutItem Table", "dynamodb:ConditionCheckItem Table",
		"dynamodb:UpdateItem Table", "s3:ListBucket DocsBucket", "kms:GenerateDataKey DocsKey", "kms:Decrypt DocsKey"}
	for _, s := range slots {
		g = append(g, "s3:GetObject DocsBucket/uploads/*/"+s+"/*", "s3:PutObject DocsBucket/accounts/*/"+s+"/*", "s3:DeleteObject DocsBucket/accounts/*/"+s+"/*")
	}
	return g
}

func downloadGrants(slot string) []string {
	return []string{"dynamodb:GetItem Table", "dynamodb:PutItem Table", "s3:GetObject DocsBucket/accounts/*/" + slot + "/*", "kms:Decrypt DocsKey"}
}

// subArn matches !Sub "${X.Arn}<suffix>".
var subArn = regexp.MustCompile(`^\$\{([A-Za-z0-9]+)\.Arn\}(/.*)?$`)

// grantResource names a statement's resource as wantGrants does.
func grantResource(v any) string {
	if id := str(at(v, "Fn::GetAtt", 0)); id != "" && str(at(v, "Fn::GetAtt", 1)) == "Arn" {
		return id
	}
	if sub := str(at(v, "Fn::Sub")); sub != "" {
		if m := subArn.FindStringSubmatch(sub); m != nil {
			return m[1] + m[2]
		}
		return "!Sub " + sub
	}
	if s := str(v); s != "" {
		return s
	}
	return fmt.Sprint(v)
}

// TestTemplatePolicies: each function's inline statements grant exactly wantGrants; the
// object prefixes they name are real (a slot of filecheck's table, the confirmation key
// of pkg/submission), and so are the table indexes (dynamo.TableDefinition's); the
// documents key is used only for requests S3 makes for the
// documents bucket (an encryption-context condition on every KMS statement); and every
// function that writes documents can encrypt them.
func TestTemplatePolicies(t *testing.T) {
	tp := loadTemplate(t)
	bucketID, _ := tp.only("AWS::S3::Bucket")
	// Four keys: the documents', the webhook secrets' (issue 13), the CA's and the one
	// sealing certificate subjects' keys (issue 15), each checked below for its own use.
	keys := slices.Sorted(slices.Values(tp.resources("AWS::KMS::Key")))
	keyID := "DocsKey"
	if !slices.Equal(keys, []string{"CAKey", "CertKeysKey", "DocsKey", "WebhookKey"}) {
		t.Fatalf("template.yaml: want the KMS keys CAKey, CertKeysKey, DocsKey and WebhookKey, have %v", keys)
	}
	checkCAKeys(t, tp)
	queueID := tp.workerQueue(worker(t).LogicalID)
	tableID, _ := tp.only("AWS::DynamoDB::Table")
	if bucketID != "DocsBucket" || keyID != "DocsKey" || queueID != "ReviewQueue" || tableID != "Table" {
		t.Fatalf("wantGrants names Table, DocsBucket, DocsKey and ReviewQueue; the template has %s, %s, %s and %s", tableID, bucketID, keyID, queueID)
	}
	slotPrefix := regexp.MustCompile(`^DocsBucket/(uploads|accounts)/\*/([^/*]+)/\*$`)
	indexes := map[string]bool{}
	for _, g := range dynamo.TableDefinition("x").GlobalSecondaryIndexes {
		indexes[aws.ToString(g.IndexName)] = true
	}
	for _, f := range lambdafn.Functions() {
		t.Run(f.LogicalID, func(t *testing.T) {
			want, ok := wantGrants[f.LogicalID]
			if !ok {
				t.Fatalf("wantGrants has no entry for %s: list what its handler calls", f.LogicalID)
			}
			var got []string
			for i, p := range list(tp.fnProp(f.LogicalID, "Policies")) {
				sts := list(at(p, "Statement"))
				if len(sts) == 0 {
					t.Errorf("policy %d is not an inline Statement (%v): a SAM policy template's grants cannot be checked here", i, p)
				}
				for _, st := range sts {
					if str(at(st, "Effect")) != "Allow" {
						continue
					}
					var kms bool
					for _, a := range list(at(st, "Action")) {
						kms = kms || strings.HasPrefix(str(a), "kms:")
						for _, r := range list(at(st, "Resource")) {
							got = append(got, str(a)+" "+grantResource(r))
						}
					}
					switch {
					case kms && slices.ContainsFunc(list(at(st, "Resource")), func(r any) bool { return grantResource(r) == "WebhookKey" }):
						checkWebhookKeyCondition(t, st)
					case kms && slices.ContainsFunc(list(at(st, "Resource")), func(r any) bool { return grantResource(r) == "CAKey" }):
						checkCAKeyStatement(t, st)
					case kms && slices.ContainsFunc(list(at(st, "Resource")), func(r any) bool { return grantResource(r) == "CertKeysKey" }):
						checkCertKeysCondition(t, st)
					case kms:
						checkKMSCondition(t, st, bucketID)
					}
				}
			}
			sort.Strings(got)
			want = slices.Sorted(slices.Values(want))
			if !slices.Equal(got, want) {
				t.Errorf("grants differ from wantGrants: %s", setDiff("template.yaml", got, "wantGrants", want))
			}
			for _, g := range got {
				action, res, _ := strings.Cut(g, " ")
				if m := slotPrefix.FindStringSubmatch(res); m != nil {
					if _, ok := filecheck.LookupSlot(m[2]); !ok {
						t.Errorf("%s on %s: %q is no slot of filecheck.Slots()", action, res, m[2])
					}
				}
				if index, ok := strings.CutPrefix(res, tableID+"/index/"); ok && !indexes[index] {
					t.Errorf("%s on %s: %q is no index of dynamo.TableDefinition", action, res, index)
				}
				if action == "s3:PutObject" && !slices.Contains(got, "kms:GenerateDataKey DocsKey") {
					t.Errorf("%s on %s, but no kms:GenerateDataKey on DocsKey: the bucket encrypts every object with it, so each write would be AccessDenied", action, res)
				}
			}
		})
	}
}

// checkCAKeyStatement: a statement on the CA key allows reading its public key and
// signing, nothing else (no Decrypt, no key management), on that key alone.
func checkCAKeyStatement(t *testing.T, st any) {
	t.Helper()
	for _, a := range list(at(st, "Action")) {
		if s := str(a); s != "kms:GetPublicKey" && s != "kms:Sign" {
			t.Errorf("CA key statement allows %s; want kms:GetPublicKey and kms:Sign only", s)
		}
	}
	if rs := list(at(st, "Resource")); len(rs) != 1 {
		t.Errorf("CA key statement names %d resources, want the CA key alone", len(rs))
	}
}

// checkCertKeysCondition: a statement on the subject-key sealing key applies only to the
// encryption context pkg/ca/kmsseal sets, and names no other key.
func checkCertKeysCondition(t *testing.T, st any) {
	t.Helper()
	if v := str(at(st, "Condition", "StringEquals", "kms:EncryptionContext:purpose")); v != kmsseal.Purpose {
		t.Errorf("certificate key statement (actions %v): condition kms:EncryptionContext:purpose is %q, want %q", at(st, "Action"), v, kmsseal.Purpose)
	}
	if rs := list(at(st, "Resource")); len(rs) != 1 {
		t.Errorf("certificate key statement names %d resources, want the sealing key alone", len(rs))
	}
}

// checkCAKeys: the CA key is an ECC_NIST_P256 signing key (what pkg/kmssigner accepts),
// the sealing key symmetric with rotation, and both are retained, since a deleted CA key
// orphans every certificate it signed and a deleted sealing key every sealed key.
func checkCAKeys(t *testing.T, tp tmpl) {
	t.Helper()
	ca, seal := tp.resource("CAKey"), tp.resource("CertKeysKey")
	if str(at(ca, "Properties", "KeySpec")) != "ECC_NIST_P256" || str(at(ca, "Properties", "KeyUsage")) != "SIGN_VERIFY" {
		t.Errorf("CAKey: KeySpec %v KeyUsage %v, want ECC_NIST_P256 SIGN_VERIFY", at(ca, "Properties", "KeySpec"), at(ca, "Properties", "KeyUsage"))
	}
	if at(seal, "Properties", "KeySpec") != nil || fmt.Sprint(at(seal, "Properties", "EnableKeyRotation")) != "true" {
		t.Errorf("CertKeysKey: want a symmetric key (no KeySpec) with EnableKeyRotation true")
	}
	for id, r := range map[string]map[string]any{"CAKey": ca, "CertKeysKey": seal} {
		if str(at(r, "DeletionPolicy")) != "Retain" || str(at(r, "UpdateReplacePolicy")) != "Retain" {
			t.Errorf("%s: DeletionPolicy and UpdateReplacePolicy must be Retain", id)
		}
	}
}

// checkWebhookKeyCondition: a statement on the webhook key applies only to the
// encryption context pkg/kmsbox sets, and names no other key.
func checkWebhookKeyCondition(t *testing.T, st any) {
	t.Helper()
	if v := str(at(st, "Condition", "StringEquals", "kms:EncryptionContext:purpose")); v != kmsbox.Purpose {
		t.Errorf("webhook key statement (actions %v): condition kms:EncryptionContext:purpose is %q, want %q", at(st, "Action"), v, kmsbox.Purpose)
	}
	if rs := list(at(st, "Resource")); len(rs) != 1 {
		t.Errorf("webhook key statement names %d resources, want the webhook key alone", len(rs))
	}
}

// checkKMSCondition: a KMS statement applies only to S3's requests for the documents
// bucket. S3 passes the bucket's ARN as the encryption context (bucket keys), or the
// object's ARN (without them); the condition allows those and nothing else.
func checkKMSCondition(t *testing.T, st any, bucketID string) {
	t.Helper()
	const key = "kms:EncryptionContext:aws:s3:arn"
	vals := list(at(st, "Condition", "StringLike", key))
	if len(vals) == 0 {
		vals = list(at(st, "Condition", "StringEquals", key))
	}
	if len(vals) == 0 {
		t.Errorf("KMS statement (actions %v) has no %s condition: it would let the role use the documents key for anything", at(st, "Action"), key)
		return
	}
	var bucket bool
	for _, v := range vals {
		switch r := grantResource(v); r {
		case bucketID:
			bucket = true
		case bucketID + "/*":
		default:
			t.Errorf("KMS statement: %s condition allows %q; want the documents bucket's ARN (and its objects')", key, r)
		}
	}
	if !bucket {
		t.Errorf("KMS statement: the %s condition does not allow the bucket's ARN, which S3 passes with bucket keys on", key)
	}
}

// checkCORSHeaders: a browser's presigned PUT sends every header of the grant, and its
// preflight asks for each one a page may not send freely; a header the rule does not
// allow fails every browser upload. Content-Length is the browser's own (a page cannot
// set it), so it is never asked for.
func checkCORSHeaders(t *testing.T, id string, rule any) {
	t.Helper()
	allowed := map[string]bool{}
	for _, h := range list(at(rule, "AllowedHeaders")) {
		allowed[strings.ToLower(str(h))] = true
	}
	p, err := s3presign.New(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")}, "kyc-docs", s3presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.PresignPut(t.Context(), "uploads/a/frontOfID/x", "image/png", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for name := range pr.Headers {
		h := strings.ToLower(name)
		if h == "content-length" || allowed[h] || strings.HasPrefix(h, "x-amz-") && allowed["x-amz-*"] {
			continue
		}
		t.Errorf("%s: CORS AllowedHeaders %v lack %s, which presigned PUTs require: browsers could not upload", id, slices.Sorted(maps.Keys(allowed)), h)
	}
}
