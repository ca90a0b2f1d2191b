package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"gopkg.in/yaml.v3"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// TestMain exists so that the backends shared by several tests (the embedded ones, which
// allow one S3 gateway per process, and dynoxide) are
// started at most once per test binary and stopped after the last test.
//
// It also fixes the module root before anything runs: the embedded S3 gateway changes the
// process's working directory (pkg/localgw), after which nothing can find go.mod by
// walking up from it. For the same reason it pins the tools folder emulators.ToolsDir
// would otherwise derive from the working directory.
func TestMain(m *testing.M) {
	dir, err := emulators.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	moduleRoot = dir
	if os.Getenv("REALNAME_TOOLS_DIR") == "" {
		tools, err := emulators.ToolsDir()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Setenv("REALNAME_TOOLS_DIR", tools)
	}
	testenv.Main(m)
}

// moduleRoot is the module root, resolved by TestMain.
var moduleRoot string

// atExit registers f to run after every test of the binary has finished.
func atExit(f func()) { testenv.AtExit(f) }

// root is the module root: every path in these tests is relative to it, whatever folder
// the process is in.
func root(t testing.TB) string {
	t.Helper()
	if moduleRoot == "" {
		t.Fatal("module root unknown: TestMain did not run")
	}
	return moduleRoot
}

// goTool is the go command that runs this test (go test puts its GOROOT/bin first on
// PATH), so builds use the same toolchain and build cache.
func goTool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	return p
}

// run runs a command in the module root and fails the test with its output if it fails.
func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = root(t)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s %s: %s", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return string(out)
}

// ---- embedded backends, shared ----

var (
	embeddedOnce sync.Once
	embedded     *localrun.Backends
	embeddedErr  error
)

// sharedEmbedded returns the local runner's embedded backends (pkg/dynamo on dynoxide, embedded
// VersityGW, in-process queue), started once per test binary: embedgw allows a single
// gateway per process.
func sharedEmbedded(t testing.TB) *app.Services {
	t.Helper()
	embeddedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "realname-conformance-")
		if err != nil {
			embeddedErr = err
			return
		}
		atExit(func() { _ = os.RemoveAll(dir) })
		// The embedded S3 gateway runs until its context ends, so the context lives as
		// long as the test binary, not just the start (a start-only context would stop
		// the gateway as soon as StartEmbedded returned, and every S3 call would be
		// refused).
		ctx, cancel := context.WithCancel(context.Background())
		atExit(cancel)
		// Logs are discarded: the tests assert on responses, and the worker's expected
		// "malformed message" errors would only be noise.
		embedded, embeddedErr = localrun.StartEmbedded(ctx, dir, app.NewLogger(io.Discard, "error"))
		if embeddedErr == nil {
			atExit(embedded.Close)
		}
	})
	if embeddedErr != nil {
		t.Fatalf("start the embedded backends: %v", embeddedErr)
	}
	return embedded.Services
}

// sharedHandlers returns lambdafn.Handlers over the shared embedded backends.
func sharedHandlers(t testing.TB) map[string]lambda.Handler {
	t.Helper()
	return lambdafn.Handlers(sharedEmbedded(t))
}

// ---- dynoxide, shared ----

const runtimeTable = "realname-conformance"

var (
	ddbOnce sync.Once
	ddbErr  error
)

// sharedDynamoDB returns the endpoint of the binary's dynoxide with the store's table in
// it, created once. It fails (never skips) when dynoxide cannot start: the real-binary
// tests are the proof that the functions work against a DynamoDB API, and a skipped proof
// is no proof.
func sharedDynamoDB(t testing.TB) string {
	t.Helper()
	client := testenv.DynamoClient(t, testenv.Dynoxide)
	ddbOnce.Do(func() { ddbErr = dynamo.CreateTable(context.Background(), client, runtimeTable) })
	if ddbErr != nil {
		t.Fatalf("create the table on dynoxide: %v", ddbErr)
	}
	return testenv.DynamoEndpoint(t, testenv.Dynoxide)
}

// ---- events/ ----

// eventFile is one sample event: events/<folder>/<name>.json.
type eventFile struct {
	Folder string // the functions/ folder it belongs to
	Rel    string // path relative to events/, e.g. "health/get.json"
	Path   string // absolute path
}

// eventFiles lists every file under events/, sorted. Files directly under events/ or
// nested deeper are reported with Folder "" so the caller can fail on them.
func eventFiles(t testing.TB) []eventFile {
	t.Helper()
	base := filepath.Join(root(t), "events")
	var files []eventFile
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		f := eventFile{Rel: filepath.ToSlash(rel), Path: p}
		if len(parts) == 2 {
			f.Folder = parts[0]
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatalf("list events/: %v", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Rel < files[j].Rel })
	return files
}

// ---- CloudFormation YAML ----

// loadCFN reads a CloudFormation/SAM YAML file into plain Go values (map[string]any,
// []any, string, int, bool, ...). yaml.v3 cannot unmarshal the short intrinsic tags
// (!Ref, !GetAtt, !Sub, !If, ...) into interfaces, so the file is walked as yaml.Node and
// each tagged node becomes its long form: !Ref X -> {"Ref": X}, !GetAtt A.B ->
// {"Fn::GetAtt": [A, B]}, !Sub s -> {"Fn::Sub": s}. Assertions can then compare
// references exactly.
func loadCFN(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not YAML: %v", path, err)
	}
	v, err := cfnValue(&doc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is not a mapping", path)
	}
	return m
}

func cfnValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				// CloudFormation rejects duplicate keys; yaml.Node would keep both.
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			val, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if isIntrinsicTag(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
	if !isIntrinsicTag(n.Tag) {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// isIntrinsicTag reports a CloudFormation short tag (!Ref), as opposed to YAML's own
// (!!str) and the default ones.
func isIntrinsicTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// at walks v by map keys (string) and list indexes (int); nil when anything is missing.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k < 0 || k >= len(s) {
				return nil
			}
			v = s[k]
		default:
			return nil
		}
	}
	return v
}

// str is a scalar as text ("" for nil or non-scalars).
func str(v any) string {
	switch x := v.(type) {
	case nil, map[string]any, []any:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// num is a scalar as an integer; CloudFormation accepts numbers written as strings.
func num(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

// truthy is a scalar as a boolean; CloudFormation accepts "true" as well as true.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// list is v as a list (a single scalar counts as a one-item list, as in IAM policies).
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// ref is {"Ref": name}.
func ref(name string) map[string]any { return map[string]any{"Ref": name} }

// getAtt is {"Fn::GetAtt": [res, attr]}.
func getAtt(res, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{res, attr}}
}

// setDiff describes how two sets of names differ ("" when they are equal).
func setDiff(aName string, a []string, bName string, b []string) string {
	var onlyA, onlyB []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			onlyB = append(onlyB, x)
		}
	}
	if len(onlyA) == 0 && len(onlyB) == 0 && len(a) == len(b) {
		return ""
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return fmt.Sprintf("only in %s: %v; only in %s: %v (%s has %d, %s has %d)", aName, onlyA, bName, onlyB, aName, len(a), bName, len(b))
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
