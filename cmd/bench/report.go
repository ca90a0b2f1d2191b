package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/realname-kyc/realname/pkg/emulators"
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
	Webhooks     *webhooksResult `json:"webhooks,omitempty"`
	Certs        *certsResult    `json:"certs,omitempty"`
}

func (r *report) markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	m := r.Machine
	p("# realname performance report")
	p("")
	p("- Date: %s", m.Date)
	p("- Machine: %d CPU (nproc), %s, %.1f GiB RAM, %s", m.NProc, orUnknown(m.CPU), m.MemGiB, m.Platform)
	p("- Go: %s; commit %s", m.GoVersion, orUnknown(m.Commit))
	p("- Stand-ins, all on 127.0.0.1 and started by the program: %s (in memory), DynamoDB Local %s (%s, in memory), %s, %s",
		orUnknown(m.Dynoxide), orUnknown(m.DynamoDBLocal), orUnknown(m.Java), orUnknown(m.Fauxqs), orUnknown(m.VersityGW))
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
	if r.Webhooks != nil {
		p("")
		r.Webhooks.markdown(p)
	}
	if r.Certs != nil {
		p("")
		r.Certs.markdown(p)
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
	if len(rv.Engines) == 0 {
		return
	}
	n, batch := 0, 0
	var names []string
	for _, g := range rv.Engines {
		names = append(names, g.Engine)
		for _, r := range g.Runs {
			batch = r.BatchSize
			if r.Label == "measured" {
				n = r.Submissions
			}
		}
	}
	p("## 1. Review worker throughput (queue to PENDING_REVIEW)")
	p("")
	p("On each engine in turn (%s; only one runs at a time), with fauxqs and the embedded VersityGW shared. "+
		"Each run: %d personal accounts in SUBMITTED, written beforehand with `Store.PutAccountsForLoad` (the store's own item encoding), each with two valid PNG documents (%s) put in S3 by `s3docs`; their %d review messages are on the fauxqs queue before the pollers start. "+
		"A poller is `localrun.EventSource.Poll` in a loop (receive up to %d, invoke the `ReviewWorkerFunction` handler of `lambdafn.Handlers`, delete the successes one by one), standing for one concurrently running Lambda instance. "+
		"The worker does the full checks: GetItem of the account, Head + Get + full decode of each document, `IdentityOwner`, then the `Transition` transaction. "+
		"Time runs from the first poll until the handler has reported all %d messages done (each after its Transition committed); then the pending counter (written in the same transaction) was checked to have grown by exactly that many and every account was read back and found PENDING_REVIEW. "+
		"On each engine a warm-up run comes first (DynamoDB Local's JIT, connections), then the concurrencies take turns; the measured runs are CPU-profiled with runtime/pprof.",
		strings.Join(names, ", "), n, rv.Docs, n, batch, n)
	p("")
	p("| Engine | Pollers (concurrent Lambdas) | Batch | Runs | **Submissions/s (median)** | All runs | CPU ms per submission: worker process / engine / fauxqs / other |")
	p("|---|---:|---:|---:|---:|---|---|")
	type best struct {
		engine string
		sm     reviewSummary
	}
	var top best
	for _, g := range rv.Engines {
		for _, sm := range g.Summary {
			var all []string
			for _, v := range sm.All {
				all = append(all, fmt.Sprintf("%.0f", v))
			}
			agg, subs := aggregateCPU(g.Runs, sm.Concurrency)
			p("| %s | %d | %d | %d | **%.0f** | %s | %s |", g.Engine, sm.Concurrency, batch, sm.Runs, sm.Median, strings.Join(all, ", "), cpuSplit(agg, subs))
			if sm.Median > top.sm.Median {
				top = best{g.Engine, sm}
			}
		}
	}
	p("")
	verdict := "**met**"
	if top.sm.Median < rv.Target {
		verdict = "**not met**"
	}
	p("Target ≥ %.0f submissions/s on one engine: %s (best median %.0f/s, %s with %d pollers, %.0f%% of the target).", rv.Target, verdict, top.sm.Median, top.engine, top.sm.Concurrency, 100*top.sm.Median/rv.Target)
	p("")
	p("Every run:")
	p("")
	p("| Engine | Run | Pollers | Submissions | Seconds | Submissions/s | All deleted (s) | DynamoDB calls / submission | Tx conflicts | Errors | Machine CPU busy | CPU ms per submission: worker process / engine / fauxqs / other |")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, g := range rv.Engines {
		for i, r := range g.Runs {
			label := strconv.Itoa(i)
			if r.Label != "measured" {
				label = "warm-up"
			}
			p("| %s | %s | %d | %d | %.2f | %.0f | %.2f | %.2f | %d | %d | %.0f%% | %s |",
				g.Engine, label, r.Concurrency, r.Submissions, r.Seconds, r.PerSecond, r.DrainSeconds,
				callsPer(r), r.Conflicts, r.Errors, r.CPU.MachineBusyPct, cpuSplit(r.CPU, r.Submissions))
		}
	}
	p("")
	var noisy []string
	worst := 0.0
	for _, g := range rv.Engines {
		for i, r := range g.Runs {
			if r.Label != "measured" || r.CPU.WallSeconds == 0 {
				continue
			}
			share := 100 * r.CPU.OtherCPUSeconds / (r.CPU.WallSeconds * float64(nproc))
			worst = max(worst, share)
			if share >= 10 {
				noisy = append(noisy, fmt.Sprintf("%s %d (%.0f%%)", g.Engine, i, share))
			}
		}
	}
	if len(noisy) > 0 {
		p("The machine is shared: other processes took a tenth or more of its CPU during runs %s (column \"other\"); the spread between runs, and any gap between concurrencies of that size, is noise from them.", strings.Join(noisy, ", "))
	} else {
		p("Other processes took at most %.0f%% of the machine's CPU during any measured run.", worst)
	}
	p("")
	for _, g := range rv.Engines {
		agg, subs := aggregateCPU(g.Runs, 0)
		if subs == 0 {
			continue
		}
		ms := func(sec float64) float64 { return 1000 * sec / float64(subs) }
		ours := 0.0
		for _, v := range agg.CPUSeconds {
			ours += v
		}
		worker := agg.CPUSeconds[benchProcess]
		line := fmt.Sprintf("On %s, over the measured runs, the machine's %d cores were %.0f%% busy. Per submission: %s; other processes took %.1f ms more. ",
			g.Engine, nproc, agg.MachineBusyPct, cpuPerSubmission(agg, subs), ms(agg.OtherCPUSeconds))
		if agg.MachineBusyPct >= 85 {
			line += fmt.Sprintf("CPU-bound: at %.1f ms of CPU per submission for the worker process and its stand-ins, %d cores allow at most about %.0f submissions/s however many pollers run; the worker process alone (%.1f ms) would allow %.0f/s with free stand-ins.",
				ms(ours), nproc, float64(nproc)*1000/ms(ours), ms(worker), float64(nproc)*1000/ms(worker))
		} else {
			line += "The machine was not saturated, so the limit is the latency of each submission's chain of sequential requests rather than CPU; more pollers would add throughput."
		}
		p("%s", line)
		p("")
	}
	p("This is a figure for stand-ins sharing a small machine, not for Lambda: there each concurrent worker instance has its own CPU and DynamoDB, S3 and SQS run elsewhere, so throughput grows with the event source's concurrency.")
	rv.profileMarkdown(p)
}

// aggregateCPU adds up the CPU use of the measured runs with c pollers (0: all).
func aggregateCPU(runs []reviewRun, c int) (cpuUse, int) {
	agg := cpuUse{CPUSeconds: map[string]float64{}}
	subs, busyWall := 0, 0.0
	for _, r := range runs {
		if r.Label != "measured" || (c != 0 && r.Concurrency != c) {
			continue
		}
		subs += r.Submissions
		busyWall += r.CPU.MachineBusyPct / 100 * r.CPU.WallSeconds
		agg.WallSeconds += r.CPU.WallSeconds
		agg.OtherCPUSeconds += r.CPU.OtherCPUSeconds
		for k, v := range r.CPU.CPUSeconds {
			agg.CPUSeconds[k] += v
		}
	}
	if agg.WallSeconds > 0 {
		agg.MachineBusyPct = 100 * busyWall / agg.WallSeconds
	}
	return agg, subs
}

// profileMarkdown prints where the worker process's CPU went, from the CPU profiles.
func (rv *reviewResult) profileMarkdown(p func(string, ...any)) {
	var with []reviewEngine
	for _, g := range rv.Engines {
		if g.Profile != nil && g.Profile.TotalSeconds > 0 {
			with = append(with, g)
		}
	}
	if len(with) == 0 {
		return
	}
	p("")
	p("### Where the worker process's CPU goes (CPU profile of the measured runs)")
	p("")
	var files []string
	for _, g := range with {
		if n := len(g.Profile.Files); n > 0 {
			dir := filepath.Dir(g.Profile.Files[0])
			var bases []string
			for _, f := range g.Profile.Files {
				bases = append(bases, filepath.Base(f))
			}
			files = append(files, fmt.Sprintf("%s: %s in `%s`", g.Engine, "`"+strings.Join(bases, "`, `")+"`", dir))
		}
	}
	p("runtime/pprof (100 Hz) of this process (worker, pollers, SDK clients, the embedded VersityGW that serves its S3 calls) from the first poll to the last message handled. "+
		"Each sample goes to the component of its innermost frame that belongs to one; runtime, syscall, crypto, encoding and the like go to their caller (sha256 under the SDK's signer counts as signing, under VersityGW as the server's signature check), except that a sample with a GC frame anywhere is GC. Profiles: %s (`go tool pprof -top <files>`).",
		orUnknown(strings.Join(files, "; ")))
	p("")
	header, sep := "| Component |", "|---|"
	for _, g := range with {
		header += fmt.Sprintf(" %s ms / submission | %s %% |", g.Engine, g.Engine)
		sep += "---:|---:|"
	}
	p("%s", header)
	p("%s", sep)
	var order []string
	seen := map[string]bool{}
	for _, g := range with {
		for _, c := range g.Profile.Components {
			if !seen[c.Name] {
				seen[c.Name] = true
				order = append(order, c.Name)
			}
		}
	}
	subsOf := func(g reviewEngine) int { _, s := aggregateCPU(g.Runs, 0); return max(s, 1) }
	for _, name := range order {
		row := "| " + name + " |"
		for _, g := range with {
			var c cpuPart
			for _, x := range g.Profile.Components {
				if x.Name == name {
					c = x
				}
			}
			row += fmt.Sprintf(" %.2f | %.0f%% |", 1000*c.Seconds/float64(subsOf(g)), c.Pct)
		}
		p("%s", row)
	}
	row := "| **total sampled** |"
	for _, g := range with {
		agg, subs := aggregateCPU(g.Runs, 0)
		row += fmt.Sprintf(" **%.2f** (/proc: %.2f) | 100%% |", 1000*g.Profile.TotalSeconds/float64(max(subs, 1)), 1000*agg.CPUSeconds[benchProcess]/float64(max(subs, 1)))
	}
	p("%s", row)
	p("")
	p("By call of the worker and its poller (only what a stack ties to one call: the calling goroutine's SDK client method and, for S3, the gateway's controller; the HTTP connection loops, the gateway's request parsing and signature check and GC are not split by call):")
	p("")
	header, sep = "| Call |", "|---|"
	for _, g := range with {
		header += fmt.Sprintf(" %s ms / submission |", g.Engine)
		sep += "---:|"
	}
	p("%s", header)
	p("%s", sep)
	seenOp := map[string]bool{}
	for _, op := range operations {
		if seenOp[op.name] {
			continue
		}
		seenOp[op.name] = true
		row := "| " + op.name + " |"
		for _, g := range with {
			v := 0.0
			for _, x := range g.Profile.Operations {
				if x.Name == op.name {
					v = x.Seconds
				}
			}
			row += fmt.Sprintf(" %.2f |", 1000*v/float64(subsOf(g)))
		}
		p("%s", row)
	}
	g := with[0]
	p("")
	p("Top packages (flat: the leaf frame's package) and functions on %s:", g.Engine)
	p("")
	p("| Package (flat) | %% | Function (flat) | %% |")
	p("|---|---:|---|---:|")
	for i := 0; i < max(len(g.Profile.Packages), len(g.Profile.Functions)); i++ {
		var a, b cpuPart
		if i < len(g.Profile.Packages) {
			a = g.Profile.Packages[i]
		}
		if i < len(g.Profile.Functions) {
			b = g.Profile.Functions[i]
		}
		p("| `%s` | %.1f%% | `%s` | %.1f%% |", a.Name, a.Pct, b.Name, b.Pct)
	}
}

// CPU accounting key of this process.
const benchProcess = "worker process (bench: worker, pollers, SDK clients, embedded VersityGW)"

// cpuPerSubmission lists each component's CPU milliseconds per submission.
func cpuPerSubmission(u cpuUse, subs int) string {
	var parts []string
	for _, k := range cpuOrder(u) {
		parts = append(parts, fmt.Sprintf("%s %.1f ms", k, 1000*u.CPUSeconds[k]/float64(max(subs, 1))))
	}
	return strings.Join(parts, ", ")
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

// cpuSplit lists CPU milliseconds per submission in a fixed order: this process, the
// DynamoDB engine, fauxqs, then other processes on the machine.
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
	case k == benchProcess:
		return 0
	case strings.HasPrefix(k, "DynamoDB"), strings.HasPrefix(k, "dynoxide"):
		return 1
	case strings.HasPrefix(k, "fauxqs"):
		return 2
	}
	return 3
}

func (l *listResult) markdown(p func(string, ...any)) {
	if len(l.Engines) == 0 {
		return
	}
	var names []string
	maxPerScan := int64(0)
	for _, g := range l.Engines {
		names = append(names, g.Engine)
		maxPerScan = max(maxPerScan, g.MaxPerScan)
	}
	p("## 2. Reviewer list: cost of one page (limit %d)", l.PageSize)
	p("")
	p("The same method on each engine (%s): one table grown to each size in turn with `Store.PutAccountsForLoad` (BatchWriteItem of the store's own account items, 25 a call, %d writers; it also keeps the pending counters; a sample of the first 200 accounts was read back with `Store.GetAccount` and found equal to what was written). "+
		"Accounts are 60%% APPROVED, 20%% REJECTED, 20%% UNVERIFIED, half personal and half company, except the pending ones: "+
		"**personal**: %.0f%% of the table pending (at least %d, so the first page is full); **company**: a fixed backlog of %d pending at every size. "+
		"The table holds only account items and the two pending counters; a real table also holds users, phones, sessions and audit records, which a Scan reads too and the index never does.",
		strings.Join(names, ", "), l.Writers, 100*l.PendingFrac, l.PendingMin, l.Backlog)
	p("")
	p("Items read = `ScannedCount` of every Query/Scan call plus 1 per GetItem that found an item; RCU = `ConsumedCapacity.CapacityUnits` with ReturnConsumedCapacity TOTAL, as each engine reports them. "+
		"`Store.ListPending`'s first page is one Query on GSIPending with Limit %d: the pending counter, which heads the index partition, the page, and one more account to know whether a next page exists. "+
		"The naive list is Scan with `FilterExpression` State = PENDING_REVIEW AND Type = <type>, each call ending at 1 MB read (calls carry Limit %d, above the %d items that 1 MB held at most here, only because DynamoDB Local is seconds per call at 100k without one; no call ended at the Limit, so the items read are a limitless Scan's); \"first 20 matches\" stops as soon as it has 20 (in no useful order), \"oldest 20\" reads to the end and sorts, which is what the reviewer list shows (its page was checked equal to ListPending's).",
		l.PageSize+2, l.ScanLimit, maxPerScan)
	p("")
	p("| Engine | Accounts | Type | Pending | Method | Accounts on page | **Items read** | RCU | Calls | Median ms | p90 ms | Timed |")
	p("|---|---:|---|---:|---|---:|---:|---:|---|---:|---:|---:|")
	for _, g := range l.Engines {
		for _, s := range g.Sizes {
			for _, m := range s.Methods {
				p("| %s | %d | %s | %d | %s | %d | **%d** | %.1f | %s | %.1f | %.1f | %d× |", g.Engine, s.Accounts, shortType(m.Type), m.Pending, m.Method, m.Returned, m.ItemsRead, m.Capacity, callList(m.Calls), m.Latency.Median, m.Latency.P90, m.Latency.N)
			}
		}
	}
	p("")
	p("Ratios, Scan over GSI Query (items read; RCU in brackets):")
	p("")
	p("| Engine | Accounts | Type | first 20 matches / Query | oldest 20 / Query |")
	p("|---|---:|---|---:|---:|")
	for _, g := range l.Engines {
		for _, s := range g.Sizes {
			for _, typ := range []string{"personal_account", "company_account"} {
				q, f, a := s.find(methodQuery, typ), s.find(methodScanFirst, typ), s.find(methodScanAll, typ)
				if q == nil || f == nil || a == nil {
					continue
				}
				p("| %s | %d | %s | %.0f× (%s) | %.0f× (%s) |", g.Engine, s.Accounts, shortType(typ),
					ratio(f.ItemsRead, q.ItemsRead), capRatio(f.Capacity, q.Capacity), ratio(a.ItemsRead, q.ItemsRead), capRatio(a.Capacity, q.Capacity))
			}
		}
	}
	for _, g := range l.Engines {
		g.claims(p)
	}
	if len(l.Engines) >= 2 {
		l.compareEngines(p)
	}
}

// compareEngines says, method by method, whether the engines read the same items per page.
func (l *listResult) compareEngines(p func(string, ...any)) {
	a := l.Engines[0]
	p("")
	p("Across engines, items read per page (%s against each other engine, every size and type):", a.Engine)
	p("")
	for _, method := range []string{methodQuery, methodScanFirst, methodScanAll} {
		for _, b := range l.Engines[1:] {
			equal, n := true, 0
			var diffs []string
			maxRel := 0.0
			for i := 0; i < min(len(a.Sizes), len(b.Sizes)); i++ {
				for _, typ := range []string{"personal_account", "company_account"} {
					x, y := a.Sizes[i].find(method, typ), b.Sizes[i].find(method, typ)
					if x == nil || y == nil {
						continue
					}
					n++
					if x.ItemsRead != y.ItemsRead {
						equal = false
						maxRel = max(maxRel, math.Abs(float64(x.ItemsRead-y.ItemsRead))/float64(max(y.ItemsRead, 1)))
						diffs = append(diffs, fmt.Sprintf("%d %s %d vs %d", a.Sizes[i].Accounts, shortType(typ), x.ItemsRead, y.ItemsRead))
					}
				}
			}
			switch {
			case n == 0:
			case equal:
				p("- %s: **identical** to %s.", method, b.Engine)
			case maxRel < 0.02:
				p("- %s: within %.1f%% of %s (%s).", method, 100*maxRel, b.Engine, strings.Join(diffs, "; "))
			default:
				p("- %s: **differs** from %s (%s).", method, b.Engine, strings.Join(diffs, "; "))
			}
		}
	}
	hasDynoxide := false
	for _, g := range l.Engines {
		hasDynoxide = hasDynoxide || g.Engine == engineName(engineDynoxide)
	}
	if !hasDynoxide || len(a.Sizes) == 0 {
		return
	}
	p("")
	p("Known engine differences behind this (dynoxide %s): dynoxide returns a Scan in key order (checked by hand: keys written m, c, x, a, q, b scan as a, b, c, m, q, x), while DynamoDB, like DynamoDB Local, scans in the order of the partition key's hash. "+
		"Here the lowest keys are the first %d accounts, which hold the whole fixed company backlog, so on dynoxide \"first 20 matches\" finds its page in the first 1 MB call at every size: an artifact of the order, not what DynamoDB would read; DynamoDB Local's figure is the realistic one. "+
		"dynoxide also fits slightly fewer of these items in 1 MB and reports a whole-table Scan a few items higher (about one per 1 MB call). The GSI Query reads the same on both.", emulators.DynoxideVersion, a.Sizes[0].Accounts)
}

func capRatio(a, b float64) string {
	if b == 0 {
		return "no RCU reported"
	}
	return fmt.Sprintf("%.0f×", a/b)
}

// claims prints the two claims of the list part for one engine.
func (g listEngine) claims(p func(string, ...any)) {
	if len(g.Sizes) < 2 {
		return
	}
	lo, hi := g.Sizes[0], g.Sizes[len(g.Sizes)-1]
	p("")
	p("On %s, from %d to %d accounts (%.0f× the table):", g.Engine, lo.Accounts, hi.Accounts, float64(hi.Accounts)/float64(lo.Accounts))
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
		p("Claim 1 on %s, the GSI Query reads the same number of items per page at %d and %d accounts: **holds** for both types.", g.Engine, lo.Accounts, hi.Accounts)
	} else {
		p("Claim 1 on %s, the GSI Query reads the same number of items per page at %d and %d accounts: **does not hold** (see the table).", g.Engine, lo.Accounts, hi.Accounts)
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
	p("Claim 2 on %s, the Scan's items read per page grow with the table: %s. The Scan that yields the list's page (oldest 20 first) reads the whole table every time: %d → %d items (%.0f×). "+
		"The Scan that stops at its first 20 matches reads about 20 ÷ (share of matching items), rounded up to whole 1 MB calls, so it grows with the table when the backlog is fixed (company: %d → %d, %.1f×) and hardly when the pending share is (personal: %d → %d, %.1f×); and its page is in no useful order.",
		g.Engine, verdict, sa.ItemsRead, sb.ItemsRead, ratio(sb.ItemsRead, sa.ItemsRead),
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
