package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// report is everything one run measured; it is written as JSON and as Markdown.
type report struct {
	Machine      machine         `json:"machine"`
	Command      string          `json:"command"`
	TotalSeconds float64         `json:"total_seconds"`
	Review       *reviewResult   `json:"review,omitempty"`
	List         *listResult     `json:"list,omitempty"`
	Binaries     *binariesResult `json:"binaries,omitempty"`
	Calls        *callsResult    `json:"calls,omitempty"`
	Latency      *latencyResult  `json:"latency,omitempty"`
	Bytes        *bytesResult    `json:"bytes,omitempty"`
}

func (r *report) markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	m := r.Machine
	p("# realname performance report")
	p("")
	p("- Date: %s", m.Date)
	p("- Machine: %d CPU (nproc), %s, %.1f GiB RAM, %s", m.NProc, orUnknown(m.CPU), m.MemGiB, m.Platform)
	p("- Go: %s; commit %s", m.GoVersion, orUnknown(m.Commit))
	p("- Stand-ins, all on 127.0.0.1 and started by the program: DynamoDB Local %s (%s, in memory), %s, %s",
		orUnknown(m.DynamoDBLocal), orUnknown(m.Java), orUnknown(m.Fauxqs), orUnknown(m.VersityGW))
	p("- Command: `%s`; whole run %.0f s", r.Command, r.TotalSeconds)
	if r.Review != nil {
		p("")
		r.Review.markdown(p, m.NProc)
	}
	if r.List != nil {
		p("")
		r.List.markdown(p)
	}
	if r.Binaries != nil {
		p("")
		r.Binaries.markdown(p)
	}
	if r.Calls != nil {
		p("")
		r.Calls.markdown(p)
	}
	if r.Latency != nil {
		p("")
		r.Latency.markdown(p)
	}
	if r.Bytes != nil {
		p("")
		r.Bytes.markdown(p)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (rv *reviewResult) markdown(p func(string, ...any), nproc int) {
	if len(rv.Summary) == 0 {
		return
	}
	n := 0
	for _, r := range rv.Runs {
		if r.Label == "measured" {
			n = r.Submissions
		}
	}
	p("## 1. Review worker throughput (queue to PENDING_REVIEW)")
	p("")
	p("Each run: %d personal accounts in SUBMITTED, created through `Store.CreateUser` + `Store.Transition`, each with two valid PNG documents (%s) put in S3 by `s3docs`; their %d review messages are on the fauxqs queue before the pollers start. "+
		"A poller is `localrun.EventSource.Poll` in a loop (receive up to %d, invoke the `ReviewWorkerFunction` handler of `lambdafn.Handlers`, delete the successes), standing for one concurrently running Lambda instance. "+
		"The worker does the full checks: GetItem of the account, Head + Get + full decode of each document, `IdentityOwner`, then the `Transition` transaction. "+
		"Time runs from the first poll until the handler has reported all %d messages done (each after its Transition committed); then the pending counter (written in the same transaction) was checked to have grown by exactly that many and every account was read back and found PENDING_REVIEW. "+
		"A warm-up run comes first (DynamoDB Local's JIT), then the concurrencies take turns.",
		n, rv.Docs, n, batchOf(rv.Runs), n)
	p("")
	p("| Pollers (concurrent Lambdas) | Batch | Runs | **Submissions/s (median)** | All runs |")
	p("|---:|---:|---:|---:|---|")
	for _, sm := range rv.Summary {
		var all []string
		for _, v := range sm.All {
			all = append(all, fmt.Sprintf("%.0f", v))
		}
		p("| %d | %d | %d | **%.0f** | %s |", sm.Concurrency, batchOf(rv.Runs), sm.Runs, sm.Median, strings.Join(all, ", "))
	}
	p("")
	p("| Run | Pollers | Submissions | Seconds | Submissions/s | All deleted (s) | DynamoDB calls / submission | Tx conflicts | Errors | Machine CPU busy | CPU ms per submission: bench process / DynamoDB Local / fauxqs / other processes |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for i, r := range rv.Runs {
		label := strconv.Itoa(i)
		if r.Label != "measured" {
			label = "warm-up"
		}
		p("| %s | %d | %d | %.2f | %.0f | %.2f | %.2f | %d | %d | %.0f%% | %s |",
			label, r.Concurrency, r.Submissions, r.Seconds, r.PerSecond, r.DrainSeconds,
			callsPer(r), r.Conflicts, r.Errors, r.CPU.MachineBusyPct, cpuSplit(r.CPU, r.Submissions))
	}
	p("")
	best := rv.Summary[0]
	for _, sm := range rv.Summary {
		if sm.Median > best.Median {
			best = sm
		}
	}
	verdict := "**met**"
	if best.Median < rv.Target {
		verdict = "**not met**"
	}
	p("Target ≥ %.0f submissions/s: %s (best median %.0f/s with %d pollers, %.0f%% of the target).", rv.Target, verdict, best.Median, best.Concurrency, 100*best.Median/rv.Target)
	if len(rv.Summary) >= 2 {
		a, b := rv.Summary[0], rv.Summary[len(rv.Summary)-1]
		p("From %d to %d pollers the median changed by %+.0f%%.", a.Concurrency, b.Concurrency, 100*(b.Median/a.Median-1))
	}
	var noisy []string
	worst := 0.0
	for i, r := range rv.Runs {
		if r.Label != "measured" || r.CPU.WallSeconds == 0 {
			continue
		}
		share := 100 * r.CPU.OtherCPUSeconds / (r.CPU.WallSeconds * float64(nproc))
		worst = max(worst, share)
		if share >= 10 {
			noisy = append(noisy, fmt.Sprintf("%d (%.0f%%)", i, share))
		}
	}
	if len(noisy) > 0 {
		p("The machine is shared: other processes took a tenth or more of its CPU during runs %s (column \"other processes\"); the spread between runs, and any gap between concurrencies of that size, is noise from them.", strings.Join(noisy, ", "))
	} else {
		p("Other processes took at most %.0f%% of the machine's CPU during any measured run.", worst)
	}

	// Where the time went, over every measured run together.
	var agg cpuUse
	agg.CPUSeconds = map[string]float64{}
	subs, busyWall := 0, 0.0
	calls := 0.0
	for _, r := range rv.Runs {
		if r.Label != "measured" {
			continue
		}
		subs += r.Submissions
		busyWall += r.CPU.MachineBusyPct / 100 * r.CPU.WallSeconds
		agg.WallSeconds += r.CPU.WallSeconds
		agg.OtherCPUSeconds += r.CPU.OtherCPUSeconds
		for k, v := range r.CPU.CPUSeconds {
			agg.CPUSeconds[k] += v
		}
		calls = callsPer(r)
	}
	agg.MachineBusyPct = 100 * busyWall / agg.WallSeconds
	ours := 0.0
	for _, v := range agg.CPUSeconds {
		ours += v
	}
	ms := func(sec float64) float64 { return 1000 * sec / float64(subs) }
	p("Over the measured runs the machine's %d cores were %.0f%% busy. Per submission: %s; other processes on the machine took %.1f ms more.",
		nproc, agg.MachineBusyPct, cpuPerSubmission(agg, subs), ms(agg.OtherCPUSeconds))
	if agg.MachineBusyPct >= 85 {
		p("The run is CPU-bound: at %.1f ms of CPU per submission for the worker and its stand-ins, %d cores cannot do more than about %.0f submissions/s, however many pollers run. "+
			"The benchmark process alone (worker, SDK clients, the embedded S3 gateway, PNG decoding) uses %.1f ms, a ceiling of %.0f/s on %d cores even with free emulators; DynamoDB Local (a JVM over SQLite) adds %.1f ms.",
			ms(ours), nproc, float64(nproc)*1000/ms(ours), ms(agg.CPUSeconds[benchProcess]), float64(nproc)*1000/ms(agg.CPUSeconds[benchProcess]), nproc, ms(agg.CPUSeconds[dynamoProcess]))
		p("So this is a figure for emulators sharing a small machine, not for Lambda: there each concurrent worker instance has its own CPU and DynamoDB, S3 and SQS run elsewhere, so throughput grows with the event source's concurrency (%.0f DynamoDB calls per submission, one a transaction that also updates the account type's shared pending counter).", calls)
	} else {
		p("The machine was not saturated, so the limit is the latency of each submission's chain of sequential requests rather than CPU; more pollers would add throughput.")
	}
}

// CPU accounting keys of this process and of DynamoDB Local.
const (
	benchProcess  = "bench process (worker, pollers, embedded VersityGW)"
	dynamoProcess = "DynamoDB Local (java)"
)

// cpuPerSubmission lists each component's CPU milliseconds per submission.
func cpuPerSubmission(u cpuUse, subs int) string {
	var parts []string
	for _, k := range cpuOrder(u) {
		parts = append(parts, fmt.Sprintf("%s %.1f ms", k, 1000*u.CPUSeconds[k]/float64(max(subs, 1))))
	}
	return strings.Join(parts, ", ")
}

func batchOf(runs []reviewRun) int {
	if len(runs) == 0 {
		return 0
	}
	return runs[0].BatchSize
}

func callsPer(r reviewRun) float64 {
	total := 0
	for k, v := range r.Calls {
		if !strings.HasSuffix(k, "(error)") {
			total += v
		}
	}
	return float64(total) / float64(max(r.Submissions, 1))
}

// cpuSplit lists CPU milliseconds per submission in a fixed order: this process,
// DynamoDB Local, fauxqs.
func cpuSplit(u cpuUse, n int) string {
	var parts []string
	for _, k := range cpuOrder(u) {
		parts = append(parts, fmt.Sprintf("%.1f", 1000*u.CPUSeconds[k]/float64(max(n, 1))))
	}
	parts = append(parts, fmt.Sprintf("%.1f", 1000*u.OtherCPUSeconds/float64(max(n, 1))))
	return strings.Join(parts, " / ")
}

func cpuOrder(u cpuUse) []string {
	keys := slices.Sorted(maps.Keys(u.CPUSeconds))
	slices.SortStableFunc(keys, func(a, b string) int { return rank(a) - rank(b) })
	return keys
}

func rank(k string) int {
	switch {
	case strings.HasPrefix(k, "bench"):
		return 0
	case strings.HasPrefix(k, "DynamoDB"):
		return 1
	case strings.HasPrefix(k, "fauxqs"):
		return 2
	}
	return 3
}

func (l *listResult) markdown(p func(string, ...any)) {
	p("## 2. Reviewer list: cost of one page (limit %d)", l.PageSize)
	p("")
	p("One DynamoDB Local table grown to each size in turn with BatchWriteItem (25 items a call, %d writers) of account items in `pkg/dynamo`'s layout (checked first against items the store itself wrote, state by state). "+
		"Accounts are 60%% APPROVED, 20%% REJECTED, 20%% UNVERIFIED, half personal and half company, except the pending ones: "+
		"**personal**: %.0f%% of the table pending (at least %d, so the first page is full); **company**: a fixed backlog of %d pending at every size. "+
		"The table holds only account items and the two pending counters; a real table also holds users, phones, sessions and audit records, which a Scan reads too and the index never does.",
		l.Writers, 100*l.PendingFrac, l.PendingMin, l.Backlog)
	p("")
	p("Items read = `ScannedCount` of every Query/Scan call plus 1 per GetItem that found an item; RCU = `ConsumedCapacity.CapacityUnits` with ReturnConsumedCapacity TOTAL, as DynamoDB Local reports them. "+
		"`Store.ListPending` is one Query on GSIPending with Limit %d (one more than the page, to know whether a next page exists) plus a GetItem of the pending counter. "+
		"The naive list is Scan with `FilterExpression` State = PENDING_REVIEW AND Type = <type>, each call ending at 1 MB read (calls carry Limit %d, above the %d items that 1 MB held at most here, only because DynamoDB Local is seconds per call at 100k without one; no call ended at the Limit, so the items read are a limitless Scan's); \"first 20 matches\" stops as soon as it has 20 (in no useful order), \"oldest 20\" reads to the end and sorts, which is what the reviewer list shows (its page was checked equal to ListPending's).",
		l.PageSize+1, l.ScanLimit, l.MaxPerScan)
	p("")
	p("| Accounts | Type | Pending | Method | Accounts on page | **Items read** | RCU | Calls | Median ms | p90 ms | Timed |")
	p("|---:|---|---:|---|---:|---:|---:|---|---:|---:|---:|")
	for _, s := range l.Sizes {
		for _, m := range s.Methods {
			p("| %d | %s | %d | %s | %d | **%d** | %.1f | %s | %.1f | %.1f | %d× |", s.Accounts, shortType(m.Type), m.Pending, m.Method, m.Returned, m.ItemsRead, m.Capacity, callList(m.Calls), m.Latency.Median, m.Latency.P90, m.Latency.N)
		}
	}
	p("")
	p("Ratios, Scan over GSI Query (items read; RCU in brackets):")
	p("")
	p("| Accounts | Type | first 20 matches / Query | oldest 20 / Query |")
	p("|---:|---|---:|---:|")
	for _, s := range l.Sizes {
		for _, typ := range []string{"personal_account", "company_account"} {
			q, f, a := s.find(methodQuery, typ), s.find(methodScanFirst, typ), s.find(methodScanAll, typ)
			if q == nil || f == nil || a == nil {
				continue
			}
			p("| %d | %s | %.0f× (%.0f×) | %.0f× (%.0f×) |", s.Accounts, shortType(typ),
				ratio(f.ItemsRead, q.ItemsRead), f.Capacity/q.Capacity, ratio(a.ItemsRead, q.ItemsRead), a.Capacity/q.Capacity)
		}
	}
	if len(l.Sizes) < 2 {
		return
	}
	lo, hi := l.Sizes[0], l.Sizes[len(l.Sizes)-1]
	p("")
	p("From %d to %d accounts (%.0f× the table):", lo.Accounts, hi.Accounts, float64(hi.Accounts)/float64(lo.Accounts))
	p("")
	for _, typ := range []string{"personal_account", "company_account"} {
		for _, method := range []string{methodQuery, methodScanFirst, methodScanAll} {
			a, b := lo.find(method, typ), hi.find(method, typ)
			if a == nil || b == nil {
				continue
			}
			what := fmt.Sprintf("grow %.1f×", ratio(b.ItemsRead, a.ItemsRead))
			if a.ItemsRead == b.ItemsRead {
				what = "are **equal**"
			}
			p("- %s, %s: items read per page %s (%d → %d), RCU %.1f → %.1f, median latency %.1f → %.1f ms.",
				shortType(typ), method, what, a.ItemsRead, b.ItemsRead, a.Capacity, b.Capacity, a.Latency.Median, b.Latency.Median)
		}
	}
	p("")
	qEqual := true
	for _, typ := range []string{"personal_account", "company_account"} {
		a, b := lo.find(methodQuery, typ), hi.find(methodQuery, typ)
		if a == nil || b == nil || a.ItemsRead != b.ItemsRead {
			qEqual = false
		}
	}
	if qEqual {
		p("Claim 1, the GSI Query reads the same number of items per page at %d and %d accounts: **holds** for both types.", lo.Accounts, hi.Accounts)
	} else {
		p("Claim 1, the GSI Query reads the same number of items per page at %d and %d accounts: **does not hold** (see the table).", lo.Accounts, hi.Accounts)
	}
	sa, sb := lo.find(methodScanAll, "personal_account"), hi.find(methodScanAll, "personal_account")
	fpa, fpb := lo.find(methodScanFirst, "personal_account"), hi.find(methodScanFirst, "personal_account")
	fca, fcb := lo.find(methodScanFirst, "company_account"), hi.find(methodScanFirst, "company_account")
	if sa == nil || sb == nil || fpa == nil || fpb == nil || fca == nil || fcb == nil {
		return
	}
	verdict := "**holds**"
	if ratio(sb.ItemsRead, sa.ItemsRead) < 2 {
		verdict = "**does not hold**"
	}
	p("Claim 2, the Scan's items read per page grow with the table: %s. The Scan that yields the list's page (oldest 20 first) reads the whole table every time: %d → %d items (%.0f×). "+
		"The Scan that stops at its first 20 matches reads about 20 ÷ (share of matching items), rounded up to whole 1 MB calls, so it grows with the table when the backlog is fixed (company: %d → %d, %.1f×) and hardly when the pending share is (personal: %d → %d, %.1f×); and its page is in no useful order.",
		verdict, sa.ItemsRead, sb.ItemsRead, ratio(sb.ItemsRead, sa.ItemsRead),
		fca.ItemsRead, fcb.ItemsRead, ratio(fcb.ItemsRead, fca.ItemsRead), fpa.ItemsRead, fpb.ItemsRead, ratio(fpb.ItemsRead, fpa.ItemsRead))
}

func (s listSize) find(method, typ string) *listMethod {
	for i := range s.Methods {
		if s.Methods[i].Method == method && s.Methods[i].Type == typ {
			return &s.Methods[i]
		}
	}
	return nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func shortType(t string) string { return strings.TrimSuffix(t, "_account") }

func callList(c map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}
