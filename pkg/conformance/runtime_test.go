package conformance

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

// runtimeAPI is a stand-in for the Lambda Runtime API (the 2018-06-01 interface a
// provided.al2023 bootstrap talks to): it hands out queued events on GET .../next, blocks
// further polls like Lambda does between invocations, and records what the function posts.
type runtimeAPI struct {
	srv       *httptest.Server
	fnARN     string
	events    chan invocation
	results   chan invocationResult
	initErrs  chan invocationResult
	firstPoll chan time.Time
	pollOnce  sync.Once
	stop      chan struct{}
	stopOnce  sync.Once
}

type invocation struct {
	ID      string
	Payload []byte
}

type invocationResult struct {
	ID   string // "" for init errors
	Kind string // "response", "error" or "init/error"
	Body []byte
	// ErrorType is the Lambda-Runtime-Function-Error-Type header of error posts.
	ErrorType string
}

func newRuntimeAPI(t *testing.T, fnARN string) *runtimeAPI {
	t.Helper()
	rt := &runtimeAPI{
		fnARN:     fnARN,
		events:    make(chan invocation, 16),
		results:   make(chan invocationResult, 16),
		initErrs:  make(chan invocationResult, 4),
		firstPoll: make(chan time.Time, 1),
		stop:      make(chan struct{}),
	}
	const base = "/2018-06-01/runtime/"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+"invocation/next", func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		rt.pollOnce.Do(func() { rt.firstPoll <- now })
		select {
		case inv := <-rt.events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.ID)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", rt.fnARN)
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(inv.Payload)
		case <-r.Context().Done():
		case <-rt.stop:
		}
	})
	record := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			res := invocationResult{ID: r.PathValue("id"), Kind: kind, Body: body, ErrorType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
			if kind == "init/error" {
				rt.initErrs <- res
			} else {
				rt.results <- res
			}
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"status":"OK"}`))
		}
	}
	mux.HandleFunc("POST "+base+"invocation/{id}/response", record("response"))
	mux.HandleFunc("POST "+base+"invocation/{id}/error", record("error"))
	mux.HandleFunc("POST "+base+"init/error", record("init/error"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("runtime API: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	rt.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(func() {
		rt.stopOnce.Do(func() { close(rt.stop) })
		rt.srv.Close()
	})
	return rt
}

// addr is the host:port for AWS_LAMBDA_RUNTIME_API.
func (rt *runtimeAPI) addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// hostBinaries builds every function for this machine with the Lambda build tag, once per
// test binary.
var (
	hostBinOnce sync.Once
	hostBinDir  string
	hostBinErr  error
)

func hostBinaries(t *testing.T) string {
	t.Helper()
	hostBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "realname-bin-")
		if err != nil {
			hostBinErr = err
			return
		}
		atExit(func() { _ = os.RemoveAll(dir) })
		args := []string{"build", "-tags", "lambda.norpc", "-o", dir + string(os.PathSeparator)}
		for _, f := range lambdafn.Functions() {
			args = append(args, "./functions/"+f.Name)
		}
		cmd := exec.Command(goTool(t), args...)
		cmd.Dir = root(t)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			hostBinErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("built %d function binaries for the host in %s", len(lambdafn.Functions()), time.Since(start).Round(time.Millisecond))
		hostBinDir = dir
	})
	if hostBinErr != nil {
		t.Fatal(hostBinErr)
	}
	return hostBinDir
}

// lambdaEnv is the environment Lambda gives a function, plus the app's variables pointed
// at dynoxide. S3, SQS and SNS point at a closed loopback port: these invocations
// must not need them, and if a change made them, the call fails here instead of going to
// AWS (for SNS: instead of texting a real phone).
func lambdaEnv(t *testing.T, api *runtimeAPI, f lambdafn.Function) map[string]string {
	t.Helper()
	closed, err := emulators.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "http://127.0.0.1:" + strconv.Itoa(closed)
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          api.addr(),
		"AWS_LAMBDA_FUNCTION_NAME":        f.LogicalID,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.LogicalID,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "conformance",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_ACCESS_KEY_ID":               "local",
		"AWS_SECRET_ACCESS_KEY":           "local",
		// A fresh HOME keeps the developer's ~/.aws profiles out of the function.
		"HOME":                      t.TempDir(),
		"AWS_EC2_METADATA_DISABLED": "true",
		"TABLE_NAME":                runtimeTable,
		"DOCS_BUCKET":               "realname-docs",
		"REVIEW_QUEUE_URL":          nowhere + "/000000000000/review",
		"DYNAMODB_ENDPOINT":         sharedDynamoDB(t),
		"S3_ENDPOINT":               nowhere,
		"SQS_ENDPOINT":              nowhere,
		"SNS_ENDPOINT":              nowhere,
		"KMS_ENDPOINT":              nowhere,
		"WEBHOOK_QUEUE_URL":         nowhere + "/000000000000/webhooks",
		"WEBHOOK_KMS_KEY_ID":        "alias/realname-webhooks",
		"LOG_LEVEL":                 "info",
		"APP_VERSION":               "conformance",
	}
	// An endpoint variable left unset would send that client to AWS itself.
	for _, v := range app.Vars() {
		if strings.HasSuffix(v.Name, "_ENDPOINT") && env[v.Name] == "" {
			t.Fatalf("lambdaEnv does not set %s (%s): the binaries would call AWS", v.Name, v.Meaning)
		}
	}
	return env
}

// proc is a started function binary.
type proc struct {
	cmd   *exec.Cmd
	logs  *syncBuffer // stdout and stderr: what CloudWatch would get
	start time.Time
	done  chan struct{} // closed when the process has exited
	err   error         // Wait's result, once done is closed
}

// kill stops the process (if it still runs) and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// startFunction starts a function binary the way Lambda starts bootstrap: only the given
// environment, nothing inherited.
func startFunction(t *testing.T, bin string, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// TestLambdaBinaries runs each real function binary (built for the host with
// -tags lambda.norpc) against the Runtime API stand-in and dynoxide, feeds it every
// sample event of its folder in turn (warm invocations after the first), and checks each
// response. It logs how long the binary takes from exec to its first poll: the part of a
// cold start that is ours.
func TestLambdaBinaries(t *testing.T) {
	bins := hostBinaries(t)
	sharedDynamoDB(t) // before any clock starts
	files := eventFiles(t)
	// The CA certificate is made by the first request that signs (ca.Lazy), here the CRL
	// function's first CRL: it runs first, so GET /v1/ca/cert's sample finds the CA.
	fns := lambdafn.Functions()
	slices.SortStableFunc(fns, func(a, b lambdafn.Function) int {
		return cmp.Compare(boolRank(b.Name == "ca-crl"), boolRank(a.Name == "ca-crl"))
	})
	for _, f := range fns {
		t.Run(f.LogicalID, func(t *testing.T) {
			api := newRuntimeAPI(t, "arn:aws:lambda:us-east-1:000000000000:function:"+f.LogicalID)
			sns := newFakeSNS(t)
			env := lambdaEnv(t, api, f)
			env["SNS_ENDPOINT"] = sns.srv.URL
			withFakeKMS(t, f, env)
			p := startFunction(t, filepath.Join(bins, f.Name), env)
			logs := p.logs

			select {
			case at := <-api.firstPoll:
				t.Logf("%s: exec -> first GET /runtime/invocation/next: %s", f.LogicalID, at.Sub(p.start).Round(100*time.Microsecond))
			case <-p.done:
				t.Fatalf("%s exited before polling for an event: %v\n%s", f.LogicalID, p.err, logs)
			case res := <-api.initErrs:
				t.Fatalf("%s reported an init error: %s", f.LogicalID, res.Body)
			case <-time.After(15 * time.Second):
				t.Fatalf("%s did not poll the Runtime API within 15 s\n%s", f.LogicalID, logs)
			}

			var n int
			var requestIDs []string
			var texted []smsPublish
			for _, ef := range files {
				if ef.Folder != f.Name {
					continue
				}
				n++
				fresh := freshReplay("dynamodb-local", ef.Rel)
				payload, err := os.ReadFile(ef.Path)
				if err != nil {
					t.Fatal(err)
				}
				id := fmt.Sprintf("conformance-%s-%d", f.Name, n)
				api.events <- invocation{ID: id, Payload: payload}
				select {
				case res := <-api.results:
					if res.ID != id {
						t.Fatalf("%s: result for request %q, want %q", ef.Rel, res.ID, id)
					}
					sent := sns.take()
					texted = append(texted, sent...)
					if want, ok := wantSMS[ef.Rel]; ok && fresh && len(sent) != want {
						t.Errorf("%s: the function published %d SMS to SNS, want %d", ef.Rel, len(sent), want)
					}
					if len(sent) > 0 && !smsSenders[f.Name] {
						t.Errorf("%s: the function published %d SMS, but it is not one of smsSenders", ef.Rel, len(sent))
					}
					if f.Kind == lambdafn.KindInvoke {
						// An invoke-only function reports a bad event as a function error
						// (POST .../invocation/{id}/error), which is the expected outcome
						// of some samples.
						switch res.Kind {
						case "error":
							checkFunctionError(t, ef.Rel, res.Body)
						case "response":
							checkInvokeResult(t, ef.Rel, res.Body)
						default:
							t.Fatalf("%s: the function posted an %s: %s", ef.Rel, res.Kind, res.Body)
						}
						continue
					}
					if res.Kind != "response" {
						t.Fatalf("%s: the function posted an %s (%s): %s", ef.Rel, res.Kind, res.ErrorType, res.Body)
					}
					checkRuntimeResponse(t, f, ef, payload, res.Body, fresh)
					if f.Kind == lambdafn.KindAPI {
						var ev events.APIGatewayProxyRequest
						_ = json.Unmarshal(payload, &ev)
						requestIDs = append(requestIDs, ev.RequestContext.RequestID)
					}
				case <-p.done:
					t.Fatalf("%s: the function exited: %v\n%s", ef.Rel, p.err, logs)
				case <-time.After(30 * time.Second):
					t.Fatalf("%s: no response within 30 s\n%s", ef.Rel, logs)
				}
			}
			if n == 0 {
				t.Fatalf("no sample event under events/%s/", f.Name)
			}

			// Done: stop it as Lambda freezes and eventually kills an idle sandbox.
			p.kill()
			for _, m := range texted {
				m.check(t, logs.String())
			}
			for _, id := range requestIDs {
				if !hasJSONLogWith(logs.String(), "request_id", id) {
					t.Errorf("no JSON log line carries request_id %q (API Gateway's request id)\n%s", id, logs)
				}
			}
		})
	}
}

// checkRuntimeResponse checks what a binary posted for one sample event.
func checkRuntimeResponse(t *testing.T, f lambdafn.Function, ef eventFile, payload, body []byte, fresh bool) {
	t.Helper()
	switch f.Kind {
	case lambdafn.KindAPI:
		checkAPIOutcome(t, ef.Rel, body, fresh)
		if f.Route.LogicalID == "HealthFunction" {
			var resp events.APIGatewayProxyResponse
			_ = json.Unmarshal(body, &resp)
			var env struct {
				Data struct {
					Store    string `json:"store"`
					Version  string `json:"version"`
					Backends struct {
						Store string `json:"store"`
					} `json:"backends"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &env); err != nil || env.Data.Store != "ok" {
				t.Errorf("%s: health data.store = %q (%v), want ok\n%s", ef.Rel, env.Data.Store, err, resp.Body)
			}
			if env.Data.Version != "conformance" || env.Data.Backends.Store != "dynamodb" {
				t.Errorf("%s: health reports version %q on %q, want APP_VERSION \"conformance\" on dynamodb", ef.Rel, env.Data.Version, env.Data.Backends.Store)
			}
		}
	case lambdafn.KindSQS:
		checkBatchResponse(t, ef.Rel, payload, body)
	case lambdafn.KindSchedule:
		checkScheduleSample(t, ef.Rel, payload)
		checkScheduleResult(t, ef.Rel, body)
	default:
		t.Fatalf("unknown function kind %q", f.Kind)
	}
}

// fakeSNS stands in for SNS's Publish (the Query protocol the SDK speaks), so that the
// SMS-sending binary is seen to publish, and how, without texting anyone.
type fakeSNS struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []smsPublish
}

// smsPublish is one Publish the fake received.
type smsPublish struct {
	form url.Values
}

func newFakeSNS(t *testing.T) *fakeSNS {
	t.Helper()
	f := &fakeSNS{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Action") != "Publish" {
			t.Errorf("fake SNS: unexpected %s %s (Action %q, %v)", r.Method, r.URL.Path, r.PostForm.Get("Action"), err)
			http.Error(w, "unsupported", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.got = append(f.got, smsPublish{form: r.PostForm})
		n := len(f.got)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">`+
			`<PublishResult><MessageId>conformance-%d</MessageId></PublishResult>`+
			`<ResponseMetadata><RequestId>conformance-sns-%d</RequestId></ResponseMetadata></PublishResponse>`, n, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// take returns the publishes received since the last call.
func (f *fakeSNS) take() []smsPublish {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := f.got
	f.got = nil
	return got
}

// smsCode finds the one-time code in an SMS text: six digits standing alone.
var smsCode = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)

// digitRuns are the maximal runs of digits in a text.
var digitRuns = regexp.MustCompile(`\d+`)

// check: a direct publish to a +86 phone number (no topic), as a Transactional SMS, with
// a code in the text; and neither the phone nor the code appears in the function's logs
// (CloudWatch keeps them; both are personal data, the code a credential).
func (m smsPublish) check(t *testing.T, logs string) {
	t.Helper()
	phone := m.form.Get("PhoneNumber")
	if !strings.HasPrefix(phone, "+861") || len(phone) != len("+8613800138000") {
		t.Errorf("SNS Publish to PhoneNumber %q, want +86 and an 11-digit mobile number", phone)
	}
	if m.form.Get("TopicArn") != "" || m.form.Get("TargetArn") != "" {
		t.Errorf("SNS Publish names a topic or target (%q, %q), want a direct publish to the phone", m.form.Get("TopicArn"), m.form.Get("TargetArn"))
	}
	var smsType string
	for i := 1; m.form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) != ""; i++ {
		if m.form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) == "AWS.SNS.SMS.SMSType" {
			smsType = m.form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Value.StringValue", i))
		}
	}
	if smsType != "Transactional" {
		t.Errorf("SNS Publish with AWS.SNS.SMS.SMSType %q, want Transactional (a one-time code is time-critical)", smsType)
	}
	match := smsCode.FindStringSubmatch(m.form.Get("Message"))
	if match == nil {
		t.Errorf("SNS Publish message has no 6-digit code: %q", m.form.Get("Message"))
		return
	}
	if phone != "" && strings.Contains(logs, strings.TrimPrefix(phone, "+86")) {
		t.Errorf("the function's logs contain the phone number it texted\n%s", logs)
	}
	// The code standing alone, not as part of a longer number (a timestamp, say).
	for _, run := range digitRuns.FindAllString(logs, -1) {
		if run == match[1] {
			t.Errorf("the function's logs contain the SMS code %s\n%s", match[1], logs)
			break
		}
	}
}

// hasJSONLogWith reports whether some line of logs is a JSON object with key = value.
func hasJSONLogWith(logs, key, value string) bool {
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec[key] == value {
			return true
		}
	}
	return false
}

// TestLambdaInitError: a function whose configuration is broken fails its init the way
// a managed runtime does, so the console and `sam local invoke` show why: it posts to
// /runtime/init/error naming the variable, and exits non-zero.
func TestLambdaInitError(t *testing.T) {
	bins := hostBinaries(t)
	f, ok := lambdafn.Lookup("health")
	if !ok {
		t.Fatal("no health function")
	}
	api := newRuntimeAPI(t, "arn:aws:lambda:us-east-1:000000000000:function:"+f.LogicalID)
	env := lambdaEnv(t, api, f)
	delete(env, "TABLE_NAME")
	p := startFunction(t, filepath.Join(bins, f.Name), env)
	logs := p.logs
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("health without TABLE_NAME did not exit within 15 s\n%s", logs)
	}
	var exitErr *exec.ExitError
	if p.err == nil || !errors.As(p.err, &exitErr) || exitErr.ExitCode() == 0 {
		t.Errorf("health without TABLE_NAME: exit %v, want a non-zero exit code", p.err)
	}
	select {
	case res := <-api.initErrs:
		var body struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Fatalf("init/error body is not Lambda's error JSON: %v\n%s", err, res.Body)
		}
		if !strings.Contains(body.Message, "TABLE_NAME") {
			t.Errorf("init/error message %q does not name TABLE_NAME", body.Message)
		}
		if body.Type == "" || !strings.HasPrefix(res.ErrorType, "Runtime.") {
			t.Errorf("init/error: errorType %q, Lambda-Runtime-Function-Error-Type %q; want both set", body.Type, res.ErrorType)
		}
	default:
		t.Errorf("health without TABLE_NAME exited without posting to /runtime/init/error\n%s", logs)
	}
	if !strings.Contains(logs.String(), "TABLE_NAME") {
		t.Errorf("stderr (CloudWatch) does not name TABLE_NAME:\n%s", logs)
	}
	select {
	case <-api.firstPoll:
		t.Error("health without TABLE_NAME polled for events instead of failing its init")
	default:
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
