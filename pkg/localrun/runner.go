// Package localrun is the local runner behind `make run`: it serves every route on
// 127.0.0.1:3000 the way API Gateway invokes the functions, the Lambda Invoke API on
// 127.0.0.1:3001 like `sam local start-lambda`, and feeds the review worker from the
// queue like an SQS event source mapping. Only cmd/ imports it: no Lambda links the
// embedded backends.
package localrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/review"
)

// Options configure a runner.
type Options struct {
	Dir        string    // data folder (.local)
	APIAddr    string    // 127.0.0.1:3000
	InvokeAddr string    // 127.0.0.1:3001
	Emulated   bool      // DynamoDB Local + fauxqs + VersityGW process instead of embedded
	Version    string    // overrides APP_VERSION when set
	Out        io.Writer // banner and logs
	// Getenv reads the configuration: the functions' variables (TOKEN_TTL, MAX_ATTEMPTS,
	// RECONCILE_AFTER, LOG_LEVEL, DYNAMODB_ENDPOINT, ...) through app.LoadConfig, with
	// local defaults (LocalConfig). os.Getenv when nil.
	Getenv func(string) string
	// AllowRemote lets APIAddr and InvokeAddr be other than loopback (CheckListenAddr)
	// and the Host header be any IP literal (guard.go). Without it Start refuses an
	// address beyond loopback: the runner has no authentication of its own.
	AllowRemote bool
	// Clock replaces the system clock of every function (nil: the system's): a test
	// moves time forward to see what a day later answers (an expired verification link).
	Clock kyc.Clock
}

// Runner is a started local runtime.
type Runner struct {
	Services  *app.Services
	APIURL    string
	InvokeURL string

	describe map[string]string
	remote   []string // listen addresses beyond loopback (Options.AllowRemote)
	servers  []*http.Server
	closers  []func()
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Start wires the backends, starts the two servers and the event source, and returns once
// they accept requests.
//
// Both servers only answer requests addressed to loopback and not sent by a foreign web
// page (GuardAPI, GuardInvoke); APIAddr and InvokeAddr must be loopback addresses unless
// o.AllowRemote, which is then logged as a warning and shown in the banner.
func Start(ctx context.Context, o Options) (*Runner, error) {
	for _, a := range []struct{ name, addr string }{{"API", o.APIAddr}, {"invoke API", o.InvokeAddr}} {
		if err := CheckListenAddr(a.addr, o.AllowRemote); err != nil {
			return nil, fmt.Errorf("%s: %w", a.name, err)
		}
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, err := LocalConfig(getenv)
	if err != nil {
		return nil, err
	}
	if o.Version != "" {
		cfg.Version = o.Version
	}
	log := app.NewLogger(o.Out, cfg.LogLevel)
	var b *Backends
	if o.Emulated {
		b, err = StartEmulated(ctx, o.Dir, cfg, log)
	} else {
		b, err = StartLocal(ctx, o.Dir, cfg, log)
	}
	if err != nil {
		return nil, err
	}
	if o.Clock != nil {
		b.Services.Clock = o.Clock
	}
	r := &Runner{Services: b.Services, closers: b.closers, describe: b.Describe}
	for _, addr := range []string{o.APIAddr, o.InvokeAddr} {
		if CheckListenAddr(addr, false) != nil {
			r.remote = append(r.remote, addr)
		}
	}
	if len(r.remote) > 0 {
		log.Warn("the local runner listens beyond loopback (-allow-remote): anyone who reaches these addresses can call every function, GrantRole and FreezeUser included, without authentication",
			slog.Any("addresses", r.remote))
	}
	handlers := lambdafn.Handlers(b.Services)

	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	apiURL, err := r.serve(o.APIAddr, GuardAPI(APIGateway(handlers, log), o.AllowRemote, log))
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("API server: %w", err)
	}
	invokeURL, err := r.serve(o.InvokeAddr, GuardInvoke(InvokeAPI(handlers, log), o.AllowRemote, log))
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("invoke API server: %w", err)
	}
	r.APIURL, r.InvokeURL = apiURL, invokeURL
	worker, _ := lambdafn.Lookup(lambdafn.ReviewWorker)
	es := EventSource{Queue: b.Services.Queue, Handler: handlers[worker.LogicalID], BatchSize: 10, Wait: time.Second, QueueARN: "arn:aws:sqs:us-east-1:000000000000:review", Log: log}
	r.wg.Add(3)
	go func() { defer r.wg.Done(); es.Run(runCtx) }()
	// The seal function's schedule, every few seconds here (a minute on AWS): the seal
	// of an approved company exists moments after the approval.
	sealFn, _ := lambdafn.Lookup(lambdafn.Seal)
	sealer := lambdafn.SealHandler(app.EnvOf(b.Services).Only(sealFn.Adapters...))
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(SealEvery)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				// A failed run is logged by the sealer; its requests wait for the next.
				_, _ = sealer(runCtx, nil)
			}
		}
	}()
	// The schedule's stand-in: at start (submissions stranded before a restart) and
	// every minute.
	rec := review.NewReconciler(review.ReconcilerDeps{Store: b.Services.Store, Queue: b.Services.Queue, Clock: b.Services.Clock,
		Log: b.Services.Log, After: b.Services.ReconcileAfter})
	go func() { defer r.wg.Done(); rec.RunEvery(runCtx, time.Minute) }()
	// Webhooks: the delivery worker on the webhook queue, and the sweeper's schedule
	// (every 30 s here; events are dispatched at once, the sweep is the fallback).
	if b.webhookQueue != nil {
		whWorker, _ := lambdafn.Lookup(lambdafn.WebhookWorker)
		whes := EventSource{Queue: b.webhookQueue, Handler: handlers[whWorker.LogicalID], BatchSize: 10, Wait: time.Second, QueueARN: "arn:aws:sqs:us-east-1:000000000000:webhooks", Log: log}
		sweeper := &outbox.Sweeper{Store: b.Services.Store.(outbox.SweeperStore), Queue: b.Services.WebhookQueue, Clock: b.Services.Clock, Log: b.Services.Log}
		r.wg.Add(2)
		go func() { defer r.wg.Done(); whes.Run(runCtx) }()
		go func() { defer r.wg.Done(); sweeper.RunEvery(runCtx, 30*time.Second) }()
	}
	return r, nil
}

func (r *Runner) serve(addr string, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	r.servers = append(r.servers, srv)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.Services.Log.Error("server stopped", slog.String("error", err.Error()))
		}
	}()
	return "http://" + l.Addr().String(), nil
}

// Close stops the servers (letting requests in flight finish), the event source and the
// backends.
func (r *Runner) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range r.servers {
		_ = s.Shutdown(ctx)
	}
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// PrintBanner tells the developer where everything is.
func (r *Runner) PrintBanner(w io.Writer, took time.Duration) {
	fmt.Fprintf(w, "realname local runner ready in %s\n", took.Round(time.Millisecond))
	fmt.Fprintf(w, "  API (API Gateway stand-in):  %s   try: curl %s/v1/health\n", r.APIURL, r.APIURL)
	fmt.Fprintf(w, "  Lambda Invoke API:           %s   aws lambda invoke --endpoint-url %s --function-name <LogicalId> out.json\n", r.InvokeURL, r.InvokeURL)
	for _, k := range []string{"store", "documents", "queue", "sms", "webhooks", "identity"} {
		fmt.Fprintf(w, "  %-28s %s\n", k+":", r.describe[k])
	}
	if len(r.remote) > 0 {
		fmt.Fprintf(w, "  WARNING: listening beyond loopback on %s (-allow-remote): every function, GrantRole included, is open to whoever reaches it\n", strings.Join(r.remote, ", "))
	}
	fmt.Fprintln(w, "  Ctrl-C stops it; data stays for the next start.")
}

// SealEvery is how often the runner runs the seal function (EventBridge's shortest rate,
// a minute, on AWS).
const SealEvery = 3 * time.Second
