package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/routeflow"
)

// Latency targets (p99).
const (
	readP99Target  = 10 * time.Millisecond
	writeP99Target = 30 * time.Millisecond
	loginRate      = 40
	loginDuration  = 15 * time.Second
	latencyUsers   = 10
)

type latencyStats struct {
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	Mean     float64 `json:"mean_ms"`
	// ErrorSample is one error seen (status or transport).
	ErrorSample string `json:"error_sample,omitempty"`
}

type latencyClass struct {
	// CPU is where the machine's CPU went during the attack (this process serves the API,
	// runs the handlers and the embedded gateway, and generates the load).
	CPU        cpuUse         `json:"cpu"`
	Class      string         `json:"class"`
	Rate       int            `json:"rate_per_second"`
	Seconds    float64        `json:"seconds"`
	TargetP99  float64        `json:"target_p99_ms,omitempty"`
	Met        *bool          `json:"target_met,omitempty"`
	All        latencyStats   `json:"all"`
	ByEndpoint []latencyStats `json:"by_endpoint"`
}

type latencyResult struct {
	Classes       []latencyClass `json:"classes"`
	LoginSingleMs float64        `json:"login_single_ms"`
	// Backends are what the runner's default mode wired (app.Backends), as it names them.
	Store     string `json:"store"`
	Documents string `json:"documents"`
	Queue     string `json:"queue"`
}

// runLatency attacks the local runner in its default mode. With memoryStore the runner's
// store is a dynoxide in memory (DYNAMODB_ENDPOINT) instead of its own over a file: a
// diagnosis of what the file costs, not the default.
func runLatency(ctx context.Context, rate int, dur time.Duration, memoryStore bool) (latencyResult, error) {
	var res latencyResult
	dir, err := os.MkdirTemp("", "realname-bench-latency-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	progress("latency: starting the local runner in its default mode")
	// The writes are upload grants from a few users at 500 req/s: far over the quota a
	// user gets (UPLOAD_GRANTS_PER_HOUR), which is not what this measures.
	getenv := func(name string) string {
		if name == "UPLOAD_GRANTS_PER_HOUR" {
			return "1000000"
		}
		return os.Getenv(name)
	}
	if memoryStore {
		p, err := emulators.StartDynoxide(ctx, "")
		if err != nil {
			return res, err
		}
		defer p.Stop()
		base := getenv
		getenv = func(name string) string {
			if name == "DYNAMODB_ENDPOINT" {
				return p.Endpoint
			}
			return base(name)
		}
	}
	r, err := localrun.Start(ctx, localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "bench", Out: io.Discard, Getenv: getenv})
	if err != nil {
		return res, err
	}
	defer r.Close()
	b := r.Services.Backends
	res.Store, res.Documents, res.Queue = b.Store, b.Documents, b.Queue
	if memoryStore {
		res.Store += ": dynoxide in memory, started by the bench (-latency-memory-store)"
	}
	progress("latency: store %s, documents %s, queue %s", b.Store, b.Documents, b.Queue)
	outbox := filepath.Join(dir, "outbox", "sms.jsonl")
	const pw = "a fine passphrase"
	var phones, tokens []string
	for i := 0; i < latencyUsers; i++ {
		phone := fmt.Sprintf("1370000%04d", i)
		c := routeflow.NewClient(ctx, r.APIURL, outbox)
		if err := c.Register(phone, pw); err != nil {
			return res, err
		}
		phones, tokens = append(phones, phone), append(tokens, c.Token)
	}
	// A reviewer through the GrantRole function on the Invoke API.
	rphone := "13799999999"
	rc := routeflow.NewClient(ctx, r.APIURL, outbox)
	if err := rc.Register(rphone, pw); err != nil {
		return res, err
	}
	body, _ := json.Marshal(map[string]string{"phone": rphone, "role": string(kyc.RoleReviewer)})
	resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/GrantRoleFunction/invocations", "application/json", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
		return res, fmt.Errorf("GrantRole = %d %s", resp.StatusCode, out)
	}
	if err := rc.Login(rphone, pw); err != nil {
		return res, err
	}

	// The login rate the hashing allows: half of what the machine can hash, from the
	// median of a few sequential logins.
	var single []float64
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		if err := routeflow.NewClient(ctx, r.APIURL, outbox).Login(phones[i%len(phones)], pw); err != nil {
			return res, err
		}
		single = append(single, ms(time.Since(t0)))
	}
	res.LoginSingleMs = median(single)
	// The hash is memory-hard and uses the cores itself, so a login's wall time is
	// what one takes of the whole machine.
	lRate := max(1, int(0.5*1000/res.LoginSingleMs))
	lRate = min(lRate, loginRate)
	progress("latency: one login takes %.0f ms; login rate %d req/s", res.LoginSingleMs, lRate)

	auth := func(tok string) http.Header {
		return http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}
	}
	var reads, writes, logins []vegeta.Target
	for i, tok := range tokens {
		reads = append(reads,
			vegeta.Target{Method: "GET", URL: r.APIURL + "/v1/user/me", Header: auth(tok)},
			vegeta.Target{Method: "GET", URL: r.APIURL + "/v1/account", Header: auth(tok)},
			vegeta.Target{Method: "GET", URL: r.APIURL + "/v1/cms/account/getUnAuthoredPersonalAccount", Header: auth(rc.Token)})
		up, _ := json.Marshal(map[string]any{"slot": "frontOfID", "content_type": "image/jpeg", "content_length": 200000})
		writes = append(writes, vegeta.Target{Method: "POST", URL: r.APIURL + "/v1/uploads", Header: auth(tok), Body: up})
		lb, _ := json.Marshal(map[string]string{"phone": phones[i], "password": pw})
		logins = append(logins, vegeta.Target{Method: "POST", URL: r.APIURL + "/v1/user/login", Header: http.Header{"Content-Type": {"application/json"}}, Body: lb})
	}
	for _, a := range []struct {
		class   string
		targets []vegeta.Target
		rate    int
		dur     time.Duration
		target  time.Duration
	}{
		{"reads", reads, rate, dur, readP99Target},
		{"writes (POST /v1/uploads)", writes, rate, dur, writeP99Target},
		{"login (password hashing)", logins, lRate, loginDuration, 0},
	} {
		progress("latency: %s at %d req/s for %s", a.class, a.rate, a.dur)
		cpu0 := sampleCPU()
		lc := attack(ctx, a.class, a.targets, a.rate, a.dur)
		lc.CPU = cpuBetween(cpu0, sampleCPU())
		if a.target > 0 {
			lc.TargetP99 = ms(a.target)
			met := lc.All.P99 <= lc.TargetP99 && lc.All.Errors == 0
			lc.Met = &met
		}
		progress("  p50 %.2f p90 %.2f p99 %.2f max %.2f ms, %d errors of %d", lc.All.P50, lc.All.P90, lc.All.P99, lc.All.Max, lc.All.Errors, lc.All.Requests)
		res.Classes = append(res.Classes, lc)
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// attack runs one constant-rate (open model) vegeta attack and summarizes it, overall and
// by endpoint path.
func attack(ctx context.Context, class string, targets []vegeta.Target, rate int, dur time.Duration) latencyClass {
	atk := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow))
	go func() { <-ctx.Done(); atk.Stop() }()
	type acc struct {
		lat    []float64
		errs   int
		sample string
	}
	all := &acc{}
	by := map[string]*acc{}
	var order []string
	start := time.Now()
	for r := range atk.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{Freq: rate, Per: time.Second}, dur, class) {
		path := r.URL
		if u, err := url.Parse(r.URL); err == nil {
			path = r.Method + " " + u.Path
		}
		b := by[path]
		if b == nil {
			b = &acc{}
			by[path] = b
			order = append(order, path)
		}
		for _, a := range []*acc{all, b} {
			a.lat = append(a.lat, ms(r.Latency))
			if r.Error != "" || r.Code < 200 || r.Code > 299 {
				a.errs++
				if a.sample == "" {
					a.sample = fmt.Sprintf("%d %s %.120s", r.Code, r.Error, r.Body)
				}
			}
		}
	}
	stats := func(name string, a *acc) latencyStats {
		s := latencyStats{Name: name, Requests: len(a.lat), Errors: a.errs, ErrorSample: a.sample}
		if len(a.lat) > 0 {
			s.P50, s.P90, s.P99, s.Max = quantile(a.lat, 0.5), quantile(a.lat, 0.9), quantile(a.lat, 0.99), slices.Max(a.lat)
			sum := 0.0
			for _, v := range a.lat {
				sum += v
			}
			s.Mean = sum / float64(len(a.lat))
		}
		return s
	}
	lc := latencyClass{Class: class, Rate: rate, Seconds: time.Since(start).Seconds(), All: stats("all", all)}
	for _, k := range order {
		lc.ByEndpoint = append(lc.ByEndpoint, stats(k, by[k]))
	}
	return lc
}

func (l *latencyResult) markdown(p func(string, ...any)) {
	p("## Request latency under load (local runner, default mode)")
	p("")
	p("vegeta (open model: constant arrival rate, requests are not held back by slow answers; keep-alive, 10 s timeout) against `localrun.Start` on 127.0.0.1: the API Gateway stand-in invoking the function handlers; store: %s; documents: %s; queue: %s (as the runner names its backends); the load generator runs in the same process and on the same cores. "+
		"%d users registered through the API (codes from the outbox), a reviewer made with the GrantRole function on the Invoke API. Reads are GET /v1/user/me, GET /v1/account and the reviewer's personal list, in turn; writes are POST /v1/uploads (a presigned PUT grant). "+
		"An error is any non-2xx answer or transport error. Targets: reads p99 <= %.0f ms, writes p99 <= %.0f ms (and no errors).", orUnknown(l.Store), orUnknown(l.Documents), orUnknown(l.Queue), latencyUsers, ms(readP99Target), ms(writeP99Target))
	p("")
	p("| Class / endpoint | Rate (req/s) | Requests | Errors | p50 ms | p90 ms | p99 ms | max ms | Target p99 | Met |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
	for _, c := range l.Classes {
		tgt, met := "-", "-"
		if c.Met != nil {
			tgt = fmt.Sprintf("<= %.0f ms", c.TargetP99)
			met = "**no**"
			if *c.Met {
				met = "yes"
			}
		}
		s := c.All
		p("| **%s** | %d | %d | %d | %.2f | %.2f | **%.2f** | %.2f | %s | %s |", c.Class, c.Rate, s.Requests, s.Errors, s.P50, s.P90, s.P99, s.Max, tgt, met)
		if len(c.ByEndpoint) > 1 {
			for _, e := range c.ByEndpoint {
				p("| &nbsp;&nbsp;`%s` | | %d | %d | %.2f | %.2f | %.2f | %.2f | | |", e.Name, e.Requests, e.Errors, e.P50, e.P90, e.P99, e.Max)
			}
		}
	}
	p("")
	p("CPU during each attack (the runner, its handlers, the embedded gateway and vegeta share this process; the store engine is a child process):")
	p("")
	p("| Class | Machine CPU busy | CPU ms per request |")
	p("|---|---:|---|")
	for _, c := range l.Classes {
		var parts []string
		n := max(c.All.Requests, 1)
		for _, k := range cpuOrder(c.CPU) {
			name := k
			if k == benchProcess {
				name = "bench process (runner, handlers, gateway, vegeta)"
			}
			parts = append(parts, fmt.Sprintf("%s %.2f (%.2f cores)", name, 1000*c.CPU.CPUSeconds[k]/float64(n), c.CPU.CPUSeconds[k]/max(c.CPU.WallSeconds, 1e-9)))
		}
		parts = append(parts, fmt.Sprintf("other processes %.2f", 1000*c.CPU.OtherCPUSeconds/float64(n)))
		p("| %s | %.0f%% | %s |", c.Class, c.CPU.MachineBusyPct, strings.Join(parts, "; "))
	}
	p("")
	p("The runner's dynoxide keeps its data in a SQLite file (`dynamo.db` in the data folder); `-latency-memory-store` runs the same attacks with the runner pointed at a dynoxide in memory, to tell what the file costs.")
	p("")
	p("Login runs apart: one sequential login took %.0f ms (median of 5), so its rate is half of 1 / that (at most %d req/s; the hash is memory-hard and a login already keeps the cores busy), for %s.", l.LoginSingleMs, loginRate, loginDuration)
	for _, c := range l.Classes {
		if c.All.ErrorSample != "" {
			p("")
			p("First error of %s: `%s`", c.Class, c.All.ErrorSample)
		}
	}
}
