package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
)

// Targets of the binaries part.
const (
	maxBinaryBytes = 10_700_000 // per arm64 bootstrap: a minimal function linking DynamoDB, S3 and SQS the old way (issue 10)
	maxStartMillis = 15.0       // process start to the first poll of the Runtime API
)

type binaryFunc struct {
	LogicalID string `json:"logical_id"`
	Folder    string `json:"folder"`
	Bytes     int64  `json:"arm64_bytes"`
	OverSize  bool   `json:"over_11mb"`
	// Start is the median of the start -> first GET .../invocation/next times, in ms.
	StartMedianMs float64   `json:"start_median_ms,omitempty"`
	StartAllMs    []float64 `json:"start_all_ms,omitempty"`
	StartError    string    `json:"start_error,omitempty"`
}

type binariesResult struct {
	Flags        string       `json:"flags"`
	BuildSeconds float64      `json:"arm64_build_seconds"`
	HostBuildSec float64      `json:"host_build_seconds"`
	HostPlatform string       `json:"host_platform"`
	Starts       int          `json:"starts_per_function"`
	Functions    []binaryFunc `json:"functions"`
}

// makefileFunctions reads the FUNCTIONS list (LogicalId:folder) of the Makefile in root.
func makefileFunctions(root string) ([][2]string, error) {
	f, err := os.Open(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "FUNCTIONS :=") {
			in = true
			continue
		}
		if !in {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		for _, w := range strings.Fields(line) {
			id, folder, ok := strings.Cut(w, ":")
			if !ok {
				return nil, fmt.Errorf("the Makefile's FUNCTIONS: %q is not LogicalId:folder", w)
			}
			out = append(out, [2]string{id, folder})
		}
		if !cont {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no FUNCTIONS list in %s/Makefile", root)
	}
	return out, sc.Err()
}

// goBuild runs one go build of all the folders into dir/ (each binary named after its folder).
func goBuild(ctx context.Context, root, dir string, env []string, folders []string) error {
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", dir + string(os.PathSeparator)}
	for _, f := range folders {
		args = append(args, "./functions/"+f)
	}
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// goTool is the go command that runs the bench (go run puts its GOROOT/bin first on
// PATH), else the one on PATH.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func runBinaries(ctx context.Context, root string, starts int) (binariesResult, error) {
	res := binariesResult{Flags: "GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags=\"-s -w\"",
		HostPlatform: runtime.GOOS + "/" + runtime.GOARCH, Starts: starts}
	fns, err := makefileFunctions(root)
	if err != nil {
		return res, err
	}
	tmp, err := os.MkdirTemp("", "realname-bench-bin-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	armDir, hostDir := filepath.Join(tmp, "arm64"), filepath.Join(tmp, "host")
	var folders []string
	for _, f := range fns {
		folders = append(folders, f[1])
	}
	progress("building %d functions for linux/arm64 (one go build)", len(fns))
	t0 := time.Now()
	if err := goBuild(ctx, root, armDir, []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}, folders); err != nil {
		return res, err
	}
	res.BuildSeconds = time.Since(t0).Seconds()
	progress("building them for the host (%s)", res.HostPlatform)
	t0 = time.Now()
	if err := goBuild(ctx, root, hostDir, []string{"CGO_ENABLED=0"}, folders); err != nil {
		return res, err
	}
	res.HostBuildSec = time.Since(t0).Seconds()

	rt, err := newRuntimeStandIn()
	if err != nil {
		return res, err
	}
	defer rt.close()
	home := filepath.Join(tmp, "home")
	_ = os.MkdirAll(home, 0o700)
	closed, err := freePort()
	if err != nil {
		return res, err
	}
	nowhere := "http://127.0.0.1:" + strconv.Itoa(closed)
	for _, f := range fns {
		bf := binaryFunc{LogicalID: f[0], Folder: f[1]}
		st, err := os.Stat(filepath.Join(armDir, f[1]))
		if err != nil {
			return res, err
		}
		bf.Bytes = st.Size()
		bf.OverSize = bf.Bytes > maxBinaryBytes
		env := lambdaEnv(rt.addr, f[0], home, nowhere)
		for i := 0; i < starts; i++ {
			ms, err := rt.measure(ctx, filepath.Join(hostDir, f[1]), env)
			if err != nil {
				bf.StartError = err.Error()
				break
			}
			bf.StartAllMs = append(bf.StartAllMs, ms)
		}
		if len(bf.StartAllMs) > 0 {
			bf.StartMedianMs = median(bf.StartAllMs)
		}
		progress("  %-40s %9d B  start median %.1f ms %s", f[0], bf.Bytes, bf.StartMedianMs, bf.StartError)
		res.Functions = append(res.Functions, bf)
	}
	return res, nil
}

func lambdaEnv(runtimeAddr, logicalID, home, nowhere string) []string {
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAddr,
		"AWS_LAMBDA_FUNCTION_NAME":        logicalID,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + logicalID,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "bench",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"PATH":                            "/usr/bin:/bin",
		"HOME":                            home,
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_ACCESS_KEY_ID":               "local",
		"AWS_SECRET_ACCESS_KEY":           "local",
		"AWS_EC2_METADATA_DISABLED":       "true",
		"TABLE_NAME":                      "realname",
		"DOCS_BUCKET":                     "realname-docs",
		"REVIEW_QUEUE_URL":                nowhere + "/000000000000/review",
		"WEBHOOK_QUEUE_URL":               nowhere + "/000000000000/webhooks",
		"WEBHOOK_KMS_KEY_ID":              "alias/realname-webhooks",
		"CA_KMS_KEY_ID":                   "alias/realname-ca",
		"CERT_KEYS_KMS_KEY_ID":            "alias/realname-cert-keys",
		"LOG_LEVEL":                       "info",
		"APP_VERSION":                     "bench",
	}
	// Every endpoint at a closed loopback port: nothing may reach AWS.
	for _, v := range app.Vars() {
		if strings.HasSuffix(v.Name, "_ENDPOINT") {
			env[v.Name] = nowhere
		}
	}
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// runtimeStandIn answers the Lambda Runtime API's GET .../invocation/next by noting the
// time and holding the poll open (no event comes); an init error is reported too.
type runtimeStandIn struct {
	srv   *http.Server
	addr  string
	polls chan time.Time
	inits chan string
}

func newRuntimeStandIn() (*runtimeStandIn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rt := &runtimeStandIn{addr: l.Addr().String(), polls: make(chan time.Time, 4), inits: make(chan string, 4)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case rt.polls <- time.Now():
		default:
		}
		<-r.Context().Done()
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		select {
		case rt.inits <- r.Header.Get("Lambda-Runtime-Function-Error-Type"):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	rt.srv = &http.Server{Handler: mux}
	go func() { _ = rt.srv.Serve(l) }()
	return rt, nil
}

func (rt *runtimeStandIn) close() { _ = rt.srv.Close() }

// measure starts bin and returns the milliseconds from just before the exec to its first poll.
func (rt *runtimeStandIn) measure(ctx context.Context, bin string, env []string) (float64, error) {
	for len(rt.polls) > 0 {
		<-rt.polls
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case t := <-rt.polls:
		return float64(t.Sub(t0).Microseconds()) / 1000, nil
	case typ := <-rt.inits:
		return 0, fmt.Errorf("init error %s", typ)
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("exited before polling: %v", err)
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("no poll within 10 s")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (b *binariesResult) markdown(p func(string, ...any)) {
	p("## Function binaries: size and cold start")
	p("")
	p("Every function of the Makefile's FUNCTIONS list built as `make build-<LogicalId>` does (`%s`), in one `go build -o dir/` of all folders (%.0f s). "+
		"Start: the same code built for the host (%s, same tags and flags, %.0f s), started %d times each with a Lambda-like environment (every endpoint at a closed 127.0.0.1 port) against a Runtime API stand-in on 127.0.0.1; "+
		"time from just before the exec to the first `GET /2018-06-01/runtime/invocation/next`, median. Targets: <= 10.7 MB (%d B), <= %.0f ms.",
		b.Flags, b.BuildSeconds, b.HostPlatform, b.HostBuildSec, b.Starts, maxBinaryBytes, maxStartMillis)
	p("")
	p("| Function | linux/arm64 bytes | MiB | <= 10.7 MB | Start -> first poll, median ms | min / max ms | <= %.0f ms |", maxStartMillis)
	p("|---|---:|---:|---|---:|---|---|")
	var over, slow []string
	for _, f := range b.Functions {
		size := "yes"
		if f.OverSize {
			size = "**NO**"
			over = append(over, f.LogicalID)
		}
		start, mm, ok := "-", "-", "-"
		if f.StartError != "" {
			start, ok = "error: "+f.StartError, "**NO**"
			slow = append(slow, f.LogicalID)
		} else if len(f.StartAllMs) > 0 {
			start = fmt.Sprintf("%.1f", f.StartMedianMs)
			mm = fmt.Sprintf("%.1f / %.1f", slices.Min(f.StartAllMs), slices.Max(f.StartAllMs))
			ok = "yes"
			if f.StartMedianMs > maxStartMillis {
				ok = "**NO**"
				slow = append(slow, f.LogicalID)
			}
		}
		p("| %s | %d | %.2f | %s | %s | %s | %s |", f.LogicalID, f.Bytes, float64(f.Bytes)/(1<<20), size, start, mm, ok)
	}
	p("")
	if len(over) == 0 {
		p("All %d binaries are within 10.7 MB.", len(b.Functions))
	} else {
		p("**Over 10.7 MB: %s.**", strings.Join(over, ", "))
	}
	if len(slow) == 0 {
		p("All start medians are within %.0f ms.", maxStartMillis)
	} else {
		p("**Start median over %.0f ms (or failed): %s.**", maxStartMillis, strings.Join(slow, ", "))
	}
}

func median(v []float64) float64 { return quantile(v, 0.5) }

// quantile is the nearest-rank q-quantile of v (v is not changed).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 && q == 0.5 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	i := int(q*float64(len(s)) + 0.5)
	return s[min(max(i-1, 0), len(s)-1)]
}
