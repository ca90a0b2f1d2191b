package filecheck_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
)

// allocated returns what f allocated, in bytes (the heap's running total, which frees do
// not lower: for a decode it is at least its peak).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// progressive444 is a progressive 4:4:4 YCbCr JPEG, the layout that costs the most to
// decode: 15 bytes a pixel (3 one-byte planes and 3 planes of 4-byte coefficients).
func progressive444(w, h int) []byte {
	return filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: w, Height: h, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}})
}

// TestDecodeBudgetProgressiveBomb is issue 11: a 211 KB progressive 6000x6000 JPEG, whose
// decode allocates 540 MB (the worker has 256), is refused from its header, allocating
// next to nothing.
func TestDecodeBudgetProgressiveBomb(t *testing.T) {
	bomb := progressive444(6000, 6000)
	if len(bomb) > 220_000 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	s := slot(t, "frontOfID")
	var res filecheck.Result
	start := time.Now()
	alloc := allocated(func() { res = filecheck.CheckBytes(bomb, s) })
	elapsed := time.Since(start)
	if res.Code != filecheck.TooLarge || res.Width != 6000 || res.Height != 6000 {
		t.Fatalf("got %+v", res)
	}
	// 750x750 MCUs of 3 blocks: 64 bytes of samples and 256 of coefficients each.
	if want := int64(750 * 750 * 3 * (64 + 256)); res.DecodeMemory < want {
		t.Errorf("DecodeMemory = %d, want at least %d", res.DecodeMemory, want)
	}
	if !strings.Contains(res.Message, "progressive") {
		t.Errorf("Message = %q, want a hint to save it as a baseline JPEG", res.Message)
	}
	if alloc > 1<<20 {
		t.Errorf("refusing it allocated %d bytes", alloc)
	}
	if elapsed > time.Second {
		t.Errorf("refusing it took %v", elapsed)
	}
	// Read from a stream as the worker does: the body, and nothing for the pixels.
	alloc = allocated(func() { res, _ = filecheck.Check(bytes.NewReader(bomb), s) })
	if res.Code != filecheck.TooLarge || alloc > 5<<20 {
		t.Errorf("Check: %s, allocated %d bytes", res.Code, alloc)
	}
	// Its header alone (the fuzz seed) is refused the same way.
	if res := filecheck.CheckBytes(jpegHeaderOnly(bomb), s); res.Code != filecheck.TooLarge {
		t.Errorf("header only: %+v", res)
	}
}

// gifInterlaced sets the interlace flag of a GIF's first frame (the pixel data stays
// valid: the decoder only reorders the rows).
func gifInterlaced(b []byte) []byte {
	b = bytes.Clone(b)
	pos := 13
	if b[10]&0x80 != 0 {
		pos += 3 << (b[10]&7 + 1)
	}
	for b[pos] == 0x21 { // extensions
		pos += 2
		for b[pos] != 0 {
			pos += 1 + int(b[pos])
		}
		pos++
	}
	b[pos+9] |= 0x40
	return b
}

func encodeBMP(m image.Image) []byte {
	var b bytes.Buffer
	if err := bmp.Encode(&b, m); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestDecodeMemoryEstimate: for every image layout the decoders handle, the estimate is
// at least what checking the image allocates, and not much more.
func TestDecodeMemoryEstimate(t *testing.T) {
	const w, h = 301, 203 // not a multiple of any MCU size
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	jpegLayouts := []struct {
		name string
		spec filechecktest.JPEGSpec
	}{
		{"grey", filechecktest.JPEGSpec{Sampling: []byte{0x11}}},
		{"grey sampled 2x2", filechecktest.JPEGSpec{Sampling: []byte{0x22}}},
		{"4:4:4", filechecktest.JPEGSpec{Sampling: []byte{0x11, 0x11, 0x11}}},
		{"4:4:0", filechecktest.JPEGSpec{Sampling: []byte{0x12, 0x11, 0x11}}},
		{"4:2:2", filechecktest.JPEGSpec{Sampling: []byte{0x21, 0x11, 0x11}}},
		{"4:2:0", filechecktest.JPEGSpec{}},
		{"4:1:1", filechecktest.JPEGSpec{Sampling: []byte{0x41, 0x11, 0x11}}},
		{"4:1:0", filechecktest.JPEGSpec{Sampling: []byte{0x42, 0x11, 0x11}}},
		{"4:4:0 at 2x2", filechecktest.JPEGSpec{Sampling: []byte{0x22, 0x21, 0x21}}},
		{"RGB by name", filechecktest.JPEGSpec{Sampling: []byte{0x11, 0x11, 0x11}, IDs: "RGB"}},
		{"RGB by Adobe", filechecktest.JPEGSpec{Sampling: []byte{0x21, 0x11, 0x11}, Adobe: true, Transform: 0}},
		{"CMYK", filechecktest.JPEGSpec{Sampling: []byte{0x11, 0x11, 0x11, 0x11}, Adobe: true, Transform: 0}},
		{"YCCK", filechecktest.JPEGSpec{Sampling: []byte{0x22, 0x11, 0x11, 0x22}, Adobe: true, Transform: 2}},
	}
	for _, l := range jpegLayouts {
		for _, progressive := range []bool{false, true} {
			s := l.spec
			s.Width, s.Height, s.Progressive = w, h, progressive
			name := "jpeg baseline " + l.name
			if progressive {
				name = "jpeg progressive " + l.name
			}
			inputs = append(inputs, input{name, filechecktest.FlatJPEG(s)})
		}
	}
	inputs = append(inputs, input{"jpeg from image/jpeg", filechecktest.JPEG(w, h)})
	for _, ct := range []byte{0, 2, 3, 4, 6} {
		for _, depth := range []byte{1, 2, 4, 8, 16} {
			switch {
			case ct == 3 && depth == 16, ct != 0 && ct != 3 && depth < 8:
				continue
			}
			for _, interlaced := range []bool{false, true} {
				for _, trns := range []bool{false, true} {
					if trns && ct != 0 && ct != 2 && ct != 3 {
						continue
					}
					name := fmt.Sprintf("png type %d depth %d interlaced %v tRNS %v", ct, depth, interlaced, trns)
					inputs = append(inputs, input{name, filechecktest.FlatPNG(filechecktest.PNGSpec{
						Width: w, Height: h, Depth: depth, ColorType: ct, Interlaced: interlaced, TRNS: trns})})
				}
			}
		}
	}
	gray := image.NewGray(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	nrgba.Set(1, 1, color.NRGBA{1, 2, 3, 4})
	inputs = append(inputs,
		input{"png from image/png", filechecktest.PNG(w, h)},
		input{"gif", filechecktest.GIF(w, h)},
		input{"gif interlaced", gifInterlaced(filechecktest.GIF(w, h))},
		input{"bmp 8-bit", encodeBMP(gray)},
		input{"bmp 24-bit", filechecktest.BMP(w, h)},
		input{"bmp 32-bit", encodeBMP(nrgba)},
	)

	s := slot(t, "licence")
	const slack = 256 << 10 // the estimate's own allowance for decoder state is 128 KiB
	for _, in := range inputs {
		var res filecheck.Result
		alloc := int64(allocated(func() { res = filecheck.CheckBytes(in.data, s) }))
		if !res.OK() {
			t.Errorf("%s: %+v", in.name, res)
			continue
		}
		if alloc > res.DecodeMemory || res.DecodeMemory > alloc+slack {
			t.Errorf("%s: allocated %d bytes, estimate %d", in.name, alloc, res.DecodeMemory)
		}
		if testing.Verbose() {
			t.Logf("%-45s allocated %8d, estimate %8d (+%d)", in.name, alloc, res.DecodeMemory, res.DecodeMemory-alloc)
		}
	}
}

// largestUnderBudget finds the largest n for which image(n) is within the decode budget,
// by the check's verdict alone: a slot that wants a 1x2 image refuses every square image
// within the budget as BadFormat without decoding it, and everything over it as TooLarge.
func largestUnderBudget(t *testing.T, image func(n int) []byte, hi int) int {
	t.Helper()
	probe := slot(t, "licence")
	probe.Image = filecheck.ImageRule{Width: 1, Height: 2}
	within := func(n int) bool {
		switch res := filecheck.CheckBytes(image(n), probe); res.Code {
		case filecheck.BadFormat:
			return true
		case filecheck.TooLarge:
			return false
		default:
			t.Fatalf("n = %d: %+v", n, res)
			return false
		}
	}
	lo := 1 // within; hi is not
	if !within(lo) || within(hi) {
		t.Fatalf("the budget is not between %d and %d", lo, hi)
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; within(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// worstImages are, for the 10 MiB slots, the square images with the largest decode within
// the budget in the layouts that cost the most a pixel: a progressive 4:4:4 JPEG (15 bytes
// a pixel) and an 8-bit RGBA PNG (4); each padded to close to 10 MiB with a comment or a
// private chunk, since the worker holds the file while it decodes it.
func worstImages(t *testing.T) map[string][]byte {
	t.Helper()
	n := largestUnderBudget(t, func(n int) []byte { return progressive444(n, n) }, 6000)
	jpg := progressive444(n, n)
	jpgPad := 10*filecheck.MiB - len(jpg) - 4096
	jpg = filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: n, Height: n, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}, Pad: jpgPad})
	rgba := func(n int) []byte {
		return filechecktest.FlatPNG(filechecktest.PNGSpec{Width: n, Height: n, ColorType: 6})
	}
	m := largestUnderBudget(t, rgba, 4200)
	p := filechecktest.FlatPNG(filechecktest.PNGSpec{Width: m, Height: m, ColorType: 6, Pad: 10*filecheck.MiB - len(rgba(m)) - 64})
	return map[string][]byte{
		fmt.Sprintf("progressive 4:4:4 JPEG %dx%d", n, n): jpg,
		fmt.Sprintf("RGBA PNG %dx%d", m, m):               p,
	}
}

// TestDecodeBudgetBoundary: the largest square images within the budget are accepted
// (decoded in full, allocating no more than the estimate); one pixel more each way is
// TooLarge.
func TestDecodeBudgetBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes images of 64 MiB")
	}
	s := slot(t, "licence")
	layouts := []struct {
		name  string
		image func(w, h int) []byte
		hi    int // a side over the budget
	}{
		{"progressive 4:4:4 JPEG", progressive444, 6000},
		{"progressive 4:2:0 JPEG", func(w, h int) []byte {
			return filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: w, Height: h, Progressive: true})
		}, 6000},
		{"baseline 4:4:4 JPEG", func(w, h int) []byte {
			return filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: w, Height: h, Sampling: []byte{0x11, 0x11, 0x11}})
		}, 6000},
		{"8-bit RGBA PNG", func(w, h int) []byte {
			return filechecktest.FlatPNG(filechecktest.PNGSpec{Width: w, Height: h, ColorType: 6})
		}, 4200},
		{"16-bit RGB PNG", func(w, h int) []byte {
			return filechecktest.FlatPNG(filechecktest.PNGSpec{Width: w, Height: h, ColorType: 2, Depth: 16})
		}, 3000},
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			n := largestUnderBudget(t, func(n int) []byte { return l.image(n, n) }, l.hi)
			data := l.image(n, n)
			var res filecheck.Result
			alloc := int64(allocated(func() { res = filecheck.CheckBytes(data, s) }))
			if !res.OK() || res.DecodeMemory > filecheck.MaxDecodeMemory || alloc > res.DecodeMemory {
				t.Errorf("%dx%d: %+v, allocated %d", n, n, res, alloc)
			}
			t.Logf("largest square within the budget: %dx%d (%.1f MP), estimate %.1f MiB, allocated %.1f MiB",
				n, n, float64(n*n)/1e6, float64(res.DecodeMemory)/filecheck.MiB, float64(alloc)/filecheck.MiB)
			if res := filecheck.CheckBytes(l.image(n+1, n+1), s); res.Code != filecheck.TooLarge {
				t.Errorf("%dx%d: %+v", n+1, n+1, res)
			}
		})
	}
	// The largest 4:2:0 baseline JPEG the pixel limit allows is within the budget.
	big := filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 8000, Height: 5000})
	if res := filecheck.CheckBytes(big, s); !res.OK() {
		t.Errorf("baseline 4:2:0 8000x5000: %+v", res)
	}
}

// peakChildEnv makes the test binary the child of TestDecodePeakMemory.
const peakChildEnv = "FILECHECK_PEAK_CHILD"

// TestDecodePeakMemory measures the peak resident memory of a process (this test binary,
// as a child, so that nothing else it did counts) that checks the worst images within the
// budget one after the other as the review worker does: read from a stream, no GC in
// between. The peak is what Lambda reports as Max Memory Used, less the worker's own
// baseline (AWS SDK clients, its binary).
func TestDecodePeakMemory(t *testing.T) {
	if os.Getenv(peakChildEnv) != "" {
		peakChild(t)
		return
	}
	if testing.Short() {
		t.Skip("decodes images of 64 MiB")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc/self/status (Linux)")
	}
	dir := t.TempDir()
	var files []string
	for name, data := range worstImages(t) {
		path := filepath.Join(dir, strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				return r
			}
			return '_'
		}, name))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDecodePeakMemory$", "-test.count=1", "-test.v")
	// The worker runs with the runtime's defaults: no GOGC or GOMEMLIMIT from this shell.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, peakChildEnv+"="+strings.Join(files, string(os.PathListSeparator)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var report peakReport
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "PEAK "); ok {
			if err := json.Unmarshal([]byte(line), &report); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(report.Steps) == 0 {
		t.Fatalf("no report from the child:\n%s", out)
	}
	for _, s := range report.Steps {
		t.Logf("%-40s %9d bytes  %-9s peak RSS %6.1f MiB  heap in use %6.1f MiB  heap from OS %6.1f MiB",
			s.File, s.Bytes, s.Code, s.PeakRSS/filecheck.MiB, s.HeapInuse/filecheck.MiB, s.HeapSys/filecheck.MiB)
	}
	t.Logf("baseline RSS %.1f MiB; peak RSS %.1f MiB (+%.1f MiB); runtime Sys %.1f MiB; %d GCs",
		report.BaseRSS/filecheck.MiB, report.PeakRSS/filecheck.MiB, (report.PeakRSS-report.BaseRSS)/filecheck.MiB, report.Sys/filecheck.MiB, report.NumGC)
	// The budget and the file twice (io.ReadAll grows its buffer by copying): about 88 MiB
	// measured; at times up to 145 MiB, when the next image's buffers do not fit in the
	// free pages of the previous one's. (Without the collection after each large decode,
	// the previous document's garbage adds as much again: 162 MiB, up to 229.) The bound
	// leaves the worker's 256 MB room for its own baseline (14 MiB idle) and its calls.
	if grown := report.PeakRSS - report.BaseRSS; grown > 192*filecheck.MiB {
		t.Errorf("checking grew the resident memory by %.1f MiB", grown/filecheck.MiB)
	}
}

type peakStep struct {
	File                        string
	Bytes                       int
	Code                        string
	PeakRSS, HeapInuse, HeapSys float64
}

type peakReport struct {
	BaseRSS, PeakRSS, Sys float64
	NumGC                 uint32
	Steps                 []peakStep
}

// vmHWM is the process's peak resident set size in bytes, from /proc/self/status.
func vmHWM(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

func peakChild(t *testing.T) {
	files := filepath.SplitList(os.Getenv(peakChildEnv))
	s := slot(t, "licence")
	report := peakReport{BaseRSS: vmHWM(t)}
	// Each worst image three times, in turn: six documents of one submission, or more with
	// FILECHECK_PEAK_ROUNDS.
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv("FILECHECK_PEAK_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	for range rounds {
		for _, path := range files {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := filecheck.Check(f, s)
			f.Close()
			if err != nil || !res.OK() {
				t.Fatalf("%s: %+v, %v", path, res, err)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fi, _ := os.Stat(path)
			report.Steps = append(report.Steps, peakStep{File: filepath.Base(path), Bytes: int(fi.Size()), Code: "ok",
				PeakRSS: vmHWM(t), HeapInuse: float64(ms.HeapInuse), HeapSys: float64(ms.HeapSys)})
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	report.PeakRSS, report.Sys, report.NumGC = vmHWM(t), float64(ms.Sys), ms.NumGC
	line, _ := json.Marshal(report)
	fmt.Println("PEAK " + string(line))
}
