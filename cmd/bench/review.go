package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/routeflow"
)

const reviewTable = "bench-review"

type reviewConfig struct {
	n           int   // submissions per measured run
	warmup      int   // submissions of the unmeasured first run (JIT, connections)
	concurrency []int // pollers, one run each per round
	rounds      int   // runs of each concurrency, interleaved
	batch       int
	pngWidth    int
	timeout     time.Duration // per run
	target      float64
	profileDir  string // where the CPU profiles of the measured runs are written ("" for a temp dir)
}

// total is the number of submissions one engine's runs use.
func (c reviewConfig) total() int { return c.warmup + c.rounds*len(c.concurrency)*c.n }

type reviewRun struct {
	Label        string         `json:"label"`
	Concurrency  int            `json:"concurrency"`
	BatchSize    int            `json:"batch_size"`
	Submissions  int            `json:"submissions"`
	Seconds      float64        `json:"seconds_to_all_pending_review"`
	PerSecond    float64        `json:"submissions_per_second"`
	DrainSeconds float64        `json:"seconds_to_all_messages_deleted"`
	Verified     int            `json:"verified_pending_review"`
	Errors       int64          `json:"errors_logged"`
	Calls        map[string]int `json:"dynamodb_calls"`
	Conflicts    int            `json:"transaction_conflicts"`
	CPU          cpuUse         `json:"cpu"`
}

// reviewResult is the review part on every engine.
type reviewResult struct {
	S3Metadata    string         `json:"s3_metadata_mode"`
	DocBytes      []int          `json:"document_bytes"`
	Docs          string         `json:"documents"`
	DocSeedSecond float64        `json:"document_seed_seconds"`
	Target        float64        `json:"target_per_second"`
	Engines       []reviewEngine `json:"engines"`
}

// reviewEngine is the review part on one engine.
type reviewEngine struct {
	Engine      string          `json:"engine"`
	Table       string          `json:"table"`
	Queue       string          `json:"queue"`
	SeedSeconds float64         `json:"seed_seconds"`
	Summary     []reviewSummary `json:"summary"`
	Runs        []reviewRun     `json:"runs"`
	Profile     *cpuProfile     `json:"cpu_profile,omitempty"`
}

// reviewDocs are the documents of the review accounts, in the shared S3 gateway: account
// i of every engine's table points at the same two objects.
type reviewDocs struct {
	pngs [][]byte
	n    int
}

func (d *reviewDocs) key(i int, slot string) string {
	return fmt.Sprintf("accounts/bench-review-%05d/%s/bench", i, slot)
}

// seedReviewDocs puts two PNGs per account in S3 for n accounts, through s3docs.
func seedReviewDocs(ctx context.Context, e *env, res *reviewResult, cfg reviewConfig) (*reviewDocs, error) {
	h := cfg.pngWidth * 63 / 100 // ID-card proportions
	d := &reviewDocs{pngs: [][]byte{filechecktest.PNG(cfg.pngWidth, h), filechecktest.PNG(cfg.pngWidth+1, h+1)}, n: cfg.total()}
	res.S3Metadata = e.s3Mode
	res.DocBytes = []int{len(d.pngs[0]), len(d.pngs[1])}
	res.Docs = fmt.Sprintf("%dx%d px, %d bytes and %dx%d px, %d bytes", cfg.pngWidth, h, len(d.pngs[0]), cfg.pngWidth+1, h+1, len(d.pngs[1]))
	res.Target = cfg.target
	progress("review: putting %d PNG documents in the embedded VersityGW (%d and %d bytes)", 2*d.n, len(d.pngs[0]), len(d.pngs[1]))
	t0 := time.Now()
	slots := reviewSlots()
	err := parallel(d.n, 8, func(i int) error {
		for k, slot := range slots {
			if err := e.docs.Put(ctx, d.key(i, slot), "image/png", bytes.NewReader(d.pngs[k])); err != nil {
				return fmt.Errorf("put %s: %w", d.key(i, slot), err)
			}
		}
		return nil
	})
	res.DocSeedSecond = time.Since(t0).Seconds()
	return d, err
}

func reviewSlots() []string { return []string{"frontOfID", "backOfID"} }

// reviewAccount is review account i: personal, SUBMITTED with its two documents.
func (d *reviewDocs) account(i int, now time.Time) kyc.Account {
	a := benchAccount(i, kyc.PersonalAccount, kyc.StateSubmitted, now)
	a.ID = fmt.Sprintf("bench-review-%05d", i)
	for k, slot := range reviewSlots() {
		a.Documents[slot] = kyc.Document{Slot: slot, Key: d.key(i, slot), ContentType: "image/png",
			Size: int64(len(d.pngs[k])), UploadedAt: now.Add(-time.Minute)}
	}
	return a
}

// runReview writes every run's SUBMITTED accounts up front (Store.PutAccountsForLoad),
// then for each run sends its review messages to fauxqs and lets `concurrency` pollers
// (localrun.EventSource.Poll, batches of cfg.batch, the ReviewWorkerFunction handler of
// lambdafn.Handlers) drain them, timing until the handler has reported every message
// done. The measured runs are CPU-profiled (runtime/pprof).
func runReview(ctx context.Context, e *env, g *engine, docs *reviewDocs, cfg reviewConfig) (reviewEngine, error) {
	res := reviewEngine{Engine: g.Name, Table: reviewTable, Queue: "bench-review-" + g.ID}
	store, err := g.table(ctx, reviewTable)
	if err != nil {
		return res, err
	}
	// Visibility 30 s, as local mode: a message that failed would come back within a run.
	q, err := e.queue(ctx, res.Queue, 30*time.Second)
	if err != nil {
		return res, err
	}
	var errCount atomic.Int64
	log := slog.New(&countingHandler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), errors: &errCount})
	svc := &app.Services{
		Store: store, Docs: e.docs, Queue: q,
		Clock: kyc.SystemClock{}, IDs: kyc.RandomIDs{}, Log: log,
		Backends:    app.Backends{Store: g.Name, Documents: "VersityGW (embedded)", Queue: "fauxqs"},
		TokenTTL:    7 * 24 * time.Hour,
		MaxAttempts: 5, ReconcileAfter: 2 * time.Minute,
	}
	fn, _ := lambdafn.Lookup(lambdafn.ReviewWorker)
	handler := lambdafn.Handlers(svc)[fn.LogicalID]
	if handler == nil {
		return res, fmt.Errorf("no handler for %s", fn.LogicalID)
	}

	type run struct {
		label string
		c, n  int
	}
	var runs []run
	if cfg.warmup > 0 {
		runs = append(runs, run{"warm-up (not measured)", cfg.concurrency[0], cfg.warmup})
	}
	for range cfg.rounds {
		for _, c := range cfg.concurrency {
			runs = append(runs, run{"measured", c, cfg.n})
		}
	}
	total := cfg.total()
	progress("review on %s: writing %d SUBMITTED accounts (Store.PutAccountsForLoad)", g.Name, total)
	t0 := time.Now()
	now := time.Now().UTC()
	const chunk = 100
	msgs := make([]kyc.ReviewMessage, total)
	if err := parallel((total+chunk-1)/chunk, 4, func(c int) error {
		var as []kyc.Account
		for i := c * chunk; i < min((c+1)*chunk, total); i++ {
			a := docs.account(i, now)
			as = append(as, a)
			msgs[i] = kyc.ReviewMessage{AccountID: a.ID, Version: a.Version}
		}
		return store.PutAccountsForLoad(ctx, as)
	}); err != nil {
		return res, err
	}
	res.SeedSeconds = time.Since(t0).Seconds()
	progress("review on %s: written in %.1fs", g.Name, res.SeedSeconds)

	var profiles [][]profSample
	var files []string
	for k, r := range runs {
		batch := msgs[:r.n]
		msgs = msgs[r.n:]
		progress("review on %s: %s run, %d submissions, %d pollers, batch %d", g.Name, r.label, r.n, r.c, cfg.batch)
		before := errCount.Load()
		var prof *bytes.Buffer
		if r.label == "measured" {
			prof = &bytes.Buffer{}
		}
		rr, err := reviewOnce(ctx, store, q, handler, log, batch, r.c, cfg, prof, queueARN(res.Queue))
		rr.Label, rr.Errors = r.label, errCount.Load()-before
		if err != nil {
			return res, err
		}
		progress("review on %s: %d submissions in %.2fs = %.0f/s (machine CPU busy %.0f%%)", g.Name, rr.Submissions, rr.Seconds, rr.PerSecond, rr.CPU.MachineBusyPct)
		res.Runs = append(res.Runs, rr)
		if prof != nil {
			samples, err := parseCPUProfile(prof.Bytes())
			if err != nil {
				return res, err
			}
			profiles = append(profiles, samples)
			if cfg.profileDir != "" {
				f := filepath.Join(cfg.profileDir, fmt.Sprintf("review-%s-run%d.pprof", g.ID, k))
				if err := os.WriteFile(f, prof.Bytes(), 0o644); err != nil {
					return res, err
				}
				files = append(files, f)
			}
		}
	}
	res.Summary = summarizeRuns(res.Runs, cfg.concurrency)
	p := summarizeProfiles(files, profiles, 12)
	res.Profile = &p
	return res, nil
}

func queueARN(name string) string { return "arn:aws:sqs:us-east-1:000000000000:" + name }

// reviewSummary is the throughput of one concurrency over its measured runs.
type reviewSummary struct {
	Concurrency int       `json:"concurrency"`
	Runs        int       `json:"runs"`
	Median      float64   `json:"median_submissions_per_second"`
	All         []float64 `json:"submissions_per_second"`
}

func summarizeRuns(runs []reviewRun, conc []int) []reviewSummary {
	var out []reviewSummary
	for _, c := range conc {
		var v []float64
		for _, r := range runs {
			if r.Label == "measured" && r.Concurrency == c {
				v = append(v, r.PerSecond)
			}
		}
		if len(v) == 0 {
			continue
		}
		sorted := slices.Clone(v)
		slices.Sort(sorted)
		med := sorted[len(sorted)/2]
		if len(sorted)%2 == 0 {
			med = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
		}
		out = append(out, reviewSummary{Concurrency: c, Runs: len(v), Median: med, All: v})
	}
	return out
}

// reviewOnce sends msgs and drains them with c pollers. With prof set, the run is
// CPU-profiled into it.
func reviewOnce(ctx context.Context, store *dynamo.Store, q kyc.Queue, h lambda.Handler, log *slog.Logger, msgs []kyc.ReviewMessage, c int, cfg reviewConfig, prof *bytes.Buffer, arn string) (reviewRun, error) {
	rr := reviewRun{Concurrency: c, BatchSize: cfg.batch, Submissions: len(msgs)}
	if err := parallel(len(msgs), 8, func(i int) error {
		body, _ := json.Marshal(msgs[i])
		_, err := q.Send(ctx, string(body))
		return err
	}); err != nil {
		return rr, fmt.Errorf("send review messages: %w", err)
	}
	pendingNow := func() (int64, error) {
		p, err := store.ListPending(ctx, kyc.PersonalAccount, 1, "")
		return p.Total, err
	}
	base, err := pendingNow()
	if err != nil {
		return rr, err
	}
	// The clock stops when the handler has returned success for every message, that is
	// once the last Transition has committed; the store is checked afterwards. Polling
	// the store meanwhile would load the same two cores the run is measured on.
	var handled atomic.Int64
	h = countingInvoker{Handler: h, handled: &handled}

	runCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	m := routeflow.NewMeter()
	pollCtx := routeflow.WithMeter(runCtx, m)
	es := localrun.EventSource{Queue: q, Handler: h, BatchSize: cfg.batch, Wait: time.Second, QueueARN: arn, Log: log}
	var deleted atomic.Int64
	var done atomic.Bool
	var wg sync.WaitGroup
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			return rr, fmt.Errorf("CPU profile: %w", err)
		}
	}
	cpu0 := sampleCPU()
	start := time.Now()
	for range c {
		wg.Go(func() {
			for !done.Load() && pollCtx.Err() == nil {
				n, err := es.Poll(pollCtx)
				deleted.Add(int64(n))
				if err != nil && pollCtx.Err() == nil {
					log.Error("bench: poll failed", slog.String("error", err.Error()))
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	// Pollers stop between polls, never by cancelling a long poll: fauxqs keeps serving
	// an abandoned receive and would hide the next run's messages in it for the
	// visibility timeout.
	stop := func() { done.Store(true); wg.Wait(); cancel() }
	for handled.Load() < int64(len(msgs)) {
		if runCtx.Err() != nil {
			if prof != nil {
				pprof.StopCPUProfile()
			}
			stop()
			return rr, fmt.Errorf("only %d of %d messages were handled within %s", handled.Load(), len(msgs), cfg.timeout)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cpu1 := sampleCPU()
	if prof != nil {
		pprof.StopCPUProfile()
	}
	for deleted.Load() < int64(len(msgs)) && runCtx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	rr.DrainSeconds = time.Since(start).Seconds()
	stop()
	snap := m.Snapshot()
	rr.Seconds, rr.PerSecond = elapsed.Seconds(), float64(len(msgs))/elapsed.Seconds()
	rr.Calls, rr.Conflicts, rr.CPU = snap.Calls, snap.Conflicts, cpuBetween(cpu0, cpu1)
	if got := deleted.Load(); got < int64(len(msgs)) {
		return rr, fmt.Errorf("only %d of %d messages were deleted", got, len(msgs))
	}

	if n, err := pendingNow(); err != nil || n != base+int64(len(msgs)) {
		return rr, fmt.Errorf("pending counter %d (%v), want %d", n, err, base+int64(len(msgs)))
	}
	var ok atomic.Int64
	if err := parallel(len(msgs), 8, func(i int) error {
		a, err := store.GetAccount(ctx, msgs[i].AccountID)
		if err != nil {
			return err
		}
		if a.State != kyc.StatePendingReview {
			return fmt.Errorf("account %s is %s (reasons %v), want PENDING_REVIEW", a.ID, a.State, a.Reasons)
		}
		ok.Add(1)
		return nil
	}); err != nil {
		return rr, fmt.Errorf("verify: %w", err)
	}
	rr.Verified = int(ok.Load())
	return rr, nil
}

// parallel runs fn(0..n-1) on `workers` goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n)) // stop handing out work
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// countingHandler counts error records and prints only the first few of them.
type countingHandler struct {
	slog.Handler
	errors *atomic.Int64
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && h.errors.Add(1) > 5 {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithAttrs(attrs), errors: h.errors}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithGroup(name), errors: h.errors}
}

// countingInvoker counts the messages a handler reports done: those of its batch not
// named in BatchItemFailures.
type countingInvoker struct {
	lambda.Handler
	handled *atomic.Int64
}

func (c countingInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := c.Handler.Invoke(ctx, payload)
	if err != nil {
		return out, err
	}
	// The event is localrun's JSON of events.SQSEvent: one "messageId" key per record (a
	// body's quotes are escaped). Counting them is cheaper than decoding the event again
	// on the cores the run is measured on.
	records := bytes.Count(payload, []byte(`"messageId":`))
	var resp events.SQSEventResponse
	if json.Unmarshal(out, &resp) == nil {
		c.handled.Add(int64(records - len(resp.BatchItemFailures)))
	}
	return out, nil
}
