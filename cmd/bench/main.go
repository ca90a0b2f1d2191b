// Command bench measures the serverless design on local stand-ins that it starts itself
// (dynoxide and DynamoDB Local for the store, fauxqs, an embedded VersityGW; all on
// 127.0.0.1), through the product's own packages:
//
//  1. the review worker's throughput, submissions per second from the queue to
//     PENDING_REVIEW, with several concurrent pollers, on each DynamoDB engine, with the
//     CPU it costs per submission and a CPU profile of where that goes;
//  2. the cost of one page of the reviewer list (Store.ListPending, a GSI Query) at
//     growing table sizes, next to a naive Scan of the same data, on each engine;
//  3. DynamoDB calls per API request, latency at a fixed arrival rate through the local
//     runner, function binary sizes and start times, bytes per upload;
//  4. certificates issued per second through pkg/certs with the local file-key CA.
//
// Progress goes to stderr, a Markdown report to stdout and the same numbers as JSON to
// -out (the CPU profiles next to it). `make bench` runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		out         = flag.String("out", ".local/bench/report.json", "write the numbers as JSON here (\"\" for none)")
		parts       = flag.String("parts", "review,list,binaries,calls,latency,bytes,webhooks,certs", "what to measure, comma-separated: review, list, binaries, calls, latency, bytes, webhooks, certs")
		certsN      = flag.Int("certs-n", 1000, "certs: certificates issued per mode (generated key, CSR)")
		certsConc   = flag.Int("certs-workers", 4, "certs: concurrent callers")
		engines     = flag.String("engines", engineDynoxide+","+engineDynamoDBLocal, "DynamoDB engines of the review, list and calls parts, comma-separated: "+engineDynoxide+", "+engineDynamoDBLocal)
		starts      = flag.Int("starts", 20, "binaries: process starts per function")
		rate        = flag.Int("rate", 500, "latency: requests per second of the reads and writes")
		duration    = flag.Duration("duration", 30*time.Second, "latency: length of each read and write attack")
		latMemory   = flag.Bool("latency-memory-store", false, "latency: point the runner at a dynoxide in memory instead of its own over a file (a diagnosis, not the default mode)")
		n           = flag.Int("n", 300, "review: submissions per measured run")
		warmup      = flag.Int("warmup", 600, "review: submissions of an unmeasured first run on each engine, to warm DynamoDB Local's JIT and the connections (0 for none)")
		concurrency = flag.String("concurrency", "4,8", "review: pollers (concurrent Lambda instances)")
		rounds      = flag.Int("rounds", 3, "review: measured runs of each concurrency, interleaved")
		batch       = flag.Int("batch", 10, "review: messages per poll (the event source's batch size)")
		pngWidth    = flag.Int("png-width", 320, "review: width of the PNG documents in pixels")
		target      = flag.Float64("target", 300, "review: target submissions per second")
		sizes       = flag.String("sizes", "1000,10000,50000", "list: table sizes in accounts, growing (dynoxide writes about 1,300 accounts/s, so 100000 adds a minute)")
		pendingFrac = flag.Float64("pending", 0.01, "list: share of the accounts that are personal and pending")
		pendingMin  = flag.Int("pending-min", 30, "list: at least this many personal accounts pending")
		backlog     = flag.Int("backlog", 30, "list: company accounts pending, the same at every size")
		queryReps   = flag.Int("query-reps", 30, "list: timed ListPending calls per size and type")
		scanReps    = flag.Int("scan-reps", 3, "list: timed Scans per size, type and kind")
		writers     = flag.Int("writers", 8, "list: concurrent BatchWriteItem writers")
	)
	flag.Parse()
	conc, err := ints(*concurrency)
	if err != nil || len(conc) == 0 {
		return fmt.Errorf("-concurrency %q: want a list like 4,8", *concurrency)
	}
	sz, err := ints(*sizes)
	if err != nil || len(sz) == 0 {
		return fmt.Errorf("-sizes %q: want a growing list like 1000,10000", *sizes)
	}
	for i := 1; i < len(sz); i++ {
		if sz[i] <= sz[i-1] {
			return fmt.Errorf("-sizes %q: sizes must grow", *sizes)
		}
	}
	want := map[string]bool{}
	for _, p := range strings.Split(*parts, ",") {
		switch p = strings.TrimSpace(p); p {
		case "review", "list", "binaries", "calls", "latency", "bytes", "webhooks", "certs":
			want[p] = true
		default:
			return fmt.Errorf("-parts: unknown part %q", p)
		}
	}
	var engs []string
	for _, g := range strings.Split(*engines, ",") {
		switch g = strings.TrimSpace(g); g {
		case engineDynoxide, engineDynamoDBLocal:
			engs = append(engs, g)
		default:
			return fmt.Errorf("-engines: unknown engine %q (want %s or %s)", g, engineDynoxide, engineDynamoDBLocal)
		}
	}
	doReview, doList, doCalls := want["review"], want["list"], want["calls"]
	root, err := os.Getwd()
	if err != nil {
		return err
	}

	// Everything relative is resolved now: the embedded gateway changes the working
	// directory when it starts.
	outPath := *out
	if outPath != "" {
		if outPath, err = filepath.Abs(outPath); err != nil {
			return err
		}
	}
	rep := &report{Machine: describeMachine(), Command: "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")}
	rep.Command = strings.TrimSpace(rep.Command)

	// The Markdown report alone goes to stdout; anything else that prints there (the
	// embedded gateway announces itself) is sent to stderr with the progress lines.
	reportOut, err := keepStdout()
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()

	// The binaries are built and started before anything changes the working directory.
	if want["binaries"] {
		b, err := runBinaries(ctx, root, max(*starts, 1))
		if err != nil {
			return fmt.Errorf("binaries: %w", err)
		}
		rep.Binaries = &b
	}
	// The runner parts start their own embedded backends, each in a private folder.
	if want["latency"] {
		l, err := runLatency(ctx, *rate, *duration, *latMemory)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		rep.Latency = &l
	}
	if want["webhooks"] {
		w, err := runWebhooks(ctx, 200, 4)
		if err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		rep.Webhooks = &w
	}
	if want["certs"] {
		c, err := runCerts(ctx, max(*certsN, 1), max(*certsConc, 1))
		if err != nil {
			return fmt.Errorf("certs: %w", err)
		}
		rep.Certs = &c
	}
	if want["bytes"] {
		b, err := runBytes(ctx)
		if err != nil {
			return fmt.Errorf("bytes: %w", err)
		}
		rep.Bytes = &b
	}

	if doReview || doList || doCalls {
		if err := runEngines(ctx, rep, engs, engineParts{
			review: doReview, list: doList, calls: doCalls,
			reviewCfg: reviewConfig{n: *n, warmup: *warmup, concurrency: conc, rounds: max(*rounds, 1), batch: *batch,
				pngWidth: *pngWidth, timeout: 3 * time.Minute, target: *target, profileDir: filepath.Dir(outPath)},
			listCfg: listConfig{sizes: sz, pendingFrac: *pendingFrac, pendingMin: *pendingMin, backlog: *backlog,
				queryReps: *queryReps, scanReps: *scanReps, writers: *writers},
		}); err != nil {
			return err
		}
	}
	rep.TotalSeconds = time.Since(started).Seconds()

	rep.markdown(reportOut)
	if outPath != "" {
		if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(outPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
		progress("wrote %s", outPath)
	}
	return nil
}

type engineParts struct {
	review, list, calls bool
	reviewCfg           reviewConfig
	listCfg             listConfig
}

// runEngines starts fauxqs and the embedded VersityGW once, then each engine in turn
// (only one runs at a time, so none takes CPU from another's measurements) and runs the
// calls, review and list parts on it.
func runEngines(ctx context.Context, rep *report, engs []string, p engineParts) error {
	s3Dir, err := os.MkdirTemp("", "realname-bench-s3-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(s3Dir)
	e, err := startEnv(ctx, s3Dir)
	if err != nil {
		return err
	}
	defer e.close()
	if p.reviewCfg.profileDir == "." || p.reviewCfg.profileDir == "" {
		// No -out: the profiles go to a temporary folder, summarized in the report only.
		if p.reviewCfg.profileDir, err = os.MkdirTemp("", "realname-bench-prof-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(p.reviewCfg.profileDir, 0o755); err != nil {
		return err
	}
	var docs *reviewDocs
	if p.review {
		rep.Review = &reviewResult{}
		if docs, err = seedReviewDocs(ctx, e, rep.Review, p.reviewCfg); err != nil {
			return fmt.Errorf("review: %w", err)
		}
	}
	if p.calls {
		rep.Calls = &callsResult{}
	}
	if p.list {
		rep.List = newListResult(p.listCfg)
	}
	for _, id := range engs {
		g, err := startEngine(ctx, id)
		if err != nil {
			return err
		}
		err = func() error {
			defer g.stop()
			if p.calls {
				c, err := runCalls(ctx, e, g)
				if err != nil {
					return fmt.Errorf("calls on %s: %w", g.Name, err)
				}
				rep.Calls.Runs = append(rep.Calls.Runs, c)
			}
			if p.review {
				rv, err := runReview(ctx, e, g, docs, p.reviewCfg)
				if err != nil {
					return fmt.Errorf("review throughput on %s: %w", g.Name, err)
				}
				rep.Review.Engines = append(rep.Review.Engines, rv)
			}
			if p.list {
				ls, err := runList(ctx, g, p.listCfg)
				if err != nil {
					return fmt.Errorf("list cost on %s: %w", g.Name, err)
				}
				rep.List.Engines = append(rep.List.Engines, ls)
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// keepStdout returns a file on the original standard output and points fd 1 (and
// os.Stdout) at standard error.
func keepStdout() (*os.File, error) {
	fd, err := syscall.Dup(1)
	if err != nil {
		return nil, fmt.Errorf("dup stdout: %w", err)
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		return nil, fmt.Errorf("redirect stdout: %w", err)
	}
	os.Stdout = os.Stderr
	return os.NewFile(uintptr(fd), "stdout"), nil
}
