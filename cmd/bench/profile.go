package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// A CPU profile as runtime/pprof writes it (gzipped profile.proto), reduced to what the
// report needs: each sample's stack of function names (leaf first, inlined frames
// expanded) and its CPU nanoseconds. `go tool pprof` reads the files the review part
// saves; this decoder only adds them up by component, package and function.

type profSample struct {
	stack []string // function names, leaf first
	cpuNs int64
}

// parseCPUProfile decodes a gzipped CPU profile.
func parseCPUProfile(data []byte) ([]profSample, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	type sample struct {
		locs   []uint64
		values []int64
	}
	type line struct{ fn uint64 }
	var (
		samples     []sample
		sampleTypes [][2]int64 // type, unit (string indexes)
		locations   = map[uint64][]line{}
		functions   = map[uint64]int64{} // id -> name index
		strs        []string
	)
	err = pbFields(raw, func(field int, wire int, v uint64, b []byte) error {
		switch field {
		case 1: // sample_type
			var st [2]int64
			err := pbFields(b, func(f, _ int, v uint64, _ []byte) error {
				if f == 1 || f == 2 {
					st[f-1] = int64(v)
				}
				return nil
			})
			sampleTypes = append(sampleTypes, st)
			return err
		case 2: // sample
			var s sample
			err := pbFields(b, func(f, w int, v uint64, b []byte) error {
				var perr error
				switch f {
				case 1:
					s.locs, perr = pbAppendVarints(s.locs, w, v, b)
				case 2:
					var u []uint64
					u, perr = pbAppendVarints(nil, w, v, b)
					for _, x := range u {
						s.values = append(s.values, int64(x))
					}
				}
				return perr
			})
			samples = append(samples, s)
			return err
		case 4: // location
			var id uint64
			var lines []line
			err := pbFields(b, func(f, _ int, v uint64, b []byte) error {
				switch f {
				case 1:
					id = v
				case 4:
					var l line
					err := pbFields(b, func(f, _ int, v uint64, _ []byte) error {
						if f == 1 {
							l.fn = v
						}
						return nil
					})
					lines = append(lines, l)
					return err
				}
				return nil
			})
			locations[id] = lines
			return err
		case 5: // function
			var id uint64
			var name int64
			err := pbFields(b, func(f, _ int, v uint64, _ []byte) error {
				switch f {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			functions[id] = name
			return err
		case 6: // string_table
			strs = append(strs, string(b))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	str := func(i int64) string {
		if i < 0 || int(i) >= len(strs) {
			return "?"
		}
		return strs[i]
	}
	cpu := -1
	for i, st := range sampleTypes {
		if str(st[0]) == "cpu" && str(st[1]) == "nanoseconds" {
			cpu = i
		}
	}
	if cpu < 0 {
		return nil, errors.New("profile: no cpu/nanoseconds sample type")
	}
	out := make([]profSample, 0, len(samples))
	for _, s := range samples {
		if cpu >= len(s.values) {
			continue
		}
		ps := profSample{cpuNs: s.values[cpu]}
		for _, id := range s.locs {
			for _, l := range locations[id] { // innermost inlined frame first
				ps.stack = append(ps.stack, str(functions[l.fn]))
			}
		}
		out = append(out, ps)
	}
	return out, nil
}

// pbFields calls fn for each field of a protobuf message: varints with v, length-delimited
// fields with b. Fixed-width fields are skipped.
func pbFields(b []byte, fn func(field, wire int, v uint64, b []byte) error) error {
	for len(b) > 0 {
		key, n := pbVarint(b)
		if n == 0 {
			return errors.New("bad field key")
		}
		b = b[n:]
		field, wire := int(key>>3), int(key&7)
		switch wire {
		case 0:
			v, n := pbVarint(b)
			if n == 0 {
				return errors.New("bad varint")
			}
			b = b[n:]
			if err := fn(field, wire, v, nil); err != nil {
				return err
			}
		case 1:
			if len(b) < 8 {
				return errors.New("short fixed64")
			}
			b = b[8:]
		case 2:
			l, n := pbVarint(b)
			if n == 0 || uint64(len(b)-n) < l {
				return errors.New("bad length")
			}
			if err := fn(field, wire, 0, b[n:n+int(l)]); err != nil {
				return err
			}
			b = b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return errors.New("short fixed32")
			}
			b = b[4:]
		default:
			return fmt.Errorf("wire type %d", wire)
		}
	}
	return nil
}

// pbAppendVarints appends a repeated varint field, packed (wire 2) or not (wire 0).
func pbAppendVarints(dst []uint64, wire int, v uint64, b []byte) ([]uint64, error) {
	if wire == 0 {
		return append(dst, v), nil
	}
	for len(b) > 0 {
		x, n := pbVarint(b)
		if n == 0 {
			return dst, errors.New("bad packed varint")
		}
		dst, b = append(dst, x), b[n:]
	}
	return dst, nil
}

func pbVarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// funcPackage is the import path of a function name such as
// "github.com/aws/smithy-go/middleware.(*Stack).HandleMiddleware" or "runtime.mallocgc".
func funcPackage(name string) string {
	if !strings.Contains(name, ".") {
		return "runtime" // assembly such as aeshashbody or memeqbody
	}
	slash := strings.LastIndexByte(name, '/')
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}

// component is one row of the report's "where the CPU goes": a label and the package
// prefixes whose frames belong to it.
type component struct {
	label    string
	prefixes []string
	// match, if set, decides instead of the prefixes.
	match func(fn string) bool
}

const (
	compGC      = "Go runtime: garbage collection (background marking, sweeping, assists)"
	compSched   = "Go runtime: scheduler, timers, netpoll, idle"
	compUnknown = "other"
)

// components in the order a frame is tried against them. A sample goes to the component
// of the innermost frame (nearest the leaf) that belongs to any; packages such as
// runtime, syscall, net, crypto/*, encoding/xml, bytes, strings and reflect belong to
// none, so their time goes to whoever called them (sha256 inside the SigV4 signer is
// signing, inside VersityGW it is the server's signature check; a socket write from
// net/http is the HTTP client's, from fasthttp the gateway's). A sample with a GC frame
// anywhere is GC; one with no component frame at all goes to the scheduler if its
// outermost frame is the runtime's, else to the package of that frame.
var components = []component{
	{label: "embedded VersityGW: the S3 server side (fiber/fasthttp, its SigV4 check, posix backend, xattrs)",
		prefixes: []string{"github.com/versity/", "github.com/gofiber/", "github.com/valyala/", "github.com/pkg/xattr"}},
	{label: "SigV4 signing in the SDK clients (DynamoDB, S3, SQS)",
		prefixes: []string{"github.com/aws/aws-sdk-go-v2/aws/signer/", "github.com/aws/aws-sdk-go-v2/internal/v4a"}},
	{label: "SDK request/response (de)serialization (DynamoDB/SQS JSON, S3 XML and headers)",
		match: func(fn string) bool {
			if strings.HasPrefix(fn, "github.com/aws/smithy-go/encoding/") || strings.HasPrefix(fn, "github.com/aws/smithy-go/document") {
				return true
			}
			if !strings.HasPrefix(fn, "github.com/aws/aws-sdk-go-v2/service/") {
				return false
			}
			l := strings.ToLower(fn)
			return strings.Contains(l, "serialize") || strings.Contains(l, "unmarshal") || strings.Contains(l, "marshal")
		}},
	{label: "SDK middleware stack and client plumbing (retries, endpoints, checksums, metrics, smithy-go)",
		prefixes: []string{"github.com/aws/aws-sdk-go-v2/", "github.com/aws/smithy-go"}},
	{label: "document checks: image decode (filecheck, image/png, image/jpeg)",
		prefixes: []string{"github.com/realname-kyc/realname/pkg/filecheck", "image", "golang.org/x/image", "compress/zlib", "compress/flate", "hash/adler32"}},
	{label: "Lambda event JSON (aws-lambda-go types) and the event source poller (localrun)",
		prefixes: []string{"github.com/aws/aws-lambda-go", "github.com/realname-kyc/realname/pkg/localrun"}},
	{label: "benchmark harness (call meter, counting the handled messages, pollers' loop)",
		prefixes: []string{"github.com/realname-kyc/realname/pkg/routeflow."}},
	{label: "product code: worker, store codec (pkg/dynamo), s3docs, sqsqueue, kyc, idcheck",
		prefixes: []string{"github.com/realname-kyc/realname/"}},
	{label: "benchmark harness (call meter, counting the handled messages, pollers' loop)",
		prefixes: []string{"main."}},
	{label: "HTTP client over loopback (net/http transport and connection loops, with their socket syscalls)",
		prefixes: []string{"net/http", "vendor/golang.org/x/net/http"}},
	{label: "encoding/json outside the SDK", prefixes: []string{"encoding/json"}},
}

func componentOf(fn string) string {
	for _, c := range components {
		if c.match != nil {
			if c.match(fn) {
				return c.label
			}
			continue
		}
		for _, p := range c.prefixes {
			if strings.HasPrefix(fn, p) {
				return c.label
			}
		}
	}
	return ""
}

func classify(stack []string) string {
	for _, fn := range stack {
		switch {
		case strings.HasPrefix(fn, "runtime.gcBgMarkWorker"), strings.HasPrefix(fn, "runtime.gcAssistAlloc"),
			strings.HasPrefix(fn, "runtime.bgsweep"), strings.HasPrefix(fn, "runtime.bgscavenge"),
			strings.HasPrefix(fn, "runtime.gcStart"), strings.HasPrefix(fn, "runtime.markroot"),
			strings.HasPrefix(fn, "runtime.gcDrain"), strings.HasPrefix(fn, "runtime.sweepone"):
			return compGC
		}
	}
	for _, fn := range stack {
		if c := componentOf(fn); c != "" {
			return c
		}
	}
	if len(stack) == 0 {
		return compUnknown
	}
	root := stack[len(stack)-1]
	if strings.HasPrefix(root, "runtime.") {
		return compSched
	}
	return funcPackage(root)
}

// operations are the worker's calls, found by a frame of the caller's side (the SDK
// client method, run on the calling goroutine) or of the embedded gateway's controller.
// What no stack ties to one call is left out: the HTTP connection loops, the gateway's
// request parsing and signature check, GC.
var operations = []struct{ name, sub string }{
	{"S3 HeadObject (client call + gateway controller)", "s3.(*Client).HeadObject"},
	{"S3 HeadObject (client call + gateway controller)", "controllers.S3ApiController.HeadObject"},
	{"S3 GetObject (client call + gateway controller; the body is read by filecheck)", "s3.(*Client).GetObject"},
	{"S3 GetObject (client call + gateway controller; the body is read by filecheck)", "controllers.S3ApiController.GetObject"},
	{"filecheck.Check (reading the body, full decode)", "pkg/filecheck.Check"},
	{"DynamoDB GetItem (account, identity claim)", "dynamodb.(*Client).GetItem"},
	{"DynamoDB TransactWriteItems (Transition)", "dynamodb.(*Client).TransactWriteItems"},
	{"SQS ReceiveMessage (poller)", "sqs.(*Client).ReceiveMessage"},
	{"SQS DeleteMessage (poller, one call per message)", "sqs.(*Client).DeleteMessage"},
}

func operationOf(stack []string) string {
	for _, fn := range stack {
		for _, op := range operations {
			if strings.Contains(fn, op.sub) {
				return op.name
			}
		}
	}
	return ""
}

// cpuProfile is where the CPU time of a set of profiles went.
type cpuProfile struct {
	Files        []string  `json:"files"`
	TotalSeconds float64   `json:"total_cpu_seconds"`
	Operations   []cpuPart `json:"by_operation"`
	Components   []cpuPart `json:"by_component"`
	Packages     []cpuPart `json:"by_package_flat"`
	Functions    []cpuPart `json:"by_function_flat"`
}

type cpuPart struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"cpu_seconds"`
	Pct     float64 `json:"pct"`
}

// summarizeProfiles adds up the samples of several profiles.
func summarizeProfiles(files []string, sets [][]profSample, topN int) cpuProfile {
	comp, pkg, fn, ops := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	var total int64
	for _, set := range sets {
		for _, s := range set {
			total += s.cpuNs
			comp[classify(s.stack)] += s.cpuNs
			if op := operationOf(s.stack); op != "" {
				ops[op] += s.cpuNs
			}
			if len(s.stack) > 0 {
				pkg[funcPackage(s.stack[0])] += s.cpuNs
				fn[s.stack[0]] += s.cpuNs
			}
		}
	}
	top := func(m map[string]int64, n int) []cpuPart {
		keys := slices.Collect(maps.Keys(m))
		slices.SortFunc(keys, func(a, b string) int {
			if m[a] != m[b] {
				if m[a] > m[b] {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		if n > 0 && len(keys) > n {
			keys = keys[:n]
		}
		out := make([]cpuPart, 0, len(keys))
		for _, k := range keys {
			out = append(out, cpuPart{Name: k, Seconds: float64(m[k]) / 1e9, Pct: 100 * float64(m[k]) / float64(max(total, 1))})
		}
		return out
	}
	// Components under half a percent are one row, so that stray roots (a timer's
	// goroutine) do not each take a line.
	const small = "other (each under 0.5%)"
	for k, v := range comp {
		if k != small && 200*v < total {
			comp[small] += v
			delete(comp, k)
		}
	}
	return cpuProfile{Files: files, TotalSeconds: float64(total) / 1e9, Operations: top(ops, 0), Components: top(comp, 0), Packages: top(pkg, topN), Functions: top(fn, topN)}
}
